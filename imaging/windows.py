"""VOI windows: the window/level transform and named display presets.

A *window* maps modality values (Hounsfield units for CT) to display intensity: values below
``center - width/2`` are black, above ``center + width/2`` white, linear (or sigmoid) in between.
The transforms follow DICOM PS3.3 C.11.2.1.2 (``LINEAR``), C.11.2.1.3.2 (``LINEAR_EXACT``) and
C.11.2.1.3.1 (``SIGMOID``), written for an output range of [0, 1] so that they apply equally to
dataset windows and to the presets below (pydicom's ``apply_windowing`` needs a dataset and maps
to the stored-value range; display presets need neither).

Preset centers/widths (HU) are the conventional CT display windows: Radiopaedia, "Windowing (CT)"
(https://radiopaedia.org/articles/windowing-ct); Hoang JK et al., "Optimizing CT window settings",
AJR 2010;195:W339; stroke window after Lev MH et al., Radiology 1999;213:150-155.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .errors import ImagingValueError

__all__ = ["VoiFunction", "Window", "WINDOW_PRESETS", "get_window", "apply_window"]


class VoiFunction(enum.Enum):
    """DICOM (0028,1056) VOI LUT Function."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


@dataclass(frozen=True, slots=True)
class Window:
    """A VOI window in modality units (HU for CT).

    Attributes
    ----------
    center, width
        Window center and width, modality units.
    function
        The VOI LUT function (default ``LINEAR``).
    name
        Preset name or the dataset's window explanation, for reports.
    """

    center: float
    width: float
    function: VoiFunction = VoiFunction.LINEAR
    name: str = ""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.center) and np.isfinite(self.width)):
            raise ImagingValueError(f"window center/width must be finite, got {self.center}/{self.width}")
        minimum = 1.0 if self.function is VoiFunction.LINEAR else 0.0
        if self.width < minimum or (self.function is not VoiFunction.LINEAR and self.width <= 0):
            raise ImagingValueError(
                f"window width must be {'>= 1' if minimum else '> 0'} for {self.function.value}, got {self.width}"
            )

    @property
    def low(self) -> float:
        """Lower edge of the window (modality units)."""
        return self.center - self.width / 2.0

    @property
    def high(self) -> float:
        """Upper edge of the window (modality units)."""
        return self.center + self.width / 2.0


WINDOW_PRESETS: MappingProxyType[str, Window] = MappingProxyType(
    {
        "brain": Window(40.0, 80.0, name="brain"),
        "subdural": Window(75.0, 215.0, name="subdural"),
        "stroke": Window(40.0, 40.0, name="stroke"),
        "temporal_bone": Window(600.0, 2800.0, name="temporal_bone"),
        "lung": Window(-600.0, 1500.0, name="lung"),
        "mediastinum": Window(50.0, 350.0, name="mediastinum"),
        "soft_tissue": Window(50.0, 400.0, name="soft_tissue"),
        "abdomen": Window(40.0, 400.0, name="abdomen"),
        "liver": Window(60.0, 150.0, name="liver"),
        "bone": Window(400.0, 1800.0, name="bone"),
    }
)
"""Named CT windows (center, width in HU); see the module docstring for sources."""


def get_window(name: str) -> Window:
    """Return the preset called ``name`` (see :data:`WINDOW_PRESETS`).

    Raises
    ------
    ImagingValueError
        When ``name`` is not a known preset; the message lists the known ones.
    """
    try:
        return WINDOW_PRESETS[name]
    except KeyError:
        raise ImagingValueError(
            f"unknown window preset {name!r}; expected one of {', '.join(sorted(WINDOW_PRESETS))}"
        ) from None


def _linear(values: np.ndarray, center: float, width: float) -> np.ndarray:
    # PS3.3 C.11.2.1.2.1: y = ((x - (c - 0.5)) / (w - 1) + 0.5), clipped to [0, 1].
    if width <= 1.0:
        return (values > center - 0.5).astype(np.float32)
    return np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def _linear_exact(values: np.ndarray, center: float, width: float) -> np.ndarray:
    # PS3.3 C.11.2.1.3.2: y = (x - c) / w + 0.5, clipped to [0, 1].
    return np.clip((values - center) / width + 0.5, 0.0, 1.0)


def _sigmoid(values: np.ndarray, center: float, width: float) -> np.ndarray:
    # PS3.3 C.11.2.1.3.1: y = 1 / (1 + exp(-4 (x - c) / w)).
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))


_TRANSFORMS = {
    VoiFunction.LINEAR: _linear,
    VoiFunction.LINEAR_EXACT: _linear_exact,
    VoiFunction.SIGMOID: _sigmoid,
}


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
    """Map modality values through ``window`` to display intensity in [0, 1].

    Parameters
    ----------
    values
        Modality values (any real dtype, any shape); NaN stays NaN.
    window
        The window to apply.

    Returns
    -------
    numpy.ndarray
        ``float32`` array of the same shape, 0 = black, 1 = white (before any MONOCHROME1 inversion).
    """
    arr = np.asarray(values)
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ImagingValueError(f"values must be a real numeric array, got dtype {arr.dtype}")
    out = _TRANSFORMS[window.function](arr.astype(np.float64, copy=False), window.center, window.width)
    return np.asarray(out, dtype=np.float32)
