"""Display and analysis normalization of DICOM pixel data, frame by frame.

The pipeline follows the DICOM grayscale and colour pipelines (PS3.4 Annex N, PS3.3 C.11):

1. stored values: :func:`pydicom.pixels.pixel_array` (decoding any transfer syntax; colour data arrives as RGB,
   YBR_FULL / YBR_FULL_422 / planar configuration handled by pydicom's ``convert_color_space``);
2. modality LUT (PS3.3 C.11.1): Rescale Slope/Intercept or Modality LUT Sequence, taken per frame from the
   functional groups of enhanced multi-frame objects (``PerFrameFunctionalGroupsSequence`` before
   ``SharedFunctionalGroupsSequence`` → ``PixelValueTransformationSequence``), else from the top level. pydicom's
   ``apply_modality_lut`` reads only the top level; we hand it a small view dataset with the frame's values;
3. VOI (PS3.3 C.11.2): an explicit :class:`~imaging.windows.Window` or preset, else the frame's
   ``FrameVOILUTSequence`` window, the top-level Window Center/Width (``voi_index`` picks among multiple values) or
   VOI LUT Sequence (pydicom's ``apply_voi``), else a modality default, else the 0.5-99.5 percentile range;
4. presentation: MONOCHROME1 (or Presentation LUT Shape INVERSE) is inverted so that air is black on display.

Every function returns new arrays; the dataset is never modified, so archive copies keep their stored values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi, pixel_array

from .errors import DicomFormatError, ImagingValueError
from .windows import VoiFunction, Window, apply_window, get_window

__all__ = [
    "number_of_frames",
    "stored_frame",
    "modality_frame",
    "modality_frames",
    "frame_window",
    "display_frame",
    "iter_display_frames",
    "is_color",
    "needs_inversion",
    "padding_mask",
]

log = logging.getLogger(__name__)

_GRAY = frozenset({"MONOCHROME1", "MONOCHROME2"})
#: Percentiles of the frame's values used when neither the caller nor the dataset gives a window.
_AUTO_PERCENTILES = (0.5, 99.5)


def number_of_frames(ds: Dataset) -> int:
    """Frames in the pixel data (1 when Number of Frames is absent or empty)."""
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def _check_frame(ds: Dataset, frame: int) -> int:
    n = number_of_frames(ds)
    if not isinstance(frame, (int, np.integer)) or not 0 <= int(frame) < n:
        raise ImagingValueError(f"frame must be an integer in [0, {n - 1}] for this dataset, got {frame!r}")
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise ImagingValueError("dataset has no pixel data (read without stop_before_pixels)")
    return int(frame)


def is_color(ds: Dataset) -> bool:
    """True for colour images (Samples per Pixel 3, or PALETTE COLOR)."""
    return int(ds.get("SamplesPerPixel", 1) or 1) > 1 or ds.get("PhotometricInterpretation") == "PALETTE COLOR"


def needs_inversion(ds: Dataset) -> bool:
    """True when low values are displayed white: MONOCHROME1, or MONOCHROME2 with Presentation LUT Shape INVERSE."""
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric == "MONOCHROME1":
        return True
    return photometric == "MONOCHROME2" and str(ds.get("PresentationLUTShape", "")).upper() == "INVERSE"


def stored_frame(ds: Dataset, frame: int = 0) -> np.ndarray:
    """Stored values of one frame (rows x columns, or rows x columns x 3 RGB for colour), a new array.

    Only that frame is decoded. Raises :class:`DicomFormatError` naming the file when decoding fails
    (truncated or corrupt pixel data, missing decoder).
    """
    index = _check_frame(ds, frame)
    kwargs: dict[str, Any] = {}
    if number_of_frames(ds) > 1 or "NumberOfFrames" in ds:
        kwargs["index"] = index
    try:
        arr = pixel_array(ds, **kwargs)
    except (ValueError, RuntimeError, NotImplementedError, AttributeError, EOFError) as exc:
        label = str(getattr(ds, "filename", "") or "<dataset>")
        raise DicomFormatError(label, f"cannot decode frame {index}: {exc}") from exc
    if arr.ndim == 3 and not is_color(ds) and arr.shape[0] == 1:
        arr = arr[0]
    return np.array(arr, copy=True)


def _functional_item(ds: Dataset, frame: int, sequence: str) -> Dataset | None:
    """The frame's item of a functional-group macro: per-frame first, then shared (PS3.3 C.7.6.16)."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame is not None and frame < len(per_frame):
        seq = per_frame[frame].get(sequence)
        if seq:
            return seq[0]
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        seq = shared[0].get(sequence)
        if seq:
            return seq[0]
    return None


