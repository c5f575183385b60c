"""The processed-input ledger: which uploads (by SHA-256) the pipeline has already handled.

The pipeline writes ledger rows in the same transaction as the items they produced, so a run
killed between batches leaves no input marked done without its item (and vice versa).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ProcessedInputRow

__all__ = ["InputRecord", "record_inputs", "lookup_inputs"]

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One ledger row."""

    key: str
    kind: str
    path: str
    status: str  # "ok" | "rejected"
    reason: str | None = None
    item_key: str | None = None


def record_inputs(session: Session, records: Iterable[InputRecord], *, now: datetime) -> None:
    """Insert or update ledger rows inside ``session``."""
    records = list(records)
    keys = list(dict.fromkeys(r.key for r in records))
    rows: dict[str, ProcessedInputRow] = {}
    for i in range(0, len(keys), _CHUNK):
        rows.update((r.key, r) for r in session.scalars(select(ProcessedInputRow).where(ProcessedInputRow.key.in_(keys[i : i + _CHUNK]))))
    for rec in records:
        row = rows.get(rec.key)
        if row is None:
            row = ProcessedInputRow(key=rec.key)
            session.add(row)
            rows[rec.key] = row
        row.kind = rec.kind
        row.path = rec.path
        row.status = rec.status
        row.reason = rec.reason
        row.item_key = rec.item_key
        row.processed_at = now


def lookup_inputs(session: Session, keys: Iterable[str]) -> Mapping[str, InputRecord]:
    """Ledger rows for those of ``keys`` already processed."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, InputRecord] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        for row in session.scalars(select(ProcessedInputRow).where(ProcessedInputRow.key.in_(chunk))):
            found[row.key] = InputRecord(row.key, row.kind, row.path, row.status, row.reason, row.item_key)
    return found
