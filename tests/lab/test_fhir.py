"""FHIR R4 JSON reader: Bundle, DiagnosticReport (referenced and contained Observations), Observation."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from lab import LabFormatError, parse_fhir, read


@pytest.fixture()
def bundle(samples: Path) -> dict:
    return json.loads((samples / "fhir_bundle.json").read_text())


def test_bundle_with_referenced_observations(samples: Path) -> None:
    (report,) = read(samples / "fhir_bundle.json")
    assert report.patient.id == "P-1001"
    assert report.patient.issuer == "urn:oid:2.16.840.1.113883.3.9999"
    assert report.patient.sex == "F"
    assert report.institution == "HOSPITAL-12"
    assert (report.order.placer, report.order.filler) == ("H12-ORD-3301", "H12-ACC-8841")
    assert report.specimen_time == datetime(2026, 3, 9, 8, 30)
    assert [(r.loinc, r.value, r.unit, r.flag) for r in report.results] == [
        ("4548-4", 7.1, "%", "H"), ("3016-3", 2.1, "m[IU]/L", "N"), ("1742-6", 58.0, "U/L", "H")]
    assert report.results[0].reference_range.low == 4.0


def test_diagnostic_report_with_contained_observation(samples: Path) -> None:
    (report,) = read(samples / "fhir_diagnostic_report.json")
    (trop,) = report.results
    assert (trop.loinc, trop.value, trop.unit) == ("89579-7", 0.183, "ng/mL")
    assert trop.reference_range.text == "<0.026"
    assert report.patient.id == "P-3003" and report.institution == "HOSPITAL-12"


def test_single_observation(samples: Path) -> None:
    (report,) = read(samples / "fhir_observation.json")
    assert report.results[0].value == 30.0 and report.results[0].unit == "mg/dL"
    assert report.patient.id == "P-2002" and report.institution == "CLINIC-11"


def test_unreferenced_observations_are_grouped(bundle: dict) -> None:
    entries = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "DiagnosticReport"]
    b = dict(bundle, entry=entries)
    (report,) = parse_fhir(b)
    assert len(report.results) == 3
    other = copy.deepcopy(entries[-1])
    other["resource"]["id"] = "later"
    other["resource"]["effectiveDateTime"] = "2026-03-10T09:30:00+01:00"
    reports = parse_fhir(dict(bundle, entry=entries + [other]))
    assert sorted(len(r.results) for r in reports) == [1, 3]


def test_text_and_comparator_values(bundle: dict) -> None:
    obs = copy.deepcopy(bundle["entry"][3]["resource"])
    obs["valueQuantity"]["comparator"] = "<"
    (report,) = parse_fhir(obs)
    assert report.results[0].comparator == "<"
    del obs["valueQuantity"]
    obs["valueString"] = "haemolysed"
    (report,) = parse_fhir(obs)
    assert report.results[0].value is None and report.results[0].text == "haemolysed"


def test_optional_validation_with_fhir_resources(samples: Path, bundle: dict) -> None:
    assert parse_fhir(bundle, validate=True)
    broken = copy.deepcopy(bundle)
    broken["entry"][3]["resource"]["issued"] = "last tuesday"
    parse_fhir(broken)  # our walker does not read Observation.issued
    with pytest.raises(LabFormatError, match=r"fails validation at entry.3.resource.issued"):
        parse_fhir(broken, validate=True)


def _obs(bundle: dict) -> dict:
    return copy.deepcopy(bundle["entry"][3]["resource"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o["code"].update(coding=[{"system": "http://snomed.info/sct", "code": "1"}]), "code.coding: no LOINC code"),
        (lambda o: o.pop("code"), "Observation.code: missing"),
        (lambda o: o["valueQuantity"].update(value="7.1"), "valueQuantity.value: expected a number"),
        (lambda o: o["valueQuantity"].update(code="mmol/kg", unit="mmol/kg"), "valueQuantity: unknown unit 'mmol/kg'"),
        (lambda o: o["valueQuantity"].update(code="g/L", unit="g/L"), "cannot be converted"),
        (lambda o: o.update(effectiveDateTime="yesterday"), "effectiveDateTime: 'yesterday' is not a FHIR dateTime"),
        (lambda o: o.pop("subject"), "subject: missing"),
        (lambda o: o.update(resourceType="Patient"), "resourceType is 'Patient'"),
    ],
)
def test_malformed_resources_name_the_path(bundle: dict, mutate, message: str) -> None:
    obs = _obs(bundle)
    mutate(obs)
    with pytest.raises(LabFormatError, match=message):
        parse_fhir(obs, source="x.json")


def test_unresolvable_result_reference(bundle: dict) -> None:
    b = copy.deepcopy(bundle)
    b["entry"][2]["resource"]["result"].append({"reference": "Observation/missing"})
    with pytest.raises(LabFormatError, match=r"Bundle.entry\[2\].resource.result\[3\]: reference .* does not resolve"):
        parse_fhir(b)


def test_truncated_json(samples: Path, tmp_path: Path) -> None:
    text = (samples / "fhir_bundle.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(LabFormatError, match=r"cut.json: invalid JSON at line \d+ column \d+.*truncated"):
        read(path)


def test_non_object_json() -> None:
    with pytest.raises(LabFormatError, match="top-level JSON is a list"):
        parse_fhir("[1, 2]")