def _modality_view(ds: Dataset, frame: int) -> Dataset | None:
    """A view dataset holding only the frame's modality LUT attributes, or None when there are none."""
    view = Dataset()
    item = _functional_item(ds, frame, "PixelValueTransformationSequence")
    source = item if item is not None else ds
    if "ModalityLUTSequence" in source:
        view.ModalityLUTSequence = source.ModalityLUTSequence
        view.file_meta = getattr(ds, "file_meta", Dataset())
        return view
    if source.get("RescaleSlope") is not None or source.get("RescaleIntercept") is not None:
        view.RescaleSlope = float(source.get("RescaleSlope", 1.0) or 1.0)
        view.RescaleIntercept = float(source.get("RescaleIntercept", 0.0) or 0.0)
        return view
    return None


def modality_frame(ds: Dataset, frame: int = 0) -> np.ndarray:
    """Modality values of one grayscale frame (HU for CT), ``float64``, rows x columns.

    Applies the frame's Rescale Slope/Intercept or Modality LUT (functional groups first). Raises
    :class:`ImagingValueError` for colour images, which have no modality LUT.
    """
    if is_color(ds):
        raise ImagingValueError(
            f"modality values need a grayscale image, got PhotometricInterpretation "
            f"{ds.get('PhotometricInterpretation')!r}"
        )
    return _modality_from_stored(ds, frame, stored_frame(ds, frame))


def _modality_from_stored(ds: Dataset, frame: int, stored: np.ndarray) -> np.ndarray:
    view = _modality_view(ds, frame)
    values = apply_modality_lut(stored, view) if view is not None else stored
    return np.asarray(values, dtype=np.float64)


def modality_frames(ds: Dataset) -> np.ndarray:
    """All frames' modality values, ``float32`` frames x rows x columns (each frame with its own rescale)."""
    return np.stack([modality_frame(ds, i).astype(np.float32) for i in range(number_of_frames(ds))])


