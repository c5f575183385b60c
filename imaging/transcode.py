"""Verified lossless transcoding of DICOM instances.

:func:`compress_dataset` decodes the source pixel data to stored values, encodes one fragment per frame with the
chosen lossless syntax, encapsulates them with a Basic Offset Table (PS3.5 A.4), then decodes every fragment
*back out of the encapsulated Pixel Data* and compares it bit for bit with the source before accepting it
(:class:`~imaging.errors.LosslessVerificationError` otherwise). The SOP Instance UID is kept: a lossless change of
transfer syntax is the same instance (PS3.5 8.2; PS3.4 C.6.1.1.4). ``auto`` is described in :mod:`imaging.auto`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from ._output import build_output, pixel_span, splice_native, write_bytes_atomic, write_dataset_atomic
from .auto import AutoChooser, SeriesKey, Trial, pick_best, series_key
from .codecs import PixelFormat, TransferSyntax, decode_frame, encode_frame, stored_values, unsupported_reason
from .errors import ImagingValueError, LosslessVerificationError, UnsupportedPixelFormatError
from .read import DicomSource, read_dataset_bytes
from .settings import ImagingSettings

__all__ = [
    "CompressionResult",
    "CompressionStats",
    "compress_dataset",
    "compress_file",
    "compress_source",
    "source_frames",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CompressionStats:
    """How one dataset was compressed.

    Attributes
    ----------
    syntax
        The transfer syntax written.
    frames
        Number of frames (one fragment each).
    pixel_bytes_in, pixel_bytes_out
        Native pixel data bytes, encapsulated pixel data bytes.
    encode_s, verify_s
        Seconds spent encoding and verifying the accepted output.
    verified
        True when every frame decoded bit for bit to the source stored values.
    trials
        For ``auto`` on a sampled image: every candidate's outcome; empty otherwise.
    """

    syntax: TransferSyntax
    frames: int
    pixel_bytes_in: int
    pixel_bytes_out: int
    encode_s: float
    verify_s: float
    verified: bool
    trials: tuple[Trial, ...] = ()

    @property
    def ratio(self) -> float:
        """Compression ratio of the pixel data (native / encapsulated)."""
        return self.pixel_bytes_in / self.pixel_bytes_out if self.pixel_bytes_out else float("nan")


@dataclass(frozen=True, slots=True)
class CompressionResult:
    """Outcome of :func:`compress_file`: what was written where, and whether it was verified lossless."""

    input: str
    output: str
    transfer_syntax: str
    transfer_syntax_uid: str
    bytes_in: int
    bytes_out: int
    lossless_verified: bool
    seconds: float
    series_key: SeriesKey | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the CLI prints one per line)."""
        return {
            "input": self.input,
            "output": self.output,
            "transfer_syntax": self.transfer_syntax,
            "transfer_syntax_uid": self.transfer_syntax_uid,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "lossless_verified": self.lossless_verified,
            "seconds": round(self.seconds, 6),
        }


@dataclass(frozen=True, slots=True)
class _Encoded:
    """Verified encapsulated pixel data and how it was made."""

    syntax: TransferSyntax
    pixel_data: bytes
    photometric: str
    encode_s: float
    verify_s: float
    trials: tuple[Trial, ...] = ()


