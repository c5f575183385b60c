"""DICOM waveform ECGs: 12-Lead ECG, General ECG and Ambulatory ECG storage (PS3.3 A.34).

Samples come from pydicom's waveform support (:func:`pydicom.waveforms.numpy_handler.multiplex_array`);
this module picks the ECG multiplex group, maps each channel's physical value
``raw * ChannelSensitivity * ChannelSensitivityCorrectionFactor + ChannelBaseline`` (the same
formula pydicom's ``waveform_array`` uses) from its Channel Sensitivity Units (UCUM ``uV``, ``mV``,
``V``) to millivolts, marks ``WaveformPaddingValue`` samples as NaN and names leads from the Channel
Source codes (SCPECG ``5.6.3-9-n`` and MDC ``2:n`` share the lead numbering of CID 3001).

References
----------
DICOM PS3.3 C.10.9 "Waveform Module" and A.34 "Waveform IODs"; DICOM PS3.16 CID 3001 "ECG Leads".
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.waveforms.numpy_handler import multiplex_array

from ..errors import EcgFormatError
from ..record import EcgMetadata, EcgRecord
from ._common import EcgFormat, canonical_lead, mv_per_unit, require_file

__all__ = ["ECG_SOP_CLASSES", "read_dicom_waveform"]

logger = logging.getLogger(__name__)

#: SOP Class UIDs of the ECG waveform IODs.
ECG_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.1.3": "Ambulatory ECG Waveform Storage",
}

# CID 3001 lead numbers (the trailing number of SCPECG "5.6.3-9-n" and MDC "2:n" codes).
_LEAD_NUMBERS: dict[int, str] = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7",
    10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R",
    16: "X", 17: "Y", 18: "Z", 19: "CC5", 20: "CM5",
    61: "III", 62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR", 66: "V8", 67: "V9", 68: "V8R", 69: "V9R",
}
_CODE_NUMBER = re.compile(r"^(?:5\.6\.3-9-|2:)(\d+)$")
# Multiplex groups that hold derived data rather than the recording.
_DERIVED_LABELS = ("MEDIAN", "REPRESENTATIVE", "AVERAGE", "TEMPLATE")


def _lead_name(channel: Dataset, index: int) -> str:
    seq = channel.get("ChannelSourceSequence")
    if seq:
        code = seq[0]
        m = _CODE_NUMBER.match(str(code.get("CodeValue", "")).strip())
        if m and int(m.group(1)) in _LEAD_NUMBERS:
            return _LEAD_NUMBERS[int(m.group(1))]
        meaning = str(code.get("CodeMeaning", "")).strip()
        if meaning:
            return canonical_lead(re.sub(r"\s*\(.*\)\s*$", "", meaning))
    label = str(channel.get("ChannelLabel", "")).strip()
    return canonical_lead(label) if label else f"channel{index}"


def _channel_unit(channel: Dataset) -> str | None:
    seq = channel.get("ChannelSensitivityUnitsSequence")
    if not seq:
        return None
    return str(seq[0].get("CodeValue", "")).strip() or None


def _pick_group(ds: Dataset, path: Path) -> int:
    """Index of the recording multiplex group: not a median/representative beat, most samples."""
    groups = list(ds.WaveformSequence)
    if not groups:
        raise EcgFormatError(path, "DICOM ECG has an empty Waveform Sequence")
    best, best_key = 0, (-1, -1)
    for i, grp in enumerate(groups):
        label = str(grp.get("MultiplexGroupLabel", "")).upper()
        recording = 0 if any(word in label for word in _DERIVED_LABELS) else 1
        key = (recording, int(grp.get("NumberOfWaveformSamples", 0)))
        if key > best_key:
            best, best_key = i, key
    return best


def _acquired_at(ds: Dataset) -> datetime | None:
    text = str(ds.get("AcquisitionDateTime", "") or "").strip()
    if not text:
        date = str(ds.get("ContentDate", "") or ds.get("StudyDate", "") or "").strip()
        time = str(ds.get("ContentTime", "") or ds.get("StudyTime", "") or "").strip()
        text = date + time if date else ""
    if not text:
        return None
    try:
        dt = pydicom.valuerep.DT(text)
    except ValueError:
        logger.warning("unparseable DICOM date-time %r", text)
        return None
    return datetime.combine(dt.date(), dt.timetz())


def read_dicom_waveform(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read a DICOM ECG waveform object into millivolts.

    Parameters
    ----------
    path
        A DICOM Part 10 file of one of :data:`ECG_SOP_CLASSES`.
    fs
        Ignored: the multiplex group carries its Sampling Frequency (a differing value is logged).

    Returns
    -------
    EcgRecord
        The recording multiplex group (e.g. ``RHYTHM``, not ``MEDIAN BEAT``), voltage channels only.

    Raises
    ------
    EcgFormatError
        Not DICOM, not an ECG waveform SOP class (e.g. a CT image), missing or inconsistent waveform
        attributes, no voltage channels.
    """
    p = Path(path)
    require_file(p)
    try:
        ds = pydicom.dcmread(p)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError) as exc:
        raise EcgFormatError(p, f"not a readable DICOM file: {exc}") from None
    sop = str(ds.get("SOPClassUID", "") or ds.file_meta.get("MediaStorageSOPClassUID", ""))
    if sop not in ECG_SOP_CLASSES:
        name = getattr(pydicom.uid.UID(sop), "name", sop) if sop else "no SOP Class UID"
        raise EcgFormatError(p, f"DICOM object is not an ECG waveform (SOP class {sop or '?'}: {name})")
    if "WaveformSequence" not in ds:
        raise EcgFormatError(p, "DICOM ECG has no Waveform Sequence (5400,0100)")
    index = _pick_group(ds, p)
    group = ds.WaveformSequence[index]
    try:
        raw = multiplex_array(ds, index, as_raw=True)
    except (AttributeError, ValueError, KeyError) as exc:
        raise EcgFormatError(p, f"unreadable waveform multiplex group {index}: {exc}") from None
    little_endian = ds.original_encoding[1] is not False
    if not little_endian:  # pydicom hands OW Waveform Data over as stored: swap to native order
        raw = raw.byteswap()
    group_fs = float(group.get("SamplingFrequency", 0) or 0)
    if group_fs <= 0:
        raise EcgFormatError(p, f"multiplex group {index} has no positive Sampling Frequency")
    if fs is not None and abs(float(fs) - group_fs) > 1e-6 * group_fs:
        logger.warning("%s: DICOM says fs=%g Hz; ignoring fs=%g", p, group_fs, fs)
    channels = list(group.get("ChannelDefinitionSequence", []))
    if len(channels) != raw.shape[1]:
        raise EcgFormatError(p, f"{raw.shape[1]} waveform channels but {len(channels)} channel definitions")
    padding = group.get("WaveformPaddingValue")
    pad_value: int | None = None
    if padding is not None:
        dtype = raw.dtype
        stored = dtype.newbyteorder("<" if little_endian else ">")
        if isinstance(padding, bytes):
            pad_value = int(np.frombuffer(padding[: dtype.itemsize], dtype=stored)[0])
        else:
            pad_value = int(padding)

    keep: list[int] = []
    scale: list[float] = []
    offset: list[float] = []
    leads: list[str] = []
    units: list[str] = []
    dropped: list[str] = []
    for j, ch in enumerate(channels):
        unit = _channel_unit(ch)
        factor = mv_per_unit(unit)
        name = _lead_name(ch, j)
        if factor is None:
            dropped.append(f"{name} ({unit})")
            continue
        sensitivity = float(ch.get("ChannelSensitivity", 1.0) or 1.0)
        correction = float(ch.get("ChannelSensitivityCorrectionFactor", 1.0) or 1.0)
        baseline = float(ch.get("ChannelBaseline", 0.0) or 0.0)
        keep.append(j)
        scale.append(sensitivity * correction * factor)
        offset.append(baseline * factor)
        leads.append(name)
        units.append(str(unit))
    if not keep:
        raise EcgFormatError(p, f"no voltage channels in the ECG waveform (dropped: {', '.join(dropped)})")
    stored = raw if len(keep) == raw.shape[1] else raw[:, keep]
    signal = stored * np.asarray(scale) + np.asarray(offset)  # one pass, float64, C-contiguous
    if pad_value is not None:
        signal[stored == pad_value] = np.nan

    manufacturer = " ".join(
        str(ds.get(k, "")).strip() for k in ("Manufacturer", "ManufacturerModelName") if ds.get(k)
    )
    extra: dict[str, Any] = {
        "sop_class": ECG_SOP_CLASSES[sop],
        "multiplex_group": str(group.get("MultiplexGroupLabel", "")) or index,
        "units": units,
    }
    if dropped:
        extra["dropped_signals"] = dropped
    if ds.get("InstitutionName"):
        extra["institution"] = str(ds.InstitutionName)
    if ds.get("StudyInstanceUID"):
        extra["study_instance_uid"] = str(ds.StudyInstanceUID)
    meta = EcgMetadata(
        record_id=str(ds.get("SOPInstanceUID", "") or p.stem),
        patient_id=str(ds.PatientID) if ds.get("PatientID") else None,
        acquired_at=_acquired_at(ds),
        device=manufacturer or None,
        source_format=EcgFormat.DICOM.value,
        source_path=str(p),
        extra=extra,
    )
    return EcgRecord(signal=signal, fs=group_fs, leads=tuple(leads), metadata=meta)
