from __future__ import annotations

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from workers.discover import Kind, discover
from workers.run import plan_batches
from workers.settings import Settings
from workers.store import ArtifactStore

from .conftest import make_ecg_inbox


def _study(folder, n_slices, tag):
    folder.mkdir(parents=True, exist_ok=True)
    study = generate_uid()
    for k in range(n_slices):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.StudyInstanceUID = study
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(folder / f"{tag}_{k}.dcm", enforce_file_format=True)
    return study


def test_batches_keep_studies_whole_and_bounded(tmp_path):
    inbox = tmp_path / "inbox"
    sizes = {"a": 3, "b": 5, "c": 9, "d": 2}
    studies = {tag: _study(inbox / "img", n, tag) for tag, n in sizes.items()}
    make_ecg_inbox(inbox, 7)
    found = discover([inbox], store=ArtifactStore(tmp_path / "store"))
    settings = Settings.from_mapping({"pipeline": {"imaging_batch": 8, "ecg_batch": 3}})
    units = plan_batches(found.uploads, settings)

    ecg_units = [u for u in units if u.kind is Kind.ECG]
    assert [len(u.uploads) for u in ecg_units] == [3, 3, 1]
    img_units = [u for u in units if u.kind is Kind.IMAGING]
    where = {}
    for i, unit in enumerate(img_units):
        assert len(unit.uploads) <= 8 or len({pydicom.dcmread(u.primary, stop_before_pixels=True).StudyInstanceUID for u in unit.uploads}) == 1
        for u in unit.uploads:
            where.setdefault(pydicom.dcmread(u.primary, stop_before_pixels=True).StudyInstanceUID, set()).add(i)
    assert set(where) == set(studies.values())
    assert all(len(units_of_study) == 1 for units_of_study in where.values())  # a study never split
    assert sum(len(u.uploads) for u in units) == len(found.uploads)
    assert units[0].kind is Kind.ECG and units[1].kind is Kind.IMAGING  # kinds interleaved
