"""Normalization for display and analysis (imaging.normalize, imaging.windows)."""

from __future__ import annotations

import copy
import math
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from PIL import Image
from pydicom.pixels import apply_modality_lut, apply_voi_lut, apply_windowing, convert_color_space

from imaging import (
    DicomFormatError,
    WINDOW_PRESETS,
    ImagingValueError,
    VoiFunction,
    Window,
    apply_window,
    display_frame,
    frame_window,
    get_window,
    modality_frame,
    modality_frames,
    number_of_frames,
    stored_frame,
)
from imaging.normalize import iter_display_frames, needs_inversion, padding_mask

WG04 = "imaging/wg04"


def pydicom_file(name: str) -> str:
    """A pydicom test file; skips when it is neither shipped with pydicom nor installed via pydicom-data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"pydicom test file {name} not available (install pydicom-data)")
    return str(path)


def wg04(shared_data: Path, name: str) -> pydicom.Dataset:
    return pydicom.dcmread(shared_data / WG04 / f"{name}_UNC.dcm")


# ---------------------------------------------------------------- windows: reference implementations


def _ref_linear(x: float, c: float, w: float) -> float:
    """PS3.3 C.11.2.1.2.1 with y_min = 0, y_max = 1, written as in the standard."""
    if x <= c - 0.5 - (w - 1) / 2:
        return 0.0
    if x > c - 0.5 + (w - 1) / 2:
        return 1.0
    return (x - (c - 0.5)) / (w - 1) + 0.5


def _ref_linear_exact(x: float, c: float, w: float) -> float:
    if x <= c - w / 2:
        return 0.0
    if x > c + w / 2:
        return 1.0
    return (x - c) / w + 0.5


def _ref_sigmoid(x: float, c: float, w: float) -> float:
    z = -4.0 * (x - c) / w
    return 0.0 if z > 700 else 1.0 / (1.0 + math.exp(z))


_REFS = {
    VoiFunction.LINEAR: _ref_linear,
    VoiFunction.LINEAR_EXACT: _ref_linear_exact,
    VoiFunction.SIGMOID: _ref_sigmoid,
}


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-4000, 4000, allow_nan=False), min_size=1, max_size=50),
    center=st.floats(-1500, 1500),
    width=st.floats(2, 4000),
    function=st.sampled_from(list(VoiFunction)),
)
def test_apply_window_matches_reference_and_is_monotonic(values, center, width, function) -> None:
    window = Window(center, width, function)
    got = apply_window(np.array(values), window)
    ref = np.array([_REFS[function](v, center, width) for v in values])
    np.testing.assert_allclose(got, ref, atol=1e-5)
    assert got.dtype == np.float32
    assert np.all((got >= 0) & (got <= 1))
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(got[order]) >= -1e-6)


def test_linear_window_agrees_with_pydicom_apply_windowing() -> None:
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.WindowCenter, ds.WindowWidth = 40, 400
    hu = apply_modality_lut(ds.pixel_array, ds)
    theirs = apply_windowing(hu, copy.deepcopy(ds))
    lo = -(2 ** (ds.BitsStored - 1)) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    hi = (2 ** (ds.BitsStored - 1) - 1) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    ours = apply_window(hu, Window(40, 400))
    np.testing.assert_allclose(ours, (theirs - lo) / (hi - lo), atol=1e-5)


def test_presets_are_the_cited_values() -> None:
    assert (get_window("brain").center, get_window("brain").width) == (40.0, 80.0)
    assert (get_window("lung").center, get_window("lung").width) == (-600.0, 1500.0)
    assert (get_window("bone").center, get_window("bone").width) == (400.0, 1800.0)
    assert (get_window("soft_tissue").center, get_window("soft_tissue").width) == (50.0, 400.0)
    assert {"subdural", "mediastinum", "stroke"} <= set(WINDOW_PRESETS)


def test_unknown_preset_and_bad_widths_are_rejected() -> None:
    with pytest.raises(ImagingValueError, match="unknown window preset 'lungs'.*lung"):
        get_window("lungs")
    with pytest.raises(ImagingValueError, match="width"):
        Window(40, 0.5)
    with pytest.raises(ImagingValueError, match="width"):
        Window(40, 0, VoiFunction.SIGMOID)
    with pytest.raises(ImagingValueError, match="finite"):
        Window(float("nan"), 10)
    with pytest.raises(ImagingValueError, match="numeric"):
        apply_window(np.array(["a"]), Window(0, 10))


def test_nan_and_empty_inputs() -> None:
    assert apply_window(np.array([]), Window(0, 10)).shape == (0,)
    out = apply_window(np.array([np.nan, 0.0]), Window(0, 10, VoiFunction.LINEAR_EXACT))
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.5)


# ---------------------------------------------------------------- modality LUT


def test_ct1_air_is_minus_1000_hu(shared_data: Path) -> None:
    ds = wg04(shared_data, "CT1")
    hu = modality_frame(ds)
    assert hu.dtype == np.float64
    air = np.median(hu[10:30, 200:300])  # above the patient, inside the field of view
    assert -1050 < air < -950
    assert np.min(hu) == -3024.0  # stored padding -2000 plus intercept -1024
    lung = display_frame(ds, window="lung")
    assert lung[0, 0] == 0  # padding black
    assert lung[10:30, 200:300].mean() < 80  # air dark: -1000 HU is 0.23 of the lung window


def test_pixel_padding_is_black_and_left_out_of_the_auto_window(shared_data: Path) -> None:
    ds = wg04(shared_data, "CT1")
    assert int(ds.PixelPaddingValue) == -2000 and "WindowCenter" not in ds
    padding = padding_mask(ds, stored_frame(ds))
    assert padding is not None and 0.1 < padding.mean() < 0.4  # corners outside the circular field of view
    shown = display_frame(ds)  # no dataset window, no default: automatic window
    assert np.all(shown[padding] == 0)
    inside = shown[~padding]
    assert np.percentile(inside, 0.1) <= 2 and np.percentile(inside, 99.9) >= 253  # full contrast inside the FOV
    mono1 = copy.deepcopy(ds)
    mono1.PhotometricInterpretation = "MONOCHROME1"
    assert np.all(display_frame(mono1)[padding] == 0)  # padding stays black when inverted


def test_mr4_rescale_slope_is_applied_and_dataset_untouched(shared_data: Path) -> None:
    ds = wg04(shared_data, "MR4")
    before = copy.deepcopy(ds)
    stored = stored_frame(ds)
    values = modality_frame(ds)
    assert float(ds.RescaleSlope) == pytest.approx(9.570207)
    np.testing.assert_allclose(values, stored * 9.570207 - 19595.0, rtol=1e-12)
    display_frame(ds)
    assert ds == before and ds.PixelData == before.PixelData


def test_modality_lut_sequence_matches_pydicom() -> None:
    ds = pydicom.dcmread(pydicom_file("mlut_18.dcm"))
    np.testing.assert_array_equal(modality_frame(ds), apply_modality_lut(ds.pixel_array, ds).astype(np.float64))


def test_big_endian_gives_the_same_values() -> None:
    little = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    big = pydicom.dcmread(pydicom_file("MR_small_bigendian.dcm"))
    np.testing.assert_array_equal(modality_frame(little), modality_frame(big))
    np.testing.assert_array_equal(display_frame(little), display_frame(big))


# ---------------------------------------------------------------- multi-frame


def test_multiframe_is_handled_frame_by_frame() -> None:
    ds = pydicom.dcmread(pydicom_file("emri_small.dcm"))
    n = number_of_frames(ds)
    assert n == 10
    ref = ds.pixel_array
    frames = modality_frames(ds)
    assert frames.shape == (10, 64, 64)
    for i in range(n):
        np.testing.assert_array_equal(stored_frame(ds, i), ref[i])
    displays = list(iter_display_frames(ds))
    assert len(displays) == 10 and all(d.dtype == np.uint8 and d.shape == (64, 64) for d in displays)
    assert not np.array_equal(displays[0], displays[9])
    with pytest.raises(ImagingValueError, match=r"frame must be an integer in \[0, 9\]"):
        stored_frame(ds, 10)


def test_enhanced_ct_rescale_from_functional_groups() -> None:
    ds = pydicom.dcmread(pydicom_file("eCT_Supplemental.dcm"))
    assert "RescaleIntercept" not in ds  # only in the shared functional groups
    stored = ds.pixel_array
    np.testing.assert_array_equal(modality_frame(ds, 1), stored[1].astype(np.float64) - 1024.0)
    # a per-frame transformation overrides the shared one, for that frame only
    edited = copy.deepcopy(ds)
    item = Dataset()
    item.RescaleSlope, item.RescaleIntercept, item.RescaleType = 2, -10, "US"
    edited.PerFrameFunctionalGroupsSequence[1].PixelValueTransformationSequence = [item]
    np.testing.assert_array_equal(modality_frame(edited, 1), stored[1] * 2.0 - 10.0)
    np.testing.assert_array_equal(modality_frame(edited, 0), stored[0] - 1024.0)
    window = frame_window(ds, 0)
    assert window is not None and window.width > 0


# ---------------------------------------------------------------- VOI


def test_multiple_windows_and_functions_from_the_dataset() -> None:
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.WindowCenter = [40, 400]
    ds.WindowWidth = [80, 1800]
    ds.WindowCenterWidthExplanation = ["BRAIN", "BONE"]
    assert frame_window(ds, voi_index=1) == Window(400, 1800, name="BONE")
    assert frame_window(ds) == Window(40, 80, name="BRAIN")
    ds.VOILUTFunction = "SIGMOID"
    assert frame_window(ds).function is VoiFunction.SIGMOID  # type: ignore[union-attr]
    brain = display_frame(ds, voi_index=0)
    bone = display_frame(ds, voi_index=1)
    assert not np.array_equal(brain, bone)


def test_voi_lut_sequence_matches_pydicom() -> None:
    ds = pydicom.dcmread(pydicom_file("vlut_04.dcm"))
    ours = display_frame(ds)
    theirs = apply_voi_lut(ds.pixel_array, ds, prefer_lut=True).astype(np.float64)
    scaled = np.round(theirs / theirs.max() * 255)
    assert np.abs(ours.astype(int) - scaled).max() <= 1


def test_explicit_preset_overrides_dataset_window(shared_data: Path) -> None:
    ds = wg04(shared_data, "CT1")
    hu = modality_frame(ds)
    expected = np.round(apply_window(hu, get_window("bone")) * 255)
    np.testing.assert_array_equal(display_frame(ds, window="bone"), expected)


def test_monochrome1_is_inverted_for_display(shared_data: Path) -> None:
    ds = wg04(shared_data, "RG3")
    assert ds.PhotometricInterpretation == "MONOCHROME1" and needs_inversion(ds)
    shown = display_frame(ds)
    as_mono2 = copy.deepcopy(ds)
    as_mono2.PhotometricInterpretation = "MONOCHROME2"
    np.testing.assert_array_equal(shown.astype(int), 255 - display_frame(as_mono2).astype(int))
    stored = stored_frame(ds)
    # MONOCHROME1: the highest stored value is shown darkest, the lowest brightest
    assert shown[np.unravel_index(np.argmax(stored), stored.shape)] == shown.min()
    assert shown[np.unravel_index(np.argmin(stored), stored.shape)] == shown.max() == 255


def test_small_monochrome1_without_shared_data() -> None:
    path = Path(get_testdata_file("CT_small.dcm")).parent / "dicomdirtests/77654033/CR1/6154"
    ds = pydicom.dcmread(path)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    mono2 = copy.deepcopy(ds)
    mono2.PhotometricInterpretation = "MONOCHROME2"
    np.testing.assert_array_equal(display_frame(ds).astype(int), 255 - display_frame(mono2).astype(int))


# ---------------------------------------------------------------- against an independent implementation (DCMTK)

DCM2PNM = shutil.which("dcm2pnm")
needs_dcmtk = pytest.mark.skipif(DCM2PNM is None, reason="DCMTK dcm2pnm not installed")


def _dcmtk_render(path: Path | str, options: list[str], out: Path) -> np.ndarray:
    command = [str(DCM2PNM), "--write-png", *options, str(path), str(out)]
    subprocess.run(command, check=True, capture_output=True)
    with Image.open(out) as img:
        return np.asarray(img).astype(int)


@needs_dcmtk
@pytest.mark.parametrize(
    ("name", "options", "window"),
    [
        ("RG3", ["+Wi", "1"], None),  # MONOCHROME1, dataset window
        ("MR1", ["+Wi", "1"], None),
        ("MR4", ["+Wi", "1"], None),  # rescale slope 9.57 then window
        ("CT1", ["+Ww", "-600", "1500"], "lung"),
        ("CT1", ["+Ww", "40", "80"], "brain"),
        ("US1", [], None),  # RGB
    ],
)
def test_wg04_display_matches_dcmtk(shared_data: Path, tmp_path: Path, name: str, options: list[str], window) -> None:
    path = shared_data / WG04 / f"{name}_UNC.dcm"
    reference = _dcmtk_render(path, options, tmp_path / "ref.png")
    ours = display_frame(pydicom.dcmread(path), window=window).astype(int)
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() <= 1


@needs_dcmtk
def test_sigmoid_and_monochrome1_match_dcmtk(tmp_path: Path) -> None:
    ct = pydicom_file("CT_small.dcm")
    reference = _dcmtk_render(ct, ["+Ww", "40", "400", "+Wfs"], tmp_path / "s.png")
    ours = display_frame(pydicom.dcmread(ct), window=Window(40, 400, VoiFunction.SIGMOID)).astype(int)
    assert np.abs(ours - reference).max() <= 1
    cr = Path(pydicom_file("CT_small.dcm")).parent / "dicomdirtests/77654033/CR1/6154"
    reference = _dcmtk_render(cr, ["+Wi", "1"], tmp_path / "cr.png")
    assert np.abs(display_frame(pydicom.dcmread(cr)).astype(int) - reference).max() <= 1


# ---------------------------------------------------------------- colour

SC_BANDS = [(255, 0, 0), (255, 128, 128), (0, 255, 0), (128, 255, 128), (0, 0, 255),
            (128, 128, 255), (0, 0, 0), (64, 64, 64), (192, 192, 192), (255, 255, 255)]


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        ("SC_rgb.dcm", 0),  # RGB, native
        ("SC_rgb_rle.dcm", 0),  # RGB, RLE
        ("SC_rgb_jpeg_dcmtk.dcm", 5),  # YBR_FULL in lossy JPEG
        ("SC_ybr_full_422_uncompressed.dcm", 5),  # YBR_FULL_422 native
        ("SC_rgb_dcmtk_+eb+cy+s2.dcm", 5),  # YBR_FULL_422 in JPEG
        ("SC_rgb_small_odd_big_endian.dcm", None),
    ],
)
def test_colour_images_are_rgb_with_known_values(name: str, tolerance: int | None) -> None:
    ds = pydicom.dcmread(pydicom_file(name))
    shown = display_frame(ds)
    assert shown.dtype == np.uint8 and shown.shape[-1] == 3
    if tolerance is None:
        np.testing.assert_array_equal(shown, display_frame(pydicom.dcmread(pydicom_file("SC_rgb_small_odd.dcm"))))
        return
    for band, rgb in enumerate(SC_BANDS):
        got = shown[band * 10 + 5, 50].astype(int)
        assert np.abs(got - np.array(rgb)).max() <= tolerance, (name, band, got, rgb)
    with pytest.raises(ImagingValueError, match="grayscale"):
        modality_frame(ds)


def test_us1_and_vl1_rgb_match_the_stored_bytes(shared_data: Path) -> None:
    for name, shape in (("US1", (480, 640, 3)), ("VL1", (486, 756, 3))):
        ds = wg04(shared_data, name)
        assert ds.PhotometricInterpretation == "RGB" and ds.PlanarConfiguration == 0
        raw = np.frombuffer(ds.PixelData, dtype=np.uint8)[: np.prod(shape)].reshape(shape)
        np.testing.assert_array_equal(display_frame(ds), raw)


def test_us1_as_ybr_full_and_planar_comes_back_as_rgb(shared_data: Path) -> None:
    ds = wg04(shared_data, "US1")
    rgb = display_frame(ds)
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    as_ybr = copy.deepcopy(ds)
    as_ybr.PhotometricInterpretation = "YBR_FULL"
    as_ybr.PixelData = ybr.tobytes()
    got = display_frame(as_ybr)
    assert np.abs(got.astype(int) - rgb.astype(int)).max() <= 2  # 8-bit YCbCr round trip
    planar = copy.deepcopy(ds)
    planar.PlanarConfiguration = 1
    planar.PixelData = np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()
    np.testing.assert_array_equal(display_frame(planar), rgb)


def test_planar_configuration_one_equals_interleaved() -> None:
    planar = pydicom.dcmread(pydicom_file("color-pl.dcm"))
    interleaved = pydicom.dcmread(pydicom_file("color-px.dcm"))
    assert planar.PlanarConfiguration == 1 and interleaved.PlanarConfiguration == 0
    np.testing.assert_array_equal(display_frame(planar), display_frame(interleaved))


def test_us1_ybr_jpeg2000_is_close_to_the_uncompressed_rgb() -> None:
    rgb = display_frame(pydicom.dcmread(pydicom_file("US1_UNCR.dcm")))
    ybr = display_frame(pydicom.dcmread(pydicom_file("US1_J2KR.dcm")))  # YBR_RCT, lossless
    np.testing.assert_array_equal(rgb, ybr)


def test_palette_colour_is_expanded() -> None:
    ds = pydicom.dcmread(pydicom_file("OBXXXX1A.dcm"))
    shown = display_frame(ds)
    assert shown.shape == (600, 800, 3) and shown.dtype == np.uint8


def test_truncated_pixel_data_names_the_file() -> None:
    path = pydicom_file("MR_truncated.dcm")
    ds = pydicom.dcmread(path)
    with pytest.raises(DicomFormatError, match="MR_truncated.dcm.*frame 0"):
        display_frame(ds)


def test_non_contiguous_and_integer_inputs_to_apply_window() -> None:
    values = np.arange(-1000, 1000, dtype=np.int16).reshape(40, 50)[:, ::2]
    assert not values.flags.c_contiguous
    np.testing.assert_allclose(apply_window(values, Window(0, 400)), apply_window(values.copy(), Window(0, 400)))
    assert apply_window(values, Window(0, 400)).shape == (40, 25)


def test_no_pixel_data_is_an_error() -> None:
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"), stop_before_pixels=True)
    with pytest.raises(ImagingValueError, match="no pixel data"):
        display_frame(ds)
