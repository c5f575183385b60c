"""Lab settings: catalogue overrides per centre and per institution, rule priorities, glucose targets.

Loaded from the ``[lab]`` table of the teletriage settings TOML, for example::

    [lab]
    duplicate_priority = "routine"
    critical = { "2823-3" = { high = 6.0 } }          # potassium > 6.0 mmol/L is critical here
    retest_days = { "4548-4" = 90 }                    # HbA1c not within 90 days (0 disables)
    delta = { "2160-0" = { abs = 30, window_days = 2 } }
    [lab.institutions.clinic-07]
    critical = { "2345-7" = { low = 3.0 } }
    [lab.glucose]
    min_coverage_percent = 70
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self, get_args

from .catalogue import Catalogue, DeltaLimit, Interval, TestDefinition, default_catalogue
from .errors import LabValueError

__all__ = ["GlucoseSettings", "LabSettings", "Priority", "TestOverrides"]

Priority = Literal["stat", "urgent", "routine"]
_PRIORITIES = get_args(Priority)


def _check_keys(mapping: Any, allowed: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(mapping, Mapping):
        raise LabValueError(f"{where}: expected a table, got {type(mapping).__name__}")
    for key in mapping:
        if key not in allowed:
            raise LabValueError(f"{where}: unknown key {key!r} (expected one of {sorted(allowed)})")
    return mapping


def _table(mapping: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = mapping.get(key, {})
    if not isinstance(value, Mapping):
        raise LabValueError(f"{where}.{key}: expected a table keyed by LOINC code, got {value!r}")
    return value


def _priority(value: Any, where: str) -> Priority:
    if value not in _PRIORITIES:
        raise LabValueError(f"{where}: expected one of {list(_PRIORITIES)}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TestOverrides:
    """Overrides of catalogue values, keyed by LOINC (partial: unset ends keep the catalogue's)."""

    __test__ = False

    critical: Mapping[str, Interval] = field(default_factory=dict)
    reference: Mapping[str, Interval] = field(default_factory=dict)
    retest_days: Mapping[str, float | None] = field(default_factory=dict)
    delta: Mapping[str, DeltaLimit | None] = field(default_factory=dict)

    KEYS = frozenset({"critical", "reference", "retest_days", "delta"})

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, where: str) -> TestOverrides:
        """Parse ``critical`` / ``reference`` / ``retest_days`` / ``delta`` tables keyed by LOINC."""
        critical = {
            code: Interval.from_value(v, where=f"{where}.critical.{code}")
            for code, v in _table(mapping, "critical", where).items()
        }
        reference = {
            code: Interval.from_value(v, where=f"{where}.reference.{code}")
            for code, v in _table(mapping, "reference", where).items()
        }
        retest: dict[str, float | None] = {}
        for code, v in _table(mapping, "retest_days", where).items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise LabValueError(f"{where}.retest_days.{code}: expected days >= 0 (0 disables), got {v!r}")
            retest[code] = float(v) if v > 0 else None
        delta: dict[str, DeltaLimit | None] = {}
        for code, v in _table(mapping, "delta", where).items():
            delta[code] = None if v is False else DeltaLimit.from_mapping(v, where=f"{where}.delta.{code}")
        return cls(critical, reference, retest, delta)

    def codes(self) -> set[str]:
        """Every LOINC code overridden."""
        return set(self.critical) | set(self.reference) | set(self.retest_days) | set(self.delta)

    def apply(self, test: TestDefinition) -> TestDefinition:
        """``test`` with these overrides applied."""
        code = test.loinc
        changes: dict[str, Any] = {}
        if code in self.critical:
            changes["critical"] = test.critical.merged(self.critical[code])
        if code in self.reference:
            ref = self.reference[code]
            changes.update(reference=test.reference.merged(ref), reference_female=None, reference_male=None)
        if code in self.retest_days:
            changes["retest_days"] = self.retest_days[code]
        if code in self.delta:
            changes["delta"] = self.delta[code]
        return dataclasses.replace(test, **changes) if changes else test


