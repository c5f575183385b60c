"""The lab test catalogue: reference intervals, critical limits, delta limits and retest intervals by LOINC.

The defaults live in the packaged ``lab/catalogue.toml`` (with their sources: Kost 1990 JAMA; Wagar et al.
2007 Arch Pathol Lab Med; Campbell & Horvath 2014 / AACB harmonised limits; Tietz; Lang & Croal 2015
RCPath/ACB national minimum retesting intervals). :class:`~lab.settings.LabSettings` overlays
per-centre and per-institution overrides on top of them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import LabValueError
from .units import ANALYTE_FACTORS

__all__ = ["Catalogue", "DeltaLimit", "Interval", "TestDefinition", "default_catalogue"]


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed interval ``[low, high]`` in the test's SI unit; either end may be open (``None``)."""

    low: float | None = None
    high: float | None = None

    @classmethod
    def from_value(cls, value: Any, *, where: str) -> Interval:
        """From ``[low, high]`` or ``{"low": .., "high": ..}``; ``where`` names the setting in errors."""
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise LabValueError(f"{where}: expected [low, high], got {value!r}")
            low, high = value
        elif isinstance(value, Mapping):
            unknown = set(value) - {"low", "high"}
            if unknown:
                raise LabValueError(f"{where}: unknown key(s) {sorted(unknown)}; expected 'low' and/or 'high'")
            low, high = value.get("low"), value.get("high")
        else:
            raise LabValueError(f"{where}: expected [low, high] or a table with low/high, got {value!r}")
        for name, bound in (("low", low), ("high", high)):
            if bound is not None and not isinstance(bound, (int, float)):
                raise LabValueError(f"{where}.{name}: expected a number, got {bound!r}")
        if low is not None and high is not None and low > high:
            raise LabValueError(f"{where}: low {low} is above high {high}")
        return cls(None if low is None else float(low), None if high is None else float(high))

    def merged(self, override: Interval | None) -> Interval:
        """This interval with the ends ``override`` sets replaced."""
        if override is None:
            return self
        return Interval(
            self.low if override.low is None else override.low,
            self.high if override.high is None else override.high,
        )

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready view."""
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class DeltaLimit:
    """Largest expected change since the previous result.

    Attributes
    ----------
    abs
        Absolute change in the SI unit (``None``: not used).
    rel
        Relative change as a fraction of the previous value (``None``: not used).
    window_days
        Only a previous result within this many days is compared.
    """

    abs: float | None = None
    rel: float | None = None
    window_days: float = 3.0

    @classmethod
    def from_mapping(cls, value: Any, *, where: str) -> DeltaLimit:
        """From ``{"abs": .., "rel": .., "window_days": ..}``."""
        if not isinstance(value, Mapping):
            raise LabValueError(f"{where}: expected a table with abs/rel/window_days, got {value!r}")
        unknown = set(value) - {"abs", "rel", "window_days"}
        if unknown:
            raise LabValueError(f"{where}: unknown key(s) {sorted(unknown)}; expected abs, rel, window_days")
        for key in ("abs", "rel", "window_days"):
            v = value.get(key)
            if v is not None and (not isinstance(v, (int, float)) or v <= 0):
                raise LabValueError(f"{where}.{key}: expected a positive number, got {v!r}")
        if value.get("abs") is None and value.get("rel") is None:
            raise LabValueError(f"{where}: give abs and/or rel")
        return cls(
            None if value.get("abs") is None else float(value["abs"]),
            None if value.get("rel") is None else float(value["rel"]),
            float(value.get("window_days", 3.0)),
        )

    def exceeded(self, previous: float, current: float) -> bool:
        """Whether the change exceeds every limit given (both when both are set)."""
        change = abs(current - previous)
        if self.abs is not None and change <= self.abs:
            return False
        if self.rel is not None:
            if previous == 0.0:
                return change > 0.0
            if change / abs(previous) <= self.rel:
                return False
        return True

    def describe(self, unit: str) -> str:
        """Human text of the limit, e.g. ``"1.0 mmol/L in 3 d"``."""
        parts = []
        if self.abs is not None:
            parts.append(f"{self.abs:g} {unit}")
        if self.rel is not None:
            parts.append(f"{self.rel * 100:g}%")
        return " and ".join(parts) + f" within {self.window_days:g} d"


@dataclass(frozen=True, slots=True)
class TestDefinition:
    """One catalogue test (values in ``unit``, the test's SI unit).

    Attributes
    ----------
    loinc, name, analyte
        LOINC code, short display name, and the analyte key of :data:`lab.units.ANALYTE_FACTORS`.
    unit
        SI unit of the values and limits below.
    reference, reference_female, reference_male
        Adult reference intervals (the sex-specific one applies when the patient's sex is known).
    critical
        Critical limits (``None`` ends: no limit).
    delta
        Delta-check limit, or ``None``.
    retest_days
        Minimum retesting interval in days, or ``None``.
    group
        History group: tests of one group share delta and duplicate history (several LOINC codes, one measurand).
    sources
        Keys of the catalogue's ``[sources]`` table.
    """

    __test__ = False  # not a pytest class

    loinc: str
    name: str
    analyte: str
    unit: str
    reference: Interval
    reference_female: Interval | None = None
    reference_male: Interval | None = None
    critical: Interval = Interval()
    delta: DeltaLimit | None = None
    retest_days: float | None = None
    group: str = ""
    sources: tuple[str, ...] = ()

    def reference_for(self, sex: str | None) -> Interval:
        """The reference interval for sex ``"F"``, ``"M"`` or unknown (the wider of the two)."""
        if sex == "F" and self.reference_female is not None:
            return self.reference_female
        if sex == "M" and self.reference_male is not None:
            return self.reference_male
        return self.reference

    @property
    def label(self) -> str:
        """``"2823-3 Potassium"``."""
        return f"{self.loinc} {self.name}"


def _wider(a: Interval | None, b: Interval | None) -> Interval:
    if a is None or b is None:
        return a or b or Interval()
    low = None if a.low is None or b.low is None else min(a.low, b.low)
    high = None if a.high is None or b.high is None else max(a.high, b.high)
    return Interval(low, high)


_TEST_KEYS = {
    "name", "analyte", "reference", "reference_female", "reference_male",
    "critical", "delta", "retest_days", "group", "sources",
}


def _definition(loinc: str, table: Mapping[str, Any], sources: Mapping[str, str]) -> TestDefinition:
    where = f"catalogue tests.{loinc!r}"
    unknown = set(table) - _TEST_KEYS
    if unknown:
        raise LabValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    analyte = table.get("analyte")
    if analyte not in ANALYTE_FACTORS:
        raise LabValueError(f"{where}.analyte: {analyte!r} is not an analyte of lab.units.ANALYTE_FACTORS")
    female = Interval.from_value(table["reference_female"], where=f"{where}.reference_female") \
        if "reference_female" in table else None
    male = Interval.from_value(table["reference_male"], where=f"{where}.reference_male") \
        if "reference_male" in table else None
    if "reference" in table:
        reference = Interval.from_value(table["reference"], where=f"{where}.reference")
    else:
        reference = _wider(female, male)
    cited = tuple(table.get("sources", ()))
    missing = [s for s in cited if s not in sources]
    if missing:
        raise LabValueError(f"{where}.sources: {missing} not in [sources]")
    return TestDefinition(
        loinc=loinc,
        name=str(table.get("name", loinc)),
        analyte=analyte,
        unit=ANALYTE_FACTORS[analyte].si_unit,
        reference=reference,
        reference_female=female,
        reference_male=male,
        critical=Interval.from_value(table["critical"], where=f"{where}.critical") if "critical" in table else Interval(),
        delta=DeltaLimit.from_mapping(table["delta"], where=f"{where}.delta") if "delta" in table else None,
        retest_days=float(table["retest_days"]) if "retest_days" in table else None,
        group=str(table.get("group", loinc)),
        sources=cited,
    )


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Tests by LOINC code, with the literature they cite.

    Use :func:`default_catalogue` for the packaged one, :meth:`from_mapping` for a custom table.
    """

    tests: Mapping[str, TestDefinition]
    sources: Mapping[str, str]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Catalogue:
        """Build from a parsed catalogue TOML (``[sources]`` and ``[tests."<loinc>"]`` tables)."""
        unknown = set(mapping) - {"sources", "tests"}
        if unknown:
            raise LabValueError(f"catalogue: unknown top-level key(s) {sorted(unknown)}")
        sources = dict(mapping.get("sources", {}))
        tests = {code: _definition(code, table, sources) for code, table in mapping.get("tests", {}).items()}
        return cls(tests=tests, sources=sources)

    def get(self, loinc: str) -> TestDefinition | None:
        """The test with this LOINC code, or ``None``."""
        return self.tests.get(loinc)

    def __contains__(self, loinc: object) -> bool:
        return loinc in self.tests

    def __len__(self) -> int:
        return len(self.tests)

    def group_codes(self, group: str) -> tuple[str, ...]:
        """All LOINC codes of a history group."""
        return tuple(code for code, t in self.tests.items() if t.group == group)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The packaged catalogue (``lab/catalogue.toml``), loaded once."""
    text = resources.files("lab").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return Catalogue.from_mapping(tomllib.loads(text))
