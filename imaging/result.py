"""The imaging domain's result for one study, and the triage of a study from its request and data quality.

teletriage carries no AI reading of images: the priority of a study comes from the order, as the modality copied
it into the headers, and data-quality problems are reported as findings for the reader to see:

* Requested Procedure Priority (0040,1003) (PS3.3 C.4.11; ``STAT``, ``HIGH``, ``ROUTINE``, ``MEDIUM``, ``LOW``)
  and the retired Study Priority ID (0032,000C) (``HIGH``, ``MED``, ``LOW``), mapped as in the DICOM UPS
  priority / FHIR request-priority correspondence: STAT or HIGH → ``stat``, MEDIUM → ``urgent``, ROUTINE or LOW →
  ``routine``;
* words such as "STAT" or "urgent" in Reason for the Requested Procedure (0040,1002), Reason for Study
  (0032,1030) or Requested Procedure Description (0032,1060) (settings ``stat_keywords`` / ``urgent_keywords``);
* ``MISSING_SLICES``: gaps in the slice positions of a stack larger than ``missing_slice_factor`` times the
  nominal (median) spacing; ``DUPLICATE_SLICES``: positions repeated unevenly (a resend, not a multi-phase
  acquisition); ``BURNED_IN_ANNOTATION``: declared or likely burned-in text (see :mod:`imaging.deid`);
  ``MULTIPLE_PATIENT_IDS``: one study carrying instances of different Patient IDs.

The most urgent request signal wins; the default is ``routine``.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from .deid import _burned_in
from .series import Series, Study
from .settings import ImagingSettings

__all__ = ["Priority", "FindingCode", "ImagingFinding", "ImagingResult", "assess_study"]

Priority = Literal["stat", "urgent", "routine"]
_RANK: dict[str, int] = {"stat": 0, "urgent": 1, "routine": 2}

#: Requested Procedure Priority (0040,1003) and Study Priority ID (0032,000C) values → priority.
_DICOM_PRIORITY: dict[str, Priority] = {
    "STAT": "stat",
    "HIGH": "stat",
    "MEDIUM": "urgent",
    "MED": "urgent",
    "ROUTINE": "routine",
    "LOW": "routine",
}
#: Positions closer than this (mm) are the same slice position.
_SAME_POSITION_MM = 0.01


class FindingCode(str, enum.Enum):
    """Codes of :class:`ImagingFinding`."""

    REQUESTED_PRIORITY = "REQUESTED_PRIORITY"
    REQUEST_KEYWORD = "REQUEST_KEYWORD"
    MISSING_SLICES = "MISSING_SLICES"
    DUPLICATE_SLICES = "DUPLICATE_SLICES"
    BURNED_IN_ANNOTATION = "BURNED_IN_ANNOTATION"
    MULTIPLE_PATIENT_IDS = "MULTIPLE_PATIENT_IDS"


@dataclass(frozen=True, slots=True)
class ImagingFinding:
    """One finding with its evidence.

    Attributes
    ----------
    code
        What was found.
    detail
        One human sentence.
    series_instance_uid
        The series concerned, or None for study-level findings.
    attribute
        The DICOM attribute the evidence comes from (e.g. ``"RequestedProcedurePriority"``), if any.
    value
        The attribute's value or the flag (``"HIGH"``, ``"yes"``, ``"likely"``), if any.
    positions_mm
        Slice positions along the normal (mm) bounding a gap, or the repeated positions.
    count
        Slices missing / repeated, instances flagged.
    """

    code: FindingCode
    detail: str
    series_instance_uid: str | None = None
    attribute: str | None = None
    value: str | None = None
    positions_mm: tuple[float, ...] = ()
    count: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "code": self.code.value,
            "detail": self.detail,
            "series_instance_uid": self.series_instance_uid,
            "attribute": self.attribute,
            "value": self.value,
            "positions_mm": list(self.positions_mm),
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class ImagingResult:
    """Triage result of one study (satisfies the worklist's domain-result protocol).

    Attributes
    ----------
    study_instance_uid, patient_id, accession_number, modality
        Study identity (``modality`` joins the series' modalities with ``/``).
    n_series, n_instances
        Counts.
    priority
        ``"stat"``, ``"urgent"`` or ``"routine"``.
    reasons
        Short sentences explaining the priority and the findings.
    findings
        Evidence (:class:`ImagingFinding`).
    artifacts
        Paths or store keys of what was produced for the study (previews, compressed copies).
    """

    study_instance_uid: str
    patient_id: str | None
    accession_number: str | None
    modality: str | None
    n_series: int
    n_instances: int
    priority: Priority
    reasons: tuple[str, ...]
    findings: tuple[ImagingFinding, ...]
    artifacts: tuple[str, ...] = ()
    study_datetime: str | None = None

    def with_artifacts(self, artifacts: Iterable[str]) -> ImagingResult:
        """A copy with ``artifacts`` appended."""
        return replace(self, artifacts=self.artifacts + tuple(str(a) for a in artifacts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "kind": "imaging",
            "study_instance_uid": self.study_instance_uid,
            "patient_id": self.patient_id,
            "accession_number": self.accession_number,
            "modality": self.modality,
            "study_datetime": self.study_datetime,
            "n_series": self.n_series,
            "n_instances": self.n_instances,
            "priority": self.priority,
            "reasons": list(self.reasons),
            "findings": [f.to_dict() for f in self.findings],
            "artifacts": list(self.artifacts),
        }


def _keyword_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [re.escape(w.strip()) for w in words if w.strip()]
    if not alternatives:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(alternatives) + r")(?![A-Za-z0-9])", re.IGNORECASE)


def _request_findings(study: Study, settings: ImagingSettings) -> list[tuple[Priority, ImagingFinding]]:
    out: list[tuple[Priority, ImagingFinding]] = []
    req = study.request
    for attribute, tag, value in (
        ("RequestedProcedurePriority", "(0040,1003)", req.requested_procedure_priority),
        ("StudyPriorityID", "(0032,000C)", req.study_priority_id),
    ):
        if value is None:
            continue
        priority = _DICOM_PRIORITY.get(value.strip().upper())
        if priority is None:
            continue
        label = "Requested Procedure Priority" if attribute.startswith("Requested") else "Study Priority ID"
        out.append((priority, ImagingFinding(
            FindingCode.REQUESTED_PRIORITY, f"{label} {tag} is {value}", attribute=attribute, value=value,
        )))
    for level, words in (("stat", settings.stat_keywords), ("urgent", settings.urgent_keywords)):
        pattern = _keyword_pattern(words)
        if pattern is None:
            continue
        for text in req.reasons:
            match = pattern.search(text)
            if match:
                out.append((level, ImagingFinding(  # type: ignore[arg-type]
                    FindingCode.REQUEST_KEYWORD,
                    f'request text says "{match.group(1)}": "{_clip(text)}"',
                    attribute="ReasonForTheRequestedProcedure",
                    value=match.group(1),
                )))
                break
    return out


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _series_name(series: Series) -> str:
    number = f"series {series.series_number}" if series.series_number is not None else "series"
    return f"{number} ({series.modality or '?'})"


def _slice_findings(series: Series, factor: float) -> list[ImagingFinding]:
    positions = series.slice_positions_mm()
    if positions is None or positions.size < 3:
        return []
    rounded = np.round(positions / _SAME_POSITION_MM) * _SAME_POSITION_MM
    unique, counts = np.unique(rounded, return_counts=True)
    findings: list[ImagingFinding] = []
    if counts.max() > 1 and np.unique(counts).size > 1:
        repeated = unique[counts > 1]
        findings.append(ImagingFinding(
            FindingCode.DUPLICATE_SLICES,
            f"{_series_name(series)}: {int((counts[counts > 1] - 1).sum())} repeated slice position(s)",
            series_instance_uid=series.series_instance_uid,
            positions_mm=tuple(float(p) for p in repeated[:20]),
            count=int((counts[counts > 1] - 1).sum()),
        ))
    if unique.size < 3:
        return findings
    steps = np.diff(unique)
    nominal = float(np.median(steps))
    if nominal <= 0:
        return findings
    for k in np.flatnonzero(steps > factor * nominal):
        missing = max(1, int(round(steps[k] / nominal)) - 1)
        lo, hi = float(unique[k]), float(unique[k + 1])
        findings.append(ImagingFinding(
            FindingCode.MISSING_SLICES,
            f"{_series_name(series)}: {missing} slice(s) missing between {lo:.1f} and {hi:.1f} mm "
            f"(spacing {nominal:.2f} mm)",
            series_instance_uid=series.series_instance_uid,
            positions_mm=(lo, hi),
            count=missing,
        ))
    return findings


def _burned_in_findings(series: Series) -> list[ImagingFinding]:
    flags = Counter()
    reasons: dict[str, str] = {}
    for inst in series.instances:
        flag, why = _burned_in(inst.burned_in_annotation or "", series.modality or "", inst.sop_class_uid)
        if flag != "no":
            flags[flag] += 1
            reasons.setdefault(flag, why)
    for flag in ("yes", "likely"):
        if flags[flag]:
            return [ImagingFinding(
                FindingCode.BURNED_IN_ANNOTATION,
                f"{_series_name(series)}: burned-in annotation {'declared' if flag == 'yes' else 'likely'} "
                f"in {flags[flag]} of {series.n_instances} instance(s) ({reasons[flag]})",
                series_instance_uid=series.series_instance_uid,
                attribute="BurnedInAnnotation",
                value=flag,
                count=flags[flag],
            )]
    return []


def assess_study(study: Study, *, settings: ImagingSettings | None = None) -> ImagingResult:
    """Triage one study: priority from the request, data-quality findings from the headers.

    Parameters
    ----------
    study
        From :func:`imaging.group_studies`.
    settings
        Keyword lists and thresholds (:class:`~imaging.settings.ImagingSettings`); defaults when None.

    Returns
    -------
    ImagingResult
        ``priority`` is the most urgent request signal, ``routine`` when there is none.
    """
    settings = settings or ImagingSettings()
    request = _request_findings(study, settings)
    priority: Priority = "routine"
    for level, _ in request:
        if _RANK[level] < _RANK[priority]:
            priority = level
    findings: list[ImagingFinding] = [f for _, f in request]
    if len(study.patient_ids) > 1:
        findings.append(ImagingFinding(
            FindingCode.MULTIPLE_PATIENT_IDS,
            f"study carries {len(study.patient_ids)} different Patient IDs",
            attribute="PatientID",
            count=len(study.patient_ids),
        ))
    for series in study.series:
        findings.extend(_slice_findings(series, settings.missing_slice_factor))
        findings.extend(_burned_in_findings(series))
    reasons = tuple(f.detail[:1].upper() + f.detail[1:] for f in findings)
    return ImagingResult(
        study_instance_uid=study.study_instance_uid,
        patient_id=study.patient_id,
        accession_number=study.accession_number,
        modality=study.modality,
        n_series=len(study.series),
        n_instances=study.n_instances,
        priority=priority,
        reasons=reasons,
        findings=tuple(findings),
        study_datetime=study.study_datetime.isoformat() if study.study_datetime else None,
    )
