"""CSV lab exports, format sniffing and :func:`lab.read` dispatch."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from lab import LabFormatError, parse_csv, read, sniff

HEADER = "patient_id,issuer,institution,order_id,specimen_time,loinc,test_name,value,unit,ref_range,flag\n"


def test_csv_sample_groups_rows_into_reports(samples: Path) -> None:
    reports = read(samples / "lab_export.csv")
    assert [len(r.results) for r in reports] == [2, 3]
    first, second = reports
    assert first.patient.key == "urn:oid:2.16.840.1.113883.3.9999|P-1001"
    assert first.specimen_time == datetime(2026, 3, 9, 7, 50)
    assert first.results[1].unit == "mEq/L"
    crp = second.results[2]
    assert (crp.value, crp.comparator, crp.text) == (0.6, "<", "<0.6")


def test_semicolon_delimiter_and_header_variants() -> None:
    text = "Patient ID;Specimen Time;LOINC;Test Name;Value;Unit;Reference Range\nP1;2026-01-01T08:00;2823-3;K;4.2;mmol/L;3.5-5.1\n"
    (report,) = parse_csv(text)
    assert report.results[0].value == 4.2 and report.results[0].reference_range.high == 5.1


def test_text_values_are_kept() -> None:
    (report,) = parse_csv(HEADER + "P1,,C1,O1,2026-01-01T08:00,5778-6,Urine colour,yellow,,,\n")
    assert report.results[0].value is None and report.results[0].text == "yellow"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty CSV"),
        ("patient_id,loinc,value\nP1,2823-3,4\n", r"missing column\(s\) \['specimen_time', 'unit'\]"),
        (HEADER + "P1,,C1,O1,2026-01-01T08:00,2823-3,K,4;2,mmol/L,,\n", r"row 2, column 'value': '4;2' is not a number"),
        (HEADER + "P1,,C1,O1,2026-01-01T08:00,,K,4.2,mmol/L,,\n", "row 2, column 'loinc': empty"),
        (HEADER + "P1,,C1,O1,01/02/2026,2823-3,K,4.2,mmol/L,,\n", "row 2, column 'specimen_time'"),
        (HEADER + "P1,,C1,O1,2026-01-01T08:00,2823-3,K,4.2,mmol/dl,,\n", "row 2, column 'unit'"),
        (HEADER + "P1,,C1,O1,2026-01-01T08:00,2823-3,K\n", "row 2: 7 columns, header has 11"),
    ],
)
def test_csv_errors_name_row_and_column(body: str, message: str) -> None:
    with pytest.raises(LabFormatError, match=message):
        parse_csv(body, source="export.csv")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("oru_critical_potassium.hl7", "hl7v2"), ("oru_batch.hl7", "hl7v2"), ("oru_mllp.hl7", "hl7v2"),
     ("fhir_bundle.json", "fhir"), ("fhir_diagnostic_report.json", "fhir"), ("fhir_observation.json", "fhir"),
     ("lab_export.csv", "csv"), ("glucose_cgm.csv", "glucose-csv"), ("glucose_meter.csv", "glucose-csv")],
)
def test_sniff_samples(samples: Path, name: str, fmt: str) -> None:
    assert sniff(samples / name) == fmt


def test_sniff_rejects_other_files(tmp_path: Path) -> None:
    cases = {"a.json": '{"resourceType": "Patient", "id": "x"}', "b.csv": "lead,mv\nI,0.1\n",
             "c.txt": "hello", "d.bin": "\x00\x01\x02DICM", "e.hea": "100 2 360 650000\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert sniff(tmp_path / name) is None, name
    assert sniff(tmp_path / "missing.hl7") is None


def test_read_errors(tmp_path: Path, samples: Path) -> None:
    (tmp_path / "note.txt").write_text("hello")
    with pytest.raises(LabFormatError, match="note.txt: not a lab file"):
        read(tmp_path / "note.txt")
    with pytest.raises(LabFormatError, match="no such file"):
        read(tmp_path / "absent.hl7")
    with pytest.raises(LabFormatError, match="use lab.read_glucose"):
        read(samples / "glucose_cgm.csv")
