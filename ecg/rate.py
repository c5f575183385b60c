"""RR intervals and heart rate from QRS sample indices.

The rate is ``60 / median(RR)``: the median ignores the odd missed or extra beat, which a
mean of instantaneous rates does not (Task Force of the ESC and NASPE, Circulation
93:1043-1065, 1996, on editing RR series before rate and variability measures).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _rhythm_kernels as _rk
from .errors import EcgValueError
from .preprocess import check_fs

__all__ = ["HeartRate", "rr_intervals", "heart_rate", "median_rate_bpm"]


@dataclass(frozen=True, slots=True, eq=False)
class HeartRate:
    """Result of :func:`heart_rate`.

    Attributes
    ----------
    bpm
        Robust mean rate in beats per minute, ``60 / median(RR)``; NaN with fewer than two
        usable beats.
    n_rr
        Number of RR intervals the rate is based on.
    times_s
        ``(n_beats - 1,)`` time in s of the beat closing each RR interval.
    series_bpm
        Rate at :attr:`times_s`: instantaneous ``60 / RR``, or with ``window_s`` the
        ``60 / median(RR)`` of the trailing ``window_s`` seconds; NaN where excluded.
    """

    bpm: float
    n_rr: int
    times_s: np.ndarray
    series_bpm: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the series is left out)."""
        return {"bpm": None if np.isnan(self.bpm) else round(float(self.bpm), 1), "n_rr": self.n_rr}


def _check_beats(beats: object) -> np.ndarray:
    arr = np.asarray(beats)
    if arr.ndim != 1:
        raise EcgValueError(f"beats: expected a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise EcgValueError(f"beats: expected integer sample indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if (np.diff(arr) <= 0).any():
        raise EcgValueError("beats: expected strictly increasing sample indices")
    return arr


def _exclude_ranges(exclude: Iterable[tuple[float, float]] | np.ndarray) -> np.ndarray:
    """``exclude`` as ``(k, 2)`` float64 ``(start_s, end_s)`` rows (a ``(k, 2)`` array is taken as it is)."""
    if isinstance(exclude, np.ndarray):
        return np.ascontiguousarray(exclude, dtype=np.float64).reshape(-1, 2)
    ranges = []
    for item in exclude:
        try:
            lo, hi = (float(v) for v in item)
        except (TypeError, ValueError):
            raise EcgValueError(f"exclude: expected (start_s, end_s) pairs, got {item!r}") from None
        ranges.append((lo, hi))
    return np.array(ranges, dtype=np.float64).reshape(-1, 2)


def median_rate_bpm(
    times_s: np.ndarray,
    *,
    exclude: Iterable[tuple[float, float]] | np.ndarray = (),
    min_rr_s: float = 0.2,
    max_rr_s: float = 6.0,
) -> float:
    """``60 / median(RR)`` of increasing beat times (s), as :attr:`HeartRate.bpm` of :func:`heart_rate`.

    The lean form for callers that hold validated beat times (:func:`ecg.screen`): no per-beat series.
    NaN with fewer than one usable interval. ``exclude`` may be a ``(k, 2)`` array of ranges. One compiled
    pass (:func:`ecg._rhythm_kernels.median_rate_bpm`).
    """
    times = np.ascontiguousarray(times_s, dtype=np.float64)
    return float(_rk.median_rate_bpm(times, _exclude_ranges(exclude), min_rr_s, max_rr_s))


def rr_intervals(beats: object, fs: float) -> np.ndarray:
    """RR intervals in seconds between consecutive beats.

    Parameters
    ----------
    beats
        Strictly increasing integer QRS sample indices.
    fs
        Sampling rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(len(beats) - 1,)`` (empty with fewer than two beats).
    """
    fs = check_fs(fs)
    arr = _check_beats(beats)
    return np.diff(arr).astype(np.float64) / fs


def heart_rate(
    beats: object,
    fs: float,
    *,
    window_s: float | None = None,
    exclude: Iterable[tuple[float, float]] = (),
    min_rr_s: float = 0.2,
    max_rr_s: float = 6.0,
) -> HeartRate:
    """Heart rate from QRS indices, robust to missed and extra beats.

    Parameters
    ----------
    beats
        Strictly increasing integer QRS sample indices.
    fs
        Sampling rate in Hz.
    window_s
        If given, :attr:`HeartRate.series_bpm` is the median-based rate over the trailing
        ``window_s`` seconds at each beat instead of the instantaneous rate.
    exclude
        ``(start_s, end_s)`` time ranges (e.g. :attr:`ecg.SignalQuality.unreadable_ranges`);
        RR intervals overlapping them are not used.
    min_rr_s, max_rr_s
        RR intervals outside ``[min_rr_s, max_rr_s]`` seconds are treated as detection
        errors and not used (defaults: 300 bpm and a 6-s gap).

    Returns
    -------
    HeartRate
        ``bpm`` is NaN (not an error) when fewer than two usable beats remain.
    """
    fs = check_fs(fs)
    arr = _check_beats(beats)
    if window_s is not None and not window_s > 0:
        raise EcgValueError(f"window_s: expected a positive window in s or None, got {window_s}")
    if not 0 <= min_rr_s < max_rr_s:
        raise EcgValueError(f"min_rr_s, max_rr_s: expected 0 <= min_rr_s < max_rr_s, got {min_rr_s}, {max_rr_s}")
    ranges = _exclude_ranges(exclude)
    times = arr / fs
    rr, usable = _rk.usable_intervals(times, ranges, min_rr_s, max_rr_s)
    ends = times[1:]
    rr_used = np.where(usable, rr, np.nan)
    if window_s is None:
        with np.errstate(divide="ignore"):
            series = 60.0 / rr_used
    else:
        series = np.full(rr.shape, np.nan)
        first = np.searchsorted(ends, ends - window_s, side="right")
        for i in range(rr.size):
            chunk = rr_used[first[i] : i + 1]
            chunk = chunk[~np.isnan(chunk)]
            if chunk.size:
                series[i] = 60.0 / np.median(chunk)
    n_rr = int(usable.sum())
    bpm = float(60.0 / np.median(rr[usable])) if n_rr else float("nan")
    return HeartRate(bpm=bpm, n_rr=n_rr, times_s=ends, series_bpm=series)
