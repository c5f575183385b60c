"""Worklist policy: turnaround targets per priority, claim expiry, escalation of overdue items."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self

from .errors import WorklistSettingsError
from .priority import PRIORITIES, Priority

__all__ = ["WorklistSettings"]


@dataclass(frozen=True, slots=True)
class WorklistSettings:
    """Turnaround targets and claim policy.

    Attributes
    ----------
    stat_turnaround_min, urgent_turnaround_min, routine_turnaround_min
        Target time from receipt to report, minutes (defaults 30 min, 4 h, 24 h). ``due_at`` of an
        item is ``received_at`` plus the target of its priority.
    claim_expiry_min
        A claim (state ``in_progress``) not completed within this many minutes may be claimed by
        another reader, so an item a reader walked away from does not stay hidden.
    escalate_overdue
        When true, an item past its ``due_at`` ranks as if one level more urgent (routine → urgent,
        urgent → stat; an overdue stat item is first anyway because its due time is earliest).
    """

    stat_turnaround_min: float = 30.0
    urgent_turnaround_min: float = 240.0
    routine_turnaround_min: float = 1440.0
    claim_expiry_min: float = 60.0
    escalate_overdue: bool = True

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "escalate_overdue":
                if not isinstance(value, bool):
                    raise WorklistSettingsError(f"worklist.{f.name}: expected true/false, got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise WorklistSettingsError(f"worklist.{f.name}: expected a positive number of minutes, got {value!r}")
            object.__setattr__(self, f.name, float(value))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """Build from a ``[worklist]`` TOML table; unknown keys are an error naming the key."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in mapping:
            if key not in known:
                raise WorklistSettingsError(f"worklist: unknown setting {key!r} (known: {sorted(known)})")
        return cls(**dict(mapping))

    def turnaround(self, priority: Priority) -> timedelta:
        """Turnaround target of ``priority``."""
        minutes = {
            "stat": self.stat_turnaround_min,
            "urgent": self.urgent_turnaround_min,
            "routine": self.routine_turnaround_min,
        }
        if priority not in minutes:
            raise WorklistSettingsError(f"priority: expected one of {list(PRIORITIES)}, got {priority!r}")
        return timedelta(minutes=minutes[priority])

    @property
    def claim_expiry(self) -> timedelta:
        """How long a claim holds."""
        return timedelta(minutes=self.claim_expiry_min)
