"""HL7 v3 annotated ECG (aECG) XML, the format the FDA ECG warehouse accepts.

Parsed with :mod:`defusedxml` (no entity expansion, no external DTDs). The reader takes the rhythm
series (``series/code@code="RHYTHM"``, else the first series), its sampling interval from the
``TIME_ABSOLUTE`` (``GLIST_TS``) or ``TIME_RELATIVE`` (``GLIST_PQ``) sequence, and every lead
sequence (``SLIST_PQ``) as ``origin + scale * digits``, converted from its units to millivolts.
Derived series (representative beats under ``derivation``) are ignored; when a series holds several
sequence sets (lead groups recorded one after another), the largest is read.

References
----------
HL7 Version 3 Standard: Regulated Studies - Annotated ECG, Release 1 (ANSI/HL7 V3 ECG, R1-2004).
Brown, Badilini et al., "The HL7 aECG standard", J Electrocardiol 38(4 Suppl):S1-S5 (2005).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as safe_parse

from ..errors import EcgFormatError
from ..record import EcgMetadata, EcgRecord
from ._common import EcgFormat, canonical_lead, mv_per_unit, require_file

__all__ = ["HL7_NS", "XSI_NS", "parse_hl7_ts", "read_aecg"]

logger = logging.getLogger(__name__)

HL7_NS = "urn:hl7-org:v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_N = f"{{{HL7_NS}}}"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_S_PER_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$")


def parse_hl7_ts(value: str) -> datetime | None:
    """An HL7 v3 ``TS`` (``YYYYMMDDHHMMSS[.fff][+ZZZZ]``, trailing parts optional) as a datetime."""
    m = _TS.match(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    tz = None
    if zone:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])))
    try:
        return datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0),
            int(round(float(frac) * 1e6)) if frac else 0, tzinfo=tz,
        )
    except ValueError:
        return None


def _code(el: Element) -> str:
    code = el.find(f"{_N}code")
    return code.get("code", "") if code is not None else ""


def _pick_series(root: Element, path: Path) -> Element:
    series = [c for comp in root.findall(f"{_N}component") for c in comp.findall(f"{_N}series")]
    if not series:
        raise EcgFormatError(path, "aECG has no <component><series> (no waveforms)")
    for s in series:
        if _code(s).upper() == "RHYTHM":
            return s
    return series[0]


def _interval_s(value: Element, path: Path) -> float:
    inc = value.find(f"{_N}increment")
    if inc is None or inc.get("value") is None:
        raise EcgFormatError(path, "aECG time sequence has no <increment value=...>")
    unit = inc.get("unit", "s")
    if unit not in _S_PER_UNIT:
        raise EcgFormatError(path, f"aECG time increment unit {unit!r} is not one of {sorted(_S_PER_UNIT)}")
    try:
        step = float(inc.get("value", "")) * _S_PER_UNIT[unit]
    except ValueError:
        raise EcgFormatError(path, f"aECG time increment {inc.get('value')!r} is not a number") from None
    if not np.isfinite(step) or step <= 0:
        raise EcgFormatError(path, f"aECG time increment must be positive, got {inc.get('value')!r} {unit}")
    return step


def _lead_values(value: Element, code: str, path: Path) -> tuple[np.ndarray, str]:
    origin = value.find(f"{_N}origin")
    scale = value.find(f"{_N}scale")
    digits = value.find(f"{_N}digits")
    if scale is None or digits is None:
        raise EcgFormatError(path, f"aECG sequence {code} lacks <scale> or <digits>")
    scale_unit = scale.get("unit", "uV")
    origin_unit = origin.get("unit", scale_unit) if origin is not None else scale_unit
    f_scale, f_origin = mv_per_unit(scale_unit), mv_per_unit(origin_unit)
    if f_scale is None or f_origin is None:
        raise EcgFormatError(path, f"aECG sequence {code}: unit {scale_unit!r} is not a voltage")
    try:
        scale_v = float(scale.get("value", ""))
        origin_v = float(origin.get("value", "0")) if origin is not None else 0.0
        raw = np.array((digits.text or "").split(), dtype=np.float64)
    except ValueError as exc:
        raise EcgFormatError(path, f"aECG sequence {code}: non-numeric value ({exc})") from None
    return origin_v * f_origin + raw * (scale_v * f_scale), scale_unit


def read_aecg(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read an HL7 aECG XML file into millivolts.

    Parameters
    ----------
    path
        The XML file (root element ``AnnotatedECG`` in namespace ``urn:hl7-org:v3``).
    fs
        Sampling rate in Hz, used only when the series has no time sequence.

    Returns
    -------
    EcgRecord
        The rhythm series; leads of unequal length are padded with NaN.

    Raises
    ------
    EcgFormatError
        Malformed or truncated XML, entity tricks, not an aECG document, no series or leads,
        no sampling interval and no ``fs``.
    """
    p = Path(path)
    require_file(p)
    try:
        root = safe_parse(p).getroot()
    except ParseError as exc:
        raise EcgFormatError(p, f"malformed XML (truncated?): {exc}") from None
    except DefusedXmlException as exc:
        raise EcgFormatError(p, f"XML uses forbidden constructs: {exc!r}") from None
    if root.tag != f"{_N}AnnotatedECG":
        raise EcgFormatError(p, f"XML root is {root.tag!r}, not an HL7 aECG {{{HL7_NS}}}AnnotatedECG")
    series = _pick_series(root, p)
    seq_sets = series.findall(f"{_N}component/{_N}sequenceSet")
    if not seq_sets:
        raise EcgFormatError(p, "aECG rhythm series has no <sequenceSet>")
    # Devices that record lead groups one after another write one sequenceSet per group, each with
    # its own time axis: keep the largest (most digits), rather than mix time axes.
    seq_set = max(seq_sets, key=lambda el: sum(len(d.text or "") for d in el.iter(f"{_N}digits")))
    if len(seq_sets) > 1:
        logger.warning("%s: %d sequence sets in the rhythm series; reading the largest", p, len(seq_sets))
    sequences = seq_set.findall(f"{_N}component/{_N}sequence")
    step_s: float | None = None
    start: datetime | None = None
    leads: list[str] = []
    cols: list[np.ndarray] = []
    units: list[str] = []
    for seq in sequences:
        code = _code(seq)
        value = seq.find(f"{_N}value")
        if value is None:
            continue
        vtype = value.get(_XSI_TYPE, "").split(":")[-1]
        if vtype in ("GLIST_TS", "GLIST_PQ") and code.startswith("TIME"):
            step_s = _interval_s(value, p)
            head = value.find(f"{_N}head")
            if vtype == "GLIST_TS" and head is not None and head.get("value"):
                start = parse_hl7_ts(head.get("value", ""))
        elif vtype == "SLIST_PQ":
            values, unit = _lead_values(value, code, p)
            leads.append(canonical_lead(code))
            cols.append(values)
            units.append(unit)
        else:
            logger.debug("%s: skipping aECG sequence %s of type %s", p, code, vtype)
    if not cols:
        raise EcgFormatError(p, "aECG rhythm series has no lead sequences (SLIST_PQ)")
    if step_s is not None:
        rate = 1.0 / step_s
        if fs is not None and abs(float(fs) - rate) > 1e-3 * rate:
            logger.warning("%s: aECG says fs=%g Hz; ignoring fs=%g", p, rate, fs)
    elif fs is not None:
        rate = float(fs)
    else:
        raise EcgFormatError(p, "aECG series has no time sequence (GLIST_TS/GLIST_PQ); pass fs=")
    n = max(c.size for c in cols)
    if n == 0:
        raise EcgFormatError(p, "aECG lead sequences hold no samples")
    signal = np.full((n, len(cols)), np.nan)
    for j, c in enumerate(cols):
        if c.size != n:
            logger.warning("%s: lead %s has %d of %d samples; padding with NaN", p, leads[j], c.size, n)
        signal[: c.size, j] = c

    if start is None:
        low = root.find(f"{_N}effectiveTime/{_N}low")
        start = parse_hl7_ts(low.get("value", "")) if low is not None else None
    id_el = root.find(f"{_N}id")
    record_id = ""
    if id_el is not None:
        record_id = id_el.get("root", "") + (f"^{id_el.get('extension')}" if id_el.get("extension") else "")
    subject = root.find(f".//{_N}trialSubject/{_N}id")
    patient = None
    if subject is not None:
        patient = subject.get("extension") or subject.get("root")
    model = series.find(f".//{_N}manufacturedSeriesDevice/{_N}manufacturerModelName")
    maker = series.find(f".//{_N}manufacturerOrganization/{_N}name")
    device = " ".join(t.strip() for t in (maker.text if maker is not None else None,
                                          model.text if model is not None else None) if t and t.strip())
    extra: dict[str, Any] = {"series_code": _code(series), "units": units}
    if len(seq_sets) > 1:
        extra["ignored_sequence_sets"] = len(seq_sets) - 1
    meta = EcgMetadata(
        record_id=record_id or p.stem,
        patient_id=patient,
        acquired_at=start,
        device=device or None,
        source_format=EcgFormat.AECG.value,
        source_path=str(p),
        extra=extra,
    )
    return EcgRecord(signal=signal, fs=rate, leads=tuple(leads), metadata=meta)
