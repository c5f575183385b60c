"""Priorities, specialties and the structural protocol every domain result satisfies.

Priorities follow FHIR ``request-priority`` (stat / urgent / routine), which maps onto DICOM UPS
Scheduled Procedure Step Priority HIGH / MEDIUM / LOW (PS3.4 Annex CC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "Priority",
    "PRIORITIES",
    "PRIORITY_RANK",
    "Specialty",
    "TriageResult",
    "Finding",
    "check_priority",
    "escalate",
]

Priority = Literal["stat", "urgent", "routine"]

#: Most urgent first.
PRIORITIES: tuple[Priority, ...] = ("stat", "urgent", "routine")

#: Sort rank: lower is more urgent.
PRIORITY_RANK: Mapping[str, int] = {"stat": 0, "urgent": 1, "routine": 2}


class Specialty(str, Enum):
    """Which reading room an item goes to."""

    CARDIOLOGY = "cardiology"
    RADIOLOGY = "radiology"
    LABORATORY = "laboratory"


@runtime_checkable
class Finding(Protocol):
    """One piece of evidence: at least a ``code`` (other fields: times, values, leads, test)."""

    @property
    def code(self) -> str: ...


@runtime_checkable
class TriageResult(Protocol):
    """What every domain result offers (ECG ``Screening``, ``ImagingResult``, ``LabAssessment``).

    Domains satisfy it structurally; they never import :mod:`worklist`.
    """

    @property
    def priority(self) -> str: ...

    @property
    def reasons(self) -> Sequence[str]: ...

    @property
    def findings(self) -> Sequence[Any]: ...

    def to_dict(self) -> dict[str, Any]: ...


def check_priority(value: object, *, name: str = "priority") -> Priority:
    """Return ``value`` as a :data:`Priority` or raise ``ValueError`` naming ``name``."""
    if value not in PRIORITY_RANK:
        raise ValueError(f"{name}: expected one of {list(PRIORITIES)}, got {value!r}")
    return value  # type: ignore[return-value]


def escalate(priority: str) -> Priority:
    """One level more urgent (``stat`` stays ``stat``)."""
    rank = max(PRIORITY_RANK[check_priority(priority)] - 1, 0)
    return PRIORITIES[rank]
