"""Glucose self-monitoring: CGM / meter uploads → consensus metrics and hypoglycaemia triage.

Metrics follow the international consensus on time in range (Battelino T, Danne T, Bergenstal RM et al.
Clinical targets for continuous glucose monitoring data interpretation. Diabetes Care 2019;42:1593-1603):
time in range 3.9-10.0 mmol/L (target > 70 %), below 3.9 (< 4 %, including level 2), below 3.0 (< 1 %),
above 10.0 (< 25 %, including level 2), above 13.9 (< 5 %), coefficient of variation (<= 36 %), and the
glucose management indicator (Bergenstal RM et al. Diabetes Care 2018;41:2275-2280):
GMI (mmol/mol) = 12.71 + 4.70587 × mean (mmol/L); GMI (%) = 3.31 + 0.02392 × mean (mg/dL).

Weighting: every percentage, the mean and the SD are **time-weighted**: each reading stands for the time
until the next one, capped at twice the median sampling interval (longer gaps are missing data, not
time at that value); the last reading counts one median interval. With regular CGM data this equals
the plain per-reading average. Coverage is the share of the expected readings (period / median
interval) present in the last ``period_days`` (14) days; below ``min_coverage_percent`` (70 %), or for
finger-stick meter data, the metrics are reported but marked not valid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._common import decode_text, parse_iso_time, parse_number
from .catalogue import default_catalogue
from .errors import LabFormatError, LabValueError
from .fhir import load_json, parse_fhir
from .model import PatientRef
from .settings import GlucoseSettings, LabSettings, Priority
from .units import normalize_unit, to_si

__all__ = [
    "GlucoseAssessment", "GlucoseFinding", "GlucoseMetrics", "GlucoseSeries",
    "assess_glucose", "glucose_metrics", "parse_glucose_csv", "parse_glucose_fhir", "read_glucose",
]

MG_DL_PER_MMOL_L = 18.016
GLUCOSE_LOINC_EXTRA = frozenset({"14743-9", "14745-4", "15074-8", "14770-2"})
_RANK = {"stat": 0, "urgent": 1, "routine": 2}


@dataclass(frozen=True, slots=True, eq=False)
class GlucoseSeries:
    """Glucose readings of one patient.

    Attributes
    ----------
    times
        ``datetime64[s]`` array, sorted ascending.
    mmol_l
        Glucose in mmol/L (float64), same length.
    patient
        The patient when the upload names one.
    source
        The file.
    """

    times: np.ndarray
    mmol_l: np.ndarray
    patient: PatientRef | None = None
    source: str = "<memory>"

    def __post_init__(self) -> None:
        if self.times.shape != self.mmol_l.shape or self.times.ndim != 1:
            raise LabValueError(f"times {self.times.shape} and mmol_l {self.mmol_l.shape}: expected equal 1-D shapes")


def _series(times: list[datetime], values: list[float], patient: PatientRef | None, source: str) -> GlucoseSeries:
    t = np.array(times, dtype="datetime64[s]")
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    return GlucoseSeries(t[order], v[order], patient, source)


_TIME_COLS = ("time", "timestamp", "datetime", "date_time", "device_timestamp")


def parse_glucose_csv(text: str | bytes, *, source: str = "<memory>") -> GlucoseSeries:
    """Readings from a CSV: a time column (``time``/``timestamp``/``datetime``, ISO 8601) and a glucose
    column (``glucose`` with a ``unit`` column, or ``glucose_mmol_l`` / ``glucose_mg_dl``); optional
    ``patient_id`` and ``issuer``.

    Raises
    ------
    LabFormatError
        Naming the row and column at fault.
    """
    if isinstance(text, (bytes, bytearray)):
        text = decode_text(bytes(text))
    lines = text.splitlines()
    if not lines:
        raise LabFormatError(source, "empty CSV (no header row)")
    delimiter = max((",", ";", "\t"), key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [re.sub(r"[\s\-.()/]+", "_", c.strip().lower()).strip("_") for c in next(reader)]
    col = {n: i for i, n in enumerate(header)}
    tcol = next((c for c in _TIME_COLS if c in col), None)
    if tcol is None:
        raise LabFormatError(source, f"header row: no time column (one of {list(_TIME_COLS)}; found {header})")
    gcol = next((c for c in header if c.startswith("glucose") or c.startswith("historic_glucose")), None)
    if gcol is None:
        raise LabFormatError(source, f"header row: no glucose column (found {header})")
    fixed_unit = "mg/dL" if "mg_dl" in gcol else "mmol/L" if "mmol" in gcol else None
    if fixed_unit is None and "unit" not in col:
        raise LabFormatError(source, f"header row: column {gcol!r} needs a 'unit' column or a unit in its name")
    times: list[datetime] = []
    values: list[float] = []
    patient = None
    for rownum, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise LabFormatError(source, f"row {rownum}: {len(row)} columns, header has {len(header)} (truncated row?)")
        raw_t, raw_v = row[col[tcol]].strip(), row[col[gcol]].strip()
        try:
            when = parse_iso_time(raw_t)
        except ValueError:
            raise LabFormatError(source, f"row {rownum}, column {tcol!r}: {raw_t!r} is not an ISO 8601 time") from None
        if when is None:
            raise LabFormatError(source, f"row {rownum}, column {tcol!r}: empty")
        try:
            value = parse_number(raw_v)
        except ValueError:
            raise LabFormatError(source, f"row {rownum}, column {gcol!r}: {raw_v!r} is not a number") from None
        unit = fixed_unit or row[col["unit"]].strip()
        try:
            normalize_unit(unit)
            mmol = to_si(value, unit, "glucose")
        except Exception as exc:
            raise LabFormatError(source, f"row {rownum}, column 'unit': {exc}") from None
        if not 0.0 < mmol < 100.0:
            raise LabFormatError(source, f"row {rownum}, column {gcol!r}: {raw_v} {unit} is not a plausible glucose")
        times.append(when)
        values.append(mmol)
        if patient is None and "patient_id" in col and row[col["patient_id"]].strip():
            issuer = row[col["issuer"]].strip() if "issuer" in col else ""
            patient = PatientRef(id=row[col["patient_id"]].strip(), issuer=issuer)
    if not times:
        raise LabFormatError(source, "no readings")
    return _series(times, values, patient, source)


def parse_glucose_fhir(obj_or_text: Any, *, source: str = "<memory>") -> GlucoseSeries:
    """Readings from FHIR glucose Observations (a Bundle or one Observation; LOINC glucose codes)."""
    obj = load_json(obj_or_text, source=source)
    tests = default_catalogue().tests
    times: list[datetime] = []
    values: list[float] = []
    patient = None
    for report in parse_fhir(obj, source=source):
        for r in report.results:
            test = tests.get(r.loinc)
            is_glucose = (test is not None and test.analyte == "glucose") or r.loinc in GLUCOSE_LOINC_EXTRA
            when = r.time or report.specimen_time
            if not is_glucose or r.value is None or when is None:
                continue
            times.append(when)
            values.append(to_si(r.value, r.unit, "glucose"))
            patient = patient or report.patient
    if not times:
        raise LabFormatError(source, "no glucose Observation with a value and a time")
    return _series(times, values, patient, source)


def read_glucose(path: str | Path) -> GlucoseSeries:
    """Read glucose readings from a CSV or FHIR JSON file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabFormatError(path, f"cannot read: {exc.strerror}") from None
    if data.lstrip()[:1] == b"{":
        return parse_glucose_fhir(data, source=str(path))
    return parse_glucose_csv(data, source=str(path))


