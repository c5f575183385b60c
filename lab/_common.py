"""Helpers shared by the readers: timestamps, numbers, unit checks (private)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

from .catalogue import default_catalogue
from .errors import LabFormatError, UnknownUnitError
from .units import si_factor

__all__ = ["check_unit", "parse_hl7_time", "parse_iso_time", "parse_number", "decode_text"]


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 (BOM tolerated), else Latin-1 (the common HL7 v2 default in Europe)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _naive_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def parse_hl7_time(text: str) -> datetime | None:
    """An HL7 v2 TS/DTM ``YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]``; ``None`` when empty.

    Times with a UTC offset are converted to naive UTC; times without one are kept naive as sent
    (every time in :mod:`lab` is naive so that reports from all sources compare).

    Raises
    ------
    ValueError
        When the text is not such a timestamp.
    """
    if not text:
        return None
    offset = None
    cut = max(text.find("+"), text.find("-"))
    if cut > 0:
        tz = text[cut:]
        text = text[:cut]
        if len(tz) != 5 or not tz[1:].isdigit():
            raise ValueError(f"bad UTC offset {tz!r}")
        minutes = int(tz[1:3]) * 60 + int(tz[3:5])
        offset = timezone(timedelta(minutes=minutes if tz[0] == "+" else -minutes))
    frac = 0
    dot = text.find(".")
    if dot >= 0:
        digits = text[dot + 1:]
        if not digits.isdigit():
            raise ValueError(f"bad fractional seconds {digits!r}")
        frac = int((digits + "000000")[:6])
        text = text[:dot]
    n = len(text)
    if n not in (4, 6, 8, 10, 12, 14) or not text.isdigit():
        raise ValueError(f"expected YYYY[MM[DD[HH[MM[SS]]]]], got {text!r}")
    dt = datetime(
        int(text[0:4]),
        int(text[4:6]) if n >= 6 else 1,
        int(text[6:8]) if n >= 8 else 1,
        int(text[8:10]) if n >= 10 else 0,
        int(text[10:12]) if n >= 12 else 0,
        int(text[12:14]) if n >= 14 else 0,
        frac,
        tzinfo=offset,
    )
    return _naive_utc(dt)


def parse_hl7_date(text: str) -> date | None:
    """An HL7 DT / the date part of a TS, ``None`` when empty or not a date (birth dates are informative only)."""
    try:
        dt = parse_hl7_time(text[:8])
    except ValueError:
        return None
    return dt.date() if dt else None


def parse_iso_time(text: str) -> datetime | None:
    """ISO 8601 (FHIR ``dateTime``, CSV), ``Z`` accepted; naive UTC when an offset is given. ``None`` if empty."""
    if not text:
        return None
    t = text.strip()
    if len(t) in (4, 7) and t[:4].isdigit():  # FHIR partial dates YYYY and YYYY-MM
        t = t + "-01-01" if len(t) == 4 else t + "-01"
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    return _naive_utc(datetime.fromisoformat(t))


def parse_number(text: str) -> float:
    """A finite decimal number (``.`` as decimal mark); ``ValueError`` otherwise."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not finite")
    return value


def check_unit(loinc: str, unit: str, *, path: str, where: str) -> None:
    """Refuse a unit the catalogue test cannot be expressed in (uncatalogued tests pass unchecked).

    Raises
    ------
    LabFormatError
        Naming the file, ``where`` (segment/field or JSON path) and the unit.
    """
    test = default_catalogue().tests.get(loinc)
    if test is None:
        return
    try:
        si_factor(unit, test.analyte)
    except UnknownUnitError as exc:
        raise LabFormatError(path, f"{where}: {exc} (test {loinc} {test.name})") from exc
