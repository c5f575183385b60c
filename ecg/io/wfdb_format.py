"""WFDB records (PhysioNet): a ``.hea`` header plus ``.dat`` / ``.mat`` signal files.

The header text is parsed with wfdb-python's own line parsers after one in-memory repair: the
PhysioNet/CinC Challenge 2017 headers write the base date *before* the time and in ISO form
(``A00001 1 300 9000 2014-05-08 05:05:15``), which ``wfdb.rdrecord`` rejects; we rewrite that record
line to the standard ``HH:MM:SS DD/MM/YYYY`` order before parsing. Files are never modified.

The common signal formats are decoded here (Numba kernel for format 212, NumPy views for the
byte-aligned formats) so the reader can check every file's size against the header first, report a
truncated file or a lying header by name, and convert straight to float64 millivolts; rarer
variants are handed to ``wfdb.rdrecord``.

References
----------
G. B. Moody, *WFDB Programmer's Guide*, "header(5)" and "signal(5)", PhysioNet.
Goldberger et al., PhysioBank, PhysioToolkit, and PhysioNet, Circulation 101(23):e215-e220 (2000).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import wfdb
from wfdb.io import _header
from wfdb.io.header import parse_header_content

from ..errors import EcgFormatError
from ..record import EcgMetadata, EcgRecord
from . import _wfdb_kernels
from ._common import EcgFormat, canonical_lead, mv_per_unit, require_file

__all__ = ["header_path", "read_wfdb", "wfdb_files"]

logger = logging.getLogger(__name__)

#: Signal-file extensions that are companions of a ``.hea`` (PTB also uses ``.xyz``).
SIGNAL_SUFFIXES = (".dat", ".mat", ".xyz")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

# Byte-aligned formats: (numpy dtype of one stored value, offset subtracted, invalid digital value).
_ALIGNED: dict[str, tuple[str, int, int]] = {
    "16": ("<i2", 0, -(2**15)),
    "61": (">i2", 0, -(2**15)),
    "80": ("u1", 128, -(2**7)),
    "160": ("<u2", 2**15, -(2**15)),
    "32": ("<i4", 0, -(2**31)),
}
_SUPPORTED = ("16", "24", "32", "61", "80", "160", "212")


@dataclass(frozen=True, slots=True)
class _Header:
    """The parts of a parsed header the reader uses."""

    record_name: str
    fs: float
    sig_len: int | None
    base_datetime: datetime | None
    base_time: str | None
    signals: dict[str, list[Any]]
    comments: tuple[str, ...]
    repaired: bool


def header_path(path: str | Path) -> Path:
    """The ``.hea`` of the record ``path`` names (the header, a signal file or the bare record name)."""
    p = Path(path)
    if p.suffix.lower() == ".hea":
        return p
    if p.suffix.lower() in SIGNAL_SUFFIXES:
        return p.with_suffix(".hea")
    return p.with_name(p.name + ".hea")


def _fix_record_line(line: str) -> tuple[str, bool]:
    """Rewrite an ISO base date (``YYYY-MM-DD``, CinC 2017 puts it before the time) into the WFDB
    ``HH:MM:SS DD/MM/YYYY`` order; say whether the line changed. A date without a time is dropped
    (WFDB cannot express it, and inventing midnight would be wrong)."""
    tokens = line.split()
    for i in range(4, len(tokens)):
        m = _ISO_DATE.match(tokens[i])
        if m is None:
            continue
        year, month, day = m.groups()
        rest = tokens[:i] + tokens[i + 1 :]
        date = f"{int(day):02d}/{int(month):02d}/{year}"
        if len(rest) > i and ":" in rest[i]:  # date then time
            rest.insert(i + 1, date)
        elif ":" in rest[i - 1]:  # time then ISO date
            rest.insert(i, date)
        else:
            logger.warning("ISO base date %s without a base time dropped from record line %r", tokens[i], line)
        return " ".join(rest), True
    return line, False


def _parse_header(hea: Path) -> _Header:
    require_file(hea)
    raw = hea.read_bytes()
    if b"\x00" in raw:
        raise EcgFormatError(hea, "not a WFDB header: binary content (NUL bytes) in a .hea file")
    text = raw.decode("ascii", errors="replace")
    lines, comment_lines = parse_header_content(text)
    if not lines:
        raise EcgFormatError(hea, "WFDB header has no record line")
    record_line, repaired = _fix_record_line(lines[0])
    if repaired:
        logger.debug("%s: rewrote ISO base date before time (CinC 2017 style) in memory", hea)
    try:
        fields = _header._parse_record_line(record_line)
    except ValueError as exc:  # HeaderSyntaxError is a ValueError; so is a bad date
        raise EcgFormatError(hea, f"invalid WFDB record line {lines[0]!r}: {exc}") from None
    if fields["n_seg"] is not None:
        raise EcgFormatError(
            hea, f"multi-segment WFDB records ({fields['n_seg']} segments) are not supported; "
            "convert to a single-segment record first"
        )
    n_sig = int(fields["n_sig"])
    if n_sig == 0:
        raise EcgFormatError(hea, "WFDB header declares no signals")
    if len(lines) - 1 < n_sig:
        raise EcgFormatError(hea, f"WFDB header declares {n_sig} signals but has {len(lines) - 1} signal lines")
    try:
        signals = _header._parse_signal_lines(lines[1 : 1 + n_sig])
    except ValueError as exc:
        raise EcgFormatError(hea, f"invalid WFDB signal line: {exc}") from None
    fs = fields["fs"]
    if fs is None or float(fs) <= 0:
        raise EcgFormatError(hea, f"WFDB header gives no positive sampling frequency (got {fs!r})")
    base_time = fields.get("base_time")
    return _Header(
        record_name=str(fields["record_name"]),
        fs=float(fs),
        sig_len=int(fields["sig_len"]) if fields["sig_len"] else None,
        base_datetime=fields.get("base_datetime"),
        base_time=base_time.isoformat() if base_time is not None else None,
        signals=signals,
        comments=tuple(line.lstrip("#").strip() for line in comment_lines if line.lstrip("#").strip()),
        repaired=repaired,
    )


def _file_groups(hdr: _Header, hea: Path) -> dict[str, list[int]]:
    """Signal indices per signal file, in header order."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(hdr.signals["file_name"]):
        if not name or name.startswith("~"):
            raise EcgFormatError(hea, f"signal {i} has no signal file ({name!r}); null signals are not supported")
        groups.setdefault(name, []).append(i)
    return groups


