"""CSV reader: header units, time columns, fs rules, missing cells and files without numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecg
from ecg import EcgFormatError
from ecg.io import write_csv


def _write(tmp_path: Path, text: str, name: str = "ecg.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_units_in_header_and_time_in_ms(tmp_path: Path) -> None:
    path = _write(tmp_path, "time (ms),II_mV,V1 (uV),aVR [V],index\n0,1.5,250,0.001,0\n4,-0.5,-1000,0,1\n8,0,0,-0.002,2\n")
    assert ecg.sniff(path) == "csv"
    rec = ecg.read(path)
    assert rec.fs == 250.0
    assert rec.leads == ("II", "V1", "aVR")
    np.testing.assert_allclose(rec.signal, [[1.5, 0.25, 1.0], [-0.5, -1.0, 0.0], [0.0, 0.0, -2.0]])
    assert rec.metadata.extra["units"] == ["mV", "uV", "V"]


def test_semicolon_missing_cells_and_fs_keyword(tmp_path: Path) -> None:
    path = _write(tmp_path, "I;II;III\n0.1;0.2;0.1\n0.2;;0.0\n0.3;0.4;0.1\n", name="ecg.txt")
    with pytest.raises(EcgFormatError, match=r"ecg\.txt: CSV has no time column.*pass fs="):
        ecg.read(path)
    rec = ecg.read(path, fs=500)
    assert rec.fs == 500.0 and rec.leads == ("I", "II", "III")
    assert np.isnan(rec.signal[1, 1])
    np.testing.assert_allclose(rec.signal[:, 0], [0.1, 0.2, 0.3])


def test_time_column_wins_over_fs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path, "t,ECG\n0.000,1\n0.002,2\n0.004,3\n")
    assert ecg.read(path, fs=1000).fs == 500.0
    assert "ignoring fs=1000" in caplog.text


@settings(max_examples=15, deadline=None)
@given(fs=st.sampled_from([125.0, 250.0, 257.0, 360.0, 500.0, 1000.0]), n=st.integers(2, 400),
       unit=st.sampled_from(["mV", "uV"]))
def test_roundtrip(tmp_path_factory: pytest.TempPathFactory, fs: float, n: int, unit: str) -> None:
    rng = np.random.default_rng(n)
    src = ecg.EcgRecord(rng.normal(0, 1, (n, 2)), fs, ("MLII", "V5"))
    path = write_csv(src, tmp_path_factory.mktemp("csv") / "r.csv", unit=unit)
    rec = ecg.read(path)
    assert rec.fs == fs and rec.leads == src.leads
    np.testing.assert_allclose(rec.signal, src.signal, atol=1e-6 if unit == "mV" else 1e-9)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A00003,N\nA00004,A\n", "no ECG lead column"),
        ("II,V1\n", "no data rows"),
        ("II,V1\nfoo,bar\nbaz,qux\n", "no numeric ECG data"),
        ("time,II\n0,1\n0.002,1\n0.010,1\n", "not uniformly increasing"),
        ("II (mmHg)\n1\n2\n", "not uV, mV or V"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(EcgFormatError, match=problem) as err:
        ecg.read(path, fs=100)
    assert err.value.path == str(path)
