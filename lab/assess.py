"""Assess a lab report: our own flags, critical values, delta checks, duplicate-test reminders.

Rules (limits from :mod:`lab.catalogue`, overridable per centre / institution by :class:`LabSettings`):

* every numeric result of a catalogued test is converted to SI and flagged ``LL``/``L``/``N``/``H``/``HH``
  against the catalogue's (sex-specific) reference interval and critical limits; the sender's flag is
  kept and a disagreement is reported (``FLAG_MISMATCH``), never trusted alone;
* ``CRITICAL_VALUE`` (→ stat) outside a critical limit (Kost 1990; Wagar et al. 2007; Campbell & Horvath 2014);
* ``DELTA`` (→ urgent) when the change since the patient's previous result within the test's window
  exceeds its delta limit (Randell & Yenice 2019);
* ``DUPLICATE_TEST`` (→ routine reminder) when the same test was done for the patient, at any
  institution, within the minimum retesting interval (Lang & Croal 2015, RCPath/ACB);
* ``ABNORMAL`` (→ urgent) outside the reference interval but not critical.

Uncatalogued tests are flagged ``L``/``H`` against the sender's numeric range (no SI conversion).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .catalogue import Interval, TestDefinition
from .errors import LabValueError, UnknownUnitError
from .history import ChainedHistory, HistorySource, InMemoryHistory, PriorResult
from .model import LabReport, LabResult
from .settings import LabSettings, Priority
from .units import si_factor

__all__ = ["AssessedResult", "Flag", "FindingCode", "LabAssessment", "LabFinding", "assess", "assess_many", "flag_value"]

Flag = Literal["LL", "L", "N", "H", "HH", ""]
FindingCode = Literal["CRITICAL_VALUE", "DELTA", "DUPLICATE_TEST", "ABNORMAL", "FLAG_MISMATCH"]

_RANK: dict[str, int] = {"stat": 0, "urgent": 1, "routine": 2}
_SKIPPED_STATUS = frozenset({"X", "D", "W", "cancelled", "entered-in-error"})
# HL7 table 0078 / FHIR v3 ObservationInterpretation -> our scale
_SENDER_FLAGS = {"L": "L", "H": "H", "LL": "LL", "HH": "HH", "N": "N", "<": "LL", ">": "HH",
                 "LU": "LL", "HU": "HH", "A": "A", "AA": "AA"}
_WORDS = {"LL": "critically low", "L": "low", "N": "normal", "H": "high", "HH": "critically high"}


def flag_value(value: float, reference: Interval, critical: Interval, comparator: str = "") -> Flag:
    """Our flag for ``value`` (same unit as the limits).

    ``LL`` below the critical low, ``HH`` above the critical high, else ``L``/``H`` outside the reference
    interval, else ``N``. A value sent as ``<x`` can only be flagged low and ``>x`` only high (the bound
    is used as the value). Monotone in ``value`` for consistent limits.
    """
    low_ok = comparator not in (">", ">=")
    high_ok = comparator not in ("<", "<=")
    if low_ok and critical.low is not None and value < critical.low:
        return "LL"
    if high_ok and critical.high is not None and value > critical.high:
        return "HH"
    if low_ok and reference.low is not None and value < reference.low:
        return "L"
    if high_ok and reference.high is not None and value > reference.high:
        return "H"
    return "N"


@dataclass(frozen=True, slots=True)
class AssessedResult:
    """A result with its SI value and our flag.

    Attributes
    ----------
    result
        The result as sent.
    value_si, unit_si
        Value in the catalogue's SI unit (``None`` for text results and uncatalogued tests, which keep the sent unit).
    flag
        Our flag (``""`` when not assessable: text value, no limits).
    sender_flag
        The sender's flag, as sent.
    flag_mismatch
        Whether the sender's flag disagrees with ours.
    reference, critical
        The limits applied (SI unit; sender's range in the sent unit for uncatalogued tests).
    """

    result: LabResult
    value_si: float | None
    unit_si: str
    flag: Flag
    sender_flag: str
    flag_mismatch: bool
    reference: Interval | None
    critical: Interval | None
    test_name: str

    @property
    def loinc(self) -> str:
        """The result's LOINC code."""
        return self.result.loinc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "loinc": self.result.loinc,
            "name": self.test_name,
            "value": self.result.value,
            "comparator": self.result.comparator,
            "text": self.result.text,
            "unit": self.result.unit,
            "value_si": None if self.value_si is None else round(self.value_si, 6),
            "unit_si": self.unit_si,
            "flag": self.flag,
            "sender_flag": self.sender_flag,
            "flag_mismatch": self.flag_mismatch,
            "reference": self.reference.to_dict() if self.reference else None,
            "critical": self.critical.to_dict() if self.critical else None,
        }


