"""Building and writing the compressed output file (private helpers of :mod:`imaging.transcode`).

Two ways to the same bytes:

* :func:`build_output` + :func:`write_dataset_atomic`: the general path through pydicom's writer (any source
  encoding; elements pydicom kept raw are written back verbatim when the source was explicit VR little endian).
* :func:`splice_native`: for the common case of a native explicit VR little endian Part-10 source whose image
  pixel module needs no change, the output is the new file meta, then the source's dataset bytes up to Pixel Data
  copied verbatim, then the encapsulated Pixel Data. It is byte for byte what the general path writes (a test
  checks this) at a fraction of the cost of re-serialising a few hundred elements in Python; any other case
  returns None and takes the general path.
"""

from __future__ import annotations

import copy
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info

from .codecs import PixelFormat, TransferSyntax

__all__ = ["build_output", "new_file_meta", "pixel_span", "splice_native", "write_bytes_atomic", "write_dataset_atomic"]

#: Pixel Data, Extended Offset Table and its Lengths (replaced by the new encapsulated pixel data), and Data Set
#: Trailing Padding (insignificant bytes, PS3.10 7.2).
DROPPED_TAGS = frozenset({0x7FE00010, 0x7FE00001, 0x7FE00002, 0xFFFCFFFC})
#: Implementation Class UID / Version Name describe the writer: pydicom fills in its own.
_DROPPED_META = frozenset({0x00020012, 0x00020013})
#: Lossy source syntaxes: their decoded pixels already lost information (Lossy Image Compression "01").
LOSSY_SOURCE = frozenset(
    {
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.203",
        *(f"1.2.840.10008.1.2.4.{n}" for n in range(100, 107)),
    }
)
_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
_PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
_PADDING_TAG = b"\xfc\xff\xfc\xff"
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def new_file_meta(ds: Dataset, syntax: TransferSyntax) -> FileMetaDataset:
    """The output's file meta: the source's, with the new Transfer Syntax UID and this writer's implementation."""
    meta = FileMetaDataset()
    for elem in ds.file_meta:
        if elem.tag not in _DROPPED_META:
            meta.add(DataElement(elem.tag, elem.VR, elem.value))
    meta.TransferSyntaxUID = syntax.uid
    if "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return meta


def _pixel_module_changes(
    ds: Dataset, fmt: PixelFormat, syntax: TransferSyntax, photometric: str
) -> dict[int, DataElement]:
    changes: dict[int, DataElement] = {}
    if str(ds.get("PhotometricInterpretation", "")).strip() != photometric:
        changes[0x00280004] = DataElement(0x00280004, "CS", photometric)
    # RLE stores colour by plane (PS3.5 G.2: Planar Configuration 1); the JPEG family by pixel (0)
    planar = 1 if syntax is TransferSyntax.RLE else 0
    if fmt.samples_per_pixel > 1 and ds.get("PlanarConfiguration") != planar:
        changes[0x00280006] = DataElement(0x00280006, "US", planar)
    if "LossyImageCompression" not in ds and str(ds.file_meta.TransferSyntaxUID) in LOSSY_SOURCE:
        changes[0x00282110] = DataElement(0x00282110, "CS", "01")
    return changes


def build_output(
    ds: Dataset, fmt: PixelFormat, syntax: TransferSyntax, pixel_data: bytes, photometric: str, *, in_place: bool
) -> Dataset:
    """The output dataset: ``ds`` (or a deep copy) with the new pixel data, pixel module values and file meta.

    Lossy Image Compression is left as it is (a lossless transcode adds no loss); it is set to "01" only when
    absent and the source itself was lossy compressed. The SOP Instance UID is kept.
    """
    out = ds if in_place else copy.deepcopy(ds)
    changes = _pixel_module_changes(ds, fmt, syntax, photometric)
    implicit, little = read_encoding(ds)
    if (implicit, little) != (False, True):
        _to_explicit_little_endian(out, swap=little is False)
    out.file_meta = new_file_meta(ds, syntax)
    for tag in DROPPED_TAGS:
        if tag in out:
            del out[tag]
    for tag, elem in changes.items():
        out[tag] = elem
    out[0x7FE00010] = DataElement(0x7FE00010, "OB", pixel_data, is_undefined_length=True)
    return out


def read_encoding(ds: Dataset) -> tuple[bool | None, bool | None]:
    """(implicit VR, little endian) the dataset's elements were actually read with.

    Usually :attr:`Dataset.original_encoding`; but pydicom reads a file whose content contradicts its transfer
    syntax (explicit declared, implicit found) with the encoding found, which the raw elements tell.
    """
    for tag in ds.keys():
        elem = ds.get_item(tag)
        if isinstance(elem, RawDataElement):
            return elem.is_implicit_VR, elem.is_little_endian
    return ds.original_encoding


