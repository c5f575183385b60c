"""The demo inbox: shipped synthetic ECGs and lab messages, DICOM files from pydicom's test data,
and one corrupt file of each kind, laid out as ``INBOX/<clinic>/...``. Needs nothing from ``../shared``.

Contents
--------
* ``clinic-north/ecg``: four 2-lead synthetic WFDB ECGs made once with neurokit2 (``demo_data/generate_ecgs.py``):
  normal sinus, a 9-beat VT run at 180 bpm, a 4.2 s pause, sinus tachycardia 150 bpm; a zip archive
  holding the 12-lead DICOM waveform ECG shipped with pydicom.
* ``clinic-south/imaging``: pydicom's ``CT_small.dcm`` plus two slices derived from it (new SOP Instance
  UIDs, same study: one CT study of three images) and ``MR_small.dcm`` (a second study).
* ``clinic-*/lab``: HL7 v2.5.1 ORU^R01 messages (a critical potassium, a routine lipid panel) and the
  lab-report samples shipped in ``lab/samples`` (HL7, FHIR, CSV; not the glucose self-monitoring ones).
* corrupt: a WFDB header whose signal file is truncated, a CT slice of the same study cut off in its
  pixel data, an HL7 message without its PID segment, and a file of no known format.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

import pydicom

import lab
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

__all__ = ["build_demo_inbox", "DEMO_DATA"]

log = logging.getLogger(__name__)

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
LAB_SAMPLES = Path(__file__).resolve().parents[1] / "lab" / "samples"


def _derived_slices(src: Path, out_dir: Path, n: int, *, first: int = 1) -> None:
    """``n`` further slices of the same CT study: new SOP Instance UIDs, next instance numbers and positions."""
    for k in range(first, first + n):
        ds = pydicom.dcmread(src)
        ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(ds.SOPInstanceUID), str(k)])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = int(ds.get("InstanceNumber", 1) or 1) + k
        if "ImagePositionPatient" in ds:
            x, y, z = (float(v) for v in ds.ImagePositionPatient)
            ds.ImagePositionPatient = [x, y, z + 5.0 * k]
        if "SliceLocation" in ds:
            ds.SliceLocation = float(ds.SliceLocation) + 5.0 * k
        ds.save_as(out_dir / f"ct_slice_{k + 1}.dcm", enforce_file_format=True)


def build_demo_inbox(inbox: str | Path) -> Path:
    """Create (or refresh) the demo inbox at ``inbox``; returns its path. Deterministic content, so
    re-running the demo on the same folder finds everything already processed."""
    inbox = Path(inbox)
    north, south = inbox / "clinic-north", inbox / "clinic-south"
    for d in (north / "ecg", north / "lab", south / "imaging", south / "lab", inbox / "clinic-east"):
        d.mkdir(parents=True, exist_ok=True)

    for f in sorted((DEMO_DATA / "ecg").glob("demo_*")):
        shutil.copyfile(f, north / "ecg" / f.name)
    with zipfile.ZipFile(north / "ecg" / "dicom_ecg_upload.zip", "w") as zf:
        zf.write(get_testdata_file("waveform_ecg.dcm"), "waveform_ecg.dcm")

    ct = Path(get_testdata_file("CT_small.dcm"))
    shutil.copyfile(ct, south / "imaging" / "ct_slice_1.dcm")
    _derived_slices(ct, south / "imaging", 2)
    shutil.copyfile(get_testdata_file("MR_small.dcm"), south / "imaging" / "mr_small.dcm")

    shutil.copyfile(DEMO_DATA / "lab" / "critical_potassium.hl7", north / "lab" / "critical_potassium.hl7")
    shutil.copyfile(DEMO_DATA / "lab" / "routine_lipids.hl7", south / "lab" / "routine_lipids.hl7")
    if LAB_SAMPLES.is_dir():
        for f in sorted(p for p in LAB_SAMPLES.iterdir() if p.is_file() and not p.name.startswith(".")):
            if (lab.sniff(f) or "glucose").startswith("glucose"):
                continue  # self-monitoring glucose readings are not lab reports (no worklist item)
            shutil.copyfile(f, south / "lab" / f"sample_{f.name}")

    # one corrupt input of each kind (the pipeline rejects them with a reason and keeps a copy)
    bad = inbox / "clinic-east"
    hea = (DEMO_DATA / "ecg" / "demo_sinus.hea").read_text(encoding="ascii")
    (bad / "truncated_ecg.hea").write_text(hea.replace("demo_sinus", "truncated_ecg"), encoding="ascii")
    (bad / "truncated_ecg.dat").write_bytes((DEMO_DATA / "ecg" / "demo_sinus.dat").read_bytes()[:301])
    _derived_slices(ct, bad, 1, first=3)  # a fourth slice of the CT study ...
    slice_ = (bad / "ct_slice_4.dcm").read_bytes()
    (bad / "ct_slice_4.dcm").unlink()
    (bad / "truncated_ct_slice.dcm").write_bytes(slice_[: len(slice_) // 2])  # ... cut off mid-pixel data
    msg = (DEMO_DATA / "lab" / "routine_lipids.hl7").read_bytes().split(b"\r")
    (bad / "no_patient.hl7").write_bytes(b"\r".join(s for s in msg if not s.startswith(b"PID")))
    (bad / "notes.docx").write_bytes(b"\xd0\xcf\x11\xe0 not a medical file " * 8)
    log.info("demo inbox ready at %s", inbox)
    return inbox
