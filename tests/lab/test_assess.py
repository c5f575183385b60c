"""Rules on hand-checked cases: flags, critical values, deltas, duplicates across institutions, abnormal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lab import (
    InMemoryHistory, Interval, LabOrder, LabReport, LabResult, LabSettings, PatientRef, SentRange,
    UnknownUnitError, assess, assess_many, default_catalogue, flag_value, read,
)

T0 = datetime(2026, 3, 1, 8, 0)
ISSUER = "urn:oid:1.2.3"


def report(*results: tuple, pid: str = "P1", institution: str = "CLINIC-A", order: str = "O1",
           when: datetime = T0, sex: str | None = None) -> LabReport:
    """results: (loinc, value, unit[, sender flag[, comparator]])."""
    rs = []
    for r in results:
        loinc, value, unit, *rest = r
        flag = rest[0] if rest else ""
        comparator = rest[1] if len(rest) > 1 else ""
        rs.append(LabResult(loinc=loinc, name=loinc, value=value, unit=unit, flag=flag, comparator=comparator))
    return LabReport(PatientRef(pid, ISSUER, sex), institution, LabOrder(order, order), when, tuple(rs))


def codes(a) -> list[str]:
    return [f.code for f in a.findings]


# ------------------------------------------------------------------ critical values
@pytest.mark.parametrize("sender_flag", ["", "H", "N", "HH"])
def test_critical_potassium_with_and_without_sender_flag(sender_flag: str) -> None:
    a = assess(report(("2823-3", 6.5, "mmol/L", sender_flag)))
    assert a.priority == "stat"
    crit = a.findings[0]
    assert (crit.code, crit.loinc, crit.test, crit.value, crit.unit, crit.limit) == (
        "CRITICAL_VALUE", "2823-3", "2823-3 Potassium", 6.5, "mmol/L", 6.2)
    assert a.results[0].flag == "HH"
    assert ("FLAG_MISMATCH" in codes(a)) == (sender_flag in ("H", "N"))
    assert "Potassium 6.5 mmol/L critically high (> 6.2 mmol/L)" in a.reasons[0]


def test_glucose_30_mg_dl_is_critically_low_in_si() -> None:
    a = assess(report(("2345-7", 30.0, "mg/dL", "L")))
    r = a.results[0]
    assert r.value_si == pytest.approx(1.665, abs=1e-3) and r.unit_si == "mmol/L" and r.flag == "LL"
    assert a.priority == "stat"
    assert a.findings[0].code == "CRITICAL_VALUE" and a.findings[0].limit == 2.8
    assert "30 mg/dL = 1.67 mmol/L critically low (< 2.8 mmol/L)" in a.reasons[0]


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "flag"),
    [
        ("2823-3", 2.7, "mmol/L", "LL"), ("2823-3", 2.8, "mmol/L", "L"), ("2823-3", 3.4, "mEq/L", "L"),
        ("2823-3", 6.2, "mmol/L", "H"), ("2951-2", 119.0, "mEq/L", "LL"), ("2951-2", 159.0, "mmol/L", "HH"),
        ("718-7", 5.9, "g/dL", "LL"), ("718-7", 6.0, "g/dL", "L"), ("777-3", 29.0, "K/uL", "LL"),
        ("6690-2", 38.0, "x10^9/L", "HH"), ("6690-2", 1.9, "10*9/L", "LL"), ("6301-6", 5.1, "{INR}", "HH"),
        ("2345-7", 452.0, "mg/dL", "HH"), ("2345-7", 95.0, "mg/dL", "N"), ("17861-6", 14.0, "mg/dL", "HH"),
        ("2160-0", 7.5, "mg/dL", "HH"), ("89579-7", 0.07, "ng/mL", "HH"), ("4548-4", 6.5, "%", "H"),
    ],
)
def test_hand_checked_flags(loinc: str, value: float, unit: str, flag: str) -> None:
    assert assess(report((loinc, value, unit))).results[0].flag == flag


def test_sex_specific_reference_changes_the_flag() -> None:
    assert assess(report(("2160-0", 95.0, "umol/L"), sex="F")).results[0].flag == "H"
    assert assess(report(("2160-0", 95.0, "umol/L"), sex="M")).results[0].flag == "N"


def test_comparator_only_flags_its_own_side() -> None:
    assert assess(report(("67151-1", 3.0, "ng/L", "", "<"))).results[0].flag == "N"
    assert assess(report(("2345-7", 1.1, "mmol/L", "", "<"))).results[0].flag == "LL"
    assert assess(report(("6690-2", 100.0, "10*9/L", "", ">"))).results[0].flag == "HH"
    assert flag_value(1.0, Interval(2.0, 5.0), Interval(), ">") == "N"


def test_abnormal_not_critical_is_urgent() -> None:
    a = assess(report(("1742-6", 80.0, "U/L")))
    assert codes(a) == ["ABNORMAL"] and a.priority == "urgent"
    assert a.findings[0].limit == 41.0          # sex unknown: the wider of the sex-specific intervals
    assert assess(report(("1742-6", 80.0, "U/L"), sex="F")).findings[0].limit == 33.0


def test_normal_report_is_routine_with_no_findings() -> None:
    a = assess(report(("2951-2", 140.0, "mmol/L", "N"), ("2823-3", 4.2, "mmol/L", "N")))
    assert a.priority == "routine" and a.findings == () and a.reasons == ()


def test_sender_flag_disagreement_is_noted() -> None:
    a = assess(report(("2160-0", 0.92, "mg/dL", "H"), sex="F"))   # 81.3 umol/L > female upper limit 80
    r = a.results[0]
    assert r.value_si == pytest.approx(81.35, abs=0.01)
    assert r.flag == "H" and not r.flag_mismatch
    assert assess(report(("2160-0", 0.92, "mg/dL", "H"), sex="M")).results[0].flag_mismatch  # male: N
    b = assess(report(("2951-2", 140.0, "mmol/L", "L")))
    assert b.results[0].flag_mismatch and codes(b) == ["FLAG_MISMATCH"] and b.priority == "routine"
    c = assess(report(("2951-2", 150.0, "mmol/L", "A")))          # "A" abnormal agrees with H
    assert not c.results[0].flag_mismatch


def test_uncatalogued_test_uses_the_sender_range() -> None:
    r = LabResult("99999-9", "Exotic", 25.0, "furlongs", reference_range=SentRange("10-20", 10.0, 20.0), flag="N")
    a = assess(LabReport(PatientRef("P1", ISSUER), "C", LabOrder("O", "O"), T0, (r,)))
    assert a.results[0].flag == "H" and a.results[0].value_si is None
    assert codes(a) == ["ABNORMAL", "FLAG_MISMATCH"]


def test_text_results_and_cancelled_results_are_not_flagged() -> None:
    r1 = LabResult("5778-6", "colour", None, "", text="yellow", value_type="ST")
    r2 = LabResult("2823-3", "K", 9.9, "mmol/L", status="X")
    a = assess(LabReport(PatientRef("P1", ISSUER), "C", LabOrder(), T0, (r1, r2)))
    assert [r.flag for r in a.results] == [""] and a.priority == "routine"


def test_unknown_unit_in_a_hand_built_report_is_refused() -> None:
    with pytest.raises(UnknownUnitError, match="2823-3 Potassium"):
        assess(report(("2823-3", 4.0, "mg/kg")))


# ------------------------------------------------------------------ delta checks
def test_delta_potassium_rise_within_window() -> None:
    history = InMemoryHistory([report(("2823-3", 4.0, "mmol/L"), order="O0", when=T0)])
    a = assess(report(("2823-3", 5.3, "mmol/L"), when=T0 + timedelta(days=2)), history=history)
    assert codes(a) == ["ABNORMAL", "DELTA"]
    delta = a.findings[1]
    assert delta.limit == 1.0 and delta.previous.value_si == 4.0 and delta.priority == "urgent"
    assert "Potassium rose by 1.3 mmol/L since 2026-03-01 08:00 (4 → 5.3; limit 1 mmol/L within 3 d)" in a.reasons[1]


def test_delta_not_raised_at_the_limit_or_outside_the_window() -> None:
    history = InMemoryHistory([report(("2823-3", 4.0, "mmol/L"), order="O0", when=T0)])
    at_limit = assess(report(("2823-3", 5.0, "mmol/L"), when=T0 + timedelta(days=1)), history=history)
    late = assess(report(("2823-3", 5.05, "mmol/L"), when=T0 + timedelta(days=4)), history=history)
    assert "DELTA" not in codes(at_limit) and "DELTA" not in codes(late)


def test_delta_across_units_and_institutions() -> None:
    # creatinine 0.9 mg/dL (79.6 umol/L) at clinic A, then 110 umol/L at hospital B one day later: +30.4 > 26.5
    history = InMemoryHistory([report(("2160-0", 0.9, "mg/dL"), order="O0", institution="CLINIC-A")])
    a = assess(report(("2160-0", 110.0, "umol/L"), institution="HOSP-B", when=T0 + timedelta(days=1)), history=history)
    d = next(f for f in a.findings if f.code == "DELTA")
    assert d.previous.value_si == pytest.approx(79.578) and d.previous.institution == "CLINIC-A"


def test_delta_with_absolute_and_relative_limits() -> None:
    # platelets: abs 50 AND rel 50 %: 300 -> 140 (-160, -53 %) fires; 80 -> 35 (-45, -56 %) does not
    h = InMemoryHistory([report(("777-3", 300.0, "10*9/L"), order="O0"), report(("777-3", 80.0, "10*9/L"), pid="P2", order="O0")])
    assert "DELTA" in codes(assess(report(("777-3", 140.0, "10*9/L"), when=T0 + timedelta(hours=12)), history=h))
    assert "DELTA" not in codes(assess(report(("777-3", 35.0, "10*9/L"), pid="P2", when=T0 + timedelta(hours=12)), history=h))


# ------------------------------------------------------------------ duplicate tests
def test_duplicate_hba1c_across_two_institutions() -> None:
    earlier = report(("4548-4", 7.2, "%"), institution="CLINIC-03", order="C3-1", when=T0)
    history = InMemoryHistory([earlier])
    later = report(("59261-8", 56.0, "mmol/mol"), institution="HOSPITAL-12", order="H12-9", when=T0 + timedelta(days=21))
    a = assess(later, history=history)
    dup = next(f for f in a.findings if f.code == "DUPLICATE_TEST")
    assert dup.priority == "routine" and dup.limit == 60.0
    assert dup.previous.institution == "CLINIC-03" and dup.previous.time == T0
    assert dup.previous.value_si == pytest.approx(10.929 * (7.2 - 2.15))
    assert "repeated after 21 d (minimum retest interval 60 d)" in " ".join(a.reasons)
    assert "at CLINIC-03" in " ".join(a.reasons)
    outside = report(("4548-4", 7.0, "%"), institution="HOSPITAL-12", order="H12-10", when=T0 + timedelta(days=61))
    assert "DUPLICATE_TEST" not in codes(assess(outside, history=history))


def test_reprocessing_the_same_report_is_not_a_duplicate() -> None:
    r = report(("4548-4", 7.2, "%"), order="C3-1")
    history = InMemoryHistory([r])
    assert "DUPLICATE_TEST" not in codes(assess(r, history=history))
    history.add(r)  # re-adding replaces, never duplicates
    assert len(history) == 1


def test_other_patient_or_issuer_is_not_history() -> None:
    history = InMemoryHistory([report(("4548-4", 7.2, "%"), order="C3-1")])
    other = LabReport(PatientRef("P1", "urn:oid:9.9.9"), "H", LabOrder("X", "X"), T0 + timedelta(days=5),
                      (LabResult("4548-4", "a1c", 7.0, "%"),))
    assert "DUPLICATE_TEST" not in codes(assess(other, history=history))


def test_duplicate_priority_and_retest_days_are_configurable() -> None:
    s = LabSettings.from_mapping({"duplicate_priority": "urgent", "institutions": {"HOSP": {"retest_days": {"4548-4": 10}}}})
    history = InMemoryHistory([report(("4548-4", 7.2, "%"), order="C3-1")])
    a = assess(report(("4548-4", 5.0, "%"), institution="HOSP", order="X", when=T0 + timedelta(days=21)), history=history, settings=s)
    b = assess(report(("4548-4", 5.0, "%"), institution="OTHER", order="X", when=T0 + timedelta(days=21)), history=history, settings=s)
    assert "DUPLICATE_TEST" not in codes(a)
    assert "DUPLICATE_TEST" in codes(b) and b.priority == "urgent"


def test_institution_critical_override() -> None:
    s = LabSettings.from_mapping({"institutions": {"DIALYSIS-1": {"critical": {"2823-3": {"high": 6.8}}}}})
    assert assess(report(("2823-3", 6.5, "mmol/L"), institution="DIALYSIS-1"), settings=s).priority == "urgent"
    assert assess(report(("2823-3", 6.5, "mmol/L"), institution="CLINIC-A"), settings=s).priority == "stat"


# ------------------------------------------------------------------ assess_many, samples, JSON
def test_assess_many_uses_earlier_reports_as_history_whatever_the_input_order() -> None:
    late = report(("2823-3", 6.0, "mmol/L"), order="O2", when=T0 + timedelta(days=1))
    early = report(("2823-3", 4.0, "mmol/L"), order="O1", when=T0)
    out = assess_many([late, early])
    assert [a.report for a in out] == [early, late]
    assert "DELTA" not in codes(out[0]) and "DELTA" in codes(out[1])


def test_assess_many_merges_a_given_history_without_changing_it() -> None:
    history = InMemoryHistory([report(("4548-4", 7.2, "%"), order="C3-1")])
    out = assess_many([report(("4548-4", 7.0, "%"), order="N1", when=T0 + timedelta(days=3))], history=history)
    assert "DUPLICATE_TEST" in codes(out[0]) and len(history) == 1


def test_samples_end_to_end(samples: Path) -> None:
    reports = [r for name in ("lab_export.csv", "oru_critical_potassium.hl7", "oru_mllp.hl7", "oru_batch.hl7",
                              "fhir_bundle.json") for r in read(samples / name)]
    out = {(a.report.source.split("/")[-1], a.report.order.placer): a for a in assess_many(reports)}
    k = out[("oru_critical_potassium.hl7", "PL-77123")]
    assert k.priority == "stat" and {"CRITICAL_VALUE", "DELTA", "FLAG_MISMATCH"} <= set(codes(k))
    a1c = out[("fhir_bundle.json", "H12-ORD-3301")]
    dup = next(f for f in a1c.findings if f.code == "DUPLICATE_TEST")
    assert dup.previous.institution == "CLINIC-03"
    json.dumps([a.to_dict() for a in out.values()])


def test_to_dict_shape() -> None:
    d = assess(report(("2345-7", 30.0, "mg/dL"))).to_dict()
    assert d["priority"] == "stat" and d["patient"]["key"] == f"{ISSUER}|P1"
    f = d["findings"][0]
    assert set(f) >= {"code", "test", "value", "unit", "limit"} and f["test"] == "2345-7 Glucose"
    assert d["results"][0]["value_si"] == pytest.approx(1.665187, abs=1e-6)


# ------------------------------------------------------------------ invariants
_TESTS = sorted(default_catalogue().tests)
_ORDER = {"LL": 0, "L": 1, "N": 2, "H": 3, "HH": 4}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_TESTS), st.floats(0.0, 2000.0), st.floats(0.0, 2000.0), st.sampled_from(["F", "M", None]))
def test_flags_are_monotone_in_value(loinc: str, a: float, b: float, sex: str | None) -> None:
    test = default_catalogue().get(loinc)
    lo, hi = sorted((a, b))
    ref = test.reference_for(sex)
    assert _ORDER[flag_value(lo, ref, test.critical)] <= _ORDER[flag_value(hi, ref, test.critical)]


@settings(max_examples=60, deadline=None)
@given(st.floats(0.5, 40.0))
def test_flag_does_not_depend_on_the_unit_sent(mmol: float) -> None:
    assume(all(abs(mmol - edge) > 1e-6 for edge in (2.8, 3.9, 5.5, 25.0)))  # float rounding at the limits
    mg_dl = mmol * 18.016
    assert assess(report(("2345-7", mmol, "mmol/L"))).results[0].flag == \
        assess(report(("2345-7", mg_dl, "mg/dL"))).results[0].flag


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(2.0, 8.0), st.integers(0, 30 * 24)), min_size=1, max_size=8))
def test_priority_is_the_most_urgent_finding(values: list[tuple[float, int]]) -> None:
    reports = [report(("2823-3", v, "mmol/L"), order=f"O{i}", when=T0 + timedelta(hours=h)) for i, (v, h) in enumerate(values)]
    rank = {"stat": 0, "urgent": 1, "routine": 2}
    for a in assess_many(reports):
        expected = min((rank[f.priority] for f in a.findings), default=2)
        assert rank[a.priority] == expected
