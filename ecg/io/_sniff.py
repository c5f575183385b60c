"""Cheap content sniffing: is this file the primary file of an ECG record, and in which format?

Reads at most :data:`~ecg.io._common.HEAD_BYTES` from the start of the file. Companion files
(WFDB ``.dat``/``.mat``) and non-ECG content (CT images, EEG-only EDF, lab CSV) answer ``None``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from wfdb.io.header import rx_signal

from ._common import HEAD_BYTES, EcgFormat, is_lead_name, mv_per_unit, read_head
from .csv_format import parse_header_row
from .dicom_waveform import ECG_SOP_CLASSES
from .edf import EDF_MAGIC, ecg_signal_labels

__all__ = ["sniff_format"]

logger = logging.getLogger(__name__)

# WFDB record line: name[/nseg] nsig [fs...] (header(5)); signal line: file format...
_WFDB_RECORD = re.compile(r"^[-\w]+(?:/\d+)?\s+\d+(?:\s+[\d.]+\S*)?(?:\s+\d+)?(?:\s+\S+){0,2}\s*$")
_WFDB_SIGNAL = re.compile(r"^~?[-\w.]*\s+\d+(?:x\d+)?(?::\d+)?(?:\+\d+)?(?:\s|$)")
_WFDB_SEGMENT = re.compile(r"^[-\w~]+\s+\d+\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


def _is_dicom_ecg(path: Path, head: bytes) -> bool:
    """DICOM Part 10 with an ECG waveform SOP class in its file meta (only the meta group is read)."""
    if head[128:132] != b"DICM":
        return False
    try:
        meta = read_file_meta_info(path)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        logger.debug("%s: DICOM file meta unreadable: %s", path, exc)
        return False
    return str(meta.get("MediaStorageSOPClassUID", "")) in ECG_SOP_CLASSES


def _is_edf_ecg(head: bytes) -> bool:
    if len(head) < 256 or head[:8] not in EDF_MAGIC:
        return False
    try:
        n = int(head[252:256].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return False
    if n <= 0 or len(head) < 256 + n * 16:
        return False
    text = head[256 : 256 + n * 256].decode("latin-1")
    labels = [text[i * 16 : (i + 1) * 16].strip() for i in range(n)]
    if len(head) < 256 + n * 104:  # dimensions lie beyond the head: judge by labels alone
        return any(is_lead_name(label) for label in labels)
    base = n * 96  # all labels (16 bytes each), then all transducers (80 bytes each), then dimensions
    dims = [text[base + i * 8 : base + (i + 1) * 8].strip() for i in range(n)]
    return bool(ecg_signal_labels(labels, dims))


def _is_aecg(head: bytes) -> bool:
    return b"AnnotatedECG" in head and b"urn:hl7-org:v3" in head


def _text_lines(head: bytes) -> list[str] | None:
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # a multi-byte character cut by the head boundary
        if exc.start < len(head) - 4:
            return None
        text = head[: exc.start].decode("utf-8-sig")
    return text.splitlines()


def _is_wfdb_header(lines: list[str], suffix: str) -> bool:
    body = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not body or not _WFDB_RECORD.match(body[0]):
        return False
    tokens = body[0].split()
    if "/" in tokens[0]:
        return len(body) > 1 and bool(_WFDB_SEGMENT.match(body[1]))
    n_sig = int(tokens[1])
    if n_sig == 0:
        return False
    signal_lines = body[1 : 1 + n_sig]
    if not signal_lines:
        return False
    if not all(_WFDB_SIGNAL.match(ln) for ln in signal_lines):
        return False
    matches = [rx_signal.match(ln) for ln in signal_lines]
    if not all(matches):
        return False
    units = [m.group("units") for m in matches if m is not None]
    if not any(mv_per_unit(u or "mV") is not None for u in units):
        return False  # e.g. a blood-pressure-only record
    return suffix == ".hea" or len(signal_lines) == n_sig


def _is_csv_ecg(lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    delimiter, columns = parse_header_row(lines[0])
    if not any(c.kind == "lead" for c in columns):
        return False
    first = lines[1].split(delimiter)
    lead_cells = [first[c.index] for c in columns if c.kind == "lead" and c.index < len(first)]
    return bool(lead_cells) and all(_NUMBER.match(cell) or not cell.strip() for cell in lead_cells)


def sniff_format(path: str | Path) -> EcgFormat | None:
    """The ECG format of ``path`` if it is the primary file of an ECG record, else ``None``.

    Reads only the first few KB; never raises for unreadable content (answers ``None``), but an
    unreadable path (permissions, a directory) raises :class:`OSError`.
    """
    p = Path(path)
    if not p.is_file():
        return None
    head = read_head(p, HEAD_BYTES)
    if not head:
        return None
    if _is_dicom_ecg(p, head):
        return EcgFormat.DICOM
    if head[128:132] == b"DICM":
        return None
    if _is_edf_ecg(head):
        return EcgFormat.EDF
    if _is_aecg(head):
        return EcgFormat.AECG
    lines = _text_lines(head)
    if lines is None:
        return None
    if len(head) == HEAD_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    if _is_wfdb_header(lines, p.suffix.lower()):
        return EcgFormat.WFDB
    if _is_csv_ecg(lines):
        return EcgFormat.CSV
    return None
