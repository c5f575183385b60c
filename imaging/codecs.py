"""Lossless transfer syntaxes and their encoders / verification decoders, dispatched by :class:`TransferSyntax`.

One frame is encoded at a time (DICOM stores one fragment per frame). Encoders were picked per syntax for speed
among the correct ones installed (measured on the WG-04 images, see ``benchmarks/compress.py``):

========  ==========================  ==========================================================================
syntax    encoder                     verification decoder
========  ==========================  ==========================================================================
htj2k     OpenJPH (imagecodecs)       OpenJPH (imagecodecs); reversible 5/3 wavelet, RCT for RGB
jpegls    CharLS (imagecodecs) for    CharLS (imagecodecs). CharLS 2 via pyjpegls otherwise: only it takes the
          8/16-bit grayscale          sample precision P (= Bits Stored, as dcmtk) and line interleave for colour
jpeg2k    OpenJPEG (imagecodecs)      OpenJPEG (imagecodecs); reversible 5/3 wavelet, RCT for RGB, P = Bits Stored
rle       pylibjpeg-rle (Rust)        pylibjpeg-rle
========  ==========================  ==========================================================================

The HTJ2K codestream's sample precision is Bits Allocated (OpenJPH as wrapped by imagecodecs takes no precision
option); the values themselves are exact and readers (pydicom / OpenJPEG, OpenJPH) decode them unchanged. JPEG 2000
and JPEG-LS codestreams carry precision = Bits Stored.

Pixel values handed to an encoder are the *stored values* of PS3.5 section 8: masked to Bits Stored, and for
signed data sign-extended (JPEG 2000 family, RLE) or as their unsigned two's-complement Bits Stored pattern
(JPEG-LS, which has no signed samples; PS3.5 section 8.2.3 / A.4.3).

References
----------
ISO/IEC 15444-15 (HTJ2K); Taubman et al., "High throughput JPEG 2000 (HTJ2K)", APSIPA Trans. 8 (2019).
ISO/IEC 14495-1 (JPEG-LS); Weinberger, Seroussi & Sapiro, "The LOCO-I lossless image compression algorithm",
IEEE Trans. Image Process. 9(8):1309-1324 (2000). ISO/IEC 15444-1 (JPEG 2000). DICOM PS3.5 Annex G (RLE).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import imagecodecs
import jpeg_ls
import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID
from rle.utils import decode_frame as _rle_decode_frame
from rle.utils import encode_pixel_data as _rle_encode_pixel_data

from .errors import UnsupportedPixelFormatError

__all__ = [
    "EncodedFrame",
    "PixelFormat",
    "TransferSyntax",
    "decode_frame",
    "encode_frame",
    "stored_values",
    "unsupported_reason",
]


class TransferSyntax(enum.Enum):
    """Lossless transfer syntaxes teletriage writes; the value is the short name used by the CLI and settings."""

    HTJ2K = "htj2k"
    JPEGLS = "jpegls"
    JPEG2K = "jpeg2k"
    RLE = "rle"

    @property
    def uid(self) -> UID:
        """The DICOM Transfer Syntax UID."""
        return _UIDS[self]

    @classmethod
    def from_name(cls, name: str | TransferSyntax) -> TransferSyntax:
        """``"htj2k"`` (or a member) to the member; a clear error for anything else."""
        if isinstance(name, cls):
            return name
        try:
            return cls(str(name).lower())
        except ValueError:
            raise UnsupportedPixelFormatError(
                f"unknown transfer syntax {name!r}; expected one of {[m.value for m in cls]}"
            ) from None

    @classmethod
    def from_uid(cls, uid: str) -> TransferSyntax | None:
        """The member for a Transfer Syntax UID, or None when teletriage does not write it."""
        return _BY_UID.get(str(uid))


_UIDS: dict[TransferSyntax, UID] = {
    TransferSyntax.HTJ2K: UID("1.2.840.10008.1.2.4.201"),  # HTJ2K Lossless Only
    TransferSyntax.JPEGLS: UID("1.2.840.10008.1.2.4.80"),  # JPEG-LS Lossless
    TransferSyntax.JPEG2K: UID("1.2.840.10008.1.2.4.90"),  # JPEG 2000 Lossless Only
    TransferSyntax.RLE: UID("1.2.840.10008.1.2.5"),  # RLE Lossless
}
_BY_UID: dict[str, TransferSyntax] = {str(uid): ts for ts, uid in _UIDS.items()}


@dataclass(frozen=True, slots=True)
class PixelFormat:
    """What an encoder needs to know about one frame of pixel data (DICOM image pixel module)."""

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    photometric: str
    frames: int = 1

    @classmethod
    def from_dataset(cls, ds: Dataset) -> PixelFormat:
        """Read the image pixel module of ``ds``; raises :class:`UnsupportedPixelFormatError` for float pixels."""
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            raise UnsupportedPixelFormatError("float pixel data cannot be stored in a lossless image syntax")
        if "PixelData" not in ds:
            raise UnsupportedPixelFormatError("no Pixel Data (7FE0,0010) to compress")
        return cls(
            rows=int(ds.Rows),
            columns=int(ds.Columns),
            samples_per_pixel=int(ds.SamplesPerPixel),
            bits_allocated=int(ds.BitsAllocated),
            bits_stored=int(ds.get("BitsStored", ds.BitsAllocated)),
            signed=int(ds.get("PixelRepresentation", 0)) == 1,
            photometric=str(ds.PhotometricInterpretation).strip(),
            frames=int(ds.get("NumberOfFrames", 1) or 1),
        )

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame as decoded: (rows, columns) or (rows, columns, samples)."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def dtype(self) -> np.dtype:
        """Native dtype holding one stored value."""
        nbytes = {8: 1, 16: 2, 32: 4}[self.bits_allocated]
        return np.dtype(f"{'i' if self.signed else 'u'}{nbytes}")

    @property
    def frame_nbytes(self) -> int:
        """Bytes of one native frame."""
        return self.rows * self.columns * self.samples_per_pixel * self.bits_allocated // 8


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One encoded frame and the Photometric Interpretation its decoded values have (YBR_RCT after an RCT)."""

    data: bytes
    photometric: str


