"""Exceptions raised by :mod:`lab`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["LabError", "LabFormatError", "UnknownUnitError", "LabValueError"]


class LabError(Exception):
    """Base class of every error raised by :mod:`lab`."""


class LabFormatError(LabError):
    """A lab file could not be parsed.

    Parameters
    ----------
    path
        The file at fault (or ``"<memory>"``).
    problem
        What is wrong, naming the segment / field / JSON path at fault.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownUnitError(LabError):
    """A result came in a unit the catalogue has no tested conversion for (never guessed)."""


class LabValueError(LabError, ValueError):
    """A parameter passed to a :mod:`lab` function is invalid."""
