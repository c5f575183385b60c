"""Screening thresholds and the per-centre priority policy.

:class:`ScreeningSettings` is the ``[ecg]`` table of the teletriage TOML file. Every field has a
clinical default; a centre overrides what it wants::

    [ecg]
    pause_stat_s = 3.5
    [ecg.policy]
    AF = "stat"

Priority policy (defaults)
--------------------------
``stat``: ``VT`` (faster than ``vt_rate_bpm``), ``ASYSTOLE``, a ``PAUSE`` of at least ``pause_stat_s`` (policy key ``PAUSE_LONG``),
``EXTREME_BRADY``, ``EXTREME_TACHY``.
``urgent``: ``AF``, other ``PAUSE``, ``BRADY``, ``TACHY``, frequent ``PVC`` (burden >= ``pvc_frequent_burden``
or bigeminy; policy key ``PVC_FREQUENT``), a slow ``VT`` run (policy key ``VT_SLOW``), ``QTC_PROLONGED``,
``UNREADABLE``, ``LEAD_OFF``.
``routine``: everything else (occasional ``PVC``).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Self, get_args

from .errors import EcgValueError
from .findings import FindingCode

__all__ = ["Priority", "PRIORITY_RANK", "PolicyKey", "ScreeningSettings", "QtcFormula"]

Priority = Literal["stat", "urgent", "routine"]
PRIORITY_RANK: Mapping[str, int] = MappingProxyType({"stat": 0, "urgent": 1, "routine": 2})
"""Sort key: lower is more urgent."""


class QtcFormula(str, enum.Enum):
    """Heart-rate correction used to judge ``QTC_PROLONGED`` (both are always reported)."""

    BAZETT = "bazett"
    FRIDERICIA = "fridericia"


class PolicyKey(str, enum.Enum):
    """Keys of the priority policy: every finding code plus two escalated forms."""

    AF = "AF"
    BRADY = "BRADY"
    EXTREME_BRADY = "EXTREME_BRADY"
    TACHY = "TACHY"
    EXTREME_TACHY = "EXTREME_TACHY"
    PAUSE = "PAUSE"
    PAUSE_LONG = "PAUSE_LONG"
    """A pause of at least ``pause_stat_s``."""
    ASYSTOLE = "ASYSTOLE"
    PVC = "PVC"
    PVC_FREQUENT = "PVC_FREQUENT"
    """PVC burden >= ``pvc_frequent_burden`` or a bigeminy pattern."""
    VT = "VT"
    VT_SLOW = "VT_SLOW"
    """A ventricular run at ``vt_slow_rate_bpm`` to ``vt_rate_bpm`` (``VT`` with detail ``"slow"``)."""
    QTC_PROLONGED = "QTC_PROLONGED"
    UNREADABLE = "UNREADABLE"
    LEAD_OFF = "LEAD_OFF"


_DEFAULT_POLICY: dict[PolicyKey, Priority] = {
    PolicyKey.VT: "stat",
    PolicyKey.ASYSTOLE: "stat",
    PolicyKey.PAUSE_LONG: "stat",
    PolicyKey.EXTREME_BRADY: "stat",
    PolicyKey.EXTREME_TACHY: "stat",
    PolicyKey.AF: "urgent",
    PolicyKey.VT_SLOW: "urgent",
    PolicyKey.PAUSE: "urgent",
    PolicyKey.BRADY: "urgent",
    PolicyKey.TACHY: "urgent",
    PolicyKey.PVC_FREQUENT: "urgent",
    PolicyKey.QTC_PROLONGED: "urgent",
    PolicyKey.UNREADABLE: "urgent",
    PolicyKey.LEAD_OFF: "urgent",
    PolicyKey.PVC: "routine",
}

assert set(_DEFAULT_POLICY) == set(PolicyKey)
assert {c.value for c in FindingCode} <= {k.value for k in PolicyKey}


def _default_policy() -> Mapping[PolicyKey, Priority]:
    return MappingProxyType(dict(_DEFAULT_POLICY))


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    """Thresholds of :func:`ecg.screen` and the priority policy (the ``[ecg]`` TOML table).

    Attributes
    ----------
    brady_bpm, extreme_brady_bpm
        Sustained rate below which ``BRADY`` / ``EXTREME_BRADY`` are reported (bpm).
    tachy_bpm, extreme_tachy_bpm
        Sustained rate above which ``TACHY`` / ``EXTREME_TACHY`` are reported (bpm).
    rate_sustained_s
        How long a rate must hold to count as sustained in a long recording (s). Records shorter than
        ``short_record_s`` are judged on their median rate as a whole.
    short_record_s
        Records up to this length get record-level rhythm findings; longer ones get episodes (s).
    pause_s, pause_stat_s
        RR interval reported as ``PAUSE`` and the one escalated to ``PAUSE_LONG`` (s).
    asystole_s
        Gap without any QRS in a readable signal reported as ``ASYSTOLE`` (s).
    vt_min_beats, vt_rate_bpm, vt_sustained_s
        A ``VT`` run is at least ``vt_min_beats`` consecutive ventricular beats faster than ``vt_rate_bpm``
        (60 / the mean cycle length of the run, coupling interval included; see :mod:`ecg.rhythm`);
        sustained when it lasts ``vt_sustained_s`` (s) or longer.
    vt_slow_rate_bpm
        A run of ``vt_min_beats`` or more ventricular beats faster than this but not faster than
        ``vt_rate_bpm`` is reported as ``VT`` with detail ``"slow"`` (policy key ``VT_SLOW``, urgent by
        default): slow VT or an accelerated idioventricular rhythm, which a cardiologist reads soon but not
        first. The rate of a 3- or 4-beat run rests on 3-4 cycles and its border is uncertain (MIT-BIH 223's
        annotated VT triplets run at 95-98 bpm by their mean cycle length). Set it equal to ``vt_rate_bpm``
        to report only runs above ``vt_rate_bpm``.
    pvc_frequent_burden
        PVC fraction of all beats from which PVCs are ``PVC_FREQUENT`` (0-1).
    af_window_beats
        RR intervals per analysis window of the AF detector (long records).
    af_min_duration_s
        Shortest AF episode reported in a long record (s).
    af_drr_ratio
        AF needs the median successive RR difference to reach this fraction of the median RR.
    af_irregular_fraction
        ... and this fraction of successive RR differences to exceed 10 % of the median RR
        (see :mod:`ecg.af`; raise both to be more specific).
    af_p_wave_corr
        Beat-to-beat P-wave consistency from which P waves count as present; with P waves present,
        a repeating RR pattern or a mild irregularity is not called AF.
    af_f_wave_fraction
        Share of the QRST-cancelled residual's power in the 4-10 Hz f-wave band from which fibrillatory
        waves count as present (below half of it: absent; :func:`ecg.atrial.f_wave_fraction`). Short records
        only: f waves override the P-wave veto and support a moderate irregularity; their absence vetoes AF
        when P waves are present (see :mod:`ecg.af`).
    af_moderate_irregularity
        Irregularity (fraction of the ``af_drr_ratio`` / ``af_irregular_fraction`` thresholds, 0-1) from which
        a short record without P waves is called AF when f waves are present.
    qtc_ms, qtc_formula
        ``QTC_PROLONGED`` when the QTc from ``qtc_formula`` exceeds ``qtc_ms`` (ms).
    policy
        Priority of each :class:`PolicyKey` (read-only mapping).
    """

    brady_bpm: float = 50.0
    extreme_brady_bpm: float = 40.0
    tachy_bpm: float = 100.0
    extreme_tachy_bpm: float = 150.0
    rate_sustained_s: float = 30.0
    short_record_s: float = 90.0
    pause_s: float = 2.0
    pause_stat_s: float = 3.0
    asystole_s: float = 4.0
    vt_min_beats: int = 3
    vt_rate_bpm: float = 100.0
    vt_slow_rate_bpm: float = 90.0
    vt_sustained_s: float = 30.0
    pvc_frequent_burden: float = 0.10
    af_window_beats: int = 32
    af_min_duration_s: float = 30.0
    af_drr_ratio: float = 0.05
    af_irregular_fraction: float = 0.2
    af_p_wave_corr: float = 0.82
    af_f_wave_fraction: float = 0.2
    af_moderate_irregularity: float = 0.7
    qtc_ms: float = 500.0
    qtc_formula: QtcFormula = QtcFormula.FRIDERICIA
    policy: Mapping[PolicyKey, Priority] = field(default_factory=_default_policy)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name in ("policy", "qtc_formula", "vt_min_beats", "af_window_beats"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise EcgValueError(f"ScreeningSettings.{f.name}: expected a positive number, got {value!r}")
            object.__setattr__(self, f.name, float(value))
        for name, low in (("vt_min_beats", 2), ("af_window_beats", 8)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise EcgValueError(f"ScreeningSettings.{name}: expected an integer >= {low}, got {value!r}")
        if not self.extreme_brady_bpm < self.brady_bpm < self.tachy_bpm < self.extreme_tachy_bpm:
            raise EcgValueError(
                "ScreeningSettings: expected extreme_brady_bpm < brady_bpm < tachy_bpm < extreme_tachy_bpm, got "
                f"{self.extreme_brady_bpm}, {self.brady_bpm}, {self.tachy_bpm}, {self.extreme_tachy_bpm}"
            )
        if not self.vt_slow_rate_bpm <= self.vt_rate_bpm:
            raise EcgValueError(
                f"ScreeningSettings: vt_slow_rate_bpm ({self.vt_slow_rate_bpm}) must not exceed vt_rate_bpm ({self.vt_rate_bpm})"
            )
        if not self.pause_s <= self.pause_stat_s:
            raise EcgValueError(f"ScreeningSettings: pause_s ({self.pause_s}) must not exceed pause_stat_s ({self.pause_stat_s})")
        if not self.af_p_wave_corr <= 1.0:
            raise EcgValueError(f"ScreeningSettings.af_p_wave_corr: expected a correlation in (0, 1], got {self.af_p_wave_corr}")
        for name in ("af_f_wave_fraction", "af_moderate_irregularity"):
            if not getattr(self, name) <= 1.0:
                raise EcgValueError(f"ScreeningSettings.{name}: expected a fraction in (0, 1], got {getattr(self, name)}")
        if not self.af_irregular_fraction <= 1.0:
            raise EcgValueError(f"ScreeningSettings.af_irregular_fraction: expected a fraction in (0, 1], got {self.af_irregular_fraction}")
        if not self.pvc_frequent_burden <= 1.0:
            raise EcgValueError(f"ScreeningSettings.pvc_frequent_burden: expected a fraction in (0, 1], got {self.pvc_frequent_burden}")
        try:
            object.__setattr__(self, "qtc_formula", QtcFormula(self.qtc_formula))
        except ValueError:
            raise EcgValueError(
                f"ScreeningSettings.qtc_formula: expected one of {[q.value for q in QtcFormula]}, got {self.qtc_formula!r}"
            ) from None
        policy = dict(_DEFAULT_POLICY)
        for key, prio in dict(self.policy).items():
            try:
                pkey = PolicyKey(key)
            except ValueError:
                raise EcgValueError(
                    f"ScreeningSettings.policy: unknown key {key!r}; expected one of {[k.value for k in PolicyKey]}"
                ) from None
            if prio not in get_args(Priority):
                raise EcgValueError(
                    f"ScreeningSettings.policy[{pkey.value!r}]: expected one of {list(get_args(Priority))}, got {prio!r}"
                )
            policy[pkey] = prio
        object.__setattr__(self, "policy", MappingProxyType(policy))

    def priority_of(self, key: PolicyKey | FindingCode | str) -> Priority:
        """The configured priority of a policy key (a :class:`FindingCode` or its escalated form)."""
        if isinstance(key, PolicyKey):
            return self.policy[key]
        return self.policy[PolicyKey(getattr(key, "value", key))]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """Build from a TOML table (a dict); unknown keys raise :class:`~ecg.errors.EcgValueError` naming the key.

        ``policy`` is a sub-table mapping :class:`PolicyKey` names to ``"stat"`` / ``"urgent"`` / ``"routine"``;
        keys it leaves out keep their default priority.
        """
        if not isinstance(mapping, Mapping):
            raise EcgValueError(f"ScreeningSettings.from_mapping: expected a mapping (TOML table), got {type(mapping).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise EcgValueError(f"[ecg] settings: unknown key {unknown[0]!r}; expected some of {sorted(known)}")
        kwargs = dict(mapping)
        if "policy" in kwargs and not isinstance(kwargs["policy"], Mapping):
            raise EcgValueError(f"[ecg] settings: 'policy' must be a table, got {type(kwargs['policy']).__name__}")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-ready view (the inverse of :meth:`from_mapping`)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "policy":
                value = {k.value: v for k, v in value.items()}
            elif isinstance(value, enum.Enum):
                value = value.value
            out[f.name] = value
        return out
