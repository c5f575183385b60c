"""Unit spelling and per-analyte SI conversion, hand-checked against the published factors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.errors import UnknownUnitError
from lab.units import ANALYTE_FACTORS, convert, from_si, known_units, normalize_unit, si_factor, to_si


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("mg/dL", "mg/dL"), ("mg/dl", "mg/dL"), ("MG/DL", "mg/dL"), ("mmol/L", "mmol/L"), ("mmol/l", "mmol/L"),
        ("µmol/L", "umol/L"), ("μmol/l", "umol/L"), ("umol/L", "umol/L"), ("10*9/L", "10*9/L"),
        ("x10^9/L", "10*9/L"), ("×10^9/L", "10*9/L"), ("K/uL", "10*9/L"), ("10*3/uL", "10*9/L"),
        ("10^12/L", "10*12/L"), ("mEq/L", "mEq/L"), ("m[IU]/L", "mIU/L"), ("uIU/mL", "mIU/L"),
        ("pg/mL", "ng/L"), ("ng/mL", "ug/L"), ("IU/L", "U/L"), ("{INR}", "1"), (" g / dL ", "g/dL"),
        ("mg/L FEU", "mg/L"), ("%", "%"), ("mmol/mol", "mmol/mol"),
    ],
)
def test_spelling_variants_normalise(spelling: str, canonical: str) -> None:
    assert normalize_unit(spelling) == canonical


@pytest.mark.parametrize("bad", ["furlongs", "mg/dm", "mmol/kg", "mg%", "gr/L", "10*9"])
def test_unknown_spelling_is_an_error_never_a_guess(bad: str) -> None:
    with pytest.raises(UnknownUnitError, match="unknown unit"):
        normalize_unit(bad)


@pytest.mark.parametrize(
    ("value", "unit", "analyte", "expected"),
    [
        (30.0, "mg/dL", "glucose", 30.0 / 18.016),           # 1.665 mmol/L
        (180.16, "mg/dL", "glucose", 10.0),
        (1.0, "mg/dL", "creatinine", 88.42),
        (2.4, "mg/dL", "creatinine", 212.208),
        (10.0, "mg/dL", "calcium", 2.495),
        (10.0, "mEq/L", "calcium", 5.0),                      # divalent: mEq/L / 2
        (4.4, "mEq/L", "potassium", 4.4),                     # monovalent: mEq/L = mmol/L
        (14.0, "mg/dL", "urea_nitrogen", 14.0 * 0.357),
        (30.0, "mg/dL", "urea", 30.0 * 0.1665),
        (200.0, "mg/dL", "cholesterol", 200.0 * 0.02586),
        (150.0, "mg/dL", "triglycerides", 150.0 * 0.01129),
        (1.0, "mg/dL", "bilirubin", 17.10),
        (14.0, "g/dL", "haemoglobin", 140.0),
        (250.0, "K/uL", "cell_count", 250.0),
        (250.0, "10*3/uL", "cell_count", 250.0),
        (0.5, "ug/mL", "d_dimer", 0.5),
        (0.183, "ng/mL", "troponin", 183.0),
        (1.0, "ng/dL", "free_t4", 12.87),
        (7.0, "%", "hba1c", 10.929 * (7.0 - 2.15)),           # 53.0 mmol/mol
        (48.0, "mmol/mol", "hba1c", 48.0),
        (1.0, "ukat/L", "enzyme", 60.0),
        (0.42, "L/L", "fraction", 42.0),
        (2.1, "uIU/mL", "hormone_iu", 2.1),
    ],
)
def test_hand_checked_conversions(value: float, unit: str, analyte: str, expected: float) -> None:
    assert to_si(value, unit, analyte) == pytest.approx(expected, rel=1e-9)


def test_hba1c_ifcc_known_pairs() -> None:
    # DCCT/NGSP 6.5 % = 47.5 mmol/mol; 8.0 % = 63.9 mmol/mol (IFCC-NGSP master equation)
    assert to_si(6.5, "%", "hba1c") == pytest.approx(47.54, abs=0.01)
    assert to_si(8.0, "%", "hba1c") == pytest.approx(63.93, abs=0.01)
    assert from_si(48.0, "%", "hba1c") == pytest.approx(6.54, abs=0.01)


@pytest.mark.parametrize(
    ("unit", "analyte"),
    [("U/L", "glucose"), ("mg/dL", "cell_count"), ("mmol/L", "haemoglobin"), ("%", "potassium"), ("", "sodium"),
     ("mEq/L", "glucose")],
)
def test_unit_foreign_to_the_analyte_is_an_error(unit: str, analyte: str) -> None:
    with pytest.raises(UnknownUnitError, match="cannot be converted"):
        si_factor(unit, analyte)


def test_unknown_analyte_is_an_error() -> None:
    with pytest.raises(UnknownUnitError, match="analyte"):
        to_si(1.0, "mmol/L", "unobtainium")


def test_every_si_unit_is_known() -> None:
    for spec in ANALYTE_FACTORS.values():
        assert spec.si_unit in known_units()
        assert si_factor(spec.si_unit, next(k for k, v in ANALYTE_FACTORS.items() if v is spec)) == (1.0, 0.0)


_PAIRS = [("glucose", "mg/dL"), ("creatinine", "mg/dL"), ("calcium", "mEq/L"), ("calcium", "mg/dL"),
          ("hba1c", "%"), ("cell_count", "K/uL"), ("haemoglobin", "g/dL"), ("troponin", "ng/mL"),
          ("free_t4", "ng/dL"), ("cholesterol", "mg/dL"), ("enzyme", "ukat/L")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_PAIRS), st.floats(min_value=1e-3, max_value=1e4, allow_nan=False))
def test_round_trip_through_si(pair: tuple[str, str], value: float) -> None:
    analyte, unit = pair
    back = from_si(to_si(value, unit, analyte), unit, analyte)
    assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.1, max_value=1e3, allow_nan=False), st.floats(min_value=0.1, max_value=1e3, allow_nan=False))
def test_conversion_is_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    for analyte, unit in _PAIRS:
        assert to_si(lo, unit, analyte) <= to_si(hi, unit, analyte)


def test_convert_between_two_non_si_units() -> None:
    assert convert(100.0, "mg/dL", "g/L", "glucose") == pytest.approx(1.0)
    assert convert(1.0, "mg/dL", "mg/L", "creatinine") == pytest.approx(10.0)
