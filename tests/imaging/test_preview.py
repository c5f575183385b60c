"""PNG previews (imaging.preview)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from imaging import ImagingSettings, ImagingValueError, display_frame, group_studies, key_image, make_previews
from tests.imaging.test_series import make_ct_datasets, write_shuffled

CR_MONO1 = Path(get_testdata_file("CT_small.dcm")).parent / "dicomdirtests/77654033/CR1/6154"


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.format == "PNG"
        return np.asarray(img)


def test_previews_are_8bit_pngs_of_the_middle_slice(tmp_path: Path) -> None:
    datasets = make_ct_datasets(7)
    write_shuffled(datasets, tmp_path / "in")
    series = group_studies([tmp_path / "in"])[0].series[0]
    display, thumb = make_previews(series, tmp_path / "out", size_px=64)
    assert display.name == f"{series.series_instance_uid}.png" and thumb.name.endswith("_thumb.png")
    full, small = _png(display), _png(thumb)
    assert full.dtype == np.uint8 and small.dtype == np.uint8
    assert full.shape == (128, 128) and small.shape == (64, 64)
    middle = datasets[3]  # geometric middle of 7
    np.testing.assert_array_equal(full, display_frame(middle, default_windows={"CT": "soft_tissue"}))
    assert key_image(series).instance.sop_instance_uid == middle.SOPInstanceUID


def test_settings_supply_size_and_default_window(tmp_path: Path) -> None:
    series = group_studies(make_ct_datasets(3))[0].series[0]
    custom = ImagingSettings.from_mapping({"preview_size_px": 40, "default_windows": {"CT": "lung"}})
    display, thumb = make_previews(series, tmp_path, settings=custom)
    assert _png(thumb).shape == (40, 40)
    np.testing.assert_array_equal(_png(display), display_frame(series.instances[1].load(), window="lung"))
    assert _png(make_previews(series, tmp_path / "d")[1]).shape == (128, 128)  # default 256 > image size


def test_preset_changes_the_image(tmp_path: Path) -> None:
    series = group_studies(make_ct_datasets(3))[0].series[0]
    lung = _png(make_previews(series, tmp_path / "lung", window="lung")[0])
    bone = _png(make_previews(series, tmp_path / "bone", window="bone")[0])
    assert not np.array_equal(lung, bone)
    with pytest.raises(ImagingValueError, match="unknown window preset"):
        make_previews(series, tmp_path / "x", window="lungs")
    with pytest.raises(ImagingValueError, match="size_px"):
        make_previews(series, tmp_path / "x", size_px=2)


def test_monochrome1_preview_is_inverted(tmp_path: Path) -> None:
    ds = pydicom.dcmread(CR_MONO1)
    mono2 = copy.deepcopy(ds)
    mono2.PhotometricInterpretation = "MONOCHROME2"
    mono2.SeriesInstanceUID = pydicom.uid.generate_uid()
    mono2.SOPInstanceUID = pydicom.uid.generate_uid()
    inverted = _png(make_previews(group_studies([ds])[0].series[0], tmp_path)[0])
    plain = _png(make_previews(group_studies([mono2])[0].series[0], tmp_path)[0])
    np.testing.assert_array_equal(inverted.astype(int), 255 - plain.astype(int))


def test_rg3_preview_air_is_black(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "imaging/wg04/RG3_UNC.dcm"
    series = group_studies([path])[0].series[0]
    display, thumb = make_previews(series, tmp_path, size_px=128)
    full = _png(display)
    assert full.shape == (1024, 1024) and _png(thumb).shape == (128, 128)
    stored = pydicom.dcmread(path).pixel_array
    # MONOCHROME1: high stored values are the least attenuated (air / direct exposure) and must be dark
    scale = 1024 / stored.shape[0]
    r, c = np.unravel_index(np.argmax(stored), stored.shape)
    dark = full[int(r * scale), int(c * scale)]
    r, c = np.unravel_index(np.argmin(stored), stored.shape)
    bright = full[int(r * scale), int(c * scale)]
    assert dark < 64 and bright > 192


def test_rgb_and_multiframe_previews(tmp_path: Path) -> None:
    rgb = group_studies([pydicom.dcmread(get_testdata_file("SC_rgb.dcm"))])[0].series[0]
    with Image.open(make_previews(rgb, tmp_path / "rgb", size_px=50)[1]) as img:
        assert img.mode == "RGB" and img.size == (50, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = get_testdata_file("emri_small.dcm")
    if path is None:
        pytest.skip("emri_small.dcm not available (install pydicom-data)")
    ds = pydicom.dcmread(path)
    key = key_image(group_studies([ds])[0].series[0])
    assert key.frame == 4  # middle of 10 frames
    np.testing.assert_array_equal(key.pixels, display_frame(ds, 4))


def test_non_square_pixels_are_shown_in_physical_proportion(tmp_path: Path) -> None:
    datasets = make_ct_datasets(1)
    datasets[0].PixelSpacing = [1.0, 0.5]  # rows 1 mm apart, columns 0.5 mm
    key = key_image(group_studies(datasets)[0].series[0])
    assert key.pixels.shape == (256, 128)


def test_series_without_images_is_an_error(tmp_path: Path) -> None:
    ds = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    with pytest.raises(ImagingValueError, match="no image instances"):
        make_previews(group_studies([ds])[0].series[0], tmp_path)


def test_input_file_is_not_modified(tmp_path: Path) -> None:
    paths = write_shuffled(make_ct_datasets(3), tmp_path / "in")
    before = {p: p.read_bytes() for p in paths}
    make_previews(group_studies([tmp_path / "in"])[0].series[0], tmp_path / "out")
    assert {p: p.read_bytes() for p in paths} == before
