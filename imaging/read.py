"""Reading one DICOM file, and walking files, folders and zip archives of them.

:func:`read_dataset` reads DICOM Part-10 files and bare datasets written without a file meta header
(implicit VR little endian, as old modalities and some archives produce them), then validates what the
downstream operations need: the identifying UIDs, the image pixel module, the length of native pixel data and a
decodable transfer syntax. Every problem raises :class:`~imaging.errors.DicomFormatError` naming the file.

:func:`iter_dicom_files` walks an upload (files, folders recursively, zip archives) and yields one
``(label, dataset-or-error)`` pair per file, so that one bad file never stops a batch. Inputs are only ever
opened for reading.

References
----------
DICOM PS3.10 section 7.1 (file meta information), PS3.5 section 8 (pixel data encoding), PS3.3 C.7.6.3
(image pixel module).
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ImplicitVRLittleEndian

from .errors import DicomFormatError

__all__ = [
    "DicomSource",
    "MANDATORY_TAGS",
    "MANDATORY_IMAGE_TAGS",
    "expected_native_length",
    "is_dicom",
    "iter_dicom_files",
    "iter_dicom_sources",
    "read_dataset",
    "read_dataset_bytes",
]

log = logging.getLogger(__name__)

#: Tags every stored instance must carry (SOP common and general study / series modules).
MANDATORY_TAGS: tuple[str, ...] = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
#: Further tags an instance with Pixel Data must carry (image pixel module, PS3.3 C.7.6.3).
MANDATORY_IMAGE_TAGS: tuple[str, ...] = (
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
)

_PREAMBLE_LEN = 128
_ZIP_SEPARATOR = "!"
# Groups a bare (meta-less) dataset plausibly starts with: file meta, identifying, patient.
_PLAUSIBLE_FIRST_GROUPS = frozenset({0x0002, 0x0008, 0x0010})
_NATIVE_SYNTAXES = frozenset(
    {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}
)


def is_dicom(path: str | os.PathLike[str]) -> bool:
    """Cheap content sniff: does ``path`` look like DICOM?

    True for a Part-10 file (128-byte preamble then ``DICM``) and for a bare dataset whose first element is a
    plausible element of group 0002, 0008 or 0010 (implicit or explicit VR little endian, explicit big endian). Reads at most 140 bytes
    and never raises for unreadable files (returns False).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_PREAMBLE_LEN + 12)
    except OSError:
        return False
    return _looks_like_dicom(head)


def _looks_like_dicom(head: bytes) -> bool:
    if len(head) >= _PREAMBLE_LEN + 4 and head[_PREAMBLE_LEN : _PREAMBLE_LEN + 4] == b"DICM":
        return True
    return _looks_like_bare_dataset(head)


def _looks_like_bare_dataset(head: bytes) -> bool:
    if len(head) < 8:
        return False
    vr = head[4:6]
    explicit = vr.isalpha() and vr.isupper()
    group, element = struct.unpack_from("<HH", head, 0)
    if group in _PLAUSIBLE_FIRST_GROUPS:
        if explicit:  # explicit VR little endian
            return True
        (length,) = struct.unpack_from("<I", head, 4)
        # implicit VR: a short first element (charset, image type, group length, SOP class...)
        return element < 0x1000 and length < 1024
    big_group, _ = struct.unpack_from(">HH", head, 0)
    return explicit and big_group in _PLAUSIBLE_FIRST_GROUPS  # explicit VR big endian (retired)


@dataclass(frozen=True, slots=True)
class DicomSource:
    """One candidate file of an upload: a file on disk or a member of a zip archive.

    Attributes
    ----------
    label
        How reports name it: the path, or ``archive.zip!member/path`` for a zip member.
    path
        The file on disk (the archive itself for a zip member).
    member
        The member name inside the archive, or None for a plain file.
    relative
        Path relative to the root it was found under (folder walk or archive), used to lay out outputs.
    """

    label: str
    path: Path
    member: str | None = None
    relative: str = ""

    def read_bytes(self) -> bytes:
        """The file's bytes (the zip member's uncompressed bytes)."""
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.member)

    def read(self, *, stop_before_pixels: bool = False) -> Dataset:
        """Read and validate the dataset; see :func:`read_dataset`."""
        if self.member is None:
            return read_dataset(self.path, stop_before_pixels=stop_before_pixels)
        return read_dataset_bytes(self.read_bytes(), label=self.label, stop_before_pixels=stop_before_pixels)