@dataclass(frozen=True, slots=True)
class GlucoseSettings:
    """Glucose self-monitoring thresholds (mmol/L) and consensus targets (Battelino et al., Diabetes Care 2019).

    Attributes
    ----------
    very_low_mmol_l, low_mmol_l, high_mmol_l, very_high_mmol_l
        Range bounds: TBR level 2 < 3.0, TBR < 3.9, TIR 3.9-10.0, TAR > 10.0, TAR level 2 > 13.9.
    tir_min_percent, tbr_max_percent, tbr_very_low_max_percent, tar_max_percent, tar_very_high_max_percent,
    cv_max_percent
        Consensus targets: TIR > 70 %, TBR < 4 %, < 1 % below 3.0, TAR < 25 %, < 5 % above 13.9, CV <= 36 %.
    period_days
        Period the consensus metrics are meant for (14 days of CGM).
    min_coverage_percent
        Minimum share of expected CGM readings over ``period_days`` for the metrics to be valid (70 %).
    cgm_max_interval_s
        Readings at most this far apart (median) are treated as CGM; sparser ones as finger-stick meter data.
    """

    very_low_mmol_l: float = 3.0
    low_mmol_l: float = 3.9
    high_mmol_l: float = 10.0
    very_high_mmol_l: float = 13.9
    tir_min_percent: float = 70.0
    tbr_max_percent: float = 4.0
    tbr_very_low_max_percent: float = 1.0
    tar_max_percent: float = 25.0
    tar_very_high_max_percent: float = 5.0
    cv_max_percent: float = 36.0
    period_days: float = 14.0
    min_coverage_percent: float = 70.0
    cgm_max_interval_s: float = 900.0
    hypoglycemia_priority: Priority = "urgent"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """From the ``[lab.glucose]`` table; unknown keys are an error naming the key."""
        names = {f.name for f in dataclasses.fields(cls)}
        _check_keys(mapping, names, "lab.glucose")
        values: dict[str, Any] = {}
        for key, v in mapping.items():
            if key == "hypoglycemia_priority":
                values[key] = _priority(v, f"lab.glucose.{key}")
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise LabValueError(f"lab.glucose.{key}: expected a positive number, got {v!r}")
            else:
                values[key] = float(v)
        out = cls(**values)
        if not out.very_low_mmol_l < out.low_mmol_l < out.high_mmol_l < out.very_high_mmol_l:
            raise LabValueError("lab.glucose: thresholds must increase: very_low < low < high < very_high")
        return out


@dataclass(frozen=True, slots=True)
class LabSettings:
    """Settings of the lab rules (frozen; build with :meth:`from_mapping`).

    Attributes
    ----------
    overrides
        Centre-wide catalogue overrides.
    institutions
        Per-institution overrides (applied after the centre-wide ones), keyed by institution id
        (HL7 MSH-4 / FHIR performer / CSV ``institution``).
    critical_priority, delta_priority, abnormal_priority, duplicate_priority, flag_mismatch_priority
        Priority each finding raises.
    glucose
        :class:`GlucoseSettings`.
    catalogue
        The base catalogue (the packaged one by default).
    """

    overrides: TestOverrides = field(default_factory=TestOverrides)
    institutions: Mapping[str, TestOverrides] = field(default_factory=dict)
    critical_priority: Priority = "stat"
    delta_priority: Priority = "urgent"
    abnormal_priority: Priority = "urgent"
    duplicate_priority: Priority = "routine"
    flag_mismatch_priority: Priority = "routine"
    glucose: GlucoseSettings = field(default_factory=GlucoseSettings)
    catalogue: Catalogue = field(default_factory=default_catalogue)
    _effective: dict[str, dict[str, TestDefinition]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        base = {code: self.overrides.apply(t) for code, t in self.catalogue.tests.items()}
        unknown = self.overrides.codes() - set(base)
        if unknown:
            raise LabValueError(f"lab: overrides name LOINC code(s) not in the catalogue: {sorted(unknown)}")
        self._effective[""] = base
        for name, over in self.institutions.items():
            unknown = over.codes() - set(base)
            if unknown:
                raise LabValueError(f"lab.institutions.{name}: LOINC code(s) not in the catalogue: {sorted(unknown)}")
            self._effective[name] = {code: over.apply(t) for code, t in base.items()}

    _KEYS = frozenset(
        {"institutions", "critical_priority", "delta_priority", "abnormal_priority", "duplicate_priority",
         "flag_mismatch_priority", "glucose"} | TestOverrides.KEYS
    )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """From the ``[lab]`` TOML table (a dict); unknown keys are an error naming the key."""
        _check_keys(mapping, set(cls._KEYS), "lab")
        institutions = {}
        for name, table in dict(mapping.get("institutions", {})).items():
            _check_keys(table, set(TestOverrides.KEYS), f"lab.institutions.{name}")
            institutions[str(name)] = TestOverrides.from_mapping(table, where=f"lab.institutions.{name}")
        kwargs: dict[str, Any] = {
            "overrides": TestOverrides.from_mapping(mapping, where="lab"),
            "institutions": institutions,
        }
        for key in ("critical_priority", "delta_priority", "abnormal_priority", "duplicate_priority",
                    "flag_mismatch_priority"):
            if key in mapping:
                kwargs[key] = _priority(mapping[key], f"lab.{key}")
        if "glucose" in mapping:
            kwargs["glucose"] = GlucoseSettings.from_mapping(mapping["glucose"])
        return cls(**kwargs)

    def test(self, loinc: str, institution: str = "") -> TestDefinition | None:
        """The effective test definition for ``loinc`` at ``institution`` (``None`` when not catalogued)."""
        table = self._effective.get(institution) or self._effective[""]
        return table.get(loinc)
