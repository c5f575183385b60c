"""Exceptions raised by :mod:`ecg`.

Every error derives from :class:`EcgError` so callers (the pipeline, the CLI) can catch
the whole package's failures with one clause and still tell them apart.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EcgError", "EcgFormatError", "EcgValueError"]


class EcgError(Exception):
    """Base class of every error raised by :mod:`ecg`."""


class EcgFormatError(EcgError):
    """A file could not be read as an ECG record.

    Parameters
    ----------
    path
        The file (or record) at fault.
    problem
        What is wrong with it, in words a clinic's IT person can act on.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class EcgValueError(EcgError, ValueError):
    """A parameter or array passed to an :mod:`ecg` function is invalid."""
