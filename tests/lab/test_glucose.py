"""Glucose self-monitoring metrics against values computed by hand (Battelino 2019 consensus)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from lab import (
    GlucoseSeries, LabFormatError, LabSettings, LabValueError, assess_glucose, glucose_metrics,
    parse_glucose_csv, parse_glucose_fhir, read_glucose,
)

T0 = datetime(2026, 3, 1)


def series(values: list[float], step_s: float | list[float] = 300.0) -> GlucoseSeries:
    steps = np.full(len(values), step_s) if np.isscalar(step_s) else np.asarray([0.0, *step_s])
    if np.isscalar(step_s):
        steps[0] = 0.0
    t = np.datetime64(T0, "s") + np.cumsum(steps).astype("timedelta64[s]")
    return GlucoseSeries(t, np.asarray(values, dtype=float))


def test_metrics_by_hand_on_ten_regular_readings() -> None:
    m = glucose_metrics(series([2.5, 3.5, 4.0, 6.0, 8.0, 10.0, 10.5, 12.0, 14.5, 7.0]))
    assert m.n_readings == 10 and m.kind == "cgm" and m.interval_s == 300.0
    assert m.tir_percent == pytest.approx(50.0)          # 4.0 6.0 8.0 10.0 7.0 (bounds inclusive)
    assert m.tbr_percent == pytest.approx(20.0)          # 2.5 3.5
    assert m.tbr_very_low_percent == pytest.approx(10.0)  # 2.5
    assert m.tar_percent == pytest.approx(30.0)          # 10.5 12.0 14.5
    assert m.tar_very_high_percent == pytest.approx(10.0)  # 14.5
    assert m.mean_mmol_l == pytest.approx(7.8)
    assert m.sd_mmol_l == pytest.approx(np.sqrt(139.6 / 10))
    assert m.cv_percent == pytest.approx(100 * np.sqrt(13.96) / 7.8)   # 47.9 %
    assert m.gmi_mmol_mol == pytest.approx(12.71 + 4.70587 * 7.8)      # 49.42
    assert m.gmi_percent == pytest.approx(3.31 + 0.02392 * 7.8 * 18.016)  # 6.67
    assert m.coverage_percent == pytest.approx(100 * 10 * 300 / (14 * 86400))
    assert not m.valid and "too sparse" in m.validity_note


def test_fourteen_full_days_are_valid_and_in_range() -> None:
    m = glucose_metrics(series([6.0] * (14 * 96), 900.0))
    assert m.valid and m.coverage_percent == pytest.approx(100.0)
    assert (m.tir_percent, m.cv_percent, m.tbr_percent) == (100.0, 0.0, 0.0)


def test_seven_of_fourteen_days_is_too_sparse() -> None:
    m = glucose_metrics(series([6.0] * (7 * 96), 900.0))
    assert m.coverage_percent == pytest.approx(50.0) and not m.valid
    assert "50% of the expected CGM readings over 14 d (< 70%)" in m.validity_note


def test_only_the_last_fourteen_days_count() -> None:
    m = glucose_metrics(series([2.0] * 96 + [6.0] * (14 * 96), 900.0))
    assert m.tbr_percent == 0.0 and m.n_readings == 14 * 96


def test_time_weighting_with_a_gap() -> None:
    # 0, 5, 10, 40 min: the 30-min gap is capped at 2 x 5 min; weights 300, 300, 600, 300 s
    m = glucose_metrics(series([4.0, 4.0, 12.0, 12.0], [300.0, 300.0, 1800.0]))
    assert m.tar_percent == pytest.approx(100 * 900 / 1500)     # 60 %, not the 50 % of readings
    assert m.mean_mmol_l == pytest.approx((4 * 600 + 12 * 900) / 1500)
    assert "time-weighted" in m.weighting


def test_meter_readings_are_not_valid_cgm_metrics(samples: Path) -> None:
    s = read_glucose(samples / "glucose_meter.csv")
    assert s.patient.id == "P-5005"
    assert s.mmol_l[0] == pytest.approx(128 / 18.016)
    m = glucose_metrics(s)
    assert m.kind == "meter" and not m.valid and "meter readings" in m.validity_note


def test_hypoglycaemia_is_urgent() -> None:
    a = assess_glucose(series([6.0, 5.0, 2.9, 2.4, 4.5]))
    hypo = a.findings[0]
    assert (hypo.code, hypo.count, hypo.value, hypo.priority) == ("HYPOGLYCEMIA", 2, 2.4, "urgent")
    assert hypo.time == T0 + timedelta(minutes=15)
    assert a.priority == "urgent" and "lowest 2.4 mmol/L at 2026-03-01 00:15" in a.reasons[0]
    assert assess_glucose(series([3.0, 3.1]), settings=LabSettings()).findings[0].code != "HYPOGLYCEMIA"


def test_missed_targets_are_routine_findings() -> None:
    values = ([3.5] * 10 + [7.0] * 70 + [15.0] * 20) * (14 * 96 // 100) + [7.0] * (14 * 96 % 100)
    a = assess_glucose(series(values, 900.0))
    codes = {f.code for f in a.findings}
    assert {"TBR_ABOVE_TARGET", "TAR_VERY_HIGH_ABOVE_TARGET"} <= codes
    assert "HYPOGLYCEMIA" not in codes and a.priority == "routine"


def test_cgm_sample(samples: Path) -> None:
    a = assess_glucose(read_glucose(samples / "glucose_cgm.csv"))
    m = a.metrics
    assert m.n_readings == 14 * 96 and m.valid and m.interval_s == 900.0
    assert a.priority == "urgent" and a.findings[0].code == "HYPOGLYCEMIA"
    assert a.findings[0].count >= 6 and a.findings[0].time == datetime(2026, 3, 3, 2, 0)
    assert a.to_dict()["metrics"]["valid"] is True


def test_glucose_from_fhir_observations() -> None:
    entries = []
    for i, mg in enumerate((90, 100, 50, 110)):
        entries.append({"resource": {
            "resourceType": "Observation", "id": f"g{i}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "41653-7"}]},
            "subject": {"identifier": {"system": "urn:oid:1.2", "value": "P9"}},
            "effectiveDateTime": f"2026-03-01T0{i}:00:00Z",
            "valueQuantity": {"value": mg, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}}})
    s = parse_glucose_fhir({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert s.patient.id == "P9" and len(s.mmol_l) == 4
    assert s.mmol_l[2] == pytest.approx(50 / 18.016)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,glucose_mmol_l\n2026-01-01T00:00,5\n", "no time column"),
        ("time,value\n2026-01-01T00:00,5\n", "no glucose column"),
        ("time,glucose\n2026-01-01T00:00,5\n", "needs a 'unit' column"),
        ("time,glucose_mmol_l\n2026-01-01T00:00,five\n", "row 2, column 'glucose_mmol_l': 'five' is not a number"),
        ("time,glucose_mmol_l\nnoon,5\n", "row 2, column 'time'"),
        ("time,glucose,unit\n2026-01-01T00:00,5,mg/kg\n", "row 2, column 'unit'"),
        ("time,glucose_mg_dl\n2026-01-01T00:00,5000\n", "not a plausible glucose"),
        ("time,glucose_mmol_l\n", "no readings"),
    ],
)
def test_glucose_csv_errors(text: str, message: str) -> None:
    with pytest.raises(LabFormatError, match=message):
        parse_glucose_csv(text)


def test_metric_input_validation() -> None:
    with pytest.raises(LabValueError, match="no readings"):
        glucose_metrics(GlucoseSeries(np.array([], dtype="datetime64[s]"), np.array([])))
    with pytest.raises(LabValueError, match="finite"):
        glucose_metrics(series([5.0, float("nan")]))
