"""DICOM waveform ECG reader, checked against pydicom's ``waveform_array`` (no shared data needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import ecg
from ecg import EcgFormatError

ECG_DCM = Path(get_testdata_file("waveform_ecg.dcm"))
TWELVE = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def test_twelve_lead_matches_pydicom() -> None:
    rec = ecg.read(ECG_DCM)
    ds = pydicom.dcmread(ECG_DCM)
    ref_uv = ds.waveform_array(0)  # the RHYTHM group, physical values in uV
    assert rec.leads == TWELVE
    assert rec.fs == 1000.0
    assert rec.signal.shape == (10000, 12)
    np.testing.assert_allclose(rec.signal, ref_uv / 1000.0, rtol=1e-12)
    assert rec.metadata.patient_id == "642341"
    assert rec.metadata.acquired_at == datetime(2013, 1, 25, 10, 59, 19)
    assert rec.metadata.device == "Mortara Instrument, Inc. el250"
    assert rec.metadata.extra["multiplex_group"] == "RHYTHM"
    assert rec.metadata.record_id == ds.SOPInstanceUID
    assert ecg.sniff(ECG_DCM) == "dicom"
    assert ecg.record_files(ECG_DCM) == (ECG_DCM,)


def _edited(tmp_path: Path, name: str, edit) -> Path:
    ds = pydicom.dcmread(ECG_DCM)
    edit(ds)
    out = tmp_path / name
    ds.save_as(out)
    return out


def test_general_ecg_padding_and_units(tmp_path: Path) -> None:
    def edit(ds: pydicom.Dataset) -> None:
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.9.1.2"  # General ECG Waveform Storage
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        grp = ds.WaveformSequence[0]
        raw = np.frombuffer(grp.WaveformData, dtype="<i2").copy().reshape(-1, 12)
        raw[5, 3] = -32768
        grp.WaveformData = raw.tobytes()
        grp.add_new(0x5400100A, "OW", np.int16(-32768).tobytes())  # Waveform Padding Value
        ch0 = grp.ChannelDefinitionSequence[0]
        ch0.ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
        ch0.ChannelSensitivity = "0.002"
        ch0.ChannelBaseline = "0.5"
        grp.ChannelDefinitionSequence[11].ChannelSensitivityUnitsSequence[0].CodeValue = "mm[Hg]"
        ds.InstitutionName = "Clinic 17"

    path = _edited(tmp_path, "general.dcm", edit)
    assert ecg.sniff(path) == "dicom"
    rec = ecg.read(path)
    raw = pydicom.dcmread(path).waveform_array(0)  # pydicom: raw * sensitivity * correction + baseline
    assert rec.leads == TWELVE[:11]
    np.testing.assert_allclose(rec.signal[:, 0], raw[:, 0])  # already mV
    assert np.isnan(rec.signal[5, 3]) and np.isfinite(rec.signal[4, 3])
    assert rec.metadata.extra["dropped_signals"] == ["V6 (mm[Hg])"]
    assert rec.metadata.extra["institution"] == "Clinic 17"
    json.dumps(rec.metadata.to_dict())  # JSON-ready


def test_big_endian_transfer_syntax(tmp_path: Path) -> None:
    if shutil.which("dcmconv") is None:
        pytest.skip("dcmtk's dcmconv not installed")
    out = tmp_path / "big.dcm"
    subprocess.run(["dcmconv", "+tb", str(ECG_DCM), str(out)], check=True, capture_output=True)
    assert pydicom.dcmread(out).original_encoding == (False, False)
    np.testing.assert_array_equal(ecg.read(out).signal, ecg.read(ECG_DCM).signal)


def test_non_ecg_dicom_is_rejected() -> None:
    ct = Path(get_testdata_file("CT_small.dcm"))
    assert ecg.sniff(ct) is None
    with pytest.raises(EcgFormatError, match=r"CT_small\.dcm: DICOM object is not an ECG waveform.*CT Image"):
        ecg.read(ct)


def test_truncated_dicom(tmp_path: Path) -> None:
    out = tmp_path / "cut.dcm"
    out.write_bytes(ECG_DCM.read_bytes()[: ECG_DCM.stat().st_size // 2])
    with pytest.raises(EcgFormatError, match=r"cut\.dcm"):
        ecg.read(out)


def test_ecg_without_waveforms(tmp_path: Path) -> None:
    path = _edited(tmp_path, "empty.dcm", lambda ds: delattr(ds, "WaveformSequence"))
    with pytest.raises(EcgFormatError, match="no Waveform Sequence"):
        ecg.read(path)
