"""ECG reading, preprocessing, QRS detection, signal quality and arrhythmia pre-screening.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .errors import EcgError, EcgFormatError, EcgValueError
from .record import EcgMetadata, EcgRecord

__all__ = [
    "EcgError",
    "EcgFormatError",
    "EcgValueError",
    "EcgMetadata",
    "EcgRecord",
]
