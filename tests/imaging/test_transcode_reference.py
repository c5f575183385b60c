"""Bit-exact round trips on real images (WG-04, pydicom's test files) and interoperability with dcmtk and GDCM.

The full sweeps are ``@pytest.mark.slow`` (``pytest -m slow tests/imaging``); a representative subset always runs.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest
from pydicom.data import get_testdata_file
from pydicom.data.data_manager import external_data_sources
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder

from imaging import (
    DicomFormatError,
    ImagingSettings,
    TransferSyntax,
    compress_dataset,
    compress_file,
    read_dataset,
)
from imaging.codecs import unsupported_reason
from imaging.transcode import source_frames

from .test_transcode import decode_with_pydicom

WG04_NAMES = ["CT1", "MR1", "MR3", "MR4", "NM1", "RG3", "US1", "VL1", "XA1"]
WG04_FAST = ["CT1", "MR4", "US1"]

# pydicom test files covering the edge cases: big endian, no file meta, palette, multi-frame, compressed
# (lossless and lossy) sources, YBR_FULL_422, odd sizes, 32-bit
PYDICOM_FAST = [
    "CT_small.dcm",
    "MR_small_bigendian.dcm",
    "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "OT-PAL-8-face.dcm",
    "SC_rgb_rle_2frame.dcm",
    "emri_small_jpeg_2k_lossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "SC_rgb_jpeg_gdcm.dcm",
    "SC_ybr_full_422_uncompressed.dcm",
    "SC_rgb_small_odd.dcm",
    "SC_rgb_32bit_2frame.dcm",
]


def _wg04(shared_data: Path, name: str) -> Path:
    return shared_data / "imaging" / "wg04" / f"{name}_UNC.dcm"


def _load_any(path: str | Path) -> Dataset:
    """Our reader when it accepts the file; else pydicom (some test files lack UIDs our reader requires)."""
    try:
        return read_dataset(path)
    except DicomFormatError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path)


def _round_trip_all_syntaxes(ds: Dataset, label: str) -> int:
    """Compress with every syntax supporting the pixel format; pydicom's decode of each output must equal the
    source's decoded stored values. Returns how many syntaxes were checked."""
    reference, fmt = source_frames(ds)
    checked = 0
    for syntax in TransferSyntax:
        if unsupported_reason(syntax, fmt) is not None:
            continue
        out, stats = compress_dataset(ds, syntax=syntax)
        assert stats.verified and out.file_meta.TransferSyntaxUID == syntax.uid
        assert np.array_equal(decode_with_pydicom(out), reference), f"{label} {syntax.value}"
        checked += 1
    return checked


@pytest.mark.parametrize("name", WG04_FAST)
def test_wg04_round_trip_fast(shared_data: Path, name: str) -> None:
    assert _round_trip_all_syntaxes(read_dataset(_wg04(shared_data, name)), name) == 4


@pytest.mark.slow
@pytest.mark.parametrize("name", WG04_NAMES)
def test_wg04_round_trip_all(shared_data: Path, name: str) -> None:
    assert _round_trip_all_syntaxes(read_dataset(_wg04(shared_data, name)), name) == 4


