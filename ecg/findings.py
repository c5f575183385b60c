"""Screening finding codes and the evidence a finding carries.

A :class:`Finding` is one observation a cardiologist can check: a code from the closed
:class:`FindingCode` set, the time range it covers (seconds from the start of the record),
the leads it rests on, a few measured values with their units in the key names
(``rate_bpm``, ``rr_s``, ``burden``, ``qtc_bazett_ms``) and a confidence in ``[0, 1]``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import EcgValueError

__all__ = ["FindingCode", "Finding", "format_clock"]


class FindingCode(str, enum.Enum):
    """Closed set of screening findings (the value is the JSON / TOML spelling)."""

    AF = "AF"
    """Atrial fibrillation or flutter with an irregular ventricular response."""
    BRADY = "BRADY"
    """Sustained heart rate below ``brady_bpm`` (default 50 bpm)."""
    EXTREME_BRADY = "EXTREME_BRADY"
    """Sustained heart rate below ``extreme_brady_bpm`` (default 40 bpm)."""
    TACHY = "TACHY"
    """Sustained heart rate above ``tachy_bpm`` (default 100 bpm)."""
    EXTREME_TACHY = "EXTREME_TACHY"
    """Sustained heart rate above ``extreme_tachy_bpm`` (default 150 bpm)."""
    PAUSE = "PAUSE"
    """RR interval of at least ``pause_s`` (default 2.0 s); evidence is the longest one."""
    ASYSTOLE = "ASYSTOLE"
    """No QRS complex for at least ``asystole_s`` (default 4 s) in a readable signal."""
    PVC = "PVC"
    """Premature ventricular complexes: burden and pattern (isolated, couplets, bigeminy, trigeminy)."""
    VT = "VT"
    """Run of at least 3 consecutive ventricular beats faster than 100 bpm, i.e. mean cycle length < 600 ms
    (sustained if >= 30 s)."""
    QTC_PROLONGED = "QTC_PROLONGED"
    """Heart-rate corrected QT above ``qtc_ms`` (default 500 ms) from a reliable delineation."""
    UNREADABLE = "UNREADABLE"
    """Record quality too poor to screen."""
    LEAD_OFF = "LEAD_OFF"
    """One or more leads disconnected (flat or saturated)."""


def format_clock(t_s: float) -> str:
    """``hh:mm:ss`` of a time in seconds from the start of the record (the form used in reasons)."""
    minutes, seconds = divmod(int(max(t_s, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return "%02d:%02d:%02d" % (hours, minutes, seconds)


def clamp(value: float, lo: float, hi: float) -> float:
    """``value`` limited to ``[lo, hi]`` as a Python float (NaN stays NaN), for confidences: ``np.clip``
    costs microseconds on a scalar."""
    return float(min(max(value, lo), hi))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    return value


@dataclass(frozen=True, slots=True)
class Finding:
    """One screening observation with its evidence.

    Attributes
    ----------
    code
        The :class:`FindingCode`.
    start_s, end_s
        Time range in seconds from the start of the record (``start_s <= end_s``; equal for an instant).
        Record-level findings span the whole record.
    leads
        Names of the leads the finding rests on.
    values
        Measured values, units in the key (``rate_bpm``, ``n_beats``, ``burden``, ``rr_s``, ``qtc_bazett_ms``...).
        Read-only mapping.
    confidence
        Confidence in ``[0, 1]`` (heuristic: how far the evidence is past its threshold and how clean the signal is).
    detail
        A short qualifier, e.g. the PVC pattern (``"bigeminy"``) or ``"sustained"``; empty when none.
    """

    code: FindingCode
    start_s: float
    end_s: float
    leads: tuple[str, ...] = ()
    values: Mapping[str, float | int] = field(default_factory=dict)
    confidence: float = 1.0
    detail: str = ""

    def __post_init__(self) -> None:
        # each conversion only where needed: the screening of a 30-s record builds its findings in microseconds
        if self.code.__class__ is not FindingCode:
            object.__setattr__(self, "code", FindingCode(self.code))
        if not (self.start_s <= self.end_s):
            raise EcgValueError(
                f"Finding {self.code.value}: expected start_s <= end_s, got {self.start_s!r} > {self.end_s!r}"
            )
        if not (0.0 <= self.confidence <= 1.0):
            raise EcgValueError(f"Finding {self.code.value}: confidence must be in [0, 1], got {self.confidence!r}")
        if self.start_s.__class__ is not float:  # a NumPy float is a float subclass: converted too
            object.__setattr__(self, "start_s", float(self.start_s))
        if self.end_s.__class__ is not float:
            object.__setattr__(self, "end_s", float(self.end_s))
        if self.leads.__class__ is not tuple:
            object.__setattr__(self, "leads", tuple(self.leads))
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def duration_s(self) -> float:
        """``end_s - start_s`` in seconds."""
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: code, start_s, end_s, duration_s, leads, confidence, detail and the values."""
        out: dict[str, Any] = {
            "code": self.code.value,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(self.duration_s, 3),
            "leads": list(self.leads),
            "confidence": round(self.confidence, 3),
        }
        if self.detail:
            out["detail"] = self.detail
        out.update({k: _jsonable(v) for k, v in self.values.items()})
        return out