@dataclass(frozen=True, slots=True)
class GlucoseMetrics:
    """Consensus CGM metrics (percentages of time, time-weighted; glucose in mmol/L).

    ``valid`` is ``False`` (with ``validity_note``) when the data are too sparse or are meter readings.
    """

    n_readings: int
    start: datetime
    end: datetime
    kind: Literal["cgm", "meter"]
    interval_s: float
    coverage_percent: float
    mean_mmol_l: float
    sd_mmol_l: float
    cv_percent: float
    gmi_mmol_mol: float
    gmi_percent: float
    tir_percent: float
    tbr_percent: float
    tbr_very_low_percent: float
    tar_percent: float
    tar_very_high_percent: float
    min_mmol_l: float
    valid: bool
    validity_note: str
    weighting: str = "time-weighted (each reading until the next, capped at 2x the median interval)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        out = {}
        for name in self.__slots__:
            v = getattr(self, name)
            out[name] = v.isoformat() if isinstance(v, datetime) else (round(v, 4) if isinstance(v, float) else v)
        return out


def glucose_metrics(series: GlucoseSeries, *, settings: GlucoseSettings | None = None) -> GlucoseMetrics:
    """Consensus metrics of the last ``settings.period_days`` of ``series``.

    Raises
    ------
    LabValueError
        No readings, or non-finite values.
    """
    s = settings or GlucoseSettings()
    if series.mmol_l.size == 0:
        raise LabValueError("series: no readings")
    if not np.all(np.isfinite(series.mmol_l)):
        raise LabValueError("series.mmol_l: expected finite values")
    t_all = series.times.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    period_s = s.period_days * 86400.0
    keep = t_all > t_all[-1] - period_s
    t, g = t_all[keep], series.mmol_l[keep]
    n = g.size
    diffs = np.diff(t)
    interval = float(np.median(diffs)) if n > 1 else 0.0
    kind: Literal["cgm", "meter"] = "cgm" if 0 < interval <= s.cgm_max_interval_s else "meter"
    if n > 1 and interval > 0:
        cap = 2.0 * interval
        w = np.append(np.minimum(diffs, cap), interval)
    else:
        w = np.ones(n)
    total = w.sum()

    def pct(mask: np.ndarray) -> float:
        return float(100.0 * w[mask].sum() / total)

    mean = float(np.dot(w, g) / total)
    sd = float(np.sqrt(np.dot(w, (g - mean) ** 2) / total))
    coverage = 0.0
    if kind == "cgm":
        coverage = min(100.0, 100.0 * n * interval / period_s)
    if kind != "cgm":
        note = (f"meter readings (median interval {interval / 3600:.1f} h): consensus CGM metrics are not valid; "
                "percentages are of time between readings")
        valid = False
    elif coverage < s.min_coverage_percent:
        note = (f"data too sparse: {coverage:.0f}% of the expected CGM readings over {s.period_days:g} d "
                f"(< {s.min_coverage_percent:g}%)")
        valid = False
    else:
        note = f"{coverage:.0f}% of the expected CGM readings over {s.period_days:g} d"
        valid = True
    start = series.times[keep][0].astype(datetime)
    end = series.times[-1].astype(datetime)
    return GlucoseMetrics(
        n_readings=int(n), start=start, end=end, kind=kind, interval_s=interval, coverage_percent=coverage,
        mean_mmol_l=mean, sd_mmol_l=sd, cv_percent=100.0 * sd / mean,
        gmi_mmol_mol=12.71 + 4.70587 * mean, gmi_percent=3.31 + 0.02392 * mean * MG_DL_PER_MMOL_L,
        tir_percent=pct((g >= s.low_mmol_l) & (g <= s.high_mmol_l)),
        tbr_percent=pct(g < s.low_mmol_l), tbr_very_low_percent=pct(g < s.very_low_mmol_l),
        tar_percent=pct(g > s.high_mmol_l), tar_very_high_percent=pct(g > s.very_high_mmol_l),
        min_mmol_l=float(g.min()), valid=valid, validity_note=note,
    )