def _pydicom_case(name: str) -> None:
    path = get_testdata_file(name) if "/" not in name else name
    if path is None:
        pytest.skip(f"{name} not shipped with this pydicom")
    try:
        ds = _load_any(path)
    except Exception as exc:  # noqa: BLE001 - pydicom cannot read it at all
        pytest.skip(f"{name}: pydicom cannot read it ({type(exc).__name__})")
    if "PixelData" not in ds:
        pytest.skip(f"{name}: no pixel data")
    try:
        source_frames(ds)
    except Exception as exc:  # noqa: BLE001 - undecodable, or 1-bit (rejected with a reason)
        pytest.skip(f"{name}: pixel data not decodable / not storable ({type(exc).__name__}: {str(exc)[:80]})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert _round_trip_all_syntaxes(ds, name) >= 1


@pytest.mark.parametrize("name", PYDICOM_FAST)
def test_pydicom_files_round_trip_fast(name: str) -> None:
    _pydicom_case(name)


def _all_pydicom_files() -> list[str]:
    """pydicom's test files: those installed with it and the local pydicom-data store (never downloaded here)."""
    folders = [Path(pydicom.data.__file__).parent / "test_files"]
    folders += [Path(source.data_path) for source in external_data_sources().values()]
    return sorted(str(p) for folder in folders if folder.is_dir() for p in folder.glob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("path", _all_pydicom_files(), ids=lambda p: Path(p).name)
def test_pydicom_files_round_trip_all(path: str) -> None:
    logging.disable(logging.WARNING)
    try:
        _pydicom_case(path)
    finally:
        logging.disable(logging.NOTSET)


def test_lossy_source_is_marked_lossy() -> None:
    ds = read_dataset(get_testdata_file("SC_rgb_dcmtk_+eb+cy+np.dcm"))  # JPEG baseline, YBR_FULL_422
    del ds.LossyImageCompression
    out, _ = compress_dataset(ds, syntax="jpegls")
    assert out.LossyImageCompression == "01"
    assert out.PhotometricInterpretation == "YBR_FULL"  # decoded full-resolution chrominance


# -- size against dcmtk --------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("dcmcjpls") is None, reason="dcmtk (dcmcjpls) not installed")
def test_wg04_auto_is_not_larger_than_dcmcjpls(shared_data: Path, tmp_path: Path) -> None:
    """Deterministic form of the size acceptance: ``auto`` without the speed limit (the benchmark measures the
    default budget) writes no more bytes than ``dcmcjpls`` with its defaults."""
    settings = ImagingSettings(auto_speed_budget=1000.0)
    ours = theirs = 0
    for name in WG04_NAMES:
        src = _wg04(shared_data, name)
        ours += compress_file(src, tmp_path / f"{name}.ours.dcm", syntax="auto", settings=settings).bytes_out
        subprocess.run(["dcmcjpls", str(src), str(tmp_path / f"{name}.dcmtk.dcm")], check=True, capture_output=True)
        theirs += (tmp_path / f"{name}.dcmtk.dcm").stat().st_size
    assert ours <= theirs


# -- other toolkits read our output --------------------------------------------------------------------------------

DCMTK_DECODERS = {TransferSyntax.JPEGLS: "dcmdjpls", TransferSyntax.RLE: "dcmdrle"}


def _pixels_of(path: Path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    return np.stack([arr for arr, _ in decoder.iter_array(ds, raw=True)])


def _interop_sources(shared_data: Path, tmp_path: Path) -> list[Path]:
    from .test_transcode import FORMATS, make_dataset, random_stored

    signed12 = random_stored(np.random.default_rng(0), (2, 33, 41), 12, True)
    garbage = np.random.default_rng(1).integers(0, 16, size=signed12.shape)
    synthetic = tmp_path / "signed12_2frames.dcm"
    make_dataset(signed12, garbage=garbage, **FORMATS["s16_12bit"]).save_as(synthetic, enforce_file_format=True)
    return [_wg04(shared_data, "CT1"), _wg04(shared_data, "US1"), synthetic]


@pytest.mark.skipif(shutil.which("dcmdump") is None, reason="dcmtk not installed")
@pytest.mark.parametrize("syntax", [TransferSyntax.JPEGLS, TransferSyntax.RLE], ids=lambda s: s.value)
def test_dcmtk_decodes_our_output(shared_data: Path, tmp_path: Path, syntax: TransferSyntax) -> None:
    for src in _interop_sources(shared_data, tmp_path):
        ours = tmp_path / f"{src.stem}.{syntax.value}.dcm"
        compress_file(src, ours, syntax=syntax)
        dump = subprocess.run(["dcmdump", "-E", str(ours)], capture_output=True, text=True)
        assert dump.returncode == 0 and "E:" not in dump.stderr, dump.stderr
        raw = tmp_path / f"{src.stem}.{syntax.value}.dcmtk-raw.dcm"
        subprocess.run([DCMTK_DECODERS[syntax], str(ours), str(raw)], check=True, capture_output=True)
        assert np.array_equal(_pixels_of(raw), _pixels_of(src)), f"{src.name} {syntax.value}"


@pytest.mark.skipif(shutil.which("gdcmconv") is None, reason="GDCM tools not installed")
@pytest.mark.parametrize(
    "syntax", [TransferSyntax.JPEGLS, TransferSyntax.JPEG2K, TransferSyntax.RLE], ids=lambda s: s.value
)
def test_gdcm_decodes_our_output(shared_data: Path, tmp_path: Path, syntax: TransferSyntax) -> None:
    for src in _interop_sources(shared_data, tmp_path):
        ours = tmp_path / f"{src.stem}.{syntax.value}.dcm"
        compress_file(src, ours, syntax=syntax)
        info = subprocess.run(["gdcminfo", str(ours)], capture_output=True, text=True)
        assert info.returncode == 0, info.stderr
        raw = tmp_path / f"{src.stem}.{syntax.value}.gdcm-raw.dcm"
        subprocess.run(["gdcmconv", "--raw", str(ours), str(raw)], check=True, capture_output=True)
        expected = _pixels_of(src)
        decoded = _pixels_of(raw)
        if decoded.ndim == expected.ndim - 1:  # single frame: GDCM may drop Number of Frames
            decoded = decoded[np.newaxis]
        assert np.array_equal(decoded, expected), f"{src.name} {syntax.value}"


@pytest.mark.skipif(shutil.which("dcmdump") is None, reason="dcmtk not installed")
@pytest.mark.parametrize("syntax", list(TransferSyntax), ids=lambda s: s.value)
def test_dcmdump_parses_every_output(shared_data: Path, tmp_path: Path, syntax: TransferSyntax) -> None:
    """dcmtk parses the encapsulation of every syntax (it decodes JPEG-LS and RLE, above; not J2K / HTJ2K)."""
    src = _wg04(shared_data, "MR4")
    ours = tmp_path / f"MR4.{syntax.value}.dcm"
    compress_file(src, ours, syntax=syntax)
    dump = subprocess.run(["dcmdump", "-E", "+P", "7fe0,0010", str(ours)], capture_output=True, text=True)
    assert dump.returncode == 0 and "E:" not in dump.stderr, dump.stderr
    assert "PixelSequence #=2" in dump.stdout  # Basic Offset Table item + one fragment
