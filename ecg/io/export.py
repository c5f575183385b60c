"""Writers for the text and exchange formats: CSV, HL7 aECG XML and EDF.

Used to hand records to tools that need these formats, to build test fixtures and benchmark inputs.
Every writer refuses to overwrite an existing file (inputs are never altered).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pyedflib
from pyedflib import highlevel

from ..errors import EcgValueError
from ..record import EcgRecord
from .aecg import HL7_NS, XSI_NS

__all__ = ["write_aecg", "write_csv", "write_edf"]

logger = logging.getLogger(__name__)


def _new_path(path: str | Path) -> Path:
    p = Path(path)
    if p.exists():
        raise EcgValueError(f"path: {p} already exists; writers never overwrite")
    return p


def write_csv(record: EcgRecord, path: str | Path, *, time_column: bool = True, unit: str = "mV") -> Path:
    """Write ``record`` as CSV: optional ``time_s`` column (ns precision), then one ``<lead>_<unit>`` column per lead.

    Parameters
    ----------
    record
        The ECG to write.
    path
        New file.
    time_column
        Write sample times in seconds (lets readers derive ``fs``).
    unit
        ``"mV"`` or ``"uV"``; values are written with 6 significant decimals of that unit.
    """
    if unit not in ("mV", "uV"):
        raise EcgValueError(f"unit: expected 'mV' or 'uV', got {unit!r}")
    p = _new_path(path)
    values = record.signal * (1000.0 if unit == "uV" else 1.0)
    header = [f"{lead}_{unit}" for lead in record.leads]
    if time_column:
        values = np.column_stack([np.arange(record.n_samples) / record.fs, values])
        header.insert(0, "time_s")
    fmt = ["%.9f"] * time_column + ["%.6f"] * record.n_leads
    np.savetxt(p, values, delimiter=",", header=",".join(header), comments="", fmt=fmt)
    return p


def _mdc_code(lead: str) -> str:
    return "MDC_ECG_LEAD_" + lead.upper().replace("-", "NEG")


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{HL7_NS}}}{tag}", attrs)


def write_aecg(
    record: EcgRecord,
    path: str | Path,
    *,
    scale_uv: float = 1.0,
    start: datetime | None = None,
) -> Path:
    """Write ``record`` as an HL7 aECG XML document (one ``RHYTHM`` series, ``SLIST_PQ`` leads).

    Parameters
    ----------
    record
        The ECG to write; NaN samples are written as the series origin (0 uV) and logged.
    path
        New file.
    scale_uv
        Quantization step in microvolts (``digits = round(mV * 1000 / scale_uv)``).
    start
        Acquisition time (``TIME_ABSOLUTE`` head); defaults to the record's, else 2000-01-01.

    References
    ----------
    HL7 Version 3 Standard: Regulated Studies - Annotated ECG, Release 1 (2004).
    """
    if not np.isfinite(scale_uv) or scale_uv <= 0:
        raise EcgValueError(f"scale_uv: expected a positive step in uV, got {scale_uv!r}")
    p = _new_path(path)
    ET.register_namespace("", HL7_NS)
    ET.register_namespace("xsi", XSI_NS)
    xsi_type = f"{{{XSI_NS}}}type"
    t0 = start or record.metadata.acquired_at or datetime(2000, 1, 1)
    ts = t0.strftime("%Y%m%d%H%M%S") + f".{t0.microsecond // 1000:03d}"
    end = t0.timestamp() + record.duration_s if t0.tzinfo else None
    root = ET.Element(f"{{{HL7_NS}}}AnnotatedECG")
    _sub(root, "id", root=str(uuid.uuid4()))
    _sub(root, "code", code="93000", codeSystem="2.16.840.1.113883.6.12", codeSystemName="CPT-4")
    eff = _sub(root, "effectiveTime")
    _sub(eff, "low", value=ts, inclusive="true")
    if end is not None:
        _sub(eff, "high", value=datetime.fromtimestamp(end, t0.tzinfo).strftime("%Y%m%d%H%M%S"))
    subject = _sub(_sub(_sub(_sub(_sub(root, "componentOf"), "timepointEvent"), "componentOf"), "subjectAssignment"), "subject")
    trial = _sub(subject, "trialSubject")
    _sub(trial, "id", root="2.16.840.1.113883.3.1", extension=record.metadata.patient_id or "UNKNOWN")
    series = _sub(_sub(root, "component"), "series")
    _sub(series, "id", root=str(uuid.uuid4()))
    _sub(series, "code", code="RHYTHM", codeSystem="2.16.840.1.113883.5.4")
    s_eff = _sub(series, "effectiveTime")
    _sub(s_eff, "low", value=ts)
    device = _sub(_sub(_sub(series, "author"), "seriesAuthor"), "manufacturedSeriesDevice")
    ET.SubElement(device, f"{{{HL7_NS}}}manufacturerModelName").text = record.metadata.device or "teletriage export"
    seq_set = _sub(_sub(series, "component"), "sequenceSet")
    time_seq = _sub(_sub(seq_set, "component"), "sequence")
    _sub(time_seq, "code", code="TIME_ABSOLUTE", codeSystem="2.16.840.1.113883.5.4")
    tval = _sub(time_seq, "value")
    tval.set(xsi_type, "GLIST_TS")
    _sub(tval, "head", value=ts, unit="s")
    _sub(tval, "increment", value=repr(1.0 / record.fs), unit="s")
    n_nan = 0
    for j, lead in enumerate(record.leads):
        col = record.signal[:, j]
        bad = ~np.isfinite(col)
        n_nan += int(bad.sum())
        digits = np.rint(np.where(bad, 0.0, col) * (1000.0 / scale_uv)).astype(np.int64)
        seq = _sub(_sub(seq_set, "component"), "sequence")
        _sub(seq, "code", code=_mdc_code(lead), codeSystem="2.16.840.1.113883.6.24", codeSystemName="MDC")
        val = _sub(seq, "value")
        val.set(xsi_type, "SLIST_PQ")
        _sub(val, "origin", value="0", unit="uV")
        _sub(val, "scale", value=repr(float(scale_uv)), unit="uV")
        ET.SubElement(val, f"{{{HL7_NS}}}digits").text = " ".join(map(str, digits.tolist()))
    if n_nan:
        logger.warning("write_aecg: %d NaN samples written as 0 uV", n_nan)
    ET.ElementTree(root).write(p, encoding="utf-8", xml_declaration=True)
    return p


def write_edf(record: EcgRecord, path: str | Path) -> Path:
    """Write ``record`` as EDF+ (continuous), one ``ECG <lead>`` signal per lead in microvolts, 16 bits.

    Each signal's physical range is its data range (whole uV, widened by 1 uV); NaN is written as 0.

    References
    ----------
    Kemp & Olivan, "European data format 'plus' (EDF+)", Clin Neurophysiol 114(9):1755-1761 (2003).
    """
    p = _new_path(path)
    if p.suffix.lower() != ".edf":
        raise EcgValueError(f"path: EDF files must end in .edf, got {p.name!r}")
    signals = np.nan_to_num(record.signal * 1000.0, nan=0.0)
    headers = []
    for j, lead in enumerate(record.leads):
        lo = float(np.floor(signals[:, j].min())) - 1.0
        hi = float(np.ceil(signals[:, j].max())) + 1.0
        headers.append(
            highlevel.make_signal_header(
                f"ECG {lead}", dimension="uV", sample_frequency=record.fs,
                physical_min=lo, physical_max=hi, digital_min=-32768, digital_max=32767,
            )
        )
    header = highlevel.make_header(
        patientcode=(record.metadata.patient_id or "")[:80],
        equipment=(record.metadata.device or "teletriage")[:80],
        startdate=record.metadata.acquired_at or datetime(2000, 1, 1),
    )
    ok = highlevel.write_edf(str(p), list(signals.T.copy()), headers, header, file_type=pyedflib.FILETYPE_EDFPLUS)
    if not ok:
        raise EcgValueError(f"path: pyEDFlib could not write {p}")
    return p