def read_dataset(path: str | os.PathLike[str], *, stop_before_pixels: bool = False) -> Dataset:
    """Read one DICOM file and validate it.

    Parameters
    ----------
    path
        A DICOM Part-10 file, or a bare dataset without file meta header (implicit VR little endian).
    stop_before_pixels
        Skip Pixel Data (cheaper when only the header is needed); the pixel length check is then skipped too.

    Returns
    -------
    pydicom.Dataset
        With ``file_meta.TransferSyntaxUID`` always set (implicit VR little endian for a bare dataset).

    Raises
    ------
    DicomFormatError
        Naming the file: not DICOM, empty, truncated or mis-sized pixel data, missing mandatory tags,
        undecodable transfer syntax.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DicomFormatError(p, f"cannot be read: {exc.strerror or exc}") from exc
    if not p.is_file():
        raise DicomFormatError(p, "is not a regular file")
    if size == 0:
        raise DicomFormatError(p, "empty file (0 bytes)")
    with open(p, "rb") as fh:
        return _read_stream(fh, str(p), stop_before_pixels=stop_before_pixels)


def read_dataset_bytes(data: bytes, *, label: str, stop_before_pixels: bool = False) -> Dataset:
    """Like :func:`read_dataset` for in-memory bytes (e.g. a zip member); ``label`` names it in errors."""
    if not data:
        raise DicomFormatError(label, "empty file (0 bytes)")
    return _read_stream(io.BytesIO(data), label, stop_before_pixels=stop_before_pixels)


def _read_stream(fh: BinaryIO, label: str, *, stop_before_pixels: bool) -> Dataset:
    head = fh.read(_PREAMBLE_LEN + 12)
    fh.seek(0)
    part10 = len(head) >= _PREAMBLE_LEN + 4 and head[_PREAMBLE_LEN : _PREAMBLE_LEN + 4] == b"DICM"
    if not part10 and not _looks_like_bare_dataset(head):
        raise DicomFormatError(label, "not DICOM (no 'DICM' prefix and no plausible dataset start)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(fh, force=not part10, stop_before_pixels=stop_before_pixels)
    except InvalidDicomError as exc:
        raise DicomFormatError(label, f"not DICOM: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - uploads are untrusted: any parser failure is a bad file, named
        raise DicomFormatError(label, f"unreadable DICOM ({type(exc).__name__}: {exc})") from exc
    size = fh.seek(0, io.SEEK_END)
    _check_not_cut(ds, label, size)
    if not part10:
        log.debug("%s: no file meta header, read as a bare dataset", label)
        _add_meta(ds)
    try:
        _validate(ds, label, pixels_loaded=not stop_before_pixels)
    except DicomFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed value met while validating
        raise DicomFormatError(label, f"malformed image pixel module ({type(exc).__name__}: {exc})") from exc
    return ds


def _check_not_cut(ds: Dataset, label: str, size: int) -> None:
    """The last top-level element must end within the file: else the file was cut (pydicom reads it short)."""
    if not len(ds):
        raise DicomFormatError(label, "no data elements after the file meta header")
    last = max(ds.keys())
    elem = ds.get_item(last)
    if isinstance(elem, RawDataElement) and elem.length != 0xFFFFFFFF and elem.value_tell is not None:
        end = elem.value_tell + elem.length
        if end > size:
            kind = "truncated pixel data" if last == 0x7FE00010 else "truncated file"
            raise DicomFormatError(
                label, f"{kind}: element {last} declares {elem.length} bytes, the file ends {end - size} bytes short"
            )
        if 0 < size - end < 8:  # less than an element header left: the file was cut inside the next element
            raise DicomFormatError(label, f"truncated file: {size - end} stray bytes after element {last}")


def _add_meta(ds: Dataset) -> None:
    """Give a bare dataset the file meta it lacks, from what pydicom inferred while reading."""
    implicit, little = ds.original_encoding
    if implicit is None:
        implicit, little = True, True
    meta = ds.file_meta if isinstance(getattr(ds, "file_meta", None), FileMetaDataset) else FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        if implicit:
            meta.TransferSyntaxUID = ImplicitVRLittleEndian
        else:
            meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")
    if "SOPClassUID" in ds and "MediaStorageSOPClassUID" not in meta:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds and "MediaStorageSOPInstanceUID" not in meta:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta = meta


def expected_native_length(ds: Dataset) -> int:
    """Bytes of native (uncompressed) Pixel Data: Rows x Columns x SamplesPerPixel x BitsAllocated x frames / 8.

    Bit-packed (BitsAllocated 1) data is rounded up to whole bytes; native YBR_FULL_422 holds two samples per
    pixel; the even-length pad byte is not included.
    """
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.SamplesPerPixel)
    if str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
        samples = 2  # native 4:2:2: two luminance and one of each chrominance per two pixels (PS3.3 C.7.6.3.1.2)
    bits = int(ds.Rows) * int(ds.Columns) * samples * int(ds.BitsAllocated) * frames
    return (bits + 7) // 8


def _validate(ds: Dataset, label: str, *, pixels_loaded: bool) -> None:
    missing = [kw for kw in MANDATORY_TAGS if not ds.get(kw)]
    has_pixels = "PixelData" in ds or "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
    if has_pixels or "Rows" in ds:
        missing += [kw for kw in MANDATORY_IMAGE_TAGS if ds.get(kw) in (None, "")]
    if missing:
        raise DicomFormatError(label, f"missing mandatory tag(s): {', '.join(missing)}")
    tsyntax = ds.file_meta.get("TransferSyntaxUID")
    if tsyntax is None:
        raise DicomFormatError(label, "file meta has no Transfer Syntax UID (0002,0010)")
    tsyntax = UID(tsyntax)
    if not tsyntax.is_transfer_syntax:
        raise DicomFormatError(label, f"unknown transfer syntax {tsyntax!s}")
    if not (has_pixels or "Rows" in ds):
        if pixels_loaded and _is_image_storage(ds):
            raise DicomFormatError(
                label, f"{UID(str(ds.SOPClassUID)).name} without image pixel module or Pixel Data: file cut short?"
            )
        return
    for kw in ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated"):
        if int(ds[kw].value) <= 0:
            raise DicomFormatError(label, f"{kw} must be positive, got {ds[kw].value}")
    if pixels_loaded and not has_pixels:
        raise DicomFormatError(label, "image pixel module present but no Pixel Data (7FE0,0010): file cut short?")
    if "PixelData" in ds and tsyntax.is_compressed:
        _check_decodable(tsyntax, label)
    if not pixels_loaded or "PixelData" not in ds or str(tsyntax) not in _NATIVE_SYNTAXES:
        return
    actual = len(ds.PixelData)
    expected = expected_native_length(ds)
    if actual < expected:
        raise DicomFormatError(
            label,
            f"truncated pixel data: {actual} bytes, expected {expected} "
            f"(Rows x Columns x SamplesPerPixel x BitsAllocated x NumberOfFrames / 8)",
        )
    if actual > expected + (expected % 2):
        raise DicomFormatError(
            label,
            f"pixel data length mismatch: {actual} bytes, expected {expected} "
            f"(Rows x Columns x SamplesPerPixel x BitsAllocated x NumberOfFrames / 8)",
        )


def _is_image_storage(ds: Dataset) -> bool:
    """True for SOP classes of image IODs (which must carry Pixel Data), by their registered name."""
    return "Image Storage" in UID(str(ds.get("SOPClassUID", ""))).name


def _check_decodable(tsyntax: UID, label: str) -> None:
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(tsyntax)
    except NotImplementedError as exc:
        raise DicomFormatError(label, f"undecodable transfer syntax {tsyntax.name} ({tsyntax!s})") from exc
    if not decoder.is_available:
        raise DicomFormatError(
            label, f"undecodable transfer syntax {tsyntax.name} ({tsyntax!s}): no decoder plugin installed"
        )


def iter_dicom_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[DicomSource]:
    """Every candidate file under ``paths``: files, folders (recursive, sorted) and zip archives' members.

    Hidden files (name starting with a dot) and ``DICOMDIR`` are skipped inside folders and archives; a path named
    explicitly is always yielded. Zip members are labelled ``archive.zip!member/path``.
    """
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file() and not _skipped(sub.name):
                    rel = sub.relative_to(p).as_posix()
                    if zipfile.is_zipfile(sub) and not is_dicom(sub):
                        yield from _zip_sources(sub, prefix=rel)
                    else:
                        yield DicomSource(label=str(sub), path=sub, relative=rel)
        elif p.is_file() and _is_zip_not_dicom(p):
            yield from _zip_sources(p, prefix=p.name)
        else:
            yield DicomSource(label=str(p), path=p, relative=p.name)


def _is_zip_not_dicom(p: Path) -> bool:
    return zipfile.is_zipfile(p) and not is_dicom(p)


def _skipped(name: str) -> bool:
    return name.startswith(".") or name.upper() == "DICOMDIR"


def _zip_sources(archive: Path, *, prefix: str) -> Iterator[DicomSource]:
    stem = prefix[:-4] if prefix.lower().endswith(".zip") else prefix
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        # let the reader report it as a bad file
        log.debug("%s: unreadable zip (%s)", archive, exc)
        yield DicomSource(label=str(archive), path=archive, relative=prefix)
        return
    for name in sorted(names):
        if _skipped(Path(name).name):
            continue
        yield DicomSource(
            label=f"{archive}{_ZIP_SEPARATOR}{name}",
            path=archive,
            member=name,
            relative=f"{stem}/{name}",
        )


def iter_dicom_files(
    paths: Iterable[str | os.PathLike[str]], *, stop_before_pixels: bool = False
) -> Iterator[tuple[str, Dataset | DicomFormatError]]:
    """Read every DICOM file under ``paths`` (files, folders, zips), one ``(label, dataset-or-error)`` each.

    A file that fails to read yields its :class:`DicomFormatError` instead of raising, so one bad file never
    stops a batch. Labels of zip members keep the archive name: ``upload.zip!CT/1.dcm``.
    """
    for source in iter_dicom_sources(paths):
        try:
            yield source.label, source.read(stop_before_pixels=stop_before_pixels)
        except DicomFormatError as exc:
            yield source.label, exc
        except (OSError, zipfile.BadZipFile) as exc:
            yield source.label, DicomFormatError(source.label, f"cannot be read: {exc}")
