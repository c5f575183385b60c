"""Lab reports: HL7 v2 / FHIR / CSV ingest, SI units, test catalogue, critical / delta / duplicate rules, glucose metrics.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .assess import AssessedResult, LabAssessment, LabFinding, assess, assess_many, flag_value
from .catalogue import Catalogue, DeltaLimit, Interval, TestDefinition, default_catalogue
from .csvfmt import parse_csv
from .errors import LabError, LabFormatError, LabValueError, UnknownUnitError
from .fhir import parse_fhir
from .glucose import (
    GlucoseAssessment,
    GlucoseFinding,
    GlucoseMetrics,
    GlucoseSeries,
    assess_glucose,
    glucose_metrics,
    parse_glucose_csv,
    parse_glucose_fhir,
    read_glucose,
)
from .history import ChainedHistory, HistorySource, InMemoryHistory, PriorResult, prior_results_of
from .hl7v2 import parse_hl7
from .io import read, sniff
from .model import LabOrder, LabReport, LabResult, PatientRef, SentRange
from .settings import GlucoseSettings, LabSettings, TestOverrides
from .units import convert, from_si, normalize_unit, si_factor, to_si

__all__ = [
    "AssessedResult",
    "Catalogue",
    "ChainedHistory",
    "DeltaLimit",
    "GlucoseAssessment",
    "GlucoseFinding",
    "GlucoseMetrics",
    "GlucoseSeries",
    "GlucoseSettings",
    "HistorySource",
    "InMemoryHistory",
    "Interval",
    "LabAssessment",
    "LabFinding",
    "LabOrder",
    "LabReport",
    "LabResult",
    "LabSettings",
    "PatientRef",
    "PriorResult",
    "SentRange",
    "TestDefinition",
    "TestOverrides",
    "assess",
    "assess_glucose",
    "assess_many",
    "convert",
    "default_catalogue",
    "flag_value",
    "from_si",
    "glucose_metrics",
    "normalize_unit",
    "parse_csv",
    "parse_fhir",
    "parse_glucose_csv",
    "parse_glucose_fhir",
    "parse_hl7",
    "prior_results_of",
    "read",
    "read_glucose",
    "si_factor",
    "sniff",
    "to_si",
    "LabError",
    "LabFormatError",
    "LabValueError",
    "UnknownUnitError",
]