def source_frames(ds: Dataset) -> tuple[np.ndarray, PixelFormat]:
    """The source's frames as stored values, shape (frames, rows, columns[, samples]), and their pixel format.

    Decodes compressed sources with pydicom's decoders without any colour conversion; the returned format's
    Photometric Interpretation is that of the decoded values (a JPEG baseline decoder may already give RGB).
    """
    fmt = PixelFormat.from_dataset(ds)
    tsyntax = UID(ds.file_meta.TransferSyntaxUID)
    reason = unsupported_reason(TransferSyntax.RLE, fmt)  # RLE takes the widest range of formats
    if reason is not None and "Photometric" not in reason:  # YBR_*_422 etc. are decoded to full resolution
        raise UnsupportedPixelFormatError(reason)
    decoder = get_decoder(tsyntax)
    frames = []
    meta: dict[str, Any] = {}
    for arr, meta in decoder.iter_array(ds, raw=True):
        frames.append(arr)
    photometric = str(meta.get("photometric_interpretation", fmt.photometric))
    if photometric == "YBR_FULL_422" and frames and frames[0].shape == fmt.frame_shape:
        photometric = "YBR_FULL"  # decoders return full-resolution chrominance: that is YBR_FULL
    if photometric != fmt.photometric:
        fmt = dataclasses.replace(fmt, photometric=photometric)
    stack = np.stack([stored_values(f, fmt) for f in frames])
    return stack, fmt


def _encode_verified(
    frames: np.ndarray, fmt: PixelFormat, syntax: TransferSyntax, *, verify: bool
) -> _Encoded:
    """Encode all frames, encapsulate, and verify every frame as decoded from the encapsulated bytes."""
    t0 = time.perf_counter()
    encoded = [encode_frame(frame, fmt, syntax) for frame in frames]
    pixel_data = encapsulate([e.data for e in encoded], has_bot=True)
    t1 = time.perf_counter()
    if verify:
        fragments = list(generate_frames(pixel_data, number_of_frames=len(frames)))
        if len(fragments) != len(frames):
            raise LosslessVerificationError(
                f"{syntax.value}: encapsulation holds {len(fragments)} frames, expected {len(frames)}"
            )
        for index, (fragment, source) in enumerate(zip(fragments, frames, strict=True)):
            try:
                decoded = decode_frame(fragment, fmt, syntax)
            except (ValueError, RuntimeError, UnsupportedPixelFormatError) as exc:
                raise LosslessVerificationError(f"{syntax.value}: frame {index} does not decode ({exc})") from exc
            if decoded.shape != source.shape or not np.array_equal(decoded, source):
                raise LosslessVerificationError(
                    f"{syntax.value}: frame {index} does not decode bit for bit to the source stored values"
                )
    t2 = time.perf_counter()
    return _Encoded(syntax, pixel_data, encoded[0].photometric, t1 - t0, t2 - t1)


def _encode(
    ds: Dataset, *, syntax: str | TransferSyntax | None, settings: ImagingSettings, chooser: AutoChooser | None
) -> tuple[_Encoded, PixelFormat]:
    choice = syntax if syntax is not None else settings.syntax
    frames, fmt = source_frames(ds)
    if isinstance(choice, TransferSyntax) or choice != "auto":
        target = TransferSyntax.from_name(choice)
        reason = unsupported_reason(target, fmt)
        if reason is not None:
            raise UnsupportedPixelFormatError(f"{target.value}: {reason}")
        return _encode_verified(frames, fmt, target, verify=settings.verify), fmt
    chooser = chooser if chooser is not None else AutoChooser.from_settings(settings)
    return _compress_auto(ds, frames, fmt, chooser, settings), fmt


def _stats(encoded: _Encoded, fmt: PixelFormat, settings: ImagingSettings) -> CompressionStats:
    return CompressionStats(
        syntax=encoded.syntax,
        frames=fmt.frames,
        pixel_bytes_in=fmt.frame_nbytes * fmt.frames,
        pixel_bytes_out=len(encoded.pixel_data),
        encode_s=encoded.encode_s,
        verify_s=encoded.verify_s,
        verified=settings.verify,
        trials=encoded.trials,
    )


