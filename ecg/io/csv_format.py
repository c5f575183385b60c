"""Delimited text ECGs (CSV/TSV) with a header row of lead names.

Header cells name a lead and optionally its unit: ``II``, ``II_mV``, ``V1 (uV)``, ``aVR [mV]``
(default mV). An optional time column (``time``, ``t``, ``time_s``, ``time (ms)``, ...; seconds unless
the header says ``ms``) gives the sampling rate; without one, ``fs=`` is required. Columns that are
neither leads nor time (``index``, ``marker``) are ignored. Empty cells become NaN.
Numbers are parsed straight from the file by :func:`numpy.loadtxt` (C parser), falling back to
:func:`numpy.genfromtxt` when cells are missing.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EcgFormatError
from ..record import EcgMetadata, EcgRecord
from ._common import EcgFormat, canonical_lead, is_lead_name, mv_per_unit, require_file

__all__ = ["CsvColumn", "parse_header_row", "read_csv"]

logger = logging.getLogger(__name__)

_DELIMITERS = (",", ";", "\t", "|")
_UNIT_SUFFIX = re.compile(
    r"^(?P<name>.+?)\s*(?:\((?P<u1>[^)]*)\)|\[(?P<u2>[^\]]*)\]|[_\s](?P<u3>uV|µV|μV|mV|V|nV|ms|s|sec|msec))\s*$",
    re.IGNORECASE,
)
_TIME_NAMES = {"time", "t", "timestamp", "elapsed", "elapsed time", "seconds", "sec", "secs", "ms", "msec"}
_S_PER_TIME_UNIT = {"s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "ms": 1e-3, "msec": 1e-3}
#: Largest relative deviation of a time step from the median step before the column is rejected.
_MAX_JITTER = 0.01


@dataclass(frozen=True, slots=True)
class CsvColumn:
    """One header cell, interpreted."""

    index: int
    name: str
    unit: str | None
    kind: str  # "lead", "time" or "other"


def _split_unit(cell: str) -> tuple[str, str | None]:
    text = cell.strip().strip('"').strip("'").strip()
    m = _UNIT_SUFFIX.match(text)
    if m is None:
        return text, None
    unit = next(u for u in (m.group("u1"), m.group("u2"), m.group("u3")) if u is not None)
    return m.group("name").strip(), unit.strip()


def sniff_delimiter(line: str) -> str:
    """The most frequent of ``, ; TAB |`` in ``line`` (``,`` when none occurs)."""
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_header_row(line: str) -> tuple[str, list[CsvColumn]]:
    """The delimiter and the interpreted columns of a CSV header line."""
    delimiter = sniff_delimiter(line)
    columns: list[CsvColumn] = []
    for i, cell in enumerate(line.rstrip("\r\n").split(delimiter)):
        name, unit = _split_unit(cell)
        lower = name.lower()
        if lower in _TIME_NAMES:
            if unit is None and lower in _S_PER_TIME_UNIT:
                unit = lower
            columns.append(CsvColumn(i, name, unit or "s", "time"))
        elif is_lead_name(name):
            columns.append(CsvColumn(i, canonical_lead(name), unit, "lead"))
        else:
            columns.append(CsvColumn(i, name, unit, "other"))
    return delimiter, columns


def _load_numbers(path: Path, delimiter: str, usecols: list[int]) -> np.ndarray:
    """Rows after the header as float64 ``(n_rows, len(usecols))``; empty cells become NaN."""
    options = {"delimiter": delimiter, "usecols": usecols, "encoding": "utf-8-sig"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data": checked by the caller
        try:
            return np.loadtxt(path, skiprows=1, ndmin=2, dtype=np.float64, quotechar='"', **options)
        except ValueError:
            pass
        try:
            data = np.genfromtxt(path, skip_header=1, dtype=np.float64, invalid_raise=False,
                                 filling_values=np.nan, **options)
        except ValueError as exc:
            raise EcgFormatError(path, f"CSV rows are not numeric: {exc}") from None
    return np.atleast_2d(data).reshape(-1, len(usecols))


def _fs_from_time(t: np.ndarray, unit: str, path: Path) -> float:
    if unit.lower() not in _S_PER_TIME_UNIT:
        raise EcgFormatError(path, f"time column unit {unit!r} is not s or ms")
    if t.size < 2 or not np.all(np.isfinite(t)):
        raise EcgFormatError(path, "time column needs at least two finite values to give fs")
    steps = np.diff(t)
    step = float(np.median(steps))
    if step <= 0 or np.any(np.abs(steps - step) > _MAX_JITTER * step):
        raise EcgFormatError(path, "time column is not uniformly increasing; cannot derive fs")
    t_s = (t - t[0]) * _S_PER_TIME_UNIT[unit.lower()]
    rate = (t.size - 1) / float(t_s[-1])  # the whole span averages out the rounding of printed times
    # Printed times are rounded, so prefer the simplest rate (fewest decimals) that reproduces every
    # time stamp to within 0.1 % of a sample interval.
    tolerance_s = 1e-3 / rate
    ticks = np.arange(t.size, dtype=np.float64)
    for decimals in range(7):
        candidate = round(rate, decimals)
        if candidate > 0 and np.max(np.abs(ticks / candidate - t_s)) <= tolerance_s:
            return candidate
    return rate


def read_csv(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read a CSV/TSV ECG into millivolts.

    Parameters
    ----------
    path
        Text file with a header row of lead names.
    fs
        Sampling rate in Hz; required when the file has no time column, otherwise only checked
        against it (the file wins; a mismatch is logged).

    Raises
    ------
    EcgFormatError
        No header of lead names, no numeric rows, a voltage unit that is not uV/mV/V, an irregular
        time column, no time column and no ``fs``.
    """
    p = Path(path)
    require_file(p)
    with open(p, "rb") as fh:
        first_bytes = fh.readline(1 << 16)
        more = fh.read(4096)
    if b"\x00" in first_bytes or b"\x00" in more:
        raise EcgFormatError(p, "binary content, not a CSV text file")
    first = first_bytes.decode("utf-8-sig", errors="replace")
    delimiter, columns = parse_header_row(first)
    leads = [c for c in columns if c.kind == "lead"]
    if not leads:
        raise EcgFormatError(p, f"CSV header names no ECG lead column (got {[c.name for c in columns]})")
    factors = []
    for c in leads:
        factor = mv_per_unit(c.unit or "mV")
        if factor is None:
            raise EcgFormatError(p, f"column {c.name!r}: unit {c.unit!r} is not uV, mV or V")
        factors.append(factor)
    times = [c for c in columns if c.kind == "time"]
    usecols = [c.index for c in leads] + ([times[0].index] if times else [])
    if not more.strip():
        raise EcgFormatError(p, "CSV has a header but no data rows")
    data = _load_numbers(p, delimiter, usecols)
    if data.shape[0] == 0 or np.all(np.isnan(data[:, : len(leads)])):
        raise EcgFormatError(p, "CSV has no numeric ECG data")
    if times:
        rate = _fs_from_time(data[:, -1], times[0].unit or "s", p)
        if fs is not None and abs(float(fs) - rate) > 1e-3 * rate:
            logger.warning("%s: time column gives fs=%g Hz; ignoring fs=%g", p, rate, fs)
    elif fs is not None:
        rate = float(fs)
        if not np.isfinite(rate) or rate <= 0:
            raise EcgFormatError(p, f"fs must be a positive sampling rate in Hz, got {fs!r}")
    else:
        raise EcgFormatError(p, "CSV has no time column, so the sampling rate is unknown; pass fs= (Hz)")
    signal = data[:, : len(leads)] * np.asarray(factors)
    meta = EcgMetadata(
        record_id=p.stem,
        source_format=EcgFormat.CSV.value,
        source_path=str(p),
        extra={"units": [c.unit or "mV" for c in leads], "delimiter": delimiter},
    )
    return EcgRecord(signal=signal, fs=rate, leads=tuple(c.name for c in leads), metadata=meta)
