"""CSV lab exports → reports.

One row per result, a header row naming the columns (case, spaces and dashes ignored; ``,``, ``;`` or tab)::

    patient_id,issuer,institution,order_id,specimen_time,loinc,test_name,value,unit,ref_range,flag

Required: ``patient_id``, ``specimen_time`` (ISO 8601), ``loinc``, ``value``, ``unit``. Rows sharing issuer,
patient, institution, order and specimen time form one report. Values may carry a comparator (``<0.01``);
text values (``negative``) are kept as text; a garbled number is an error naming row and column.
"""

from __future__ import annotations

import csv
import io
import re

from ._common import check_unit, decode_text, parse_iso_time, parse_number
from .errors import LabFormatError
from .model import LabOrder, LabReport, LabResult, PatientRef, SentRange

__all__ = ["parse_csv", "CSV_COLUMNS", "REQUIRED_COLUMNS", "header_columns"]

CSV_COLUMNS = ("patient_id", "issuer", "institution", "order_id", "specimen_time", "loinc", "test_name",
               "value", "unit", "ref_range", "flag")
REQUIRED_COLUMNS = frozenset({"patient_id", "specimen_time", "loinc", "value", "unit"})
_ALIASES = {
    "patient": "patient_id", "patientid": "patient_id", "mrn": "patient_id",
    "assigning_authority": "issuer", "issuer_id": "issuer",
    "order": "order_id", "order_number": "order_id", "accession": "order_id",
    "specimen_date": "specimen_time", "collected": "specimen_time", "collection_time": "specimen_time",
    "loinc_code": "loinc", "test": "test_name", "name": "test_name",
    "units": "unit", "reference_range": "ref_range", "range": "ref_range", "abnormal_flag": "flag",
}
_NUMBER = re.compile(r"^\s*(<=|>=|<|>)?\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")


def _column(name: str) -> str:
    key = re.sub(r"[\s\-.]+", "_", name.strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def header_columns(line: str) -> list[str]:
    """Normalised column names of a header line (delimiter guessed among ``,``, ``;`` and tab)."""
    delimiter = max((",", ";", "\t"), key=line.count)
    return [_column(c) for c in next(csv.reader([line], delimiter=delimiter))]


def parse_csv(text: str | bytes, *, source: str = "<memory>", check_units: bool = True) -> list[LabReport]:
    """Parse a CSV lab export into reports.

    Raises
    ------
    LabFormatError
        Missing required column, or a bad value naming the row (1-based, header = row 1) and column.
    """
    if isinstance(text, (bytes, bytearray)):
        text = decode_text(bytes(text))
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise LabFormatError(source, "empty CSV (no header row)")
    delimiter = max((",", ";", "\t"), key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_column(c) for c in next(reader)]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise LabFormatError(source, f"header row: missing column(s) {missing} (found {header})")
    col = {name: i for i, name in enumerate(header)}
    groups: dict[tuple[str, ...], list[LabResult]] = {}
    rows_of: dict[tuple[str, ...], list[int]] = {}
    times = {}
    for rownum, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise LabFormatError(source, f"row {rownum}: {len(row)} columns, header has {len(header)} (truncated row?)")

        def get(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None else ""

        pid, loinc = get("patient_id"), get("loinc")
        if not pid:
            raise LabFormatError(source, f"row {rownum}, column 'patient_id': empty")
        if not loinc:
            raise LabFormatError(source, f"row {rownum}, column 'loinc': empty (missing LOINC code)")
        raw_time = get("specimen_time")
        try:
            when = parse_iso_time(raw_time)
        except ValueError:
            raise LabFormatError(source, f"row {rownum}, column 'specimen_time': {raw_time!r} is not an ISO 8601 time") from None
        raw = get("value")
        unit = get("unit")
        value: float | None = None
        comparator = ""
        m = _NUMBER.match(raw)
        if m:
            comparator = m.group(1) or ""
            value = parse_number(m.group(2))
        elif any(ch.isdigit() for ch in raw):
            raise LabFormatError(source, f"row {rownum}, column 'value': {raw!r} is not a number ('.' is the decimal mark)")
        if value is not None and check_units:
            check_unit(loinc, unit, path=source, where=f"row {rownum}, column 'unit'")
        result = LabResult(loinc=loinc, name=get("test_name"), value=value, unit=unit, comparator=comparator,
                           text=raw, reference_range=SentRange.from_text(get("ref_range")), flag=get("flag"),
                           value_type="NM" if value is not None else "ST")
        key = (get("issuer"), pid, get("institution"), get("order_id"), raw_time)
        groups.setdefault(key, []).append(result)
        rows_of.setdefault(key, []).append(rownum)
        times[key] = when
    if not groups:
        raise LabFormatError(source, "no data rows")
    return [
        LabReport(
            patient=PatientRef(id=pid, issuer=issuer), institution=institution,
            order=LabOrder(placer=order_id, filler=order_id), specimen_time=times[key],
            results=tuple(results), source=source, source_format="csv",
            message_id=f"rows {rows_of[key][0]}-{rows_of[key][-1]}",
        )
        for key, results in groups.items()
        for issuer, pid, institution, order_id, _ in (key,)
    ]