@dataclass(frozen=True, slots=True)
class LabFinding:
    """One rule that fired.

    Attributes
    ----------
    code
        ``CRITICAL_VALUE``, ``DELTA``, ``DUPLICATE_TEST``, ``ABNORMAL`` or ``FLAG_MISMATCH``.
    loinc, test
        LOINC code and ``"<loinc> <name>"``.
    value, unit
        The value (SI unit when catalogued).
    limit
        The limit crossed (critical / reference end, delta limit, retest interval in days).
    priority
        The priority this finding raises.
    time
        Specimen time of the result.
    previous
        The earlier result compared with (``DELTA``, ``DUPLICATE_TEST``).
    """

    code: FindingCode
    loinc: str
    test: str
    value: float | None
    unit: str
    limit: float | None
    priority: Priority
    time: datetime | None = None
    previous: PriorResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        out: dict[str, Any] = {
            "code": self.code,
            "test": self.test,
            "loinc": self.loinc,
            "value": None if self.value is None else round(self.value, 6),
            "unit": self.unit,
            "limit": self.limit,
            "priority": self.priority,
            "time": self.time.isoformat() if self.time else None,
        }
        if self.previous is not None:
            p = self.previous
            out["previous"] = {"value": round(p.value_si, 6), "unit": p.unit, "time": p.time.isoformat(),
                               "institution": p.institution, "loinc": p.loinc}
        return out


@dataclass(frozen=True, slots=True)
class LabAssessment:
    """The triage of one report (satisfies the worklist's domain-result protocol)."""

    report: LabReport
    priority: Priority
    reasons: tuple[str, ...]
    findings: tuple[LabFinding, ...]
    results: tuple[AssessedResult, ...] = field(default=())

    @property
    def patient(self) -> str:
        """Patient identity (issuer|id)."""
        return self.report.patient.key

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        p = self.report.patient
        return {
            "report": self.report.source,
            "patient": {"id": p.id, "issuer": p.issuer, "key": p.key},
            "institution": self.report.institution,
            "order": {"placer": self.report.order.placer, "filler": self.report.order.filler},
            "specimen_time": self.report.specimen_time.isoformat() if self.report.specimen_time else None,
            "priority": self.priority,
            "reasons": list(self.reasons),
            "findings": [f.to_dict() for f in self.findings],
            "results": [r.to_dict() for r in self.results],
        }


def _u(unit: str) -> str:
    """`` unit`` for display (dimensionless ``1`` shows nothing)."""
    return "" if unit in ("1", "") else f" {unit}"


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else "time unknown"


def _sender_disagrees(sender: str, ours: str) -> bool:
    s = _SENDER_FLAGS.get(sender.upper())
    if s is None or not ours:
        return False
    if s == "A":
        return ours == "N"
    if s == "AA":
        return ours not in ("LL", "HH")
    return s != ours


def _assess_result(r: LabResult, test: TestDefinition | None, sex: str | None) -> AssessedResult:
    if test is None:
        rng = r.reference_range
        if r.value is None or rng is None or (rng.low is None and rng.high is None):
            return AssessedResult(r, None, r.unit, "", r.flag, False, None, None, r.name or r.loinc)
        reference = Interval(rng.low, rng.high)
        flag = flag_value(r.value, reference, Interval(), r.comparator)
        return AssessedResult(r, None, r.unit, flag, r.flag, _sender_disagrees(r.flag, flag), reference, None,
                              r.name or r.loinc)
    if r.value is None:
        return AssessedResult(r, None, test.unit, "", r.flag, False, None, None, test.name)
    try:
        scale, offset = si_factor(r.unit, test.analyte)
    except UnknownUnitError as exc:
        raise UnknownUnitError(f"{test.label}: {exc}") from None
    value_si = r.value * scale + offset
    reference = test.reference_for(sex)
    flag = flag_value(value_si, reference, test.critical, r.comparator)
    return AssessedResult(r, value_si, test.unit, flag, r.flag, _sender_disagrees(r.flag, flag), reference,
                          test.critical, test.name)