def compress_dataset(
    ds: Dataset,
    *,
    syntax: str | TransferSyntax | None = None,
    settings: ImagingSettings | None = None,
    chooser: AutoChooser | None = None,
    in_place: bool = False,
) -> tuple[Dataset, CompressionStats]:
    """Losslessly compress the pixel data of ``ds`` into a new dataset; ``ds`` is not modified unless ``in_place``.

    Parameters
    ----------
    ds
        A dataset with Pixel Data, native or in any transfer syntax pydicom can decode.
    syntax
        ``"auto"``, ``"htj2k"``, ``"jpegls"``, ``"jpeg2k"``, ``"rle"`` or a :class:`TransferSyntax`;
        default ``settings.syntax``.
    settings
        Imaging settings (auto candidates, speed budget, sample size, verification).
    chooser
        For ``auto``: the per-series memory shared across the images of a batch; a fresh one (so a per-image
        choice) when omitted.
    in_place
        Reuse ``ds`` for the output instead of a deep copy (cheaper; for callers that own ``ds``).

    Returns
    -------
    (Dataset, CompressionStats)
        The new dataset (``ds`` itself when ``in_place``): file meta with the new Transfer Syntax UID,
        encapsulated Pixel Data with a Basic Offset Table, one fragment per frame; and how it was made.

    Raises
    ------
    UnsupportedPixelFormatError
        1-bit or float pixels, or a format the requested syntax cannot store losslessly.
    LosslessVerificationError
        No output decoded bit for bit to the source.
    """
    settings = settings or ImagingSettings()
    encoded, fmt = _encode(ds, syntax=syntax, settings=settings, chooser=chooser)
    out = build_output(ds, fmt, encoded.syntax, encoded.pixel_data, encoded.photometric, in_place=in_place)
    return out, _stats(encoded, fmt, settings)


def _compress_auto(
    ds: Dataset, frames: np.ndarray, fmt: PixelFormat, chooser: AutoChooser, settings: ImagingSettings
) -> _Encoded:
    key = series_key(ds, fmt)
    usable = [ts for ts in chooser.candidates if unsupported_reason(ts, fmt) is None]
    if not usable:
        reasons = "; ".join(f"{ts.value}: {unsupported_reason(ts, fmt)}" for ts in chooser.candidates)
        raise UnsupportedPixelFormatError(f"auto: no candidate syntax can store this image ({reasons})")
    fixed = chooser.winner(key)
    if fixed is not None:
        order = [fixed] + [ts for ts in usable if ts is not fixed]
        last_error: Exception | None = None
        for ts in order:  # the winner, then the others as fall-backs
            try:
                return _encode_verified(frames, fmt, ts, verify=settings.verify)
            except (LosslessVerificationError, UnsupportedPixelFormatError) as exc:
                log.warning("auto: %s failed on an image of series %s: %s", ts.value, key[1], exc)
                last_error = exc
        raise LosslessVerificationError(f"auto: every candidate failed; last: {last_error}")
    outputs: dict[TransferSyntax, _Encoded] = {}
    trials = []
    for ts in usable:
        # CPU time of this thread (the codecs run single-threaded in it): robust to other load on the machine
        t0 = time.thread_time()
        try:
            outputs[ts] = _encode_verified(frames, fmt, ts, verify=True)
            trials.append(Trial(ts, len(outputs[ts].pixel_data), time.thread_time() - t0))
        except (LosslessVerificationError, UnsupportedPixelFormatError) as exc:
            log.warning("auto: %s failed on an image of series %s: %s", ts.value, key[1], exc)
            trials.append(Trial(ts, None, time.thread_time() - t0, str(exc)))
    trial_tuple = tuple(trials)
    best = pick_best([trial_tuple], usable, chooser.speed_budget)  # best for this image
    chooser.record(key, trial_tuple)
    chosen = outputs[best]
    return _Encoded(best, chosen.pixel_data, chosen.photometric, chosen.encode_s, chosen.verify_s, trial_tuple)