def unsupported_reason(syntax: TransferSyntax, fmt: PixelFormat) -> str | None:
    """Why ``syntax`` cannot losslessly store pixels of format ``fmt``, or None when it can."""
    if fmt.bits_allocated == 1:
        return "1-bit (bit-packed) pixel data is not supported by lossless image syntaxes here; keep it native"
    if fmt.bits_allocated not in (8, 16, 32):
        return f"Bits Allocated {fmt.bits_allocated} is not 8, 16 or 32"
    if not 1 <= fmt.bits_stored <= fmt.bits_allocated:
        return f"Bits Stored {fmt.bits_stored} is not within 1..Bits Allocated ({fmt.bits_allocated})"
    if fmt.samples_per_pixel not in (1, 3):
        return f"Samples per Pixel {fmt.samples_per_pixel} is not 1 or 3"
    if fmt.photometric.startswith("YBR") and fmt.photometric not in ("YBR_FULL",):
        return f"Photometric Interpretation {fmt.photometric} (subsampled or transformed) must be decoded first"
    if syntax is TransferSyntax.RLE:
        if fmt.samples_per_pixel * fmt.bits_allocated // 8 > 15:
            return "RLE allows at most 15 segments"
        return None
    if fmt.bits_allocated > 16:
        return f"{syntax.value} encoders here take at most 16 bits per sample, got Bits Allocated {fmt.bits_allocated}"
    if syntax is TransferSyntax.JPEGLS and fmt.bits_stored < 2:
        return "JPEG-LS needs at least 2 bits per sample"
    return None


def stored_values(arr: np.ndarray, fmt: PixelFormat) -> np.ndarray:
    """``arr`` reduced to its stored values: masked to Bits Stored, sign-extended when signed (PS3.5 8.1.1).

    Bits above Bits Stored are not part of the pixel value and may hold garbage in the source; the result is
    always of :attr:`PixelFormat.dtype`. Returns ``arr`` itself when nothing needs changing.
    """
    dtype = fmt.dtype
    bits = fmt.bits_stored
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype != dtype:
        if arr.dtype.kind not in "iu":
            raise UnsupportedPixelFormatError(f"expected integer pixel values, got dtype {arr.dtype}")
        # same width: reinterpret the bit pattern; other widths: convert the values
        arr = arr.view(dtype) if arr.dtype.itemsize == dtype.itemsize else arr.astype(dtype)
    if bits == fmt.bits_allocated:
        return arr
    unsigned = arr.view(dtype.str.replace("i", "u"))
    masked = unsigned & np.array((1 << bits) - 1, dtype=unsigned.dtype)
    if not fmt.signed:
        return masked.view(dtype)
    shift = fmt.bits_allocated - bits
    return (masked << shift).view(dtype) >> shift


