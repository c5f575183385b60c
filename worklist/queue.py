"""The worklist: upsert by natural key, queue order with escalation, atomic claims, state changes.

Claims are atomic on SQLite and PostgreSQL alike: one conditional ``UPDATE ... WHERE id = :id AND
(state = 'scheduled' OR (state = 'in_progress' AND claim_expires_at < :now))`` whose row count tells
the winner. PostgreSQL re-checks the ``WHERE`` after waiting on the row lock (READ COMMITTED), SQLite
serialises writers (``BEGIN IMMEDIATE``); either way exactly one of two concurrent claimers wins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import open_engine, session_factory
from .errors import ClaimError, IllegalTransitionError, ItemNotFoundError, WorklistError
from .items import ItemEntry, WorklistItem
from .models import ItemRow, utcnow
from .priority import PRIORITY_RANK, Specialty
from .settings import WorklistSettings
from .states import TRANSITIONS, ItemState

__all__ = ["Worklist", "upsert_item"]

log = logging.getLogger(__name__)

_OPEN = (ItemState.SCHEDULED.value, ItemState.IN_PROGRESS.value)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise WorklistError(f"now: expected an aware datetime, got naive {now!r}")
    return now


def upsert_item(session: Session, entry: ItemEntry, *, settings: WorklistSettings, now: datetime) -> tuple[ItemRow, bool]:
    """Insert or update the item of ``entry.natural_key`` inside ``session``; returns (row, created).

    Re-processing updates the clinical fields (priority, reasons, findings, links) and keeps the
    state, the claim and ``received_at``; ``due_at`` follows the (possibly new) priority. Artifact
    links and source keys are merged (an imaging study can arrive over several uploads).
    """
    row = session.scalars(select(ItemRow).where(ItemRow.natural_key == entry.natural_key)).one_or_none()
    created = row is None
    if row is None:
        row = ItemRow(
            natural_key=entry.natural_key,
            received_at=now,
            state=ItemState.SCHEDULED.value,
            artifacts=[],
            source_keys=[],
        )
        session.add(row)
    row.specialty = Specialty(entry.specialty).value
    row.priority = entry.priority
    row.reasons = list(entry.reasons)
    row.findings = [dict(f) for f in entry.findings]
    row.result = dict(entry.result)
    row.patient = entry.patient if entry.patient is not None else row.patient
    row.clinic = entry.clinic if entry.clinic is not None else row.clinic
    row.due_at = row.received_at + settings.turnaround(entry.priority)
    row.updated_at = now
    artifacts = list(row.artifacts or [])
    for art in entry.artifacts:
        if dict(art) not in artifacts:
            artifacts.append(dict(art))
    row.artifacts = artifacts
    row.source_keys = sorted(set(row.source_keys or []) | set(entry.source_keys))
    return row, created


class Worklist:
    """The triaged worklist in a database.

    Parameters
    ----------
    engine
        From :func:`worklist.open_engine` (schema present).
    settings
        Turnaround targets, claim expiry, escalation.
    """

    def __init__(self, engine: Engine, *, settings: WorklistSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or WorklistSettings()
        self._sessions = session_factory(engine)

    @classmethod
    def open(cls, url: str, *, settings: WorklistSettings | None = None) -> Worklist:
        """Open (and create if needed) the worklist at ``url``."""
        return cls(open_engine(url), settings=settings)

    def session(self) -> Session:
        """A new ORM session on this worklist's database."""
        return self._sessions()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ writing items
    def upsert(self, entries: Iterable[ItemEntry], *, now: datetime | None = None) -> list[tuple[int, bool]]:
        """Upsert ``entries`` in one transaction; returns ``(id, created)`` per entry."""
        now = _now(now)
        entries = list(entries)
        for attempt in range(2):
            try:
                with self._sessions.begin() as s:
                    out = []
                    for entry in entries:
                        row, created = upsert_item(s, entry, settings=self.settings, now=now)
                        s.flush()
                        out.append((row.id, created))
                    return out
            except IntegrityError:
                # another writer inserted the same natural key between our SELECT and INSERT: retry as update
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reading
    def _snapshot(self, row: ItemRow, now: datetime) -> WorklistItem:
        return WorklistItem.from_row(row, now=now, escalate_overdue=self.settings.escalate_overdue)

    def get(self, item_id: int, *, now: datetime | None = None) -> WorklistItem:
        """The item ``item_id``; :class:`ItemNotFoundError` when absent."""
        now = _now(now)
        with self._sessions() as s:
            row = s.get(ItemRow, int(item_id))
            if row is None:
                raise ItemNotFoundError(f"item {item_id}: no such worklist item")
            return self._snapshot(row, now)

    def find(self, natural_key: str, *, now: datetime | None = None) -> WorklistItem | None:
        """The item with ``natural_key``, or ``None``."""
        now = _now(now)
        with self._sessions() as s:
            row = s.scalars(select(ItemRow).where(ItemRow.natural_key == natural_key)).one_or_none()
            return None if row is None else self._snapshot(row, now)

    def count(self, *, specialty: str | None = None) -> int:
        """Number of items (any state)."""
        with self._sessions() as s:
            q = select(func.count(ItemRow.id))
            if specialty:
                q = q.where(ItemRow.specialty == Specialty(specialty).value)
            return int(s.scalar(q) or 0)

    def queue(
        self,
        *,
        specialty: str | Sequence[str] | None = None,
        states: Sequence[str] = _OPEN,
        now: datetime | None = None,
        limit: int | None = None,
    ) -> list[WorklistItem]:
        """Items in queue order: effective priority (escalated when overdue), then due time, then id."""
        now = _now(now)
        rank = case({p: r for p, r in PRIORITY_RANK.items()}, value=ItemRow.priority, else_=len(PRIORITY_RANK))
        if self.settings.escalate_overdue:
            effective = case((and_(ItemRow.due_at < now, rank > 0), rank - 1), else_=rank)
        else:
            effective = rank
        q = select(ItemRow).where(ItemRow.state.in_([ItemState(st).value for st in states]))
        if specialty:
            names = [specialty] if isinstance(specialty, str) else list(specialty)
            q = q.where(ItemRow.specialty.in_([Specialty(n).value for n in names]))
        q = q.order_by(effective, ItemRow.due_at, ItemRow.id)
        if limit is not None:
            q = q.limit(int(limit))
        with self._sessions() as s:
            return [self._snapshot(row, now) for row in s.scalars(q)]

    # ------------------------------------------------------------------ claims and states
    def try_claim(self, item_id: int, reader: str, *, now: datetime | None = None) -> bool:
        """Claim ``item_id`` for ``reader`` atomically; ``True`` for exactly one of concurrent claimers.

        An item is claimable when scheduled, or in progress with an expired claim.
        """
        if not reader:
            raise ClaimError("reader: expected a non-empty reader name")
        now = _now(now)
        stmt = (
            update(ItemRow)
            .where(
                ItemRow.id == int(item_id),
                or_(
                    ItemRow.state == ItemState.SCHEDULED.value,
                    and_(ItemRow.state == ItemState.IN_PROGRESS.value, ItemRow.claim_expires_at < now),
                ),
            )
            .values(
                state=ItemState.IN_PROGRESS.value,
                claimed_by=reader,
                claimed_at=now,
                claim_expires_at=now + self.settings.claim_expiry,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        with self.engine.begin() as conn:
            won = conn.execute(stmt).rowcount == 1
        log.debug("claim of item %s by %s: %s", item_id, reader, "won" if won else "lost")
        return won

    def claim(self, item_id: int, reader: str, *, now: datetime | None = None) -> WorklistItem:
        """Claim ``item_id``; raises :class:`ClaimError` (held by another reader) or
        :class:`IllegalTransitionError` (completed / canceled)."""
        now = _now(now)
        if self.try_claim(item_id, reader, now=now):
            return self.get(item_id, now=now)
        item = self.get(item_id, now=now)
        if item.state == ItemState.IN_PROGRESS.value:
            raise ClaimError(f"item {item_id}: claimed by {item.claimed_by!r} until {item.claim_expires_at:%Y-%m-%d %H:%M} UTC")
        raise IllegalTransitionError(item_id, item.state, ItemState.IN_PROGRESS.value)

    def claim_next(self, reader: str, *, specialty: str | None = None, now: datetime | None = None) -> WorklistItem | None:
        """Claim the first claimable item in queue order; ``None`` when the queue is empty."""
        now = _now(now)
        for item in self.queue(specialty=specialty, now=now, limit=50):
            claimable = item.state == ItemState.SCHEDULED.value or (
                item.claim_expires_at is not None and item.claim_expires_at < now
            )
            if claimable and self.try_claim(item.id, reader, now=now):
                return self.get(item.id, now=now)
        return None

    def _transition(
        self,
        item_id: int,
        target: ItemState,
        *,
        reader: str | None,
        now: datetime,
        values: dict[str, Any],
    ) -> WorklistItem:
        sources = [st.value for st, targets in TRANSITIONS.items() if target in targets]
        conds = [ItemRow.id == int(item_id), ItemRow.state.in_(sources)]
        if reader is not None:
            conds.append(or_(ItemRow.state != ItemState.IN_PROGRESS.value, ItemRow.claimed_by == reader))
        stmt = (
            update(ItemRow)
            .where(*conds)
            .values(state=target.value, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        with self.engine.begin() as conn:
            changed = conn.execute(stmt).rowcount == 1
        item = self.get(item_id, now=now)
        if changed:
            log.info("item %s → %s", item_id, target.value)
            return item
        if item.state in sources and reader is not None:
            raise ClaimError(f"item {item_id}: claimed by {item.claimed_by!r}, not by {reader!r}")
        raise IllegalTransitionError(item_id, item.state, target.value)

    def release(self, item_id: int, *, reader: str | None = None, now: datetime | None = None) -> WorklistItem:
        """Give a claimed item back to the queue (``in_progress`` → ``scheduled``)."""
        now = _now(now)
        item = self.get(item_id, now=now)
        if item.state != ItemState.IN_PROGRESS.value:
            raise IllegalTransitionError(item_id, item.state, ItemState.SCHEDULED.value, "only a claimed item can be released")
        return self._transition(
            item_id,
            ItemState.SCHEDULED,
            reader=reader,
            now=now,
            values={"claimed_by": None, "claimed_at": None, "claim_expires_at": None},
        )

    def complete(self, item_id: int, *, report: str, reader: str | None = None, now: datetime | None = None) -> WorklistItem:
        """Finish a claimed item with the reader's ``report`` (``in_progress`` → ``completed``)."""
        if not report or not report.strip():
            raise WorklistError("report: expected the reader's report text, got an empty string")
        now = _now(now)
        item = self.get(item_id, now=now)
        if item.state != ItemState.IN_PROGRESS.value:
            raise IllegalTransitionError(item_id, item.state, ItemState.COMPLETED.value, "claim it first")
        return self._transition(
            item_id, ItemState.COMPLETED, reader=reader, now=now, values={"report": report, "finished_at": now, "claim_expires_at": None}
        )

    def cancel(self, item_id: int, *, reason: str = "", reader: str | None = None, now: datetime | None = None) -> WorklistItem:
        """Cancel a scheduled or claimed item (final)."""
        now = _now(now)
        return self._transition(
            item_id,
            ItemState.CANCELED,
            reader=reader,
            now=now,
            values={"report": reason or None, "finished_at": now, "claim_expires_at": None},
        )
