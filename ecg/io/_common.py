"""Helpers shared by the ECG readers: lead names, voltage units, cheap file heads.

Private: the readers import from here, nothing outside :mod:`ecg.io` should.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from ..errors import EcgFormatError

__all__ = [
    "EcgFormat",
    "HEAD_BYTES",
    "canonical_lead",
    "is_lead_name",
    "mv_per_unit",
    "read_head",
    "require_file",
]

#: How many bytes :func:`ecg.sniff` reads from the start of a file.
HEAD_BYTES = 8192


class EcgFormat(StrEnum):
    """The ECG file formats :func:`ecg.read` understands (values are the names :func:`ecg.sniff` returns)."""

    WFDB = "wfdb"
    DICOM = "dicom"
    AECG = "aecg"
    EDF = "edf"
    CSV = "csv"


# Standard leads, keyed by their lower-case spelling (PTB writes "i", "avr", "v1").
_CANONICAL_LEADS: dict[str, str] = {
    name.lower(): name
    for name in (
        "I", "II", "III", "aVR", "aVL", "aVF", "-aVR",
        "V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9",
        "V3R", "V4R", "V5R", "V6R", "V7R", "V8R", "V9R",
        "MLI", "MLII", "MLIII", "ML", "CM5", "CC5", "X", "Y", "Z", "ECG",
    )
}
_CANONICAL_LEADS.update({"ekg": "ECG", "vx": "X", "vy": "Y", "vz": "Z"})

# Prefixes devices put before the lead ("ECG II", "EKG-V1", "Lead I", "MDC_ECG_LEAD_AVR").
_LEAD_PREFIX = re.compile(r"^(?:mdc_ecg_lead_|ecg[\s_\-:]*|ekg[\s_\-:]*|lead[\s_\-:]*)", re.IGNORECASE)

_MV_PER_UNIT: dict[str, float] = {
    "mv": 1.0,
    "uv": 1e-3,
    "µv": 1e-3,
    "μv": 1e-3,
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "v": 1e3,
    "volt": 1e3,
    "volts": 1e3,
    "nv": 1e-6,
}


def canonical_lead(name: str) -> str:
    """The standard spelling of a lead name (``"avr"`` -> ``"aVR"``, ``"ECG II"`` -> ``"II"``).

    Names that are not standard leads are returned stripped but otherwise unchanged.
    """
    text = str(name).strip()
    key = text.lower()
    if key in _CANONICAL_LEADS:
        return _CANONICAL_LEADS[key]
    stripped = _LEAD_PREFIX.sub("", text).strip()
    if stripped.lower() in _CANONICAL_LEADS:
        return _CANONICAL_LEADS[stripped.lower()]
    return text


def is_lead_name(name: str) -> bool:
    """Whether ``name`` names an ECG lead (standard leads, ``ECG``/``EKG`` channels)."""
    text = str(name).strip()
    if not text:
        return False
    if text.lower() in _CANONICAL_LEADS:
        return True
    if re.match(r"^(ecg|ekg)", text, re.IGNORECASE) or text.lower().startswith("mdc_ecg_lead"):
        return True
    return _LEAD_PREFIX.sub("", text).strip().lower() in _CANONICAL_LEADS


def mv_per_unit(unit: str | None) -> float | None:
    """Millivolts per ``unit`` (``"uV"`` -> 0.001), or ``None`` when ``unit`` is not a voltage."""
    if unit is None:
        return None
    return _MV_PER_UNIT.get(str(unit).strip().lower())


def require_file(path: Path) -> int:
    """Size in bytes of ``path``; :class:`EcgFormatError` when it is missing, not a file or empty."""
    if not path.exists():
        raise EcgFormatError(path, "file not found")
    if not path.is_file():
        raise EcgFormatError(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise EcgFormatError(path, "file is empty (0 bytes)")
    return size


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> bytes:
    """The first ``n_bytes`` of ``path`` (fewer for a short file)."""
    with open(path, "rb") as fh:
        return fh.read(n_bytes)
