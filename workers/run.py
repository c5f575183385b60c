"""The main job: discover uploads, screen them on Ray in bounded batches, store artifacts, fill the worklist.

Guarantees
----------
* Idempotent: every upload is keyed by the SHA-256 of its bytes and written to the processed-input
  ledger in the same transaction as its worklist item(s). A re-run skips what the ledger holds, so
  running the same inbox twice adds nothing, and a run killed half-way, run again, finishes the rest
  with nothing lost or duplicated (items are upserted by natural key in any case).
* Worker failures: a task whose worker dies is retried by Ray (``max_retries``); when its retries run
  out the driver resubmits the batch (``resubmits`` times), then splits it into single inputs; an input
  that still kills its worker is set aside as ``failed`` instead of stopping the run.
* Rejected vs failed: a domain error (bad input) rejects an input for good; an unexpected exception or
  a crash is our failure, not the input's: listed with the rejected ones, but processed again next run.
* Back-pressure: at most ``max_in_flight_per_cpu`` × CPUs tasks are submitted at a time (``ray.wait``).
* Originals are never altered or deleted; rejected inputs are copied to ``<store>/rejected/``.

Exit status of ``teletriage run``: 0 every input processed, 1 some inputs rejected (the rest
processed), 2 the run failed (settings, database or cluster error; nothing is half-committed).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayError
from sqlalchemy.exc import IntegrityError

from worklist import InputRecord, Worklist, lookup_inputs, record_inputs, record_lab_results, sqlite_url, upsert_item
from worklist.models import utcnow

from .discover import Discovery, Kind, Rejection, Upload, discover
from .jobs import ecg_batch, imaging_batch, lab_batch
from .process import BatchResult, InputOutcome
from .settings import Settings
from .store import ArtifactStore

__all__ = ["RunSummary", "run_pipeline", "ensure_ray", "plan_batches", "EXIT_OK", "EXIT_REJECTED", "EXIT_FAILED"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2


@dataclass(slots=True)
class RunSummary:
    """What a run did (``to_dict()`` is the ``--json`` output)."""

    processed: int = 0
    skipped: int = 0
    items_created: int = 0
    items_updated: int = 0
    items_total: int = 0
    by_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    inputs_by_kind: Counter[str] = field(default_factory=Counter)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    resubmitted: int = 0
    tasks: int = 0
    elapsed_s: float = 0.0
    discover_s: float = 0.0
    commit_s: float = 0.0
    store: str = ""
    db: str = ""
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 all ok, 1 some inputs rejected, 2 the run failed."""
        if self.error:
            return EXIT_FAILED
        return EXIT_REJECTED if self.rejected else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "processed": self.processed,
            "skipped": self.skipped,
            "inputs_by_kind": dict(self.inputs_by_kind),
            "items": {
                "created": self.items_created,
                "updated": self.items_updated,
                "total_in_worklist": self.items_total,
                "by_kind": {k: dict(v) for k, v in sorted(self.by_kind.items())},
            },
            "rejected": list(self.rejected),
            "tasks": self.tasks,
            "resubmitted": self.resubmitted,
            "elapsed_s": round(self.elapsed_s, 3),
            "driver_s": {"discover": round(self.discover_s, 3), "commit": round(self.commit_s, 3)},
            "store": self.store,
            "db": self.db,
            "error": self.error,
            "exit_code": self.exit_code,
        }


@dataclass(slots=True)
class _Unit:
    kind: Kind
    uploads: list[Upload]
    attempt: int = 0


def ensure_ray(address: str | None = None, *, num_cpus: int | None = None, object_store_mb: int = 256) -> bool:
    """Start Ray locally in-process (or join ``address``) unless already initialised; True if started here."""
    if ray.is_initialized():
        return False
    common: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": True}
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(
            num_cpus=num_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            object_store_memory=object_store_mb << 20,
            **common,
        )
    return True


def _study_uid(upload: Upload) -> str | None:
    import imaging

    try:
        ds = imaging.read_dataset(upload.primary, stop_before_pixels=True)
    except imaging.ImagingError:
        return None  # the task rejects it with the reader's message
    return str(getattr(ds, "StudyInstanceUID", "") or "") or None