def _unsigned_pattern(frame: np.ndarray, fmt: PixelFormat) -> np.ndarray:
    """Signed stored values as their unsigned two's-complement Bits Stored pattern (JPEG-LS input)."""
    udtype = fmt.dtype.str.replace("i", "u")
    if not fmt.signed:
        return frame
    pattern = frame.view(udtype)
    if fmt.bits_stored < fmt.bits_allocated:
        pattern = pattern & np.array((1 << fmt.bits_stored) - 1, dtype=udtype)
    return pattern


def _uses_mct(fmt: PixelFormat) -> bool:
    return fmt.samples_per_pixel == 3 and fmt.photometric == "RGB"


def _rct_photometric(fmt: PixelFormat) -> str:
    return "YBR_RCT" if _uses_mct(fmt) else fmt.photometric


# -- encoders: (frame of stored values, format) -> EncodedFrame -------------------------------------------------


def _encode_htj2k(frame: np.ndarray, fmt: PixelFormat) -> EncodedFrame:
    data = imagecodecs.htj2k_encode(frame, reversible=True, rgb=_uses_mct(fmt))
    return EncodedFrame(bytes(data), _rct_photometric(fmt))


def _encode_jpegls(frame: np.ndarray, fmt: PixelFormat) -> EncodedFrame:
    pattern = np.ascontiguousarray(_unsigned_pattern(frame, fmt))
    if fmt.samples_per_pixel == 1 and fmt.bits_stored in (8, 16) and fmt.bits_stored == fmt.bits_allocated:
        data = imagecodecs.jpegls_encode(pattern)
    else:
        # line interleave for colour (as dcmtk): ~1-6 % smaller than sample interleave on WG-04 US1 / VL1
        try:
            data = jpeg_ls.encode_buffer(
                pattern.tobytes(), fmt.rows, fmt.columns, fmt.samples_per_pixel, fmt.bits_stored,
                interleave_mode=1 if fmt.samples_per_pixel > 1 else None,
            )
        except RuntimeError as exc:
            # CharLS 2 (pyjpegls) under-sizes its output buffer for tiny noisy images (<= ~40 pixels). CharLS via
            # imagecodecs copes, but only at the full sample width: right when Bits Stored is 8 or 16, not
            # otherwise (readers sign-extend from the codestream precision, so P must equal Bits Stored)
            if fmt.bits_stored != fmt.bits_allocated:
                raise UnsupportedPixelFormatError(
                    f"jpegls: image of {fmt.rows}x{fmt.columns} pixels too small for the encoder at "
                    f"{fmt.bits_stored} bits stored ({exc})"
                ) from exc
            data = imagecodecs.jpegls_encode(pattern)
    return EncodedFrame(bytes(data), fmt.photometric)


def _encode_jpeg2k(frame: np.ndarray, fmt: PixelFormat) -> EncodedFrame:
    data = imagecodecs.jpeg2k_encode(
        frame,
        level=0,
        codecformat="J2K",
        reversible=True,
        bitspersample=fmt.bits_stored,
        mct=_uses_mct(fmt),
        numthreads=1,
    )
    return EncodedFrame(bytes(data), _rct_photometric(fmt))


def _encode_rle(frame: np.ndarray, fmt: PixelFormat) -> EncodedFrame:
    data = _rle_encode_pixel_data(
        np.ascontiguousarray(frame).tobytes(),
        rows=fmt.rows,
        columns=fmt.columns,
        samples_per_pixel=fmt.samples_per_pixel,
        bits_allocated=fmt.bits_allocated,
        byteorder="<" if frame.dtype.byteorder in "<=|" else ">",
    )
    return EncodedFrame(bytes(data), fmt.photometric)


