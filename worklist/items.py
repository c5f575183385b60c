"""Worklist items as handed to callers, and the entries the pipeline writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .models import ItemRow
from .priority import PRIORITY_RANK, Priority, Specialty, TriageResult, check_priority, escalate

__all__ = ["WorklistItem", "ItemEntry", "entry_from_result"]


@dataclass(frozen=True, slots=True)
class ItemEntry:
    """What the pipeline knows about one item: the natural key, the triage result and where it came from.

    Attributes
    ----------
    natural_key
        ``"ecg:<record sha256>"``, ``"imaging:<StudyInstanceUID>"`` or ``"lab:<issuer>|<patient>|<order>"``.
    specialty
        Reading room.
    priority, reasons, findings
        From the domain result.
    result
        The domain result's ``to_dict()``.
    patient, clinic
        As identified by the pipeline (``None`` when unknown).
    artifacts
        Links into the artifact store: ``{"kind": "preview", "path": "ab/abcd....png"}``.
    source_keys
        SHA-256 keys of the uploads the item was made from.
    """

    natural_key: str
    specialty: Specialty
    priority: Priority
    reasons: tuple[str, ...] = ()
    findings: tuple[Mapping[str, Any], ...] = ()
    result: Mapping[str, Any] = field(default_factory=dict)
    patient: str | None = None
    clinic: str | None = None
    artifacts: tuple[Mapping[str, str], ...] = ()
    source_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_priority(self.priority)
        object.__setattr__(self, "specialty", Specialty(self.specialty))
        if not self.natural_key:
            raise ValueError("natural_key: expected a non-empty string")


def _finding_dict(finding: Any) -> dict[str, Any]:
    if isinstance(finding, Mapping):
        return dict(finding)
    to_dict = getattr(finding, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    import dataclasses

    if dataclasses.is_dataclass(finding):
        return dataclasses.asdict(finding)
    return {"code": str(getattr(finding, "code", finding))}


def entry_from_result(
    result: TriageResult | Mapping[str, Any],
    *,
    natural_key: str,
    specialty: Specialty | str,
    patient: str | None = None,
    clinic: str | None = None,
    artifacts: Sequence[Mapping[str, str]] = (),
    source_keys: Sequence[str] = (),
) -> ItemEntry:
    """Build an :class:`ItemEntry` from a domain result (or its ``to_dict()`` as JSON)."""
    as_dict = dict(result) if isinstance(result, Mapping) else dict(result.to_dict())
    if isinstance(result, Mapping):
        priority = result["priority"]
        reasons = tuple(result.get("reasons", ()))
        findings = tuple(_finding_dict(f) for f in result.get("findings", ()))
    else:
        priority = result.priority
        reasons = tuple(result.reasons)
        findings = tuple(_finding_dict(f) for f in result.findings)
    return ItemEntry(
        natural_key=natural_key,
        specialty=Specialty(specialty),
        priority=check_priority(priority),
        reasons=tuple(str(r) for r in reasons),
        findings=findings,
        result=as_dict,
        patient=patient,
        clinic=clinic,
        artifacts=tuple(dict(a) for a in artifacts),
        source_keys=tuple(source_keys),
    )


@dataclass(frozen=True, slots=True)
class WorklistItem:
    """A worklist item as read from the database.

    ``effective_priority`` is the rank the queue uses: the priority, one level more urgent when the
    item is overdue and escalation is on.
    """

    id: int
    natural_key: str
    specialty: str
    priority: Priority
    effective_priority: Priority
    reasons: tuple[str, ...]
    findings: tuple[dict[str, Any], ...]
    patient: str | None
    clinic: str | None
    received_at: datetime
    due_at: datetime
    updated_at: datetime
    state: str
    claimed_by: str | None
    claim_expires_at: datetime | None
    finished_at: datetime | None
    report: str | None
    artifacts: tuple[dict[str, str], ...]
    source_keys: tuple[str, ...]
    overdue: bool

    @classmethod
    def from_row(cls, row: ItemRow, *, now: datetime, escalate_overdue: bool) -> WorklistItem:
        """Snapshot of ``row`` at time ``now``."""
        overdue = row.state in ("scheduled", "in_progress") and row.due_at < now
        effective = escalate(row.priority) if (overdue and escalate_overdue) else row.priority
        return cls(
            id=row.id,
            natural_key=row.natural_key,
            specialty=row.specialty,
            priority=check_priority(row.priority),
            effective_priority=effective,
            reasons=tuple(row.reasons or ()),
            findings=tuple(row.findings or ()),
            patient=row.patient,
            clinic=row.clinic,
            received_at=row.received_at,
            due_at=row.due_at,
            updated_at=row.updated_at,
            state=row.state,
            claimed_by=row.claimed_by,
            claim_expires_at=row.claim_expires_at,
            finished_at=row.finished_at,
            report=row.report,
            artifacts=tuple(row.artifacts or ()),
            source_keys=tuple(row.source_keys or ()),
            overdue=overdue,
        )

    @property
    def sort_key(self) -> tuple[int, datetime, int]:
        """Queue order: effective priority, then due time, then id."""
        return (PRIORITY_RANK[self.effective_priority], self.due_at, self.id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (times ISO 8601 UTC)."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "id": self.id,
            "natural_key": self.natural_key,
            "specialty": self.specialty,
            "priority": self.priority,
            "effective_priority": self.effective_priority,
            "overdue": self.overdue,
            "reasons": list(self.reasons),
            "findings": list(self.findings),
            "patient": self.patient,
            "clinic": self.clinic,
            "received_at": iso(self.received_at),
            "due_at": iso(self.due_at),
            "updated_at": iso(self.updated_at),
            "state": self.state,
            "claimed_by": self.claimed_by,
            "claim_expires_at": iso(self.claim_expires_at),
            "finished_at": iso(self.finished_at),
            "report": self.report,
            "artifacts": list(self.artifacts),
            "source_keys": list(self.source_keys),
        }
