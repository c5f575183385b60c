"""Reading lab files: cheap format sniffing for routing, and :func:`read` dispatching to the readers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .csvfmt import REQUIRED_COLUMNS, header_columns, parse_csv
from .errors import LabFormatError
from .fhir import parse_fhir
from .hl7v2 import parse_hl7
from .model import LabReport

__all__ = ["read", "sniff", "LAB_FORMATS"]

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 4096
_FHIR_TYPES = ('"Bundle"', '"DiagnosticReport"', '"Observation"')
GLUCOSE_TIME_COLUMNS = frozenset({"time", "timestamp", "datetime", "date_time", "device_timestamp"})


def _is_glucose_header(columns: list[str]) -> bool:
    return bool(GLUCOSE_TIME_COLUMNS & set(columns)) and any(c.startswith(("glucose", "historic_glucose")) for c in columns)


def sniff(path: str | Path) -> str | None:
    """The lab format of a file from its first 4 KiB, or ``None`` when it is not a lab file.

    Returns
    -------
    str or None
        ``"hl7v2"``, ``"fhir"``, ``"csv"`` (lab export) or ``"glucose-csv"`` (self-monitoring readings).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    text = head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf\x0b \t\r\n")
    if text[:3] in ("MSH", "FHS", "BHS"):
        return "hl7v2"
    if text[:1] == "{":
        compact = text.replace(" ", "")
        if '"resourceType":' in compact and any(f'"resourceType":{t}' in compact for t in _FHIR_TYPES):
            return "fhir"
        return None
    first = text.split("\n", 1)[0].strip("\r")
    if not first or "\x00" in first:
        return None
    columns = header_columns(first)
    if REQUIRED_COLUMNS <= set(columns):
        return "csv"
    if _is_glucose_header(columns):
        return "glucose-csv"
    return None


LAB_FORMATS: dict[str, Callable[..., list[LabReport]]] = {
    "hl7v2": parse_hl7,
    "fhir": parse_fhir,
    "csv": parse_csv,
}


def read(path: str | Path, *, validate_fhir: bool = False) -> list[LabReport]:
    """Read a lab file (HL7 v2 ORU, FHIR JSON, CSV export) into reports. The file is never modified.

    Raises
    ------
    LabFormatError
        Unreadable file, not a lab file, or a parse error naming the segment / field / JSON path / row.
    """
    path = Path(path)
    fmt = sniff(path)
    if fmt is None:
        if not path.is_file():
            raise LabFormatError(path, "no such file or not readable")
        raise LabFormatError(path, "not a lab file (expected HL7 v2 ORU, FHIR JSON or a CSV lab export)")
    if fmt == "glucose-csv":
        raise LabFormatError(path, "glucose self-monitoring readings, not a lab report: use lab.read_glucose")
    logger.debug("%s: sniffed as %s", path, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabFormatError(path, f"cannot read: {exc.strerror}") from None
    if fmt == "fhir":
        return parse_fhir(data, source=str(path), validate=validate_fhir)
    return LAB_FORMATS[fmt](data, source=str(path))
