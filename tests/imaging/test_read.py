"""Reading one DICOM file, and walking files, folders and zips: imaging.read."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from imaging import DicomFormatError, is_dicom, iter_dicom_files, read_dataset, read_dataset_bytes
from imaging.read import expected_native_length, iter_dicom_sources

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_image(
    rows: int = 4, columns: int = 6, *, frames: int | None = None, pixel_bytes: bytes | None = None
) -> Dataset:
    """A minimal valid 16-bit MR image dataset with file meta."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "MR"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    n = rows * columns * (frames or 1)
    if frames is not None:
        ds.NumberOfFrames = frames
    ds.PixelData = pixel_bytes if pixel_bytes is not None else np.arange(n, dtype="<u2").tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def bare_dataset_bytes(ds: Dataset) -> bytes:
    """``ds`` encoded as an implicit VR little endian dataset with no preamble and no file meta."""
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)
    return fp.getvalue()


def save(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


# -- reading good files -----------------------------------------------------------------------------------------


def test_reads_part10_file_and_keeps_it_unchanged() -> None:
    before = _sha256(CT_SMALL)
    ds = read_dataset(CT_SMALL)
    assert ds.Rows == 128 and ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert _sha256(CT_SMALL) == before


def test_reads_wg04_images(shared_data: Path) -> None:
    for path in sorted((shared_data / "imaging" / "wg04").glob("*.dcm")):
        ds = read_dataset(path)
        assert len(ds.PixelData) >= expected_native_length(ds), path.name


def test_reads_bare_implicit_vr_dataset_without_file_meta(tmp_path: Path) -> None:
    src = pydicom.dcmread(CT_SMALL)
    path = tmp_path / "bare.dcm"
    # no preamble, no file meta: implicit VR little endian dataset only, as old modalities write
    path.write_bytes(bare_dataset_bytes(src))
    raw = path.read_bytes()
    assert raw[128:132] != b"DICM"
    assert is_dicom(path)
    ds = read_dataset(path)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert ds.file_meta.MediaStorageSOPInstanceUID == src.SOPInstanceUID
    assert np.array_equal(ds.pixel_array, src.pixel_array)


def test_reads_big_endian_file() -> None:
    ds = read_dataset(get_testdata_file("MR_small_bigendian.dcm"))
    ref = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    assert np.array_equal(ds.pixel_array, ref.pixel_array)


def test_stop_before_pixels_skips_pixel_data() -> None:
    ds = read_dataset(CT_SMALL, stop_before_pixels=True)
    assert "PixelData" not in ds and ds.Rows == 128


def test_read_dataset_bytes_matches_file_read() -> None:
    a = read_dataset(CT_SMALL)
    b = read_dataset_bytes(CT_SMALL.read_bytes(), label="upload.zip!CT_small.dcm")
    assert a.SOPInstanceUID == b.SOPInstanceUID and a.PixelData == b.PixelData


def test_odd_length_pixel_data_with_pad_byte_is_accepted(tmp_path: Path) -> None:
    # 3 x 3 8-bit = 9 bytes, padded to 10 on write
    ds = make_image(3, 3, pixel_bytes=bytes(range(9)))
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    path = save(ds, tmp_path / "odd.dcm")
    assert len(read_dataset(path).PixelData) == 10


# -- bad input: a clear error naming the file -------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with pytest.raises(DicomFormatError, match="empty") as err:
        read_dataset(path)
    assert err.value.path == str(path)


def test_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("patient called back, ECG to follow\n" * 20)
    with pytest.raises(DicomFormatError, match="not DICOM") as err:
        read_dataset(path)
    assert str(path) in str(err.value)
    assert not is_dicom(path)


def test_garbage_after_a_dicm_prefix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.dcm"
    path.write_bytes(b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4)
    with pytest.raises(DicomFormatError, match=str(path.name)):
        read_dataset(path)


def test_pydicom_truncated_file() -> None:
    path = get_testdata_file("MR_truncated.dcm")
    before = _sha256(Path(path))
    with pytest.raises(DicomFormatError, match="truncated pixel data.* declares 8192 bytes") as err:
        read_dataset(path)
    assert err.value.path == str(path)
    assert _sha256(Path(path)) == before


def test_file_cut_inside_pixel_data(tmp_path: Path) -> None:
    full = save(make_image(16, 16), tmp_path / "full.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(full[:-100])
    with pytest.raises(DicomFormatError, match="truncated pixel data"):
        read_dataset(path)


def test_every_cut_of_a_file_is_a_clear_error() -> None:
    data = CT_SMALL.read_bytes()
    for cut in range(0, len(data) - 1, 61):
        with pytest.raises(DicomFormatError) as err:
            read_dataset_bytes(data[:cut], label=f"cut{cut}.dcm")
        assert err.value.path == f"cut{cut}.dcm"


def test_pixel_data_shorter_than_its_image(tmp_path: Path) -> None:
    # a complete file whose Pixel Data is simply too short for Rows x Columns (no cut)
    ds = make_image(4, 6, pixel_bytes=np.zeros(4 * 6 - 4, "<u2").tobytes())
    with pytest.raises(DicomFormatError, match="truncated pixel data: 40 bytes, expected 48"):
        read_dataset(save(ds, tmp_path / "short.dcm"))


def test_pixel_length_mismatch(tmp_path: Path) -> None:
    ds = make_image(4, 6, pixel_bytes=np.zeros(4 * 6 + 8, "<u2").tobytes())
    path = save(ds, tmp_path / "long.dcm")
    before = _sha256(path)
    with pytest.raises(DicomFormatError, match="pixel data length mismatch: 64 bytes, expected 48"):
        read_dataset(path)
    assert _sha256(path) == before


def test_frames_count_in_expected_length(tmp_path: Path) -> None:
    ds = make_image(4, 6, frames=3, pixel_bytes=np.zeros(4 * 6 * 2, "<u2").tobytes())
    with pytest.raises(DicomFormatError, match="truncated pixel data: 96 bytes, expected 144"):
        read_dataset(save(ds, tmp_path / "frames.dcm"))


@pytest.mark.parametrize("keyword", ["SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Rows", "BitsStored"])
def test_missing_mandatory_tag(tmp_path: Path, keyword: str) -> None:
    ds = make_image()
    delattr(ds, keyword)
    path = save(ds, tmp_path / f"no_{keyword}.dcm")
    with pytest.raises(DicomFormatError, match=f"missing mandatory tag.*{keyword}") as err:
        read_dataset(path)
    assert err.value.path == str(path)


def test_undecodable_transfer_syntax(tmp_path: Path) -> None:
    ds = make_image()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 video: no pixel decoder
    ds["PixelData"].VR = "OB"
    from pydicom.encaps import encapsulate

    ds.PixelData = encapsulate([b"\xff\x0a" + b"\x00" * 30])
    ds["PixelData"].is_undefined_length = True
    path = tmp_path / "mpeg2.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(DicomFormatError, match="undecodable transfer syntax"):
        read_dataset(path)


def test_unknown_transfer_syntax(tmp_path: Path) -> None:
    raw = save(make_image(), tmp_path / "ok.dcm").read_bytes()
    assert raw.count(b"1.2.840.10008.1.2.1\x00") == 1
    path = tmp_path / "unknown_ts.dcm"
    path.write_bytes(raw.replace(b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.9.9.9\x00"))
    with pytest.raises(DicomFormatError, match="unknown transfer syntax 1.2.840.10008.9.9.9"):
        read_dataset(path)


def test_missing_file_is_a_format_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DicomFormatError, match="cannot be read"):
        read_dataset(tmp_path / "nope.dcm")


# -- is_dicom ---------------------------------------------------------------------------------------------------


def test_is_dicom_sniff(tmp_path: Path) -> None:
    assert is_dicom(CT_SMALL)
    short = tmp_path / "short"
    short.write_bytes(b"\x08\x00")
    assert not is_dicom(short)
    assert not is_dicom(tmp_path / "missing")
    assert not is_dicom(get_testdata_file("no_meta.dcm"))  # starts with a stray byte: not a plausible start


# -- walking uploads --------------------------------------------------------------------------------------------


def test_iter_dicom_files_over_folder_and_zip_reports_each_bad_file(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    (folder / "CT").mkdir(parents=True)
    save(make_image(), folder / "CT" / "1.dcm")
    save(make_image(), folder / "CT" / "2.dcm")
    (folder / "CT" / "readme.txt").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"junk")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        buf = io.BytesIO()
        make_image().save_as(buf, enforce_file_format=True)
        zf.writestr("MR/1.dcm", buf.getvalue())
        zf.writestr("MR/bad.dcm", b"")
    hashes = {p: _sha256(p) for p in [*folder.rglob("*"), archive] if p.is_file()}

    results = dict(iter_dicom_files([folder, archive]))
    labels = sorted(results)
    assert labels == sorted(
        [
            str(folder / "CT" / "1.dcm"),
            str(folder / "CT" / "2.dcm"),
            str(folder / "CT" / "readme.txt"),
            f"{archive}!MR/1.dcm",
            f"{archive}!MR/bad.dcm",
        ]
    )
    assert isinstance(results[f"{archive}!MR/1.dcm"], Dataset)
    bad = results[f"{archive}!MR/bad.dcm"]
    assert isinstance(bad, DicomFormatError) and bad.path == f"{archive}!MR/bad.dcm" and "empty" in bad.problem
    assert isinstance(results[str(folder / "CT" / "readme.txt")], DicomFormatError)
    assert {p: _sha256(p) for p in hashes} == hashes  # originals never altered


def test_iter_dicom_sources_relative_layout(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "a" / "b").mkdir(parents=True)
    save(make_image(), folder / "a" / "b" / "x.dcm")
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("s/y.dcm", b"\x00")
    sources = list(iter_dicom_sources([folder, archive, CT_SMALL]))
    assert [s.relative for s in sources] == ["a/b/x.dcm", "batch/s/y.dcm", "CT_small.dcm"]
    assert sources[1].member == "s/y.dcm" and sources[1].read_bytes() == b"\x00"