_SWAP_WIDTH = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8}


def _to_explicit_little_endian(ds: Dataset, *, swap: bool) -> None:
    """Prepare a dataset read as implicit VR or big endian to be written explicit VR little endian.

    Converting every element looks up the VRs of implicit elements (also where a file's content contradicts
    its transfer syntax); numbers are re-encoded by the writer, but the bytes of OW / OL / OF / OD / OV values
    read from a big endian file are swapped here. UN values are opaque and kept as they are.
    """
    for elem in ds.iterall():
        width = _SWAP_WIDTH.get(str(elem.VR))
        if swap and width and isinstance(elem.value, bytes | bytearray) and elem.tag != 0x7FE00010:
            elem.value = np.frombuffer(elem.value, f">u{width}").astype(f"<u{width}").tobytes()
    ds.set_original_encoding(False, True, ds.original_character_set)


def splice_native(
    source: bytes, ds: Dataset, fmt: PixelFormat, syntax: TransferSyntax, pixel_data: bytes, photometric: str,
    *, pixel_span: tuple[int, int] | None,
) -> bytes | None:
    """The output file's bytes spliced from ``source`` (see the module docstring), or None when not applicable.

    ``pixel_span`` is (offset, length) of the source's Pixel Data value in ``source``, as pydicom read it
    (:func:`pixel_span`).
    """
    if pixel_span is None or str(ds.file_meta.TransferSyntaxUID) != _EXPLICIT_VR_LE:
        return None
    if read_encoding(ds) != (False, True):
        return None
    if _pixel_module_changes(ds, fmt, syntax, photometric) or 0x7FE00001 in ds or 0x7FE00002 in ds:
        return None
    if len(source) < 144 or source[128:132] != b"DICM" or source[132:138] != b"\x02\x00\x00\x00UL":
        return None
    (meta_length,) = struct.unpack_from("<I", source, 140)
    body_start = 144 + meta_length
    value_tell, value_length = pixel_span
    pixel_start = value_tell - 12
    if pixel_start < body_start or source[pixel_start : pixel_start + 4] != _PIXEL_DATA_TAG:
        return None
    if source[pixel_start + 4 : pixel_start + 6] not in (b"OB", b"OW"):
        return None
    if source[body_start : body_start + 2] == b"\x02\x00":  # meta group longer than its group length says
        return None
    if struct.unpack_from("<I", source, value_tell - 4)[0] != value_length:
        return None
    end = value_tell + value_length
    if end < len(source) and not _only_padding(source, end):
        return None
    meta = DicomBytesIO()
    meta.is_little_endian, meta.is_implicit_VR = True, False
    write_file_meta_info(meta, new_file_meta(ds, syntax), enforce_standard=True)
    preamble = getattr(ds, "preamble", None) or b"\x00" * 128
    element = _PIXEL_DATA_TAG + b"OB\x00\x00\xff\xff\xff\xff"
    return b"".join(
        (preamble, b"DICM", meta.getvalue(), source[body_start:pixel_start], element, pixel_data, _SEQUENCE_DELIMITER)
    )


def pixel_span(ds: Dataset) -> tuple[int, int] | None:
    """(file offset, length) of the top-level native Pixel Data value of a dataset read from a file, else None."""
    if 0x7FE00010 not in ds:
        return None
    elem = ds.get_item(0x7FE00010)
    if isinstance(elem, RawDataElement):
        if elem.value_tell is None or elem.length == 0xFFFFFFFF or elem.value is None:
            return None
        return elem.value_tell, elem.length
    if elem.file_tell is None or elem.is_undefined_length or not isinstance(elem.value, bytes):
        return None
    return elem.file_tell, len(elem.value)


def _only_padding(source: bytes, offset: int) -> bool:
    """True when the bytes from ``offset`` are exactly one Data Set Trailing Padding element."""
    if source[offset : offset + 4] != _PADDING_TAG or source[offset + 4 : offset + 6] != b"OB":
        return False
    (length,) = struct.unpack_from("<I", source, offset + 8)
    return offset + 12 + length == len(source)


def write_bytes_atomic(data: bytes, dst: Path) -> int:
    """Write ``data`` to ``dst`` through a temporary file in its folder and a rename; returns the size."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def write_dataset_atomic(ds: Dataset, dst: Path) -> int:
    """Write ``ds`` as a Part-10 file through pydicom, atomically; returns the size."""
    buffer = DicomBytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return write_bytes_atomic(buffer.getvalue(), dst)
