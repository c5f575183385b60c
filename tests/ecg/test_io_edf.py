"""EDF/EDF+ reader: files written with pyEDFlib (mixed ECG/EEG signals, units, rates) and broken ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyedflib
import pytest
from pyedflib import highlevel

import ecg
from ecg import EcgFormatError
from ecg.io import write_edf


def _write(path: Path, signals: list[np.ndarray], specs: list[tuple[str, str, float]], **header) -> Path:
    headers = []
    for sig, (label, dim, fs) in zip(signals, specs, strict=True):
        lo, hi = float(np.floor(sig.min())) - 1, float(np.ceil(sig.max())) + 1
        headers.append(highlevel.make_signal_header(label, dimension=dim, sample_frequency=fs,
                                                    physical_min=lo, physical_max=hi))
    hdr = highlevel.make_header(**header)
    assert highlevel.write_edf(str(path), signals, headers, hdr, file_type=pyedflib.FILETYPE_EDFPLUS)
    return path


@pytest.fixture
def mixed_edf(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    v1_mv = rng.normal(0, 0.5, 5000)
    ii_uv = rng.normal(0, 800, 5000)
    eeg = rng.normal(0, 30, 5000)
    resp = rng.normal(0, 1, 1250)
    path = _write(
        tmp_path / "mixed.edf",
        [v1_mv, eeg, ii_uv, resp],
        [("EKG V1", "mV", 500.0), ("EEG Fp1", "uV", 500.0), ("ECG II", "uV", 500.0), ("ECG Resp", "uV", 125.0)],
        patientcode="MRN-77", equipment="Holter-9", startdate=datetime(2024, 2, 29, 23, 59, 1),
    )
    return path, v1_mv, ii_uv


def test_mixed_signals(mixed_edf: tuple[Path, np.ndarray, np.ndarray]) -> None:
    path, v1_mv, ii_uv = mixed_edf
    assert ecg.sniff(path) == "edf"
    rec = ecg.read(path)
    assert rec.leads == ("V1", "II")  # EEG dropped; the 125 Hz "ECG Resp" is at another rate
    assert rec.fs == 500.0
    ref = pyedflib.EdfReader(str(path))
    try:
        np.testing.assert_allclose(rec.signal[:, 0], ref.readSignal(0))
        np.testing.assert_allclose(rec.signal[:, 1], ref.readSignal(2) / 1000.0)
    finally:
        ref.close()
    # 16-bit quantization of the physical range (EDFlib truncates): within two steps of what was written
    assert np.max(np.abs(rec.signal[:, 0] - v1_mv)) < 2 * (v1_mv.max() - v1_mv.min() + 2) / 65535
    assert np.max(np.abs(rec.signal[:, 1] - ii_uv / 1000)) < 2 * (ii_uv.max() - ii_uv.min() + 2) / 65535 / 1000
    assert rec.metadata.patient_id == "MRN-77"
    assert rec.metadata.device == "Holter-9"
    assert rec.metadata.acquired_at == datetime(2024, 2, 29, 23, 59, 1)
    assert rec.metadata.extra["dropped_signals"] == ["ECG Resp (125 Hz)"]


def test_mitdb_record_through_edf(shared_data: Path, tmp_path: Path) -> None:
    src = ecg.read(shared_data / "ecg" / "mitdb" / "100")
    src = ecg.EcgRecord(src.signal[:36000], src.fs, src.leads, src.metadata)
    rec = ecg.read(write_edf(src, tmp_path / "100.edf"))
    assert rec.leads == ("MLII", "V5") and rec.fs == 360.0 and rec.n_samples == 36000
    np.testing.assert_allclose(rec.signal, src.signal, atol=1e-4)  # 16-bit over a few mV range


def test_eeg_only_edf_is_not_ecg(tmp_path: Path) -> None:
    path = _write(tmp_path / "eeg.edf", [np.random.default_rng(0).normal(0, 30, 1000)], [("EEG Cz", "uV", 250.0)])
    assert ecg.sniff(path) is None
    with pytest.raises(EcgFormatError, match=r"eeg\.edf: no ECG signals"):
        ecg.read(path)


def test_truncated_and_discontinuous(mixed_edf: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    path = mixed_edf[0]
    data = path.read_bytes()
    cut = tmp_path / "cut.edf"
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(EcgFormatError, match=r"cut\.edf: unreadable EDF"):
        ecg.read(cut)
    header_only = tmp_path / "header.edf"
    header_only.write_bytes(data[:200])
    with pytest.raises(EcgFormatError, match=r"header\.edf"):
        ecg.read(header_only)
    edfd = tmp_path / "d.edf"
    edfd.write_bytes(data[:192] + b"EDF+D" + data[197:])
    with pytest.raises(EcgFormatError, match="discontinuous"):
        ecg.read(edfd)


def test_numbered_ecg_labels_and_bdf_magic(tmp_path: Path) -> None:
    sig = np.sin(np.linspace(0, 20, 2560))
    path = _write(tmp_path / "holter.edf", [sig, sig * 2], [("ECG1", "mV", 256.0), ("ECG2", "mV", 256.0)])
    assert ecg.sniff(path) == "edf"
    rec = ecg.read(path)
    assert rec.leads == ("ECG1", "ECG2") and rec.fs == 256.0
    np.testing.assert_allclose(rec.signal[:, 1], 2 * sig, atol=1e-3)
    bdf = tmp_path / "fake.bdf"
    bdf.write_bytes(b"\xffBIOSEMI" + b" " * 300)
    with pytest.raises(EcgFormatError, match=r"fake\.bdf"):
        ecg.read(bdf)