def plan_batches(uploads: Sequence[Upload], settings: Settings) -> list[_Unit]:
    """Batch uploads into task units: ECGs and lab files in fixed-size batches; DICOM files by study,
    whole studies packed up to ``imaging_batch`` files (a larger study is one unit of its own)."""
    p = settings.pipeline
    units: list[_Unit] = []
    for kind, size in ((Kind.ECG, p.ecg_batch), (Kind.LAB, p.lab_batch)):
        items = [u for u in uploads if u.kind is kind]
        units += [_Unit(kind, items[i : i + size]) for i in range(0, len(items), size)]
    studies: dict[str, list[Upload]] = defaultdict(list)
    for u in (u for u in uploads if u.kind is Kind.IMAGING):
        studies[_study_uid(u) or f"unreadable:{u.key}"].append(u)
    current: list[Upload] = []
    for files in studies.values():
        if current and len(current) + len(files) > p.imaging_batch:
            units.append(_Unit(Kind.IMAGING, current))
            current = []
        current += files
    if current:
        units.append(_Unit(Kind.IMAGING, current))
    # interleave kinds so every reading room starts filling early
    by_kind: dict[Kind, deque[_Unit]] = defaultdict(deque)
    for u in units:
        by_kind[u.kind].append(u)
    out: list[_Unit] = []
    while any(by_kind.values()):
        for kind in (Kind.ECG, Kind.LAB, Kind.IMAGING):
            if by_kind[kind]:
                out.append(by_kind[kind].popleft())
    return out


def _split(unit: _Unit) -> list[_Unit]:
    """One input per unit (ECG, lab), one study per unit (imaging: a study is never split)."""
    if unit.kind is not Kind.IMAGING:
        return [_Unit(unit.kind, [u], unit.attempt) for u in unit.uploads]
    studies: dict[str, list[Upload]] = defaultdict(list)
    for u in unit.uploads:
        studies[_study_uid(u) or f"unreadable:{u.key}"].append(u)
    return [_Unit(unit.kind, files, unit.attempt) for files in studies.values()]


class _Driver:
    """Submits units with a bounded window, handles failures, commits results."""

    def __init__(self, wl: Worklist, store: ArtifactStore, settings: Settings, db_url: str, summary: RunSummary,
                 tick: Callable[[int], None]) -> None:
        self.wl, self.store, self.settings, self.db_url = wl, store, settings, db_url
        self.summary, self.tick = summary, tick
        self.settings_ref = ray.put(settings)
        self.store_ref = ray.put(store)

    def submit(self, unit: _Unit) -> ray.ObjectRef:
        opts = {"max_retries": self.settings.pipeline.task_retries, "retry_exceptions": False}
        self.summary.tasks += 1
        if unit.kind is Kind.ECG:
            return ecg_batch.options(**opts).remote(unit.uploads, self.settings_ref, self.store_ref)
        if unit.kind is Kind.IMAGING:
            return imaging_batch.options(**opts).remote(unit.uploads, self.settings_ref, self.store_ref)
        return lab_batch.options(**opts).remote(unit.uploads, self.settings_ref, self.store_ref, self.db_url)

    def run(self, units: Iterable[_Unit]) -> None:
        pending = deque(units)
        cpus = max(int(ray.cluster_resources().get("CPU", 1)), 1)
        window = cpus * self.settings.pipeline.max_in_flight_per_cpu
        in_flight: dict[ray.ObjectRef, _Unit] = {}
        while pending or in_flight:
            while pending and len(in_flight) < window:
                unit = pending.popleft()
                in_flight[self.submit(unit)] = unit
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                unit = in_flight.pop(ref)
                try:
                    result: BatchResult = ray.get(ref)
                except RayError as exc:
                    pending.extendleft(reversed(self._after_failure(unit, exc)))
                    continue
                self.commit(result)
                self.tick(len(unit.uploads))

    def _after_failure(self, unit: _Unit, exc: RayError) -> list[_Unit]:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if unit.attempt < self.settings.pipeline.resubmits:
            log.warning("batch of %d %s inputs failed (%s); resubmitting", len(unit.uploads), unit.kind.value, reason)
            self.summary.resubmitted += 1
            return [_Unit(unit.kind, unit.uploads, unit.attempt + 1)]
        parts = _split(unit)
        if len(parts) > 1:
            log.warning("batch of %d %s inputs failed again; retrying in %d smaller tasks", len(unit.uploads), unit.kind.value, len(parts))
            self.summary.resubmitted += len(parts)
            return parts
        outcome = BatchResult(
            outcomes=[
                InputOutcome(u.key, u.kind, u.display, "failed", f"{u.display}: processing crashed its worker repeatedly ({reason}); will be retried by the next run", None, str(u.primary))
                for u in unit.uploads
            ]
        )
        self.commit(outcome)
        self.tick(len(unit.uploads))
        return []

    def commit(self, result: BatchResult) -> None:
        t0 = time.perf_counter()
        self._commit(result)
        self.summary.commit_s += time.perf_counter() - t0

    def _commit(self, result: BatchResult) -> None:
        now = utcnow()
        for o in result.outcomes:  # keep a copy of rejected inputs before the ledger says so
            if o.status != "ok" and o.file:
                self.store.reject(o.file, key=o.key, reason=o.reason or "rejected", display=o.display)
        for attempt in range(3):
            created = 0
            try:
                with self.wl.session() as s, s.begin():
                    for entry in result.entries:
                        created += upsert_item(s, entry, settings=self.wl.settings, now=now)[1]
                    record_lab_results(s, result.lab_results)
                    record_inputs(
                        s,
                        (InputRecord(o.key, o.kind.value, o.display, o.status, o.reason, o.item_key) for o in result.outcomes),
                        now=now,
                    )
                break
            except IntegrityError:
                # another run committed the same natural key or input meanwhile: the retry updates instead
                if attempt == 2:
                    raise
                log.info("concurrent writer inserted the same keys; retrying the commit")
        self.summary.items_created += created
        self.summary.items_updated += len(result.entries) - created
        for entry in result.entries:
            self.summary.by_kind[entry.specialty.value][entry.priority] += 1
        for o in result.outcomes:
            if o.status == "ok":
                self.summary.processed += 1
                self.summary.inputs_by_kind[o.kind.value] += 1
            else:
                self.summary.rejected.append({"path": o.display, "reason": o.reason, "status": o.status})


