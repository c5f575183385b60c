"""Grouping into studies / series and slice ordering (imaging.series)."""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from imaging import DicomFormatError, ImagingValueError, Instance, group_studies, order_instances
from imaging.series import slice_normal

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # normal = (-1, 0, 0)
DICOMDIR_TESTS = Path(get_testdata_file("CT_small.dcm")).parent / "dicomdirtests"


def make_ct_datasets(
    n: int = 8,
    *,
    spacing_mm: float = 5.0,
    orientation: Sequence[float] = AXIAL,
    positions_k: Sequence[float] | None = None,
    study_uid: str | None = None,
    patient_id: str = "PAT-001",
    **attributes: object,
) -> list[Dataset]:
    """``n`` CT slices built from pydicom's CT_small.dcm, slice k at ``k * spacing_mm`` along the normal.

    Instance Numbers are deliberately the reverse of the geometric order, so ordering by number is wrong.
    Each slice's pixels are offset by k so slices are distinguishable.
    """
    base = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    study_uid = study_uid or generate_uid()
    series_uid = generate_uid()
    normal = slice_normal(orientation)
    origin = np.array([-60.0, -60.0, 10.0])
    ks = list(positions_k) if positions_k is not None else list(range(n))
    out = []
    for idx, k in enumerate(ks):
        ds = copy.deepcopy(base)
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientID = patient_id
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
        ds.ImagePositionPatient = [f"{v:.4f}" for v in origin + float(k) * spacing_mm * normal]
        ds.InstanceNumber = len(ks) - idx
        ds.SliceThickness = spacing_mm
        ds.PixelSpacing = [0.5, 0.5]
        arr = ds.pixel_array.astype(np.int16) + np.int16(idx)
        ds.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        for key, value in attributes.items():
            setattr(ds, key, value)
        out.append(ds)
    return out


