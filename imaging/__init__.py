"""DICOM reading and grouping, normalization, verified lossless compression, previews, de-identification.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .errors import DicomFormatError, ImagingError, ImagingValueError, LosslessVerificationError

__all__ = [
    "DicomFormatError",
    "ImagingError",
    "ImagingValueError",
    "LosslessVerificationError",
]