def _voi_function(item: Dataset) -> VoiFunction:
    name = str(item.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    try:
        return VoiFunction(name)
    except ValueError:
        log.warning("unknown VOI LUT Function %r, using LINEAR", name)
        return VoiFunction.LINEAR


def _pick(value: Any, index: int) -> float:
    """Value ``index`` of a multi-valued attribute (the last one when there are fewer), or the single value."""
    if isinstance(value, str) or not hasattr(value, "__len__"):
        return float(value)
    values = list(value)
    if not values:
        raise ImagingValueError("empty window value")
    return float(values[min(index, len(values) - 1)])


def frame_window(ds: Dataset, frame: int = 0, *, voi_index: int = 0) -> Window | None:
    """The window the dataset itself gives for ``frame`` (FrameVOILUTSequence, then top level), or None.

    ``voi_index`` chooses among multiple Window Center/Width values (PS3.3 C.11.2.1.2: alternative views).
    Invalid windows (width below the function's minimum) are ignored with a warning.
    """
    item = _functional_item(ds, frame, "FrameVOILUTSequence")
    for source in (item, ds):
        if source is None or source.get("WindowCenter") is None or source.get("WindowWidth") is None:
            continue
        try:
            explanation = source.get("WindowCenterWidthExplanation")
            name = _pick_str(explanation, voi_index)
            return Window(
                _pick(source.WindowCenter, voi_index),
                _pick(source.WindowWidth, voi_index),
                _voi_function(source),
                name=name,
            )
        except (ImagingValueError, TypeError, ValueError) as exc:
            log.warning("ignoring the dataset's window: %s", exc)
    return None


def _pick_str(value: Any, index: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    values = list(value)
    return str(values[min(index, len(values) - 1)]) if values else ""


def _voi_lut_display(ds: Dataset, values: np.ndarray, voi_index: int) -> np.ndarray | None:
    """Apply the VOI LUT Sequence (pydicom ``apply_voi``) and scale its output to [0, 1]; None when absent."""
    seq = ds.get("VOILUTSequence")
    if not seq:
        return None
    index = min(voi_index, len(seq) - 1)
    n_entries, first_map, bits = (int(v) for v in seq[index].LUTDescriptor)
    n_entries = n_entries or 2**16
    view = Dataset()
    view.VOILUTSequence = seq
    view.file_meta = getattr(ds, "file_meta", Dataset())
    out = apply_voi(np.round(values).astype(np.int64), view, index=index).astype(np.float64)
    # Output range per the LUT Descriptor is [0, 2**bits - 1]; some writers declare 16 bits and fill 12, so
    # scale by the LUT's actual maximum when that is smaller (as display software commonly does).
    entries = apply_voi(np.arange(first_map, first_map + n_entries, dtype=np.int64), view, index=index)
    top = float(max(1, min(2**bits - 1, int(np.max(entries)))))
    return np.clip(out / top, 0.0, 1.0).astype(np.float32)


def padding_mask(ds: Dataset, stored: np.ndarray) -> np.ndarray | None:
    """Pixels equal to Pixel Padding Value (0028,0120), or within it and Pixel Padding Range Limit (0028,0121).

    Padding marks pixels outside the acquired region (e.g. outside a CT's circular field of view, PS3.3
    C.7.5.1.1.2); they are excluded from automatic windows and displayed black. None when there is no padding.
    """
    value = ds.get("PixelPaddingValue")
    if value is None or is_color(ds):
        return None
    limit = ds.get("PixelPaddingRangeLimit")
    try:
        value = int(value)
        if limit is None:
            return stored == value
        lo, hi = sorted((value, int(limit)))
    except (TypeError, ValueError):
        return None
    return (stored >= lo) & (stored <= hi)


def _auto_window(values: np.ndarray) -> Window:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Window(0.0, 1.0, VoiFunction.LINEAR_EXACT, name="auto")
    low, high = np.percentile(finite, _AUTO_PERCENTILES)
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    width = max(float(high - low), 1e-6)
    return Window(float(low + high) / 2.0, width, VoiFunction.LINEAR_EXACT, name="auto")


def _to_uint8(unit: np.ndarray) -> np.ndarray:
    return np.round(np.nan_to_num(unit, nan=0.0) * 255.0).clip(0, 255).astype(np.uint8)


def _color_display(ds: Dataset, frame: int) -> np.ndarray:
    stored = stored_frame(ds, frame)
    if ds.get("PhotometricInterpretation") == "PALETTE COLOR":
        stored = apply_color_lut(stored, ds)
    if stored.dtype == np.uint8:
        return stored
    bits = int(ds.get("BitsStored", 8) or 8)
    if ds.get("PhotometricInterpretation") == "PALETTE COLOR":
        bits = 16 if stored.max(initial=0) > 255 else 8
    return _to_uint8(stored.astype(np.float64) / float(2**bits - 1))


def display_frame(
    ds: Dataset,
    frame: int = 0,
    *,
    window: Window | str | None = None,
    voi_index: int = 0,
    default_windows: dict[str, str] | None = None,
) -> np.ndarray:
    """An 8-bit display image of one frame: rows x columns (grayscale) or rows x columns x 3 (RGB).

    Parameters
    ----------
    ds
        The dataset (with pixel data); never modified.
    frame
        Zero-based frame index.
    window
        A :class:`Window`, a preset name (``"lung"``, ``"brain"``, ...), or None for the dataset's own VOI.
    voi_index
        Which of multiple dataset windows / VOI LUTs to use.
    default_windows
        Modality → preset name used when the dataset has no VOI (e.g. ``{"CT": "soft_tissue"}``).

    Returns
    -------
    numpy.ndarray
        ``uint8``; for grayscale 0 is black (MONOCHROME1 inverted for display).
    """
    frame = _check_frame(ds, frame)
    if is_color(ds):
        return _color_display(ds, frame)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in _GRAY:
        raise ImagingValueError(f"unsupported PhotometricInterpretation {photometric!r}")
    stored = stored_frame(ds, frame)
    values = _modality_from_stored(ds, frame, stored)
    padding = padding_mask(ds, stored)
    if isinstance(window, str):
        window = get_window(window)
    unit: np.ndarray | None = None
    if window is None:
        window = frame_window(ds, frame, voi_index=voi_index)
    if window is None:
        unit = _voi_lut_display(ds, values, voi_index)
    if unit is None:
        if window is None and default_windows:
            preset = default_windows.get(str(ds.get("Modality", "")))
            window = get_window(preset) if preset else None
        if window is None:
            window = _auto_window(values if padding is None else values[~padding])
        unit = apply_window(values, window)
    if needs_inversion(ds):
        unit = 1.0 - unit
    if padding is not None:
        unit = np.where(padding, 0.0, unit)
    return _to_uint8(unit)


def iter_display_frames(ds: Dataset, **kwargs: Any) -> Iterator[np.ndarray]:
    """:func:`display_frame` for every frame in turn (keyword options as there)."""
    for i in range(number_of_frames(ds)):
        yield display_frame(ds, i, **kwargs)
