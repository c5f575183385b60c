"""3-D volumes of a series as SimpleITK images, and resampling to a canonical orientation and spacing.

Voxel values are modality values (HU for CT, per slice or per frame rescale applied by
:mod:`imaging.normalize`), ``float32``. Geometry follows DICOM patient coordinates (LPS):
origin = Image Position (Patient) of the first slice, direction columns = row cosines, column cosines and the
slice normal, spacing = (column spacing, row spacing, slice spacing) in mm, slice spacing the median distance
between consecutive slice positions. SimpleITK/ITK: Lowekamp BC et al., Front Neuroinform 2013;7:45;
Yaniv Z et al., J Digit Imaging 2018;31:290-303.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import SimpleITK as sitk

from .errors import ImagingValueError
from .normalize import is_color, modality_frames, number_of_frames
from .series import Series, slice_normal

__all__ = ["to_volume", "reorient", "resample_volume", "Interpolator"]

log = logging.getLogger(__name__)

Interpolator = Literal["linear", "nearest", "bspline"]
_INTERPOLATORS = {
    "linear": sitk.sitkLinear,
    "nearest": sitk.sitkNearestNeighbor,
    "bspline": sitk.sitkBSpline,
}


def _frame_positions(ds) -> list[tuple[float, ...]] | None:  # type: ignore[no-untyped-def]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if not per_frame:
        return None
    positions = []
    for group in per_frame:
        seq = group.get("PlanePositionSequence")
        if not seq or seq[0].get("ImagePositionPatient") is None:
            return None
        positions.append(tuple(float(v) for v in seq[0].ImagePositionPatient))
    return positions


def to_volume(series: Series) -> sitk.Image:
    """Stack a series into a 3-D ``float32`` SimpleITK image in modality units, with DICOM geometry.

    Single-frame instances are stacked in the series' slice order; a single multi-frame instance (enhanced CT/MR,
    NM) is stacked frame by frame, using its per-frame Plane Position when present.

    Raises
    ------
    ImagingValueError
        Empty series, colour images, or slices of different matrix sizes.
    """
    if not series.instances:
        raise ImagingValueError(f"series {series.series_instance_uid}: no instances")
    first = series.instances[0]
    if first.photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ImagingValueError(
            f"series {series.series_instance_uid}: volumes need grayscale images, got {first.photometric!r}"
        )
    planes: list[np.ndarray] = []
    positions: list[tuple[float, ...] | None] = []
    for inst in series.instances:
        ds = inst.load()
        if is_color(ds):
            raise ImagingValueError(f"{inst.label}: colour image in a volume")
        frames = modality_frames(ds)
        planes.extend(frames)
        frame_pos = _frame_positions(ds) if number_of_frames(ds) > 1 else None
        positions.extend(frame_pos if frame_pos else [inst.position_mm] * len(frames))
    if len(positions) > 1 and all(p is not None for p in positions):
        normal_ = slice_normal(first.orientation or (1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
        along = [float(np.dot(np.asarray(p), normal_)) for p in positions]
        order = sorted(range(len(planes)), key=lambda k: (along[k], k))
        planes = [planes[k] for k in order]
        positions = [positions[k] for k in order]
    shapes = {p.shape for p in planes}
    if len(shapes) != 1:
        raise ImagingValueError(f"series {series.series_instance_uid}: slices of different sizes {sorted(shapes)}")
    array = np.ascontiguousarray(np.stack(planes).astype(np.float32))
    image = sitk.GetImageFromArray(array)
    row_mm, col_mm = first.pixel_spacing_mm or (1.0, 1.0)
    orientation = first.orientation or (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    normal = slice_normal(orientation)
    slice_mm = _slice_spacing(positions, normal, first.slice_thickness_mm)
    image.SetSpacing((float(col_mm), float(row_mm), float(slice_mm)))
    direction = np.column_stack([orientation[:3], orientation[3:], normal])
    image.SetDirection(tuple(float(v) for v in direction.ravel()))
    if positions and positions[0] is not None:
        image.SetOrigin(tuple(float(v) for v in positions[0]))
    return image


def _slice_spacing(positions: list[tuple[float, ...] | None], normal: np.ndarray, thickness: float | None) -> float:
    if len(positions) > 1 and all(p is not None for p in positions):
        along = np.array([float(np.dot(p, normal)) for p in positions])  # type: ignore[arg-type]
        steps = np.diff(along)
        steps = steps[np.abs(steps) > 1e-6]
        if steps.size:
            spacing = float(np.median(np.abs(steps)))
            if np.any(steps < 0) and np.any(steps > 0):
                log.warning("slice positions are not monotonic; spacing %.3f mm is approximate", spacing)
            return spacing
    return float(thickness) if thickness and thickness > 0 else 1.0


def reorient(image: sitk.Image, orientation: str = "LPS") -> sitk.Image:
    """Permute and flip axes so the direction is (nearest to) identity for ``orientation`` (``sitk.DICOMOrient``).

    ``"LPS"`` gives the DICOM identity direction; ``"RAS"`` the neuroimaging one. Voxel values are not resampled.
    """
    code = orientation.upper()
    if len(code) != 3 or {code[0], code[1], code[2]} & set("LRPAIS") != set(code) or len(set(code)) != 3:
        raise ImagingValueError(f"orientation must be a 3-letter code like 'LPS' or 'RAS', got {orientation!r}")
    return sitk.DICOMOrient(image, code)


def resample_volume(
    image: sitk.Image,
    *,
    spacing_mm: float | tuple[float, float, float],
    orientation: str | None = "LPS",
    interpolator: Interpolator = "linear",
    default_value: float | None = None,
) -> sitk.Image:
    """Resample to ``spacing_mm`` (isotropic when one number), after :func:`reorient` to ``orientation``.

    Parameters
    ----------
    image
        A 3-D image (e.g. from :func:`to_volume`).
    spacing_mm
        Output voxel spacing in mm, x/y/z or one value for all.
    orientation
        Reorient first (``None`` keeps the input direction).
    interpolator
        ``"linear"`` (default), ``"nearest"`` (labels) or ``"bspline"``.
    default_value
        Value outside the input; default the input's minimum (air for CT).
    """
    if image.GetDimension() != 3:
        raise ImagingValueError(f"image must be 3-D, got {image.GetDimension()}-D")
    spacing = (spacing_mm,) * 3 if np.isscalar(spacing_mm) else tuple(spacing_mm)  # type: ignore[arg-type]
    if len(spacing) != 3 or not all(np.isfinite(s) and s > 0 for s in spacing):
        raise ImagingValueError(f"spacing_mm must be positive finite (one or three values), got {spacing_mm!r}")
    if interpolator not in _INTERPOLATORS:
        raise ImagingValueError(f"interpolator must be one of {sorted(_INTERPOLATORS)}, got {interpolator!r}")
    src = reorient(image, orientation) if orientation else image
    if default_value is None:
        stats = sitk.MinimumMaximumImageFilter()
        stats.Execute(src)
        default_value = stats.GetMinimum()
    old_size = np.array(src.GetSize(), dtype=np.float64)
    old_spacing = np.array(src.GetSpacing(), dtype=np.float64)
    new_size = [max(1, int(round(n))) for n in old_size * old_spacing / np.array(spacing, dtype=np.float64)]
    return sitk.Resample(
        src,
        new_size,
        sitk.Transform(),
        _INTERPOLATORS[interpolator],
        src.GetOrigin(),
        tuple(float(s) for s in spacing),
        src.GetDirection(),
        float(default_value),
        src.GetPixelID(),
    )
