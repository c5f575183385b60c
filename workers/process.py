"""Per-input processing: thin adapters from an :class:`~workers.discover.Upload` to pure domain calls.

No clinical rule lives here: ECG screening is :func:`ecg.screen`, imaging assessment is
:func:`imaging.assess_study`, lab rules are :func:`lab.assess`. These functions only read, call,
store artifacts and describe the outcome for the worklist. They are what the Ray tasks in
:mod:`workers.jobs` run, and what the month benchmark calls directly to measure Ray's overhead.

A domain error (bad input) becomes a rejection naming the file and the problem; any other exception
in one input is logged with its traceback and also rejects only that input, so one bad upload never
sinks a batch.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ecg
import imaging
import lab
from worklist import HistoricResult, ItemEntry, Specialty, entry_from_result

from .discover import Kind, Upload
from .settings import Settings
from .store import ArtifactStore

__all__ = ["InputOutcome", "BatchResult", "BatchHistory", "process_ecg", "process_imaging", "process_lab", "DOMAIN_ERRORS"]

log = logging.getLogger(__name__)

DOMAIN_ERRORS: tuple[type[Exception], ...] = (ecg.EcgError, imaging.ImagingError, lab.LabError)


@dataclass(frozen=True, slots=True)
class InputOutcome:
    """What happened to one upload."""

    key: str
    kind: Kind
    display: str
    status: str  # "ok" | "rejected" (bad input, final) | "failed" (our failure, retried by the next run)
    reason: str | None = None
    item_key: str | None = None
    file: str | None = None  # the input to keep a copy of when rejected


@dataclass(slots=True)
class BatchResult:
    """Outcomes of one batch, committed to the database in one transaction by the driver."""

    outcomes: list[InputOutcome] = field(default_factory=list)
    entries: list[ItemEntry] = field(default_factory=list)
    lab_results: list[HistoricResult] = field(default_factory=list)

    def extend(self, other: BatchResult) -> None:
        """Append ``other``'s contents."""
        self.outcomes.extend(other.outcomes)
        self.entries.extend(other.entries)
        self.lab_results.extend(other.lab_results)


def _reject(upload: Upload, exc: BaseException) -> InputOutcome:
    """A domain error rejects the input for good (``"rejected"``); anything else is our failure, not the
    input's (``"failed"``): listed with the rejected inputs, but processed again by the next run."""
    if isinstance(exc, DOMAIN_ERRORS):
        status, reason = "rejected", str(exc)
    else:
        log.exception("unexpected failure processing %s", upload.display)
        status, reason = "failed", f"processing failed ({type(exc).__name__}: {exc}); will be retried by the next run"
    if upload.display not in reason:
        reason = f"{upload.display}: {reason}"
    return InputOutcome(upload.key, upload.kind, upload.display, status, reason, None, str(upload.primary))


# ---------------------------------------------------------------------------------------------- ECG
def process_ecg(upload: Upload, *, settings: Settings, store: ArtifactStore) -> BatchResult:
    """Read and screen one ECG record; store the screening JSON; one worklist entry keyed by the record hash."""
    out = BatchResult()
    try:
        record = ecg.read(upload.primary)
        screening = ecg.screen(record, settings=settings.ecg)
        meta = record.metadata
        art = store.put_json(
            {"record_key": upload.key, "input": upload.display, "record": meta.to_dict(), "screening": screening.to_dict()},
            kind="screening",
        )
        clinic = upload.clinic or meta.extra.get("institution") or None
        entry = entry_from_result(
            screening,
            natural_key=f"ecg:{upload.key}",
            specialty=Specialty.CARDIOLOGY,
            patient=meta.patient_id,
            clinic=clinic,
            artifacts=[art.to_dict()],
            source_keys=[upload.key],
        )
    except Exception as exc:  # noqa: BLE001 - one bad input must not sink the batch
        out.outcomes.append(_reject(upload, exc))
        return out
    out.entries.append(entry)
    out.outcomes.append(InputOutcome(upload.key, upload.kind, upload.display, "ok", None, entry.natural_key))
    return out


# ------------------------------------------------------------------------------------------ imaging
def process_imaging(uploads: Sequence[Upload], *, settings: Settings, store: ArtifactStore) -> BatchResult:
    """Group DICOM files into studies (:func:`imaging.group_studies`), compress every instance losslessly
    with verification (:func:`imaging.compress_file`, one ``auto`` chooser per batch), make series previews
    (:func:`imaging.make_previews`) and assess each study (:func:`imaging.assess_study`); one worklist entry
    per study keyed by StudyInstanceUID."""
    out = BatchResult()
    good: list[Upload] = []
    for u in uploads:  # header check per file, so one damaged file rejects only itself
        try:
            imaging.read_dataset(u.primary, stop_before_pixels=True)
            good.append(u)
        except Exception as exc:  # noqa: BLE001
            out.outcomes.append(_reject(u, exc))
    if not good:
        return out
    by_label = {str(u.primary): u for u in good}
    try:
        studies = imaging.group_studies([str(u.primary) for u in good])
    except Exception as exc:  # noqa: BLE001
        out.outcomes.extend(_reject(u, exc) for u in good)
        return out
    chooser = imaging.AutoChooser.from_settings(settings.imaging)
    for study in studies:
        out.extend(_process_study(study, by_label, chooser, settings=settings, store=store))
    accounted = {o.key for o in out.outcomes}
    for u in good:  # e.g. a second file carrying an already seen SOP Instance UID, which grouping skips
        if u.key not in accounted:
            reason = f"{u.display}: not part of any study after grouping (duplicate SOP Instance UID of another upload?)"
            out.outcomes.append(InputOutcome(u.key, u.kind, u.display, "rejected", reason, None, str(u.primary)))
    return out


