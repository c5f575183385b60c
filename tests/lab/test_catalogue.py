"""The packaged catalogue and the settings that override it."""

from __future__ import annotations

import pytest

from lab.catalogue import Catalogue, DeltaLimit, Interval, default_catalogue
from lab.errors import LabValueError
from lab.settings import GlucoseSettings, LabSettings
from lab.units import ANALYTE_FACTORS, to_si


def test_catalogue_has_at_least_40_tests_each_citing_a_source() -> None:
    cat = default_catalogue()
    assert len(cat) >= 40
    for code, test in cat.tests.items():
        assert test.loinc == code and "-" in code
        assert test.sources, code
        assert all(s in cat.sources for s in test.sources)
        assert test.unit == ANALYTE_FACTORS[test.analyte].si_unit


def test_critical_limits_lie_outside_the_reference_interval() -> None:
    for test in default_catalogue().tests.values():
        for ref in (test.reference, test.reference_female, test.reference_male):
            if ref is None:
                continue
            if test.critical.low is not None and ref.low is not None:
                assert test.critical.low < ref.low, test.label
            if test.critical.high is not None and ref.high is not None:
                assert test.critical.high > ref.high, test.label


@pytest.mark.parametrize(
    ("loinc", "low", "high"),
    [("2823-3", 2.8, 6.2), ("2951-2", 120.0, 158.0), ("2345-7", 2.8, 25.0), ("718-7", 60.0, 200.0),
     ("777-3", 30.0, 1000.0), ("6690-2", 2.0, 37.0), ("6301-6", None, 5.0)],
)
def test_published_critical_limits(loinc: str, low: float | None, high: float | None) -> None:
    crit = default_catalogue().get(loinc).critical
    assert (crit.low, crit.high) == (low, high)


@pytest.mark.parametrize(("loinc", "days"), [("4548-4", 60), ("2093-3", 28), ("2571-8", 28), ("3016-3", 42)])
def test_minimum_retest_intervals(loinc: str, days: int) -> None:
    assert default_catalogue().get(loinc).retest_days == days


def test_hba1c_reference_matches_percent_bounds() -> None:
    ref = default_catalogue().get("4548-4").reference
    assert ref.low == pytest.approx(to_si(4.0, "%", "hba1c"), abs=0.5)
    assert ref.high == pytest.approx(to_si(5.6, "%", "hba1c"), abs=0.5)
    assert set(default_catalogue().group_codes("hba1c")) == {"4548-4", "17856-6", "59261-8"}


def test_sex_specific_reference() -> None:
    creat = default_catalogue().get("2160-0")
    assert creat.reference_for("F") == Interval(44.0, 80.0)
    assert creat.reference_for("M") == Interval(62.0, 106.0)
    assert creat.reference_for(None) == Interval(44.0, 106.0)  # the wider of the two when sex is unknown


def test_catalogue_rejects_bad_tables() -> None:
    with pytest.raises(LabValueError, match="unknown key"):
        Catalogue.from_mapping({"tests": {"1-1": {"analyte": "glucose", "colour": "red"}}})
    with pytest.raises(LabValueError, match="analyte"):
        Catalogue.from_mapping({"tests": {"1-1": {"analyte": "kryptonite"}}})
    with pytest.raises(LabValueError, match="low 5.0 is above high 1.0"):
        Catalogue.from_mapping({"tests": {"1-1": {"analyte": "glucose", "reference": [5.0, 1.0]}}})
    with pytest.raises(LabValueError, match="not in \\[sources\\]"):
        Catalogue.from_mapping({"tests": {"1-1": {"analyte": "glucose", "sources": ["nobody"]}}})


def test_delta_limit_semantics() -> None:
    both = DeltaLimit(abs=50.0, rel=0.5)
    assert both.exceeded(200.0, 90.0)          # -110 and -55 %
    assert not both.exceeded(60.0, 25.0)       # -58 % but only 35 absolute
    assert not both.exceeded(400.0, 330.0)     # 70 absolute but -17.5 %
    assert DeltaLimit(abs=1.0).exceeded(4.0, 5.1) and not DeltaLimit(abs=1.0).exceeded(4.0, 5.0)


def test_settings_overrides_per_centre_and_institution() -> None:
    s = LabSettings.from_mapping({
        "critical": {"2823-3": {"high": 6.0}},
        "retest_days": {"4548-4": 90, "3016-3": 0},
        "delta": {"2160-0": {"abs": 30, "window_days": 2}},
        "institutions": {"clinic-07": {"critical": {"2345-7": {"low": 3.0}}, "retest_days": {"4548-4": 120}}},
        "duplicate_priority": "urgent",
        "glucose": {"min_coverage_percent": 80},
    })
    k = s.test("2823-3")
    assert (k.critical.low, k.critical.high) == (2.8, 6.0)
    assert s.test("4548-4").retest_days == 90
    assert s.test("3016-3").retest_days is None
    assert s.test("2160-0").delta == DeltaLimit(abs=30.0, rel=None, window_days=2.0)
    assert s.test("2345-7", "clinic-07").critical == Interval(3.0, 25.0)
    assert s.test("2345-7", "clinic-99").critical == Interval(2.8, 25.0)
    assert s.test("4548-4", "clinic-07").retest_days == 120
    assert s.test("2823-3", "clinic-07").critical.high == 6.0     # centre-wide override still applies
    assert s.duplicate_priority == "urgent"
    assert s.glucose.min_coverage_percent == 80.0
    assert LabSettings().test("9999-9") is None


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"critcal": {}}, "unknown key 'critcal'"),
        ({"institutions": {"c1": {"retest": {}}}}, "unknown key 'retest'"),
        ({"critical": {"2823-3": {"hi": 6}}}, "unknown key"),
        ({"critical": {"0000-0": {"high": 6}}}, "not in the catalogue"),
        ({"retest_days": {"4548-4": -1}}, "retest_days.4548-4"),
        ({"duplicate_priority": "asap"}, "duplicate_priority"),
        ({"glucose": {"tir_target": 70}}, "unknown key 'tir_target'"),
        ({"glucose": {"low_mmol_l": 12.0}}, "thresholds must increase"),
        ({"delta": {"2823-3": {"window_days": 2}}}, "abs and/or rel"),
    ],
)
def test_settings_errors_name_the_key(mapping: dict, message: str) -> None:
    with pytest.raises(LabValueError, match=message):
        LabSettings.from_mapping(mapping)


def test_glucose_settings_defaults_are_the_consensus_targets() -> None:
    g = GlucoseSettings()
    assert (g.low_mmol_l, g.high_mmol_l, g.very_low_mmol_l, g.very_high_mmol_l) == (3.9, 10.0, 3.0, 13.9)
    assert (g.tir_min_percent, g.tbr_max_percent, g.tbr_very_low_max_percent, g.cv_max_percent) == (70, 4, 1, 36)
