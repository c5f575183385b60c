"""Volumes as SimpleITK images and resampling (imaging.volume)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.data import get_testdata_file

from imaging import ImagingValueError, group_studies, reorient, resample_volume, to_volume
from tests.imaging.test_series import SAGITTAL, make_ct_datasets, write_shuffled


def _gdcm_reference(folder: Path) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return sitk.Cast(reader.Execute(), sitk.sitkFloat32)


@pytest.mark.parametrize("orientation", [None, SAGITTAL])
def test_volume_matches_simpleitk_series_reader(tmp_path: Path, orientation) -> None:
    kwargs = {"orientation": orientation} if orientation else {}
    write_shuffled(make_ct_datasets(6, spacing_mm=2.5, **kwargs), tmp_path, seed=5)
    ours = to_volume(group_studies([tmp_path])[0].series[0])
    ref = _gdcm_reference(tmp_path)
    assert ours.GetSize() == ref.GetSize() == (128, 128, 6)
    np.testing.assert_allclose(ours.GetSpacing(), ref.GetSpacing(), atol=1e-4)
    np.testing.assert_allclose(ours.GetOrigin(), ref.GetOrigin(), atol=1e-3)
    np.testing.assert_allclose(ours.GetDirection(), ref.GetDirection(), atol=1e-6)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(ours), sitk.GetArrayFromImage(ref))
    assert ours.GetPixelID() == sitk.sitkFloat32


def test_voxels_are_hounsfield_units_in_slice_order(tmp_path: Path) -> None:
    datasets = make_ct_datasets(4)
    image = to_volume(group_studies(datasets)[0].series[0])
    arr = sitk.GetArrayFromImage(image)
    for k, ds in enumerate(datasets):
        expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        np.testing.assert_array_equal(arr[k], expected.astype(np.float32))


def test_reorient_sagittal_to_lps_identity(tmp_path: Path) -> None:
    image = to_volume(group_studies(make_ct_datasets(5, orientation=SAGITTAL))[0].series[0])
    assert not np.allclose(image.GetDirection(), np.eye(3).ravel())
    lps = reorient(image, "LPS")
    np.testing.assert_allclose(lps.GetDirection(), np.eye(3).ravel(), atol=1e-6)
    # same physical point → same value
    idx = (3, 7, 2)
    point = image.TransformIndexToPhysicalPoint(idx)
    assert lps[lps.TransformPhysicalPointToIndex(point)] == image[idx]
    with pytest.raises(ImagingValueError, match="3-letter"):
        reorient(image, "XYZ")


def test_resample_to_isotropic_spacing() -> None:
    image = to_volume(group_studies(make_ct_datasets(5, spacing_mm=4.0))[0].series[0])
    assert image.GetSpacing() == pytest.approx((0.5, 0.5, 4.0))
    out = resample_volume(image, spacing_mm=1.0)
    assert out.GetSpacing() == pytest.approx((1.0, 1.0, 1.0))
    assert out.GetSize() == (64, 64, 20)
    near = resample_volume(image, spacing_mm=(0.5, 0.5, 4.0), interpolator="nearest")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(near), sitk.GetArrayFromImage(image))
    with pytest.raises(ImagingValueError, match="spacing_mm"):
        resample_volume(image, spacing_mm=0)
    with pytest.raises(ImagingValueError, match="interpolator"):
        resample_volume(image, spacing_mm=1, interpolator="cubic")  # type: ignore[arg-type]


def test_enhanced_multiframe_volume_uses_per_frame_positions() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = get_testdata_file("eCT_Supplemental.dcm")
    if path is None:
        pytest.skip("eCT_Supplemental.dcm not available (install pydicom-data)")
    ds = pydicom.dcmread(path)
    image = to_volume(group_studies([ds])[0].series[0])
    assert image.GetSize() == (512, 512, 2)
    positions = [tuple(float(v) for v in g.PlanePositionSequence[0].ImagePositionPatient)
                 for g in ds.PerFrameFunctionalGroupsSequence]
    iop = [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient]
    normal = np.cross(iop[:3], iop[3:])  # (0, 0, -1) here: the higher z comes first
    first = min(positions, key=lambda p: float(np.dot(p, normal)))
    np.testing.assert_allclose(image.GetOrigin(), first, atol=1e-3)
    assert image.GetSpacing()[2] == pytest.approx(abs(positions[0][2] - positions[1][2]))


def test_colour_series_is_rejected() -> None:
    ds = pydicom.dcmread(get_testdata_file("SC_rgb.dcm"))
    with pytest.raises(ImagingValueError, match="grayscale"):
        to_volume(group_studies([ds])[0].series[0])
