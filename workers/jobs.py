"""Ray tasks: thin, batched adapters over :mod:`workers.process` (which calls the pure domain functions).

Tasks take everything explicitly (uploads, :class:`~workers.settings.Settings`, the store, the DB URL
for lab history); nothing is read from globals. Each returns a :class:`~workers.process.BatchResult`
that the driver commits in one transaction, so a task that dies leaves nothing half-written in the
database (artifacts it wrote are content-addressed, so a retry writes the same files again or skips).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

import ray
from sqlalchemy import Engine

from worklist import DbLabHistory, open_engine

from .discover import Upload
from .process import BatchResult, BatchHistory, process_ecg, process_imaging, process_lab
from .settings import Settings
from .store import ArtifactStore

__all__ = ["ecg_batch", "imaging_batch", "lab_batch", "run_ecg_batch", "run_imaging_batch", "run_lab_batch"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _engine(db_url: str) -> Engine:
    # one pooled read-only engine per worker process and database (the driver created the schema)
    return open_engine(db_url, create=False, read_only=True)


def run_ecg_batch(uploads: Sequence[Upload], settings: Settings, store: ArtifactStore) -> BatchResult:
    """Screen a batch of ECG records (plain function: what the Ray task runs)."""
    out = BatchResult()
    for upload in uploads:
        out.extend(process_ecg(upload, settings=settings, store=store))
    return out


def run_imaging_batch(uploads: Sequence[Upload], settings: Settings, store: ArtifactStore) -> BatchResult:
    """Compress, preview and assess the DICOM files of one or more whole studies."""
    return process_imaging(uploads, settings=settings, store=store)


def run_lab_batch(uploads: Sequence[Upload], settings: Settings, store: ArtifactStore, db_url: str | None) -> BatchResult:
    """Assess a batch of lab files against the result history in the worklist database."""
    history = BatchHistory(DbLabHistory(_engine(db_url)) if db_url else None)
    out = BatchResult()
    for upload in uploads:
        out.extend(process_lab(upload, settings=settings, store=store, history=history))
    return out


ecg_batch = ray.remote(run_ecg_batch)
imaging_batch = ray.remote(run_imaging_batch)
lab_batch = ray.remote(run_lab_batch)