@dataclass(frozen=True, slots=True)
class GlucoseFinding:
    """A glucose rule that fired: ``HYPOGLYCEMIA``, a missed consensus target, or ``INSUFFICIENT_DATA``."""

    code: str
    value: float
    unit: str
    limit: float | None
    priority: Priority
    time: datetime | None = None
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"code": self.code, "test": "glucose self-monitoring", "value": round(self.value, 4),
                "unit": self.unit, "limit": self.limit, "priority": self.priority,
                "time": self.time.isoformat() if self.time else None, "count": self.count}


@dataclass(frozen=True, slots=True)
class GlucoseAssessment:
    """Triage of one glucose upload (satisfies the worklist's domain-result protocol)."""

    series: GlucoseSeries
    metrics: GlucoseMetrics
    priority: Priority
    reasons: tuple[str, ...]
    findings: tuple[GlucoseFinding, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        p = self.series.patient
        return {"report": self.series.source, "patient": None if p is None else {"id": p.id, "issuer": p.issuer, "key": p.key},
                "priority": self.priority, "reasons": list(self.reasons),
                "findings": [f.to_dict() for f in self.findings], "metrics": self.metrics.to_dict()}


_TARGETS = (
    ("TIR_BELOW_TARGET", "tir_percent", "tir_min_percent", "time in range 3.9-10.0 mmol/L", -1),
    ("TBR_ABOVE_TARGET", "tbr_percent", "tbr_max_percent", "time below 3.9 mmol/L", 1),
    ("TBR_VERY_LOW_ABOVE_TARGET", "tbr_very_low_percent", "tbr_very_low_max_percent", "time below 3.0 mmol/L", 1),
    ("TAR_ABOVE_TARGET", "tar_percent", "tar_max_percent", "time above 10.0 mmol/L", 1),
    ("TAR_VERY_HIGH_ABOVE_TARGET", "tar_very_high_percent", "tar_very_high_max_percent", "time above 13.9 mmol/L", 1),
    ("CV_ABOVE_TARGET", "cv_percent", "cv_max_percent", "glucose variability (CV)", 1),
)


def assess_glucose(series: GlucoseSeries, *, settings: LabSettings | None = None) -> GlucoseAssessment:
    """Metrics, hypoglycaemia (any reading < 3.0 mmol/L → urgent) and consensus targets (routine)."""
    gs = (settings or LabSettings()).glucose
    m = glucose_metrics(series, settings=gs)
    findings: list[GlucoseFinding] = []
    reasons: list[str] = []
    low = series.mmol_l < gs.very_low_mmol_l
    if low.any():
        i = int(np.argmin(series.mmol_l))
        when = series.times[i].astype(datetime)
        count = int(low.sum())
        findings.append(GlucoseFinding("HYPOGLYCEMIA", float(series.mmol_l[i]), "mmol/L", gs.very_low_mmol_l,
                                       gs.hypoglycemia_priority, when, count))
        reasons.append(f"Hypoglycaemia: {count} reading(s) < {gs.very_low_mmol_l:g} mmol/L, lowest "
                       f"{series.mmol_l[i]:.1f} mmol/L at {when:%Y-%m-%d %H:%M}")
    if not m.valid:
        findings.append(GlucoseFinding("INSUFFICIENT_DATA", m.coverage_percent, "%", gs.min_coverage_percent, "routine"))
        reasons.append(m.validity_note)
    for code, attr, limit_attr, words, sign in _TARGETS:
        value, limit = getattr(m, attr), getattr(gs, limit_attr)
        missed = value < limit if sign < 0 else value > limit
        if missed:
            findings.append(GlucoseFinding(code, value, "%", limit, "routine"))
            rel = "below" if sign < 0 else "above"
            reasons.append(f"{words} {value:.0f}% ({rel} the consensus target {limit:g}%)")
    priority: Priority = "routine"
    for f in findings:
        if _RANK[f.priority] < _RANK[priority]:
            priority = f.priority
    return GlucoseAssessment(series, m, priority, tuple(reasons), tuple(findings))
