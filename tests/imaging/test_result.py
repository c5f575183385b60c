"""ImagingResult and study triage (imaging.result)."""

from __future__ import annotations

import json

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from imaging import FindingCode, ImagingResult, ImagingSettings, ImagingValueError, assess_study, group_studies
from tests.imaging.test_series import make_ct_datasets


def _study(**attributes: object):
    return group_studies(make_ct_datasets(6, **attributes))[0]


def _codes(result: ImagingResult) -> list[FindingCode]:
    return [f.code for f in result.findings]


def test_default_is_routine_with_no_findings() -> None:
    result = assess_study(_study())
    assert result.priority == "routine"
    assert result.findings == () and result.reasons == ()
    assert (result.n_series, result.n_instances, result.modality, result.patient_id) == (1, 6, "CT", "PAT-001")


@pytest.mark.parametrize(
    ("value", "priority"),
    [("STAT", "stat"), ("HIGH", "stat"), ("MEDIUM", "urgent"), ("ROUTINE", "routine"), ("LOW", "routine")],
)
def test_requested_procedure_priority_maps_to_priority(value: str, priority: str) -> None:
    req = Dataset()
    req.RequestedProcedurePriority = value
    result = assess_study(_study(RequestAttributesSequence=[req]))
    assert result.priority == priority
    finding = result.findings[0]
    assert finding.code is FindingCode.REQUESTED_PRIORITY and finding.value == value
    assert finding.attribute == "RequestedProcedurePriority"
    assert value in result.reasons[0]


@pytest.mark.parametrize(("value", "priority"), [("HIGH", "stat"), ("MED", "urgent"), ("LOW", "routine")])
def test_study_priority_id_maps_to_priority(value: str, priority: str) -> None:
    assert assess_study(_study(StudyPriorityID=value)).priority == priority


@pytest.mark.parametrize(
    ("reason", "priority"),
    [
        ("STAT head CT, fall on anticoagulants", "stat"),
        ("r/o PE - stat", "stat"),
        ("Urgent: suspected appendicitis", "urgent"),
        ("status post resection, follow-up", "routine"),  # "stat" only as a word
        ("routine follow-up", "routine"),
    ],
)
def test_reason_text_keywords(reason: str, priority: str) -> None:
    result = assess_study(_study(ReasonForStudy=reason))
    assert result.priority == priority
    if priority != "routine":
        assert result.findings[0].code is FindingCode.REQUEST_KEYWORD


def test_most_urgent_signal_wins_and_keywords_are_configurable() -> None:
    req = Dataset()
    req.RequestedProcedurePriority = "LOW"
    req.ReasonForTheRequestedProcedure = "urgent, query stroke"
    study = _study(RequestAttributesSequence=[req])
    assert assess_study(study).priority == "urgent"
    custom = ImagingSettings.from_mapping({"stat_keywords": ["stroke"]})
    assert assess_study(study, settings=custom).priority == "stat"


def test_missing_slices_are_reported_with_positions() -> None:
    ks = [0, 1, 2, 3, 6, 7, 8, 9]  # slices 4 and 5 missing, spacing 5 mm
    study = group_studies(make_ct_datasets(positions_k=ks, spacing_mm=5.0))[0]
    result = assess_study(study)
    assert result.priority == "routine"
    (finding,) = result.findings
    assert finding.code is FindingCode.MISSING_SLICES and finding.count == 2
    assert finding.positions_mm == pytest.approx((25.0, 40.0))
    assert "2 slice(s) missing" in result.reasons[0]
    assert finding.series_instance_uid == study.series[0].series_instance_uid


def test_multiphase_repeats_are_not_duplicates_but_uneven_repeats_are() -> None:
    two_phases = group_studies(make_ct_datasets(positions_k=[0, 1, 2, 3, 0, 1, 2, 3]))[0]
    assert assess_study(two_phases).findings == ()
    resent = group_studies(make_ct_datasets(positions_k=[0, 1, 2, 2, 3, 4]))[0]
    result = assess_study(resent)
    assert _codes(result) == [FindingCode.DUPLICATE_SLICES]
    assert result.findings[0].count == 1


def test_burned_in_annotation_and_multiple_patients() -> None:
    result = assess_study(_study(BurnedInAnnotation="YES"))
    assert _codes(result) == [FindingCode.BURNED_IN_ANNOTATION]
    assert result.findings[0].value == "yes" and result.findings[0].count == 6
    us = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    assert assess_study(group_studies([us])[0]).findings[0].value == "likely"
    datasets = make_ct_datasets(3)
    datasets[2].PatientID = "SOMEONE-ELSE"
    result = assess_study(group_studies(datasets)[0])
    assert FindingCode.MULTIPLE_PATIENT_IDS in _codes(result)


def test_to_dict_is_json_ready_and_artifacts_append() -> None:
    req = Dataset()
    req.RequestedProcedurePriority = "STAT"
    result = assess_study(_study(RequestAttributesSequence=[req], StudyDate="20260301", StudyTime="0815"))
    result = result.with_artifacts(["previews/a.png"])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["priority"] == "stat" and data["artifacts"] == ["previews/a.png"]
    assert data["findings"][0]["code"] == "REQUESTED_PRIORITY"
    assert data["study_datetime"] == "2026-03-01T08:15:00"
    assert set(data) >= {"study_instance_uid", "patient_id", "modality", "n_series", "n_instances", "reasons"}


def test_settings_validation_names_the_key() -> None:
    with pytest.raises(ImagingValueError, match="unknown key"):
        ImagingSettings.from_mapping({"stat_keyword": ["x"]})
    with pytest.raises(ImagingValueError, match="default_windows"):
        ImagingSettings.from_mapping({"default_windows": {"CT": "nope"}})
    with pytest.raises(ImagingValueError, match="missing_slice_factor"):
        ImagingSettings(missing_slice_factor=1.0)
    s = ImagingSettings.from_mapping({"default_windows": {"CT": "lung"}, "preview_size_px": 128})
    assert s.default_windows == (("CT", "lung"),) and s.preview_size_px == 128