def write_shuffled(datasets: Sequence[Dataset], folder: Path, *, seed: int = 0) -> list[Path]:
    """Write datasets to ``folder`` under random file names in shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    order = list(range(len(datasets)))
    random.Random(seed).shuffle(order)
    paths = []
    for rank, i in enumerate(order):
        path = folder / f"f{rank:03d}_{random.Random(seed + i).randrange(10**6):06d}.dcm"
        datasets[i].save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def test_shuffled_files_are_ordered_along_the_normal(tmp_path: Path) -> None:
    datasets = make_ct_datasets(8)
    expected = [ds.SOPInstanceUID for ds in datasets]
    write_shuffled(datasets, tmp_path / "in", seed=3)
    studies = group_studies([tmp_path / "in"])
    assert len(studies) == 1 and len(studies[0].series) == 1
    series = studies[0].series[0]
    assert series.ordered_by == "position"
    assert [i.sop_instance_uid for i in series.instances] == expected
    assert all(i.path is not None and i.path.parent == tmp_path / "in" for i in series.instances)
    np.testing.assert_allclose(series.slice_positions_mm(), np.arange(8) * 5.0 + 10.0, atol=1e-3)


def test_sagittal_stack_is_ordered_by_projection_not_z(tmp_path: Path) -> None:
    datasets = make_ct_datasets(6, orientation=SAGITTAL, spacing_mm=2.0)
    write_shuffled(datasets, tmp_path, seed=1)
    series = group_studies([tmp_path])[0].series[0]
    assert series.ordered_by == "position"
    assert [i.sop_instance_uid for i in series.instances] == [d.SOPInstanceUID for d in datasets]
    xs = [i.position_mm[0] for i in series.instances]  # type: ignore[index]
    assert xs == sorted(xs, reverse=True)  # normal points to -x


def test_missing_positions_fall_back_to_instance_number() -> None:
    datasets = make_ct_datasets(5)
    for ds in datasets:
        del ds.ImagePositionPatient
    series = group_studies(datasets)[0].series[0]
    assert series.ordered_by == "instance_number"
    assert [i.instance_number for i in series.instances] == [1, 2, 3, 4, 5]
    assert series.slice_positions_mm() is None


def test_mixed_orientations_fall_back_to_instance_number() -> None:
    datasets = make_ct_datasets(4)
    datasets[0].ImageOrientationPatient = list(SAGITTAL)
    assert group_studies(datasets)[0].series[0].ordered_by == "instance_number"


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(7))))
def test_order_is_independent_of_input_order(perm: list[int]) -> None:
    instances = [Instance.from_dataset(ds, label=str(k)) for k, ds in enumerate(_SEVEN)]
    ordered, how = order_instances([instances[i] for i in perm])
    assert how == "position"
    assert [i.label for i in ordered] == [str(k) for k in range(7)]


_SEVEN = make_ct_datasets(7, spacing_mm=1.25)


def test_mixed_folder_groups_into_studies_and_series() -> None:
    folders = [DICOMDIR_TESTS / "77654033", DICOMDIR_TESTS / "98892001", DICOMDIR_TESTS / "98892003"]
    studies = group_studies(folders)
    # reference: read every file directly
    truth: dict[str, dict[str, set[str]]] = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            truth.setdefault(ds.StudyInstanceUID, {}).setdefault(ds.SeriesInstanceUID, set()).add(ds.SOPInstanceUID)
    assert {s.study_instance_uid for s in studies} == set(truth)
    assert len(studies) == 6
    for study in studies:
        got = {se.series_instance_uid: {i.sop_instance_uid for i in se.instances} for se in study.series}
        assert got == truth[study.study_instance_uid]
        assert study.patient_id in {"77654033", "98890234"}
        assert study.study_datetime is not None
    modalities = sorted(s.modality or "" for s in studies)
    assert modalities == ["CR", "CT", "CT", "MR", "MR", "MR"]
    ct5n_folder = str(DICOMDIR_TESTS / "98892001" / "CT5N")
    ct5n = next(se for s in studies for se in s.series if se.instances[0].label.startswith(ct5n_folder))
    positions = ct5n.slice_positions_mm()
    assert positions is not None and np.all(np.diff(positions) > 0)


def test_study_keeps_patient_accession_institution_and_request() -> None:
    req = Dataset()
    req.RequestedProcedurePriority = "HIGH"
    req.ReasonForTheRequestedProcedure = "STAT head CT, fall"
    datasets = make_ct_datasets(
        3, AccessionNumber="ACC42", InstitutionName="Clinic 7", StudyDate="20260102", StudyTime="101500.25",
        RequestAttributesSequence=[req],
    )
    study = group_studies(datasets)[0]
    assert study.patient_id == "PAT-001"
    assert study.accession_number == "ACC42"
    assert study.institution_name == "Clinic 7"
    assert study.study_datetime is not None and study.study_datetime.isoformat() == "2026-01-02T10:15:00"
    assert study.request.requested_procedure_priority == "HIGH"
    assert study.request.reasons == ("STAT head CT, fall",)
    assert study.modality == "CT" and study.n_instances == 3


def test_bad_file_raises_naming_it_or_is_collected(tmp_path: Path) -> None:
    write_shuffled(make_ct_datasets(3), tmp_path)
    bad = tmp_path / "notes.dcm"
    bad.write_text("not a dicom file at all, just text")
    with pytest.raises(DicomFormatError, match="notes.dcm"):
        group_studies([tmp_path])
    errors: list[DicomFormatError] = []
    studies = group_studies([tmp_path], errors=errors)
    assert [Path(e.path).name for e in errors] == ["notes.dcm"]
    assert studies[0].n_instances == 3


def test_in_memory_datasets_are_loaded_without_reading_files() -> None:
    datasets = make_ct_datasets(2)
    series = group_studies(datasets)[0].series[0]
    assert series.instances[0].load() is datasets[0]


def test_duplicate_sop_instances_are_counted_once(tmp_path: Path) -> None:
    datasets = make_ct_datasets(3)
    studies = group_studies([*datasets, datasets[1]])
    assert studies[0].n_instances == 3


def test_rejects_wrong_input_type() -> None:
    with pytest.raises(ImagingValueError, match="expected pydicom Datasets or paths"):
        group_studies([42])  # type: ignore[list-item]


def test_paths_as_strings(tmp_path: Path) -> None:
    paths = write_shuffled(make_ct_datasets(2), tmp_path)
    assert group_studies([os.fspath(p) for p in paths])[0].n_instances == 2


def test_zip_archives_are_grouped_and_reloaded(tmp_path: Path) -> None:
    import zipfile

    datasets = make_ct_datasets(3)
    paths = write_shuffled(datasets, tmp_path / "in")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in paths:
            zf.write(p, arcname=f"CT/{p.name}")
    series = group_studies([archive])[0].series[0]
    assert [i.sop_instance_uid for i in series.instances] == [d.SOPInstanceUID for d in datasets]
    assert all(i.label.startswith(f"{archive}!CT/") for i in series.instances)
    np.testing.assert_array_equal(series.instances[0].load().pixel_array, datasets[0].pixel_array)
