"""The item state machine, modelled on DICOM Unified Procedure Step (PS3.4 Annex CC).

``scheduled`` → ``in_progress`` (claim) → ``completed`` (report) or ``canceled``; a claim may be
released (``in_progress`` → ``scheduled``); a scheduled item may be canceled. ``completed`` and
``canceled`` are final, as in UPS.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

__all__ = ["ItemState", "TRANSITIONS", "FINAL_STATES", "can_transition"]


class ItemState(str, Enum):
    """UPS-like procedure step state."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


TRANSITIONS: Mapping[ItemState, frozenset[ItemState]] = {
    ItemState.SCHEDULED: frozenset({ItemState.IN_PROGRESS, ItemState.CANCELED}),
    ItemState.IN_PROGRESS: frozenset({ItemState.SCHEDULED, ItemState.COMPLETED, ItemState.CANCELED}),
    ItemState.COMPLETED: frozenset(),
    ItemState.CANCELED: frozenset(),
}

FINAL_STATES: frozenset[ItemState] = frozenset({ItemState.COMPLETED, ItemState.CANCELED})


def can_transition(current: ItemState | str, target: ItemState | str) -> bool:
    """Whether ``current`` → ``target`` is allowed."""
    return ItemState(target) in TRANSITIONS[ItemState(current)]
