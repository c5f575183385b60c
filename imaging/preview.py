"""8-bit PNG previews of a series: a full-size display image of the key slice and a thumbnail.

The key image is the middle slice of a stack (series slice order), or the middle frame of a multi-frame
instance. Grayscale goes through :func:`imaging.normalize.display_frame` (modality LUT, the requested preset or the
dataset's VOI or the modality default window, MONOCHROME1 inverted so that air is black); colour is shown as RGB.
Non-square pixels (Pixel Spacing row ≠ column) are stretched to true physical proportions. PNG via Pillow.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import ImagingValueError
from .normalize import display_frame, number_of_frames
from .series import Instance, Series
from .settings import ImagingSettings
from .windows import Window

__all__ = ["KeyImage", "key_image", "make_previews", "DEFAULT_WINDOWS"]

log = logging.getLogger(__name__)

#: Modality → preset used when the dataset carries no VOI of its own.
DEFAULT_WINDOWS: dict[str, str] = {"CT": "soft_tissue"}

#: Longest side of the full "display" PNG, px (larger images are downscaled for the reading-room preview).
_DISPLAY_MAX_PX = 1024


@dataclass(frozen=True, slots=True)
class KeyImage:
    """The key image of a series, ready to save.

    Attributes
    ----------
    pixels
        ``uint8``, rows x columns or rows x columns x 3.
    instance
        The instance it came from.
    frame
        Zero-based frame index inside that instance.
    """

    pixels: np.ndarray
    instance: Instance
    frame: int


def _key_position(series: Series) -> tuple[Instance, int | None]:
    if not series.instances:
        raise ImagingValueError(f"series {series.series_instance_uid}: no instances to preview")
    images = [i for i in series.instances if i.rows > 0 and i.columns > 0]
    if not images:
        raise ImagingValueError(f"series {series.series_instance_uid}: no image instances (modality {series.modality})")
    if len(images) == 1:
        return images[0], None
    return images[(len(images) - 1) // 2], 0


def key_image(
    series: Series,
    *,
    window: Window | str | None = None,
    default_windows: dict[str, str] | None = None,
) -> KeyImage:
    """Render the key image: middle slice, or middle frame of a single multi-frame instance.

    Parameters
    ----------
    series
        The series (from :func:`imaging.group_studies`).
    window
        A preset name or :class:`~imaging.windows.Window` (grayscale only); None for the dataset's VOI, then
        ``default_windows`` (default :data:`DEFAULT_WINDOWS`), then an automatic range.
    """
    inst, frame = _key_position(series)
    ds = inst.load()
    if frame is None:
        frame = (number_of_frames(ds) - 1) // 2
    pixels = display_frame(
        ds, frame, window=window, default_windows=DEFAULT_WINDOWS if default_windows is None else default_windows
    )
    return KeyImage(_physical_aspect(pixels, inst.pixel_spacing_mm), inst, frame)


def _physical_aspect(pixels: np.ndarray, spacing: tuple[float, float] | None) -> np.ndarray:
    if spacing is None or spacing[0] <= 0 or spacing[1] <= 0:
        return pixels
    ratio = spacing[0] / spacing[1]  # row spacing / column spacing
    if abs(ratio - 1.0) < 0.01:
        return pixels
    rows, cols = pixels.shape[:2]
    new_rows = max(1, int(round(rows * ratio)))
    return np.asarray(Image.fromarray(pixels).resize((cols, new_rows), Image.Resampling.LANCZOS))


def _fit(img: Image.Image, size_px: int) -> Image.Image:
    out = img.copy()
    out.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
    return out


def _safe_name(uid: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in uid)


def make_previews(
    series: Series,
    out_dir: str | os.PathLike[str],
    *,
    size_px: int | None = None,
    window: Window | str | None = None,
    default_windows: dict[str, str] | None = None,
    settings: ImagingSettings | None = None,
) -> list[Path]:
    """Write ``<SeriesUID>.png`` (display image, longest side ≤ 1024 px) and ``<SeriesUID>_thumb.png``.

    Parameters
    ----------
    series
        The series to preview.
    out_dir
        Output folder (created if needed). Inputs are never written.
    size_px
        Longest side of the thumbnail, px (aspect ratio kept); default ``settings.preview_size_px`` (256).
    window, default_windows
        As in :func:`key_image`; ``default_windows`` defaults to ``settings.default_windows``.
    settings
        Imaging settings supplying the defaults above.

    Returns
    -------
    list[pathlib.Path]
        ``[display_png, thumbnail_png]``.
    """
    if settings is not None:
        size_px = settings.preview_size_px if size_px is None else size_px
        default_windows = dict(settings.default_windows) if default_windows is None else default_windows
    size_px = 256 if size_px is None else size_px
    if not isinstance(size_px, (int, np.integer)) or not 8 <= int(size_px) <= 4096:
        raise ImagingValueError(f"size_px must be an integer in [8, 4096], got {size_px!r}")
    key = key_image(series, window=window, default_windows=default_windows)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(key.pixels)
    stem = _safe_name(series.series_instance_uid)
    display_path = out / f"{stem}.png"
    thumb_path = out / f"{stem}_thumb.png"
    _fit(img, _DISPLAY_MAX_PX).save(display_path, format="PNG", optimize=False)
    _fit(img, int(size_px)).save(thumb_path, format="PNG", optimize=False)
    log.debug("previews of series %s from %s frame %d", series.series_instance_uid, key.instance.label, key.frame)
    return [display_path, thumb_path]


