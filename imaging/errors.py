"""Exceptions raised by :mod:`imaging`."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ImagingError",
    "DicomFormatError",
    "ImagingValueError",
    "LosslessVerificationError",
    "UnsupportedPixelFormatError",
]


class ImagingError(Exception):
    """Base class of every error raised by :mod:`imaging`."""


class DicomFormatError(ImagingError):
    """A file is not readable DICOM, or lacks what the operation needs.

    Parameters
    ----------
    path
        The file at fault.
    problem
        What is wrong with it.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ImagingValueError(ImagingError, ValueError):
    """A parameter passed to an :mod:`imaging` function is invalid."""


class LosslessVerificationError(ImagingError):
    """A transcoded image did not decode bit for bit to its source; the output was rejected."""


class UnsupportedPixelFormatError(ImagingError):
    """The pixel data cannot be losslessly encoded with the requested transfer syntax (e.g. 1-bit or float
    pixels, more than 16 bits for JPEG-LS / JPEG 2000); the message says why."""
