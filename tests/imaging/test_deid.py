"""De-identification, PS3.15 Annex E Basic Profile (imaging.deid)."""

from __future__ import annotations

import copy
import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from imaging import (
    DicomFormatError,
    ImagingValueError,
    UidMapper,
    basic_profile,
    burned_in_risk,
    deidentify,
    deidentify_file,
)
from imaging.deid import Action, _resolve
from tests.imaging.test_series import make_ct_datasets, write_shuffled

UID_RE = re.compile(r"^2\.25\.(0|[1-9][0-9]*)$")
IDENTIFYING = {
    "PatientName": "Doe^Jane",
    "PatientID": "MRN-778899",
    "PatientBirthDate": "19610203",
    "PatientAddress": "12 Main Street",
    "OtherPatientIDs": "OLD-123",
    "PatientTelephoneNumbers": "+1 555 0100",
    "AccessionNumber": "ACC-55",
    "InstitutionName": "St Elsewhere",
    "InstitutionAddress": "1 Hospital Road",
    "ReferringPhysicianName": "House^Gregory",
    "PerformingPhysicianName": "Wilson^James",
    "OperatorsName": "Tech^Tom",
    "StationName": "CT-ROOM-2",
    "DeviceSerialNumber": "SN-12345",
    "StudyDescription": "CT head for Jane Doe",
    "ImageComments": "patient Jane Doe, bed 4",
    "StudyID": "S-991",
}


def _identified(ds: Dataset) -> Dataset:
    for keyword, value in IDENTIFYING.items():
        setattr(ds, keyword, value)
    block = ds.private_block(0x0011, "ACME Scanner", create=True)
    block.add_new(0x01, "LO", "Doe^Jane private copy")
    ref = Dataset()
    ref.ReferencedSOPClassUID = ds.SOPClassUID
    ref.ReferencedSOPInstanceUID = generate_uid()
    nested = ref.private_block(0x0013, "ACME Nested", create=True)
    nested.add_new(0x02, "LO", "nested secret")
    ref.PersonName = "Nested^Person"
    ds.ReferencedImageSequence = [ref]
    return ds


def _all_strings(ds: Dataset) -> str:
    return "\n".join(str(e.value) for e in ds.iterall() if e.VR in {"PN", "LO", "SH", "LT", "ST", "UT", "DA", "CS"})


def test_identifiers_are_gone_and_markers_set() -> None:
    original = _identified(make_ct_datasets(1)[0])
    snapshot = copy.deepcopy(original)
    out, report = deidentify(original, key="export-1")
    assert original == snapshot  # input untouched
    text = _all_strings(out)
    for value in IDENTIFYING.values():
        assert value not in text
    assert "Doe" not in text and "nested secret" not in text and "Nested^Person" not in text
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "ReferringPhysicianName",
                    "StudyID"):
        assert keyword in out and not out[keyword].value  # Type 2: kept, emptied (Z)
    for keyword in ("PatientAddress", "OtherPatientIDs", "InstitutionAddress", "PerformingPhysicianName",
                    "StudyDescription", "ImageComments", "PatientTelephoneNumbers"):
        assert keyword not in out  # X
    assert out.PatientIdentityRemoved == "YES"
    code = out.DeidentificationMethodCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("113100", "DCM")
    assert out.DeidentificationMethod
    assert report.private_removed >= 2
    np.testing.assert_array_equal(out.pixel_array, original.pixel_array)


def test_private_tags_are_removed_at_every_depth() -> None:
    ds = pydicom.dcmread(get_testdata_file("nested_priv_SQ.dcm"))
    assert any(e.tag.is_private for e in ds.iterall())
    out, report = deidentify(ds, key="k")
    assert not any(e.tag.is_private for e in out.iterall())
    assert report.private_removed > 0
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    out, report = deidentify(ct, key="k")
    assert report.private_removed == sum(1 for e in ct if e.tag.is_private)


def test_uids_are_consistent_within_an_export_and_differ_from_originals(tmp_path: Path) -> None:
    datasets = make_ct_datasets(4)
    datasets[1].ReferencedImageSequence = [Dataset()]
    datasets[1].ReferencedImageSequence[0].ReferencedSOPClassUID = datasets[0].SOPClassUID
    datasets[1].ReferencedImageSequence[0].ReferencedSOPInstanceUID = datasets[0].SOPInstanceUID
    paths = write_shuffled(datasets, tmp_path / "in")
    hashes = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    reports = [deidentify_file(p, tmp_path / "out", key="export-A") for p in paths]
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths} == hashes  # originals untouched
    outs = {r.sop_instance_uid: pydicom.dcmread(r.output) for r in reports}  # type: ignore[arg-type]
    originals = {ds.SOPInstanceUID for ds in datasets}
    assert len(outs) == 4 and not set(outs) & originals
    assert len({o.StudyInstanceUID for o in outs.values()}) == 1
    assert len({o.SeriesInstanceUID for o in outs.values()}) == 1
    assert len({o.FrameOfReferenceUID for o in outs.values()}) == 1
    study = next(iter(outs.values())).StudyInstanceUID
    assert study != datasets[0].StudyInstanceUID
    for uid, out in outs.items():
        assert UID_RE.match(uid) and len(uid) <= 64
        assert out.file_meta.MediaStorageSOPInstanceUID == uid
    # a reference to another instance follows that instance's new UID
    mapper = UidMapper("export-A")
    ref_holder = outs[mapper(datasets[1].SOPInstanceUID)]
    assert ref_holder.ReferencedImageSequence[0].ReferencedSOPInstanceUID == mapper(datasets[0].SOPInstanceUID)
    assert mapper(datasets[0].SOPInstanceUID) in outs
    # another export key gives unrelated UIDs
    other = deidentify_file(paths[0], tmp_path / "other", key="export-B")
    assert other.study_instance_uid != study