def assess(
    report: LabReport,
    *,
    history: HistorySource | None = None,
    settings: LabSettings | None = None,
) -> LabAssessment:
    """Flag every result and apply the critical, delta, duplicate and abnormal rules.

    Parameters
    ----------
    report
        The report to assess.
    history
        Earlier results (:class:`~lab.history.HistorySource`); ``None``: no delta / duplicate checks.
    settings
        :class:`LabSettings` (limits per institution, priorities); defaults when ``None``.

    Returns
    -------
    LabAssessment

    Raises
    ------
    UnknownUnitError
        A catalogued result in a unit its analyte cannot be expressed in (readers refuse these already).
    """
    if not isinstance(report, LabReport):
        raise LabValueError(f"report: expected a LabReport, got {type(report).__name__}")
    settings = settings or _DEFAULT_SETTINGS
    institution = report.institution
    sex = report.patient.sex
    patient_key = report.patient.key
    when = report.specimen_time
    findings: list[LabFinding] = []
    reasons: list[str] = []
    assessed: list[AssessedResult] = []
    for r in report.results:
        if r.status in _SKIPPED_STATUS:
            continue
        test = settings.test(r.loinc, institution)
        a = _assess_result(r, test, sex)
        assessed.append(a)
        if not a.flag:
            continue
        value = a.value_si if a.value_si is not None else r.value
        unit = a.unit_si
        label = f"{r.loinc} {a.test_name}"
        t = r.time or when
        shown = f"{_fmt(value)}{_u(unit)}"
        if a.value_si is not None and r.unit and r.unit != unit and not (unit == "1" and r.unit.lower() in ("{inr}", "inr", "{ratio}", "ratio")):
            shown = f"{r.comparator}{_fmt(r.value)} {r.unit} = {shown}"
        if a.flag in ("LL", "HH"):
            limit = a.critical.low if a.flag == "LL" else a.critical.high
            findings.append(LabFinding("CRITICAL_VALUE", r.loinc, label, value, unit, limit, settings.critical_priority, t))
            sign = "<" if a.flag == "LL" else ">"
            reasons.append(f"{a.test_name} {shown} {_WORDS[a.flag]} ({sign} {limit:g}{_u(unit)}), {_when(t)}")
        elif a.flag in ("L", "H"):
            limit = a.reference.low if a.flag == "L" else a.reference.high
            findings.append(LabFinding("ABNORMAL", r.loinc, label, value, unit, limit, settings.abnormal_priority, t))
            sign = "<" if a.flag == "L" else ">"
            reasons.append(f"{a.test_name} {shown} {_WORDS[a.flag]} (reference {sign} {limit:g}{_u(unit)})")
        if a.flag_mismatch:
            findings.append(LabFinding("FLAG_MISMATCH", r.loinc, label, value, unit, None, settings.flag_mismatch_priority, t))
            reasons.append(f"{a.test_name}: sender flagged {r.flag!r}, our flag is {a.flag} ({shown})")
        if history is None or test is None or a.value_si is None or t is None:
            continue
        if test.delta is None and test.retest_days is None:
            continue
        priors = _priors(history, patient_key, test, settings, t, report.key)
        if not priors:
            continue
        if test.retest_days is not None:
            dup = next((p for p in priors if (t - p.time).total_seconds() < test.retest_days * 86400.0), None)
            if dup is not None:
                findings.append(LabFinding("DUPLICATE_TEST", r.loinc, label, a.value_si, unit, test.retest_days,
                                           settings.duplicate_priority, t, dup))
                days = (t - dup.time).total_seconds() / 86400.0
                reasons.append(
                    f"{a.test_name} repeated after {days:.0f} d (minimum retest interval {test.retest_days:g} d): "
                    f"{_fmt(dup.value_si)}{_u(dup.unit)} on {dup.time:%Y-%m-%d} at {dup.institution or 'unknown institution'}"
                )
        if test.delta is not None:
            prev = priors[0]
            if (t - prev.time).total_seconds() <= test.delta.window_days * 86400.0 and test.delta.exceeded(prev.value_si, a.value_si):
                change = a.value_si - prev.value_si
                limit = test.delta.abs if test.delta.abs is not None else test.delta.rel
                findings.append(LabFinding("DELTA", r.loinc, label, a.value_si, unit, limit, settings.delta_priority, t, prev))
                verb = "rose" if change > 0 else "fell"
                reasons.append(
                    f"{a.test_name} {verb} by {_fmt(abs(change))}{_u(unit)} since {_when(prev.time)} "
                    f"({_fmt(prev.value_si)} → {_fmt(a.value_si)}; limit {test.delta.describe(unit)})"
                )
    priority: Priority = "routine"
    for f in findings:
        if _RANK[f.priority] < _RANK[priority]:
            priority = f.priority
    return LabAssessment(report, priority, tuple(reasons), tuple(findings), tuple(assessed))


def _priors(history: HistorySource, patient_key: str, test: TestDefinition, settings: LabSettings,
            before: datetime, own_key: str) -> list[PriorResult]:
    codes = (test.loinc,) if test.group == test.loinc else settings.catalogue.group_codes(test.group)
    out: list[PriorResult] = []
    for code in codes:
        out.extend(p for p in history.previous_results(patient_key, code, before=before) if p.report_key != own_key)
    if len(codes) > 1:
        out.sort(key=lambda p: p.time, reverse=True)
    return out


def assess_many(
    reports: Iterable[LabReport],
    *,
    history: HistorySource | None = None,
    settings: LabSettings | None = None,
) -> list[LabAssessment]:
    """Assess several reports; earlier ones (by specimen time) are history for later ones.

    The reports are sorted by specimen time (unknown times first, as given); ``history`` is not modified.
    Returns the assessments in that order.
    """
    ordered = sorted(reports, key=lambda r: (r.specimen_time is not None, r.specimen_time or datetime.min))
    batch = InMemoryHistory()
    chained = ChainedHistory(batch, history) if history is not None else batch
    out = []
    for report in ordered:
        out.append(assess(report, history=chained, settings=settings))
        batch.add(report)
    return out


_DEFAULT_SETTINGS = LabSettings()
