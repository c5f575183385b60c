"""WFDB reader on the PhysioNet reference records, checked against ``wfdb.rdrecord``, and on broken copies."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import wfdb

import ecg
from ecg import EcgFormatError
from ecg.io import read_wfdb


def _copy_record(src_dir: Path, name: str, dst: Path) -> Path:
    for f in src_dir.glob(f"{name}.*"):
        if f.suffix != ".atr":
            shutil.copy(f, dst / f.name)
    return dst / name


@pytest.mark.parametrize(("rel", "leads"), [("mitdb/100", ("MLII", "V5")), ("nstdb/118e24", ("MLII", "V1"))])
def test_matches_rdrecord(shared_data: Path, rel: str, leads: tuple[str, str]) -> None:
    path = shared_data / "ecg" / rel
    rec = ecg.read(path.with_suffix(".hea") if path.suffix else Path(f"{path}.hea"))
    ref = wfdb.rdrecord(str(path))
    assert rec.fs == 360.0
    assert rec.leads == leads
    assert rec.signal.shape == (650000, 2)
    assert rec.signal.dtype == np.float64 and rec.signal.flags.c_contiguous
    np.testing.assert_allclose(rec.signal, ref.p_signal, rtol=0, atol=1e-12)
    assert rec.metadata.source_format == "wfdb"
    assert rec.metadata.record_id == path.name


def test_every_path_form_reads_the_same_record(shared_data: Path) -> None:
    base = shared_data / "ecg" / "mitdb" / "100"
    recs = [ecg.read(p) for p in (Path(f"{base}.hea"), Path(f"{base}.dat"), base, str(base))]
    for rec in recs[1:]:
        np.testing.assert_array_equal(rec.signal, recs[0].signal)
    assert recs[0].metadata.source_path == f"{base}.hea"
    assert recs[0].metadata.extra["comments"][0].startswith("69 M")


def test_cinc2017_header_quirk(shared_data: Path) -> None:
    hea = shared_data / "ecg" / "cinc2017" / "A00003.hea"
    before = hea.read_bytes()
    with pytest.raises(Exception):  # the peer library rejects this header as it is
        wfdb.rdrecord(str(hea.with_suffix("")))
    rec = ecg.read(hea.with_suffix(".mat"))
    assert hea.read_bytes() == before  # never edited
    assert rec.fs == 300.0 and rec.leads == ("ECG",) and rec.n_samples == 18000
    assert rec.metadata.acquired_at == datetime(2014, 4, 15, 12, 4, 5)
    assert "header_repaired" in rec.metadata.extra
    # Reference: the same header with the standard "time date" order, read by wfdb-python.
    fixed = hea.read_text().replace("2014-04-15 12:04:05", "12:04:05 15/04/2014")
    assert wfdb.io._header._parse_record_line(fixed.splitlines()[0])["sig_len"] == 18000
    raw = np.fromfile(hea.with_suffix(".mat"), dtype="<i2", offset=24)
    np.testing.assert_allclose(rec.signal[:, 0], raw[:18000] / 1000.0)


def test_ptb_12_leads_with_missing_companion(shared_data: Path) -> None:
    base = shared_data / "ecg" / "ptb" / "s0010_re"
    rec = ecg.read(base)
    ref = wfdb.rdrecord(str(base), channels=list(range(12)))
    assert rec.leads == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert rec.fs == 1000.0
    np.testing.assert_allclose(rec.signal, ref.p_signal, atol=1e-12)
    # s0010_re.xyz (Frank leads) is not in the reference data: those leads are dropped, and said so.
    assert rec.metadata.extra["missing_signal_files"] == ["s0010_re.xyz"]
    assert [p.name for p in ecg.record_files(base)] == ["s0010_re.hea", "s0010_re.dat"]


def test_record_files(shared_data: Path) -> None:
    files = ecg.record_files(shared_data / "ecg" / "mitdb" / "100.dat")
    assert [p.name for p in files] == ["100.hea", "100.dat"]


def test_truncated_dat(shared_data: Path, tmp_path: Path) -> None:
    base = _copy_record(shared_data / "ecg" / "mitdb", "100", tmp_path)
    dat = tmp_path / "100.dat"
    dat.write_bytes(dat.read_bytes()[:30000])
    with pytest.raises(EcgFormatError, match=r"100\.dat.*truncated") as err:
        ecg.read(base)
    assert err.value.path.endswith("100.dat")


def test_header_lying_about_length(shared_data: Path, tmp_path: Path) -> None:
    base = _copy_record(shared_data / "ecg" / "nstdb", "118e24", tmp_path)
    hea = tmp_path / "118e24.hea"
    hea.write_text(hea.read_text().replace("360 650000", "360 999999"))
    with pytest.raises(EcgFormatError, match="650000 samples per signal but 118e24.hea says 999999"):
        ecg.read(base)


def test_header_shorter_than_file_reads_prefix(
    shared_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = _copy_record(shared_data / "ecg" / "mitdb", "100", tmp_path)
    hea = tmp_path / "100.hea"
    hea.write_text(hea.read_text().replace("360 650000", "360 1001"))
    with caplog.at_level("WARNING", logger="ecg.io"):
        rec = ecg.read(base)
    assert "holds 650000 samples per signal, header says 1001" in caplog.text
    ref = wfdb.rdrecord(str(shared_data / "ecg" / "mitdb" / "100"), sampto=1001)
    np.testing.assert_allclose(rec.signal, ref.p_signal, atol=1e-12)


def test_missing_signal_file(shared_data: Path, tmp_path: Path) -> None:
    base = _copy_record(shared_data / "ecg" / "mitdb", "100", tmp_path)
    (tmp_path / "100.dat").unlink()
    with pytest.raises(EcgFormatError, match=r"100\.hea: signal file\(s\) 100\.dat .*not found"):
        ecg.read(base)
    with pytest.raises(EcgFormatError, match="file not found"):
        ecg.read(tmp_path / "nope")


def test_missing_header(shared_data: Path, tmp_path: Path) -> None:
    shutil.copy(shared_data / "ecg" / "mitdb" / "100.dat", tmp_path / "100.dat")
    with pytest.raises(EcgFormatError, match=r"without its header 100\.hea"):
        ecg.read(tmp_path / "100.dat")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("", "file is empty"),
        ("rec 2 360 100\nrec.dat 212 200 11 1024 0 0 0 MLII\n", "declares 2 signals but has 1"),
        ("multi/2 1 360 200\nseg1 100\nseg2 100\n", "multi-segment"),
        ("rec 1 360 100\nrec.dat 16 200 16 0 0 0 0 MLII\nrec.dat 16 200 16 0 0 0 0 V1\n", None),
        ("rec 1 360 100\n~ 16 200 16 0 0 0 0 MLII\n", "no signal file"),
        ("rec 1 360 100 2014-13-45 10:00:00\nrec.dat 16 200 16 0 0 0 0 MLII\n", "invalid WFDB record line"),
        ("rec 1 0 100\nrec.dat 16 200 16 0 0 0 0 MLII\n", "sampling frequency"),
    ],
)
def test_bad_headers(tmp_path: Path, header: str, problem: str | None) -> None:
    (tmp_path / "rec.dat").write_bytes(np.zeros(400, dtype="<i2").tobytes())
    hea = tmp_path / "rec.hea"
    hea.write_text(header)
    if problem is None:  # extra signal lines beyond n_sig are ignored, as WFDB does
        assert read_wfdb(hea).leads == ("MLII",)
        return
    with pytest.raises(EcgFormatError, match=problem) as err:
        read_wfdb(hea)
    assert "rec.hea" in str(err.value)


def test_invalid_samples_are_nan_and_units_converted(tmp_path: Path) -> None:
    digital = np.array([[100, -32768], [0, 2000], [-100, 4000]], dtype="<i2")
    (tmp_path / "r.dat").write_bytes(digital.tobytes())
    (tmp_path / "r.hea").write_text("r 2 250 3\nr.dat 16 200(10)/uV 16 0 0 0 0 II\nr.dat 16 2/V 16 0 0 0 0 V1\n")
    rec = ecg.read(tmp_path / "r")
    expected_ii = (digital[:, 0] - 10) / 200.0 / 1000.0
    np.testing.assert_allclose(rec.signal[:, 0], expected_ii)
    assert np.isnan(rec.signal[0, 1])
    np.testing.assert_allclose(rec.signal[1:, 1], digital[1:, 1] / 2.0 * 1000.0)
    ref = wfdb.rdrecord(str(tmp_path / "r"))
    np.testing.assert_allclose(rec.signal[:, 0], ref.p_signal[:, 0] / 1000.0)


def test_non_voltage_signals_dropped(tmp_path: Path) -> None:
    (tmp_path / "r.dat").write_bytes(np.arange(8, dtype="<i2").tobytes())
    (tmp_path / "r.hea").write_text("r 2 125 4\nr.dat 16 100/mV 16 0 0 0 0 ECG\nr.dat 16 1/mmHg 16 0 0 0 0 ABP\n")
    rec = ecg.read(tmp_path / "r.hea")
    assert rec.leads == ("ECG",)
    assert rec.metadata.extra["dropped_signals"] == ["ABP (mmHg)"]
    np.testing.assert_allclose(rec.signal[:, 0], np.array([0, 2, 4, 6]) / 100.0)


def test_variants_decoded_by_wfdb_python(tmp_path: Path) -> None:
    """FLAC (508), multi-rate frames and skew go to ``wfdb.rdrecord``; same values as the peer."""
    rng = np.random.default_rng(11)
    d = rng.integers(-100, 100, size=(500, 2))
    wfdb.wrsamp("flac", fs=250, units=["mV", "mV"], sig_name=["I", "II"], d_signal=d, fmt=["508", "508"],
                adc_gain=[100.0, 100.0], baseline=[0, 0], write_dir=str(tmp_path))
    rec = ecg.read(tmp_path / "flac.hea")
    np.testing.assert_allclose(rec.signal, d / 100.0)

    wfdb.wrsamp("multi", fs=250, units=["mV", "mV"], sig_name=["I", "II"], e_d_signal=[d[:, 0], d[::2, 1]],
                samps_per_frame=[2, 1], fmt=["16", "16"], adc_gain=[100.0, 100.0], baseline=[0, 0],
                write_dir=str(tmp_path))
    rec = ecg.read(tmp_path / "multi")
    ref = wfdb.rdrecord(str(tmp_path / "multi"), smooth_frames=True)
    assert rec.n_samples == 250
    np.testing.assert_allclose(rec.signal, ref.p_signal)

    (tmp_path / "skew.dat").write_bytes(d.astype("<i2").tobytes())
    (tmp_path / "skew.hea").write_text("skew 2 250 500\nskew.dat 16 100 16 0 0 0 0 I\nskew.dat 16:3 100 16 0 0 0 0 II\n")
    rec = ecg.read(tmp_path / "skew.hea")
    ref = wfdb.rdrecord(str(tmp_path / "skew"))
    np.testing.assert_allclose(rec.signal, ref.p_signal, equal_nan=True)
    np.testing.assert_allclose(rec.signal[:10, 1], d[3:13, 1] / 100.0)


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("A00001 1 300 9000 2014-05-08 05:05:15", "A00001 1 300 9000 05:05:15 08/05/2014"),
        ("A00001 1 300 9000 05:05:15 2014-05-08", "A00001 1 300 9000 05:05:15 08/05/2014"),
        ("A00001 1 300 9000 2014-5-8", "A00001 1 300 9000"),
        ("100 2 360 650000 10:00:00 01/02/2003", "100 2 360 650000 10:00:00 01/02/2003"),
    ],
)
def test_record_line_repair(line: str, fixed: str) -> None:
    from ecg.io.wfdb_format import _fix_record_line

    out, changed = _fix_record_line(line)
    assert out == fixed and changed == (line != fixed)
    wfdb.io._header._parse_record_line(out)  # the peer parser accepts the repaired line
