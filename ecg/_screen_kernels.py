"""Numba kernels of the per-beat set-up in :func:`ecg.screen` (private; its arrays are valid by construction).

Each replaces a handful of NumPy calls on a few dozen beats, whose fixed cost per call (microseconds) is what
screening a 30-s record spends outside the signal kernels. The plain-NumPy references are in
``tests/ecg/test_screen.py``.
"""

from __future__ import annotations

import numba
import numpy as np

from ._rhythm_kernels import median_rate_bpm, readable_sequence

__all__ = ["beat_positions", "beat_flags", "rhythm_inputs"]


@numba.njit(cache=True)
def beat_positions(qrs: np.ndarray, decimation: int, last: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Beat indices at the record's rate and their times (s) from QRS indices at the screening rate.

    ``beats = min(qrs * decimation + decimation // 2, last)`` (the centre of each decimation block, at most the
    record's last sample) and ``times = beats / fs``.
    """
    n = qrs.size
    beats = np.empty(n, dtype=np.int64)
    times = np.empty(n)
    half = decimation // 2
    for i in range(n):
        b = min(qrs[i] * decimation + half, last)
        beats[i] = b
        times[i] = b / fs
    return beats, times


@numba.njit(cache=True)
def beat_flags(
    times: np.ndarray, ranges: np.ndarray, levels: np.ndarray, good: int, step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per beat: whether it lies in an unreadable range, and whether in a marginal segment.

    ``ranges`` are ``(start_s, end_s)`` rows: a beat at ``start_s <= t < end_s`` is in it. ``levels`` are the
    ``(n_segments, n_leads)`` quality levels of segments of ``step_s`` seconds: a beat is in a marginal segment
    when no lead of its segment (``int(t / step_s)``, at most the last) reaches ``good``.
    """
    n = times.size
    unreadable = np.zeros(n, dtype=np.bool_)
    noisy = np.zeros(n, dtype=np.bool_)
    for r in range(ranges.shape[0]):
        unreadable[np.searchsorted(times, ranges[r, 0]) : np.searchsorted(times, ranges[r, 1])] = True
    n_seg, n_leads = levels.shape
    if n_seg == 0:
        return unreadable, noisy
    inv = 1.0 / step_s
    for i in range(n):
        seg = min(np.int64(times[i] * inv), n_seg - 1)
        best = levels[seg, 0]
        for j in range(1, n_leads):
            best = max(best, levels[seg, j])
        noisy[i] = best < good
    return unreadable, noisy


@numba.njit(cache=True)
def rhythm_inputs(
    times: np.ndarray, labels: np.ndarray, ranges: np.ndarray, p_wave: np.ndarray, min_rr_s: float, max_rr_s: float,
    normal: int, ventricular: int, unknown: int, af_min_pairs: int, n_classes: int,
) -> tuple[tuple, float, np.ndarray]:
    """What the rhythm analysis of :func:`ecg.screen` starts from, in one call.

    Returns :func:`ecg._rhythm_kernels.readable_sequence` of the beats (for
    :meth:`ecg.rhythm.BeatSequence._assemble`), :func:`ecg._rhythm_kernels.median_rate_bpm` of their times
    (the heart rate) and the number of beats of each label ``0 .. n_classes - 1`` (others are not counted).
    """
    counts = np.zeros(n_classes, dtype=np.int64)
    for i in range(labels.size):
        if 0 <= labels[i] < n_classes:
            counts[labels[i]] += 1
    return (
        readable_sequence(times, labels, ranges, p_wave, normal, ventricular, unknown, af_min_pairs),
        median_rate_bpm(times, ranges, min_rr_s, max_rr_s),
        counts,
    )
