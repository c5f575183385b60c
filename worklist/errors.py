"""Exceptions raised by :mod:`worklist`."""

from __future__ import annotations

__all__ = [
    "WorklistError",
    "IllegalTransitionError",
    "ItemNotFoundError",
    "ClaimError",
    "WorklistSettingsError",
]


class WorklistError(Exception):
    """Base class of every error raised by :mod:`worklist`."""


class WorklistSettingsError(WorklistError, ValueError):
    """A ``[worklist]`` settings table has an unknown key or a bad value."""


class ItemNotFoundError(WorklistError, LookupError):
    """No worklist item has the given id."""


class IllegalTransitionError(WorklistError):
    """A state change the worklist state machine forbids (e.g. completing a scheduled item).

    Parameters
    ----------
    item_id
        The item.
    current
        Its state now.
    target
        The state that was asked for.
    """

    def __init__(self, item_id: int, current: str, target: str, detail: str = "") -> None:
        self.item_id = item_id
        self.current = current
        self.target = target
        msg = f"item {item_id}: cannot go from {current!r} to {target!r}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


class ClaimError(WorklistError):
    """A claim operation failed: the item is claimed by another reader, or not claimed by this one."""
