"""Routing: ``ecg.sniff`` on primary, companion and foreign files; ``ecg.read`` on empty and garbage input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file

import ecg
from ecg import EcgFormatError
from ecg.io import READERS, EcgFormat


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("mitdb/100.hea", "wfdb"),
        ("mitdb/100.dat", None),
        ("mitdb/100.atr", None),
        ("nstdb/118e24.hea", "wfdb"),
        ("cinc2017/A00003.hea", "wfdb"),
        ("cinc2017/A00003.mat", None),
        ("cinc2017/REFERENCE.csv", None),
        ("ptb/s0010_re.hea", "wfdb"),
        ("ptb/s0010_re.dat", None),
    ],
)
def test_sniff_reference_files(shared_data: Path, rel: str, expected: str | None) -> None:
    assert ecg.sniff(shared_data / "ecg" / rel) == expected


def test_sniff_ignores_extension(shared_data: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "upload.bin"
    shutil.copy(shared_data / "ecg" / "mitdb" / "100.hea", renamed)
    assert ecg.sniff(renamed) == "wfdb"
    dcm = tmp_path / "ecg.txt"
    shutil.copy(get_testdata_file("waveform_ecg.dcm"), dcm)
    assert ecg.sniff(dcm) == "dicom"
    assert ecg.read(dcm).n_leads == 12


def test_sniff_reads_only_the_head(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    rows = "\n".join("0.1,0.2" for _ in range(200_000))
    path.write_text("II,V5\n" + rows + "\n")
    assert ecg.sniff(path) == "csv"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02garbage" * 100, b"hello world\nthis is not an ecg\n", "name,potassium_mmol_l\nA,4.1\n".encode()],
)
def test_not_ecg(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.dat2"
    path.write_bytes(content)
    assert ecg.sniff(path) is None
    with pytest.raises(EcgFormatError) as err:
        ecg.read(path)
    assert err.value.path == str(path)
    assert ("empty" in err.value.problem) if not content else ("unknown format" in err.value.problem)


def test_sniff_missing_or_directory(tmp_path: Path) -> None:
    assert ecg.sniff(tmp_path / "absent.hea") is None
    assert ecg.sniff(tmp_path) is None


def test_readers_cover_every_format() -> None:
    assert set(READERS) == set(EcgFormat)


def test_one_lead_non_contiguous_source_roundtrips_all_writers(tmp_path: Path) -> None:
    """A one-lead record built from a strided view survives every writer/reader pair."""
    base = np.random.default_rng(5).normal(0, 0.4, (2000, 3))
    rec = ecg.EcgRecord(base[::2, 1], 250.0, ("II",))
    for writer, name, atol in ((ecg.io.write_csv, "r.csv", 1e-6), (ecg.io.write_aecg, "r.xml", 5e-4),
                               (ecg.io.write_edf, "r.edf", 1e-3)):
        back = ecg.read(writer(rec, tmp_path / name))
        assert back.leads == ("II",) and back.fs == 250.0 and back.n_samples == 1000, name
        np.testing.assert_allclose(back.signal, rec.signal, atol=atol, err_msg=name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.sampled_from(["x.hea", "x.csv", "x.xml", "x.edf", "x.dcm", "x"]))
def test_sniff_never_raises_on_arbitrary_bytes(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert ecg.sniff(path) in (None, "wfdb", "dicom", "aecg", "edf", "csv")


def test_wfdb_header_without_voltage_signals_is_not_ecg(tmp_path: Path) -> None:
    (tmp_path / "bp.hea").write_text("bp 1 125 1000\nbp.dat 16 100/mmHg 16 0 0 0 0 ABP\n")
    assert ecg.sniff(tmp_path / "bp.hea") is None
    (tmp_path / "ecg.hea").write_text("ecg 2 125 1000\necg.dat 16 100/mmHg 16 0 0 0 0 ABP\necg.dat 16 200 16 0 0 0 0 ECG1\n")
    assert ecg.sniff(tmp_path / "ecg.hea") == "wfdb"


@pytest.mark.parametrize("fs", [0, -250.0, float("nan"), float("inf"), "250", True])
def test_bad_fs_argument(tmp_path: Path, fs: object) -> None:
    path = tmp_path / "r.csv"
    path.write_text("II\n0.1\n0.2\n")
    with pytest.raises(ecg.EcgValueError, match="fs: expected a positive sampling rate"):
        ecg.read(path, fs=fs)  # type: ignore[arg-type]


def test_flat_lead_and_nan_through_all_writers(tmp_path: Path) -> None:
    sig = np.column_stack([np.full(500, 0.3), np.sin(np.linspace(0, 9, 500))])
    sig[10, 1] = np.nan
    rec = ecg.EcgRecord(sig, 500.0, ("I", "II"))
    csv = ecg.read(ecg.io.write_csv(rec, tmp_path / "f.csv"))
    assert np.isnan(csv.signal[10, 1])  # CSV keeps NaN
    np.testing.assert_allclose(csv.signal, sig, atol=1e-6, equal_nan=True)
    for writer, name, atol in ((ecg.io.write_aecg, "f.xml", 5e-4), (ecg.io.write_edf, "f.edf", 1e-3)):
        back = ecg.read(writer(rec, tmp_path / name))  # no NaN in these formats: written as 0 mV
        assert back.signal[10, 1] == pytest.approx(0.0, abs=atol)
        np.testing.assert_allclose(np.delete(back.signal, 10, axis=0), np.delete(sig, 10, axis=0), atol=atol)
