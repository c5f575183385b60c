"""ECG reading, preprocessing, QRS detection, signal quality and arrhythmia pre-screening.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .errors import EcgError, EcgFormatError, EcgValueError
from .io import EcgFormat, read, record_files, sniff
from .record import EcgMetadata, EcgRecord
from .preprocess import PreprocessedEcg, preprocess, resample
from .quality import QualityLevel, SignalQuality, assess_quality
from .rate import HeartRate, heart_rate, rr_intervals
from .qrs import QrsDetector, detect_qrs
from .evaluation import DetectionScore, pool_scores, reference_beats, score_detections

from .findings import Finding, FindingCode
from .settings import PolicyKey, Priority, QtcFormula, ScreeningSettings
from .beats import BeatClass, BeatClassification, classify_beats
from .intervals import Intervals, measure_intervals
from .screen import Screening, screen

__all__ = [
    "EcgError",
    "EcgFormatError",
    "EcgFormat",
    "read",
    "record_files",
    "sniff",
    "EcgValueError",
    "EcgMetadata",
    "EcgRecord",
    "PreprocessedEcg",
    "preprocess",
    "resample",
    "QualityLevel",
    "SignalQuality",
    "assess_quality",
    "HeartRate",
    "heart_rate",
    "rr_intervals",
    "QrsDetector",
    "detect_qrs",
    "DetectionScore",
    "pool_scores",
    "reference_beats",
    "score_detections",
    "Finding",
    "FindingCode",
    "PolicyKey",
    "Priority",
    "QtcFormula",
    "ScreeningSettings",
    "BeatClass",
    "BeatClassification",
    "classify_beats",
    "Intervals",
    "measure_intervals",
    "Screening",
    "screen",
]
