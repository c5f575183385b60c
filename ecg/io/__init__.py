"""ECG file readers: WFDB, DICOM waveform, HL7 aECG, EDF/EDF+ and CSV into :class:`ecg.EcgRecord`.

:func:`read` detects the format by content (not only the extension) and dispatches to one reader
per format; :func:`sniff` tells the pipeline whether an upload is the primary file of an ECG record;
:func:`record_files` lists every file a record consists of.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import EcgFormatError, EcgValueError
from ..record import EcgRecord
from ._common import EcgFormat, read_head, require_file
from ._sniff import sniff_format
from .aecg import read_aecg
from .csv_format import read_csv
from .dicom_waveform import read_dicom_waveform
from .edf import EDF_MAGIC, read_edf
from .export import write_aecg, write_csv, write_edf
from .wfdb_format import SIGNAL_SUFFIXES, header_path, read_wfdb, wfdb_files

__all__ = [
    "EcgFormat",
    "READERS",
    "read",
    "read_aecg",
    "read_csv",
    "read_dicom_waveform",
    "read_edf",
    "read_wfdb",
    "record_files",
    "sniff",
    "write_aecg",
    "write_csv",
    "write_edf",
]

logger = logging.getLogger(__name__)

#: One reader per format; each takes ``(path, *, fs=None)`` and returns an :class:`EcgRecord`.
READERS: dict[EcgFormat, Callable[..., EcgRecord]] = {
    EcgFormat.WFDB: read_wfdb,
    EcgFormat.DICOM: read_dicom_waveform,
    EcgFormat.AECG: read_aecg,
    EcgFormat.EDF: read_edf,
    EcgFormat.CSV: read_csv,
}

_TEXT_SUFFIXES = {".csv": EcgFormat.CSV, ".tsv": EcgFormat.CSV, ".txt": EcgFormat.CSV, ".hea": EcgFormat.WFDB}


def sniff(path: str | Path) -> str | None:
    """The format name (``"wfdb"``, ``"dicom"``, ``"aecg"``, ``"edf"``, ``"csv"``) if ``path`` is the
    primary file of an ECG record, else ``None``.

    Cheap: reads only the first few KB. A WFDB signal file (``.dat``/``.mat``) answers ``None``
    (it is a companion of its ``.hea``), and so does a non-ECG DICOM object (it belongs to imaging).
    """
    fmt = sniff_format(path)
    return fmt.value if fmt is not None else None


def _likely_format(p: Path) -> EcgFormat | None:
    """For inputs :func:`sniff` rejects: the reader whose error message will say best what is wrong."""
    head = read_head(p, 512)
    if head[128:132] == b"DICM":
        return EcgFormat.DICOM
    if head[:8] in EDF_MAGIC:
        return EcgFormat.EDF
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return EcgFormat.AECG
    return _TEXT_SUFFIXES.get(p.suffix.lower())


def _resolve(path: str | Path) -> tuple[Path, EcgFormat]:
    p = Path(path)
    if p.suffix.lower() in SIGNAL_SUFFIXES and (p.is_file() or header_path(p).is_file()):
        hea = header_path(p)
        if not hea.is_file():
            raise EcgFormatError(p, f"WFDB signal file without its header {hea.name}")
        return hea, EcgFormat.WFDB
    if not p.exists():
        hea = header_path(p)
        if p.suffix == "" and hea.is_file():
            return hea, EcgFormat.WFDB
        raise EcgFormatError(p, "file not found")
    require_file(p)
    fmt = sniff_format(p) or _likely_format(p)
    if fmt is None:
        raise EcgFormatError(
            p, "unknown format: not a WFDB header, DICOM ECG waveform, HL7 aECG XML, EDF with ECG signals "
            "or CSV with a header of lead names"
        )
    return p, fmt


def read(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read an ECG record of any supported format, detected by content.

    Parameters
    ----------
    path
        A WFDB ``.hea``, one of its signal files or the record path without extension; a DICOM ECG
        waveform; an HL7 aECG XML; an EDF/EDF+ file; a CSV with a header row of lead names.
    fs
        Sampling rate in Hz for files that carry none (CSV without a time column, aECG without a
        time sequence); files that carry one keep theirs (a differing ``fs`` is logged).

    Returns
    -------
    EcgRecord
        Signal ``(n_samples, n_leads)`` float64 in mV (NaN for missing samples), ``fs`` in Hz,
        standard lead names, metadata.

    Raises
    ------
    EcgFormatError
        Naming the file and the problem: empty, unknown format, corrupt or truncated content,
        unsupported variant, non-ECG content.
    EcgValueError
        ``fs`` is not a positive finite number.
    """
    if fs is not None and not (isinstance(fs, numbers.Real) and not isinstance(fs, bool) and np.isfinite(fs) and fs > 0):
        raise EcgValueError(f"fs: expected a positive sampling rate in Hz or None, got {fs!r}")
    resolved, fmt = _resolve(path)
    logger.debug("reading %s as %s", resolved, fmt.value)
    return READERS[fmt](resolved, fs=fs)


def record_files(path: str | Path) -> tuple[Path, ...]:
    """Every file the record at ``path`` consists of (for WFDB: the ``.hea`` and its signal files).

    Signal files named in a WFDB header but absent are left out (and logged).
    """
    resolved, fmt = _resolve(path)
    if fmt is EcgFormat.WFDB:
        return wfdb_files(resolved)
    return (resolved,)