def wfdb_files(path: str | Path) -> tuple[Path, ...]:
    """The header and the signal files of the record at ``path`` that exist on disk."""
    hea = header_path(path)
    hdr = _parse_header(hea)
    files = [hea]
    for name in _file_groups(hdr, hea):
        sig = hea.parent / name
        if sig.is_file():
            files.append(sig)
        else:
            logger.warning("%s: signal file %s named in the header is missing", hea, name)
    return tuple(files)


def _values_available(fmt: str, n_bytes: int) -> int:
    if fmt == "212":
        return (n_bytes // 3) * 2 + (1 if n_bytes % 3 >= 2 else 0)
    if fmt == "24":
        return n_bytes // 3
    return n_bytes // np.dtype(_ALIGNED[fmt][0]).itemsize


def _decode(fmt: str, path: Path, offset: int, n_values: int) -> tuple[np.ndarray, int]:
    """Digital samples of one file (1-D, native integer) and the format's invalid-sample code."""
    if fmt == "212":
        raw = np.fromfile(path, dtype=np.uint8, count=(3 * n_values + 1) // 2, offset=offset)
        return _wfdb_kernels.decode_212(raw, n_values), -2048
    if fmt == "24":
        raw = np.fromfile(path, dtype=np.uint8, count=3 * n_values, offset=offset).reshape(-1, 3).astype(np.int32)
        vals = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        vals[vals >= 2**23] -= 2**24
        return vals, -(2**23)
    dtype, shift, invalid = _ALIGNED[fmt]
    vals = np.fromfile(path, dtype=dtype, count=n_values, offset=offset)
    if shift:
        vals = vals.astype(np.int32) - shift
    elif not vals.dtype.isnative:
        vals = vals.astype(vals.dtype.newbyteorder("="))
    return vals, invalid


def _library_reason(hdr: _Header) -> str | None:
    """Why the fast decoder cannot take this record (then wfdb-python decodes it), or ``None``."""
    sig = hdr.signals
    for i in range(len(sig["fmt"])):
        if str(sig["fmt"][i]) not in _SUPPORTED:
            return f"storage format {sig['fmt'][i]}"
        if (sig["samps_per_frame"][i] or 1) != 1:
            return f"{sig['samps_per_frame'][i]} samples per frame"
        if sig["skew"][i]:
            return f"skew {sig['skew'][i]}"
    return None


def _decode_fast(hea: Path, hdr: _Header) -> tuple[np.ndarray, list[int], list[str]]:
    """Physical values (mV-scaled where the unit is a voltage) of every stored signal: the
    ``(n_frames, k)`` array, the header signal index of each column, and missing signal files."""
    sig = hdr.signals
    plans: list[tuple[Path, str, int, list[int]]] = []
    missing: list[str] = []
    n_frames = hdr.sig_len
    for name, idx in _file_groups(hdr, hea).items():
        fmts = {str(sig["fmt"][i]) for i in idx}
        if len(fmts) != 1:
            raise EcgFormatError(hea, f"signals in {name} mix storage formats {sorted(fmts)}")
        fmt = fmts.pop()
        offset = int(sig["byte_offset"][idx[0]] or 0)
        file = hea.parent / name
        if not file.is_file():
            missing.append(name)
            continue
        size = require_file(file)
        available = _values_available(fmt, max(size - offset, 0)) // len(idx)
        if n_frames is None:
            n_frames = available
        elif available < n_frames:
            raise EcgFormatError(
                file, f"signal file holds {available} samples per signal but {hea.name} says {n_frames} "
                "(file truncated, or the header is wrong)"
            )
        elif available > n_frames + 1:
            logger.warning("%s: holds %d samples per signal, header says %d; reading %d",
                           file, available, n_frames, n_frames)
        plans.append((file, fmt, offset, idx))
    if not plans:
        raise EcgFormatError(hea, f"signal file(s) {', '.join(missing)} named in the header not found")
    if missing:
        logger.warning("%s: signal file(s) %s missing; reading the other leads", hea, ", ".join(missing))
    assert n_frames is not None
    if n_frames == 0:
        raise EcgFormatError(hea, "record has no samples")

    out = np.empty((n_frames, sum(len(idx) for *_, idx in plans)), dtype=np.float64)
    columns: list[int] = []
    for file, fmt, offset, idx in plans:
        digital, invalid = _decode(fmt, file, offset, n_frames * len(idx))
        if digital.size < n_frames * len(idx):  # raced with a writer
            raise EcgFormatError(file, "signal file ended early while reading")
        gain = np.array([float(sig["adc_gain"][i]) for i in idx])
        if np.any(gain == 0) or not np.all(np.isfinite(gain)):
            raise EcgFormatError(hea, f"invalid ADC gain in {file.name}: {gain.tolist()}")
        baseline = np.array([float(sig["baseline"][i] or 0) for i in idx])
        factor = np.array([mv_per_unit(sig["units"][i] or "mV") or 1.0 for i in idx])
        _wfdb_kernels.to_physical(
            np.ascontiguousarray(digital.reshape(n_frames, len(idx))), invalid, gain, baseline, factor, out,
            len(columns),
        )
        columns.extend(idx)
    return out, columns, missing


def _decode_with_wfdb(hea: Path, hdr: _Header, reason: str) -> tuple[np.ndarray, list[int], list[str]]:
    """Same contract as :func:`_decode_fast`, by ``wfdb.rdrecord`` (multi-rate signals are averaged
    to the frame rate, skew applied). Only for headers that need no repair."""
    if hdr.repaired:
        raise EcgFormatError(hea, f"{reason} is only supported with a standard WFDB header")
    for name in _file_groups(hdr, hea):
        if not (hea.parent / name).is_file():
            raise EcgFormatError(hea, f"signal file {name} named in the header not found")
    logger.debug("%s: %s, decoding with wfdb-python", hea, reason)
    try:
        rec = wfdb.rdrecord(str(hea.with_suffix("")), smooth_frames=True, return_res=64)
    except (ValueError, OSError, IndexError, TypeError) as exc:
        raise EcgFormatError(hea, f"wfdb-python could not read the record ({reason}): {exc}") from None
    physical = np.asarray(rec.p_signal, dtype=np.float64)
    if hdr.sig_len and physical.shape[0] < hdr.sig_len:
        raise EcgFormatError(hea, f"signal files hold {physical.shape[0]} samples per signal but the header says {hdr.sig_len}")
    factor = np.array([mv_per_unit(u or "mV") or 1.0 for u in hdr.signals["units"]])
    return np.ascontiguousarray(physical * factor), list(range(physical.shape[1])), []


def read_wfdb(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read a single-segment WFDB record into millivolts.

    Parameters
    ----------
    path
        The ``.hea``, one of its signal files (``.dat``, ``.mat``, ``.xyz``) or the record path
        without extension.
    fs
        Ignored: WFDB headers carry the sampling rate (a differing value is logged).

    Returns
    -------
    EcgRecord
        Voltage signals only (signals in other units are dropped and listed in
        ``metadata.extra["dropped_signals"]``). Invalid samples are NaN. A signal file that is
        missing while others are present drops its leads (``extra["missing_signal_files"]``).

    Raises
    ------
    EcgFormatError
        Unreadable or inconsistent header, multi-segment record, all signal files missing, a
        signal file shorter than the header says, a variant wfdb-python cannot read either.

    Notes
    -----
    Formats 16, 24, 32, 61, 80, 160 and 212 with one sample per frame and no skew (nearly every
    ECG database) are decoded here, checking each file's size first. Other variants (formats 8,
    310, 311, the FLAC formats 508/516/524, multi-rate frames, skew) are decoded by
    ``wfdb.rdrecord`` with ``smooth_frames=True`` (multi-rate signals averaged to the frame rate).
    """
    hea = header_path(path)
    hdr = _parse_header(hea)
    if fs is not None and abs(float(fs) - hdr.fs) > 1e-6 * hdr.fs:
        logger.warning("%s: header says fs=%g Hz; ignoring fs=%g", hea, hdr.fs, fs)
    sig = hdr.signals
    reason = _library_reason(hdr)
    if reason is None:
        out, columns, missing = _decode_fast(hea, hdr)
    else:
        out, columns, missing = _decode_with_wfdb(hea, hdr, reason)
    units = [sig["units"][i] or "mV" for i in columns]
    keep = [k for k, u in enumerate(units) if mv_per_unit(u) is not None]
    dropped = [f"{sig['sig_name'][columns[k]]} ({units[k]})" for k in range(len(columns)) if k not in keep]
    if not keep:
        raise EcgFormatError(hea, f"no voltage signals in the record (units: {sorted(set(units))})")
    signal = out if len(keep) == len(columns) else np.ascontiguousarray(out[:, keep])
    source_names = [str(sig["sig_name"][columns[k]] or f"signal{columns[k]}") for k in keep]
    extra: dict[str, Any] = {
        "comments": list(hdr.comments),
        "source_leads": source_names,
        "units": [units[k] for k in keep],
        "formats": sorted({str(sig["fmt"][i]) for i in columns}),
    }
    if hdr.base_datetime is None and hdr.base_time is not None:
        extra["base_time"] = hdr.base_time
    if hdr.repaired:
        extra["header_repaired"] = "ISO base date before time (CinC 2017 style)"
    if missing:
        extra["missing_signal_files"] = missing
    if dropped:
        extra["dropped_signals"] = dropped
    meta = EcgMetadata(
        record_id=hdr.record_name,
        patient_id=None,
        acquired_at=hdr.base_datetime,
        device=None,
        source_format=EcgFormat.WFDB.value,
        source_path=str(hea),
        extra=extra,
    )
    return EcgRecord(signal=signal, fs=hdr.fs, leads=tuple(canonical_lead(n) for n in source_names), metadata=meta)