def compress_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    syntax: str | TransferSyntax | None = None,
    settings: ImagingSettings | None = None,
    chooser: AutoChooser | None = None,
    overwrite: bool = False,
) -> CompressionResult:
    """Read ``src``, compress it losslessly (verified) and write a new DICOM file ``dst``.

    ``src`` is only read. ``dst`` is written atomically (a temporary file in its folder, then renamed); it must
    not be ``src`` and must not exist unless ``overwrite``. See :func:`compress_dataset` for the options.

    Raises
    ------
    DicomFormatError
        ``src`` is not readable DICOM (naming it).
    ImagingValueError
        ``dst`` is ``src`` or already exists.
    UnsupportedPixelFormatError, LosslessVerificationError
        As :func:`compress_dataset`; the message names ``src``.
    """
    source = DicomSource(label=str(src), path=Path(src), relative=Path(src).name)
    return compress_source(source, dst, syntax=syntax, settings=settings, chooser=chooser, overwrite=overwrite)


def compress_source(
    source: DicomSource,
    dst: str | os.PathLike[str],
    *,
    syntax: str | TransferSyntax | None = None,
    settings: ImagingSettings | None = None,
    chooser: AutoChooser | None = None,
    overwrite: bool = False,
    data: bytes | None = None,
) -> CompressionResult:
    """:func:`compress_file` for a :class:`~imaging.read.DicomSource` (a plain file or a zip member).

    ``data``: the source's bytes when the caller already has them (e.g. read from an archive kept open).
    """
    t0 = time.perf_counter()
    settings = settings or ImagingSettings()
    dst_path = Path(dst)
    _check_destination(source, dst_path, overwrite=overwrite)
    if data is None:
        data = source.read_bytes()
    ds = read_dataset_bytes(data, label=source.label)
    span = pixel_span(ds)  # before decoding: where the native pixel value sits in ``data``
    try:
        encoded, fmt = _encode(ds, syntax=syntax, settings=settings, chooser=chooser)
    except (UnsupportedPixelFormatError, LosslessVerificationError) as exc:
        if settings.fallback_to_source:
            log.warning("%s: not compressed, copied unchanged (%s)", source.label, exc)
            return _result(source, dst_path, data, write_bytes_atomic(data, dst_path), None, t0, None)
        raise type(exc)(f"{source.label}: {exc}") from exc
    spliced = splice_native(
        data, ds, fmt, encoded.syntax, encoded.pixel_data, encoded.photometric, pixel_span=span
    )
    if spliced is not None:
        bytes_out = write_bytes_atomic(spliced, dst_path)
    else:
        out = build_output(ds, fmt, encoded.syntax, encoded.pixel_data, encoded.photometric, in_place=True)
        bytes_out = write_dataset_atomic(out, dst_path)
    return _result(source, dst_path, data, bytes_out, encoded.syntax, t0, series_key(ds, fmt), settings.verify)


def _result(
    source: DicomSource,
    dst: Path,
    data: bytes,
    bytes_out: int,
    syntax: TransferSyntax | None,
    t0: float,
    key: SeriesKey | None,
    verified: bool = True,
) -> CompressionResult:
    """``syntax`` None: the source was copied unchanged (``fallback_to_source``), its own bit-exact copy."""
    return CompressionResult(
        input=source.label,
        output=str(dst),
        transfer_syntax=syntax.value if syntax is not None else "source",
        transfer_syntax_uid=str(syntax.uid) if syntax is not None else _source_syntax(data),
        bytes_in=len(data),
        bytes_out=bytes_out,
        lossless_verified=verified,
        seconds=time.perf_counter() - t0,
        series_key=key,
    )


def _source_syntax(data: bytes) -> str:
    ds = read_dataset_bytes(data, label="source", stop_before_pixels=True)
    return str(ds.file_meta.TransferSyntaxUID)


def _check_destination(source: DicomSource, dst: Path, *, overwrite: bool) -> None:
    if dst.exists():
        if source.member is None and source.path.exists() and os.path.samefile(source.path, dst):
            raise ImagingValueError(f"dst: refusing to overwrite the input {source.label} with its compressed copy")
        if source.member is not None and os.path.samefile(source.path, dst):
            raise ImagingValueError(f"dst: refusing to overwrite the archive {source.path}")
        if not overwrite:
            raise ImagingValueError(f"dst: {dst} already exists (pass overwrite=True to replace it)")