def test_pixels_survive_the_round_trip(tmp_path: Path) -> None:
    src = get_testdata_file("MR_small.dcm")
    report = deidentify_file(src, tmp_path, key="k", pseudonym="CASE-0007")
    out = pydicom.dcmread(report.output)
    np.testing.assert_array_equal(out.pixel_array, pydicom.dcmread(src).pixel_array)
    assert out.PatientID == "CASE-0007" and out.PatientName == "CASE-0007"


def test_burned_in_annotation_is_flagged() -> None:
    ds = make_ct_datasets(1)[0]
    assert burned_in_risk(ds)[0] == "no"
    ds.BurnedInAnnotation = "YES"
    assert burned_in_risk(ds)[0] == "yes"
    assert deidentify(ds, key="k")[1].burned_in == "yes"
    us = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    assert us.Modality == "US" and burned_in_risk(us)[0] == "likely"
    sc = pydicom.dcmread(get_testdata_file("SC_rgb.dcm"))
    assert sc.SOPClassUID.startswith("1.2.840.10008.5.1.4.1.1.7")
    flag, why = burned_in_risk(sc)
    assert flag == "likely" and "secondary capture" in why


def test_profile_table_matches_the_dicom_dictionary() -> None:
    profile = basic_profile()
    assert len(profile.exact) >= 150
    for tag, rule in profile.exact.items():
        assert keyword_for_tag(tag) == rule.keyword, (hex(tag), rule.keyword)
    by_keyword = {r.keyword: r.action for r in profile.exact.values()}
    assert by_keyword["PatientName"] is Action.ZERO
    assert by_keyword["StudyInstanceUID"] is Action.UID
    assert by_keyword["PatientAddress"] is Action.REMOVE
    assert by_keyword["InstitutionName"] is Action.DUMMY  # X/Z/D resolves to D
    overlay = pydicom.tag.Tag(0x6002, 0x3000)
    assert profile.rule_for(overlay).action is Action.REMOVE  # type: ignore[union-attr]
    assert profile.rule_for(pydicom.tag.Tag(0x6002, 0x0010)) is None  # overlay rows kept


@pytest.mark.parametrize(("code", "action"), [("X/Z", "Z"), ("X/D", "D"), ("Z/D", "D"), ("X/Z/D", "D"),
                                               ("X/Z/U*", "U"), ("K", "K"), ("C", "C")])
def test_combined_codes_resolve_to_the_least_removing_choice(code: str, action: str) -> None:
    assert _resolve(code).value == action


def test_dummy_values_are_valid_for_their_vr(tmp_path: Path) -> None:
    ds = make_ct_datasets(1)[0]
    ds.ContentDate, ds.ContentTime = "20260101", "101010"
    ds.InstitutionName = "Somewhere"
    out, _ = deidentify(ds, key="k")
    assert out.ContentDate == "19000101" and out.ContentTime == "000000"
    path = tmp_path / "x.dcm"
    out.save_as(path, enforce_file_format=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydicom warns on values invalid for their VR
        back = pydicom.dcmread(path)
        for elem in back.iterall():
            assert elem.value is not None or elem.VR != "DA"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.from_regex(r"1\.2\.[1-9][0-9]{0,8}(\.[1-9][0-9]{0,8}){1,6}", fullmatch=True),
                min_size=2, max_size=10, unique=True))
def test_uid_mapper_is_deterministic_valid_and_collision_free(uids: list[str]) -> None:
    a, b = UidMapper(b"secret"), UidMapper(b"secret")
    mapped = [a(u) for u in uids]
    assert mapped == [b(u) for u in uids]
    assert len(set(mapped)) == len(uids)
    assert all(UID_RE.match(m) and len(m) <= 64 for m in mapped)
    assert a(uids[0] + "\x00") == a(uids[0])  # trailing padding ignored


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ImagingValueError, match="key"):
        UidMapper("")
    with pytest.raises(ImagingValueError, match="pseudonym"):
        deidentify(make_ct_datasets(1)[0], key="k", pseudonym=" ")
    with pytest.raises(DicomFormatError, match="MR_truncated"):
        deidentify_file(get_testdata_file("MR_truncated.dcm"), tmp_path / "out", key="k")
    assert not (tmp_path / "out").exists()


_SECRET = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=8, max_size=12)
_BASE = make_ct_datasets(1)[0]


@settings(max_examples=30, deadline=None)
@given(name=_SECRET, pid=_SECRET, place=_SECRET, doctor=_SECRET)
def test_no_identifier_survives_anywhere(name: str, pid: str, place: str, doctor: str) -> None:
    ds = copy.deepcopy(_BASE)
    ds.PatientName = f"{name}^{doctor}"
    ds.PatientID = pid
    ds.OtherPatientIDs = pid
    ds.InstitutionName = place
    ds.InstitutionAddress = place
    ds.ReferringPhysicianName = doctor
    ds.NameOfPhysiciansReadingStudy = doctor
    item = Dataset()
    item.PersonName = name
    item.TextValue = f"{name} {pid}"
    ds.ContentSequence = [item]
    req = Dataset()
    req.RequestingPhysician = doctor
    req.ReasonForTheRequestedProcedure = f"{name} fell at {place}"
    ds.RequestAttributesSequence = [req]
    out, _ = deidentify(ds, key="k")
    dump = "\n".join(str(e.value) for e in out.iterall() if not isinstance(e.value, bytes))
    for secret in (name, pid, place, doctor):
        assert secret not in dump