# -- verification decoders: (encoded bytes, format) -> frame of stored values -------------------------------------


def _decode_htj2k(data: bytes, fmt: PixelFormat) -> np.ndarray:
    return imagecodecs.htj2k_decode(data, planar=False)


def _decode_jpegls(data: bytes, fmt: PixelFormat) -> np.ndarray:
    # DICOM readers take the sample precision P of the SOF-55 frame header as Bits Stored (sign extension of
    # signed data starts there): a codestream whose P differs would decode differently elsewhere
    sof = data.find(b"\xff\xf7")
    if sof < 0 or data[sof + 4] != fmt.bits_stored:
        found = data[sof + 4] if sof >= 0 else "no SOF-55 marker"
        raise ValueError(f"JPEG-LS precision {found} is not Bits Stored {fmt.bits_stored}")
    return imagecodecs.jpegls_decode(data)


def _decode_jpeg2k(data: bytes, fmt: PixelFormat) -> np.ndarray:
    return imagecodecs.jpeg2k_decode(data, numthreads=1)


def _decode_rle(data: bytes, fmt: PixelFormat) -> np.ndarray:
    raw = _rle_decode_frame(data, fmt.rows * fmt.columns, fmt.bits_allocated, "<")
    planes = np.frombuffer(bytes(raw), dtype=fmt.dtype.newbyteorder("<"))
    planes = planes.reshape(fmt.samples_per_pixel, fmt.rows, fmt.columns)
    return planes[0] if fmt.samples_per_pixel == 1 else planes.transpose(1, 2, 0)


_ENCODERS: dict[TransferSyntax, Callable[[np.ndarray, PixelFormat], EncodedFrame]] = {
    TransferSyntax.HTJ2K: _encode_htj2k,
    TransferSyntax.JPEGLS: _encode_jpegls,
    TransferSyntax.JPEG2K: _encode_jpeg2k,
    TransferSyntax.RLE: _encode_rle,
}
_DECODERS: dict[TransferSyntax, Callable[[bytes, PixelFormat], np.ndarray]] = {
    TransferSyntax.HTJ2K: _decode_htj2k,
    TransferSyntax.JPEGLS: _decode_jpegls,
    TransferSyntax.JPEG2K: _decode_jpeg2k,
    TransferSyntax.RLE: _decode_rle,
}


def encode_frame(frame: np.ndarray, fmt: PixelFormat, syntax: TransferSyntax) -> EncodedFrame:
    """Encode one frame of stored values losslessly with ``syntax``.

    Parameters
    ----------
    frame
        Shape :attr:`PixelFormat.frame_shape`, dtype :attr:`PixelFormat.dtype` (as :func:`stored_values` makes).
    fmt
        The frame's pixel format.
    syntax
        The target transfer syntax.

    Raises
    ------
    UnsupportedPixelFormatError
        When ``syntax`` cannot store ``fmt`` losslessly, or the codec refuses the frame.
    """
    reason = unsupported_reason(syntax, fmt)
    if reason is not None:
        raise UnsupportedPixelFormatError(f"{syntax.value}: {reason}")
    if frame.shape != fmt.frame_shape or frame.dtype != fmt.dtype:
        raise UnsupportedPixelFormatError(
            f"{syntax.value}: frame must have shape {fmt.frame_shape} and dtype {fmt.dtype}, "
            f"got {frame.shape} {frame.dtype}"
        )
    frame = np.ascontiguousarray(frame)
    try:
        return _ENCODERS[syntax](frame, fmt)
    except (ValueError, RuntimeError, TypeError) as exc:  # codec libraries' own errors
        raise UnsupportedPixelFormatError(f"{syntax.value} encoder refused the frame: {exc}") from exc


def decode_frame(data: bytes, fmt: PixelFormat, syntax: TransferSyntax) -> np.ndarray:
    """Decode one fragment written by :func:`encode_frame` back to stored values of ``fmt`` (for verification).

    The result is interpreted as a DICOM reader must: JPEG-LS bit patterns are sign-extended from Bits Stored,
    every syntax is masked to Bits Stored.
    """
    return stored_values(_DECODERS[syntax](data, fmt), fmt)