def _process_study(study: Any, by_label: dict[str, Upload], chooser: Any, *, settings: Settings, store: ArtifactStore) -> BatchResult:
    out = BatchResult()
    artifacts: list[dict[str, str]] = []
    members: list[Upload] = []
    for series in study.series:
        for inst in series.instances:
            upload = by_label[inst.label]
            tmp = store.tmp_path(".dcm")
            try:
                imaging.compress_file(upload.primary, tmp, settings=settings.imaging, chooser=chooser)
                artifacts.append(store.put_file(tmp, suffix=".dcm", kind="dicom", move=True).to_dict())
                members.append(upload)
            except Exception as exc:  # noqa: BLE001
                tmp.unlink(missing_ok=True)
                out.outcomes.append(_reject(upload, exc))
    if not members:
        return out
    if len(members) < study.n_instances:  # assess what was kept, not the files just rejected
        study = next(st for st in imaging.group_studies([str(u.primary) for u in members]) if st.study_instance_uid == study.study_instance_uid)
    preview_dir = Path(tempfile.mkdtemp(dir=store.root / "tmp"))
    try:
        for series in study.series:
            try:
                for png in imaging.make_previews(series, preview_dir):
                    kind = "thumbnail" if png.stem.endswith("_thumb") else "preview"
                    artifacts.append(store.put_file(png, suffix=".png", kind=kind).to_dict())
            except Exception as exc:  # noqa: BLE001 - a preview is a convenience, not a reason to reject
                log.warning("no preview for series %s: %s", series.series_instance_uid, exc)
        result = imaging.assess_study(study, settings=settings.imaging)
    except Exception as exc:  # noqa: BLE001
        out.outcomes.extend(_reject(u, exc) for u in members)
        return out
    finally:
        shutil.rmtree(preview_dir, ignore_errors=True)
    uid = study.study_instance_uid
    art = store.put_json({"study_uid": uid, "inputs": [u.display for u in members], "result": result.to_dict()}, kind="assessment")
    artifacts.insert(0, art.to_dict())
    natural_key = f"imaging:{uid}"
    clinic = next((u.clinic for u in members if u.clinic), None) or study.institution_name
    entry = entry_from_result(
        result,
        natural_key=natural_key,
        specialty=Specialty.RADIOLOGY,
        patient=study.patient_id,
        clinic=clinic,
        artifacts=artifacts,
        source_keys=[u.key for u in members],
    )
    out.entries.append(entry)
    out.outcomes.extend(InputOutcome(u.key, u.kind, u.display, "ok", None, natural_key) for u in members)
    return out


# ---------------------------------------------------------------------------------------------- lab
class BatchHistory:
    """Lab history for one batch: the database's results plus those of reports assessed earlier in
    this batch (``lab.InMemoryHistory``), merged by ``lab.ChainedHistory``.

    Parameters
    ----------
    base
        A ``lab.HistorySource`` over earlier runs (:class:`worklist.DbLabHistory`), or ``None``.
    """

    def __init__(self, base: Any | None) -> None:
        self.memory = lab.InMemoryHistory()
        self._chain = lab.ChainedHistory(*(s for s in (base, self.memory) if s is not None))

    def add(self, report: Any) -> None:
        """Make ``report``'s results visible to the reports assessed after it."""
        self.memory.add(report)

    def previous_results(self, patient_key: str, loinc: str, *, before: datetime) -> Sequence[Any]:
        """``lab.HistorySource``."""
        return self._chain.previous_results(patient_key, loinc, before=before)


def _historic(report: Any, source_key: str) -> list[HistoricResult]:
    return [
        HistoricResult(report.patient.key, p.loinc, p.value_si, p.unit, p.time, p.institution, p.report_key, f"{source_key}:{i}")
        for i, p in enumerate(lab.prior_results_of(report))
    ]


def process_lab(upload: Upload, *, settings: Settings, store: ArtifactStore, history: Any) -> BatchResult:
    """Read one lab file (one or more reports), assess each against the history; one entry per report."""
    out = BatchResult()
    layered = history if isinstance(history, BatchHistory) else BatchHistory(history)
    try:
        reports = lab.read(upload.primary)
        if not reports:
            raise lab.LabFormatError(upload.display, "no lab report in the file")
        entries: list[ItemEntry] = []
        results: list[HistoricResult] = []
        for n, report in enumerate(reports):
            assessment = lab.assess(report, history=layered, settings=settings.lab)
            art = store.put_json({"input": upload.display, "report": report.to_dict(), "assessment": assessment.to_dict()}, kind="assessment")
            layered.add(report)
            results.extend(_historic(report, f"{upload.key}:{n}"))
            entries.append(
                entry_from_result(
                    assessment,
                    natural_key=f"lab:{report.key}",
                    specialty=Specialty.LABORATORY,
                    patient=report.patient.key,
                    clinic=upload.clinic or report.institution or None,
                    artifacts=[art.to_dict()],
                    source_keys=[upload.key],
                )
            )
    except Exception as exc:  # noqa: BLE001
        out.outcomes.append(_reject(upload, exc))
        return out
    out.entries.extend(entries)
    out.lab_results.extend(results)
    keys = ",".join(e.natural_key for e in entries)
    out.outcomes.append(InputOutcome(upload.key, upload.kind, upload.display, "ok", None, keys))
    return out