def _record_rejections(rejections: Sequence[Rejection], wl: Worklist, store: ArtifactStore, summary: RunSummary) -> None:
    now = utcnow()
    for r in rejections:
        if r.file is not None and r.key:
            store.reject(r.file, key=r.key, reason=r.reason, display=r.path)
        summary.rejected.append({"path": r.path, "reason": r.reason, "status": "rejected"})
    keyed = [r for r in rejections if r.key]
    if keyed:
        with wl.session() as s, s.begin():
            record_inputs(s, (InputRecord(r.key, "unknown", r.path, "rejected", r.reason) for r in keyed), now=now)  # type: ignore[arg-type]


def run_pipeline(
    inputs: Sequence[str | Path],
    *,
    store_dir: str | Path,
    settings: Settings | None = None,
    db_url: str | None = None,
    ray_address: str | None = None,
    num_cpus: int | None = None,
    progress: bool | None = None,
) -> RunSummary:
    """Run the main job over ``inputs`` (files, folders, zip archives).

    Parameters
    ----------
    inputs
        Inbox paths; ``INBOX/<clinic>/...`` gives the clinic.
    store_dir
        Artifact store folder.
    settings
        Run settings (defaults when ``None``).
    db_url
        Worklist database; default ``sqlite:///<store_dir>/worklist.db``.
    ray_address
        Join this Ray cluster; default: start Ray locally in-process (reusing one already initialised).
    num_cpus
        CPUs for a local Ray (default: all).
    progress
        Show a tqdm progress bar (default: when stderr is a terminal).
    """
    t0 = time.perf_counter()
    settings = settings or Settings.defaults()
    store = ArtifactStore(store_dir)
    db_url = db_url or sqlite_url(store.root / "worklist.db")
    summary = RunSummary(store=str(store.root), db=db_url)
    wl = Worklist.open(db_url, settings=settings.worklist)
    started_ray = False
    bar = None
    try:
        found: Discovery = discover(inputs, store=store)
        summary.discover_s = time.perf_counter() - t0
        # idempotency: skip what the ledger holds; within this run, the first copy of a duplicate wins
        with wl.session() as s:
            known = lookup_inputs(s, [u.key for u in found.uploads] + [r.key for r in found.rejected if r.key])
        todo: list[Upload] = []
        seen: set[str] = set()
        for u in found.uploads:
            rec = known.get(u.key)
            if u.key in seen:
                summary.skipped += 1
            elif rec is not None and rec.status != "failed":  # "failed" (our fault, not the input's): try again
                summary.skipped += 1
                if rec.status == "rejected":
                    summary.rejected.append({"path": u.display, "reason": f"{rec.reason} (rejected in an earlier run)", "status": "rejected"})
            else:
                todo.append(u)
            seen.add(u.key)
        fresh_rejections = []
        for r in found.rejected:
            if r.key and r.key in known:
                summary.skipped += 1
                summary.rejected.append({"path": r.path, "reason": f"{r.reason} (rejected in an earlier run)", "status": "rejected"})
            else:
                fresh_rejections.append(r)
        _record_rejections(fresh_rejections, wl, store, summary)
        log.info("%d uploads to process, %d already processed", len(todo), summary.skipped)
        if todo:
            started_ray = ensure_ray(ray_address, num_cpus=num_cpus)
            units = plan_batches(todo, settings)
            show = sys.stderr.isatty() if progress is None else progress
            if show:
                from tqdm import tqdm

                bar = tqdm(total=len(todo), unit="input", desc="teletriage run", file=sys.stderr)
            tick = bar.update if bar is not None else (lambda n: None)
            _Driver(wl, store, settings, db_url, summary, tick).run(units)
        summary.items_total = wl.count()
    except Exception as exc:  # noqa: BLE001 - reported as exit status 2 with the reason
        log.exception("run failed")
        summary.error = f"{type(exc).__name__}: {exc}"
    finally:
        if bar is not None:
            bar.close()
        if started_ray:
            ray.shutdown()
        wl.dispose()
        summary.elapsed_s = time.perf_counter() - t0
    return summary
