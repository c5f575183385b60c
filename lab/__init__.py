"""Lab reports: HL7 v2 / FHIR / CSV ingest, SI units, test catalogue, critical / delta / duplicate rules, glucose metrics.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .errors import LabError, LabFormatError, LabValueError, UnknownUnitError

__all__ = [
    "LabError",
    "LabFormatError",
    "LabValueError",
    "UnknownUnitError",
]
