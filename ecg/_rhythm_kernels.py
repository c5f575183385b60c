"""Numba kernels of the rhythm analysis (private; inputs are validated by :mod:`ecg.af` and :mod:`ecg.rhythm`).

:func:`af_window_statistics` computes, for every sliding window of RR intervals, exactly what
:func:`ecg.af.af_statistics` gives for one window (it calls this kernel with a single window; the
plain-NumPy reference lives in ``tests/ecg/af_reference.py``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._runs import runs_of
from ._stats import median_inplace

__all__ = [
    "af_window_statistics", "window_rate_statistics", "repeating_pattern", "sequence_intervals", "readable_sequence",
    "median_rate_bpm", "usable_intervals", "ventricular_runs", "af_record_statistics",
]

_BIG_DRR = 0.10


@numba.njit(cache=True)
def af_window_statistics(
    rr: np.ndarray, clean: np.ndarray, p_wave: np.ndarray, starts: np.ndarray, w: int, min_pairs: int
) -> np.ndarray:
    """Per window ``rr[s:s+w]`` (s in ``starts``): the :class:`~ecg.af.AfStatistics` fields.

    Returns ``(n_windows, 7)``: median |dRR| / median RR, irregular fraction, number of pairs, mean rate (bpm),
    pattern ratio, median P-wave consistency, turning-point ratio; a row of NaN (and ``n_pairs`` < ``min_pairs``)
    where the window has too few clean pairs. ``p_wave`` has one value per beat (NaN when unknown).
    """
    n_win = starts.size
    out = np.full((n_win, 7), np.nan)
    drr = np.empty(w)
    vals = np.empty(w + 1)
    lagged = np.empty(w)
    for k in range(n_win):
        s = starts[k]
        # the window through slices: loop-counter indices, no per-element wrap-around checks
        iv = rr[s : s + w]
        ok = clean[s : s + w]
        pw = p_wave[s : s + w + 1]
        # clean intervals and successive pairs
        n_ok = 0
        sum_ok = 0.0
        for i in range(w):
            if ok[i]:
                vals[n_ok] = iv[i]
                n_ok += 1
                sum_ok += iv[i]
        n_pairs = 0
        for i in range(w - 1):
            if ok[i] and ok[i + 1]:
                drr[n_pairs] = abs(iv[i + 1] - iv[i])
                n_pairs += 1
        out[k, 2] = n_pairs
        if n_pairs < min_pairs:
            continue
        med = median_inplace(vals, n_ok)
        d = drr[:n_pairs]
        out[k, 0] = median_inplace(drr, n_pairs) / med
        big = 0
        for i in range(n_pairs):
            if d[i] > _BIG_DRR * med:
                big += 1
        out[k, 1] = big / n_pairs
        out[k, 3] = 60.0 / (sum_ok / n_ok)
        pattern = np.nan
        for lag in (2, 3):
            if w > lag + 2:
                m = 0
                for i in range(w - lag):
                    if ok[i + lag] and ok[i]:
                        lagged[m] = abs(iv[i + lag] - iv[i])
                        m += 1
                if m >= 4:
                    r = median_inplace(lagged, m) / med
                    if np.isnan(pattern) or r < pattern:
                        pattern = r
        out[k, 4] = pattern
        m = 0
        for j in range(w + 1):
            beat_ok = (j < w and ok[j]) or (j > 0 and ok[j - 1])
            if beat_ok and not np.isnan(pw[j]):
                vals[m] = pw[j]
                m += 1
        if m >= 4:
            out[k, 5] = median_inplace(vals, m)
        n_trip = 0
        n_turn = 0
        for i in range(w - 2):
            if ok[i] and ok[i + 1] and ok[i + 2]:
                n_trip += 1
                if (iv[i + 1] - iv[i]) * (iv[i + 2] - iv[i + 1]) < 0:
                    n_turn += 1
        if n_trip >= 4:
            out[k, 6] = n_turn / n_trip
    return out


@numba.njit(cache=True)
def af_record_statistics(
    rr: np.ndarray, clean: np.ndarray, p_wave: np.ndarray, min_pairs: int
) -> tuple[float, float, float, float, float, float, float]:
    """The row of :func:`af_window_statistics` for one window over all of ``rr``, as a tuple (what
    :func:`ecg.af.af_statistics` and the short-record AF rule read)."""
    row = af_window_statistics(rr, clean, p_wave, np.zeros(1, dtype=np.int64), rr.size, min_pairs)[0]
    return row[0], row[1], row[2], row[3], row[4], row[5], row[6]


@numba.njit(cache=True)
def window_rate_statistics(rr: np.ndarray, ok: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per window ``rr[lo[k]:hi[k]]``: median of the ``ok`` intervals (s), their sum (s) and their count.

    Returns ``(n_windows, 3)``; the median is NaN where the window holds no ``ok`` interval.
    This is the loop of :func:`ecg.rhythm.rate_findings` (its reference is ``np.median`` per window).
    """
    n_win = lo.size
    out = np.empty((n_win, 3))
    buf = np.empty(rr.size)
    for k in range(n_win):
        m = 0
        total = 0.0
        for i in range(lo[k], hi[k]):
            if ok[i]:
                buf[m] = rr[i]
                total += rr[i]
                m += 1
        out[k, 0] = median_inplace(buf, m) if m > 0 else np.nan
        out[k, 1] = total
        out[k, 2] = m
    return out


@numba.njit(cache=True)
def repeating_pattern(labels: np.ndarray, period: int, normal: int, ectopic: int, min_repeats: int) -> tuple[int, int]:
    """Episodes of ``min_repeats`` or more back-to-back repeats of ``normal * (period - 1) + ectopic`` in ``labels``.

    Scans left to right and takes the longest episode at each position, without overlap: the matches of the
    regular expression ``(?:N{period-1}V){min_repeats,}`` on the label string (bigeminy: period 2, trigeminy: 3).
    Returns ``(n_episodes, n_repeats)``: the number of episodes and the repeats (ectopic beats) they hold.
    """
    n = labels.size
    n_episodes = 0
    n_repeats = 0
    i = 0
    while i + period * min_repeats <= n:
        reps = 0
        j = i
        while j + period <= n:
            ok = labels[j + period - 1] == ectopic
            for m in range(period - 1):
                if labels[j + m] != normal:
                    ok = False
            if not ok:
                break
            reps += 1
            j += period
        if reps >= min_repeats:
            n_episodes += 1
            n_repeats += reps
            i = j
        else:
            i += 1
    return n_episodes, n_repeats


@numba.njit(cache=True)
def sequence_intervals(
    times: np.ndarray, labels: np.ndarray, interval_ok: np.ndarray, p_wave: np.ndarray, normal: int, ventricular: int,
    unknown: int, af_min_pairs: int,
) -> tuple[np.ndarray, np.ndarray, int, int, float, float, float, float, int, int, tuple[float, ...]]:
    """RR intervals of a beat sequence, which are clean, and the counts and extremes every rhythm rule starts from.

    Returns ``rr`` (s), ``clean`` (``interval_ok`` and both beats ``normal``), then the number of readable and of
    clean intervals, the sum and median (s) of the clean intervals (NaN median when none), the longest interval
    and the longest readable one (s; -inf when none), the numbers of ``ventricular`` and of known (not
    ``unknown``) beats, and :func:`af_record_statistics` of all intervals (``p_wave`` one per beat, NaN when
    unknown). :class:`ecg.rhythm.BeatSequence` computes these once for all findings.
    """
    n = times.size
    m = max(n - 1, 0)
    rr = np.empty(m)
    clean = np.empty(m, dtype=np.bool_)
    buf = np.empty(m)
    n_ok = 0
    n_clean = 0
    total = 0.0
    longest = -np.inf
    longest_ok = -np.inf
    for i in range(m):
        d = times[i + 1] - times[i]
        rr[i] = d
        if d > longest:
            longest = d
        c = False
        if interval_ok[i]:
            n_ok += 1
            if d > longest_ok:
                longest_ok = d
            if labels[i] == normal and labels[i + 1] == normal:
                c = True
                buf[n_clean] = d
                total += d
                n_clean += 1
        clean[i] = c
    med = median_inplace(buf, n_clean) if n_clean > 0 else np.nan
    n_v = 0
    n_known = 0
    for i in range(n):
        if labels[i] == ventricular:
            n_v += 1
        if labels[i] != unknown:
            n_known += 1
    af = af_record_statistics(rr, clean, p_wave, af_min_pairs)
    return rr, clean, n_ok, n_clean, total, med, longest, longest_ok, n_v, n_known, af


@numba.njit(cache=True)
def _outside(t0: float, t1: float, ranges: np.ndarray) -> bool:
    """Whether ``[t0, t1]`` overlaps none of the ``(start, end)`` rows of ``ranges`` (touching is not overlap)."""
    for r in range(ranges.shape[0]):
        if not (t0 >= ranges[r, 1] or t1 <= ranges[r, 0]):
            return False
    return True


@numba.njit(cache=True)
def readable_sequence(
    times: np.ndarray, labels: np.ndarray, ranges: np.ndarray, p_wave: np.ndarray, normal: int, ventricular: int,
    unknown: int, af_min_pairs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, float, float, float, float, int, int, tuple[float, ...]]:
    """:func:`sequence_intervals` of beats whose readable intervals are found here: ``interval_ok`` first, then its
    outputs.

    An interval is readable when neither beat is ``unknown`` and it overlaps none of the ``(start_s, end_s)``
    rows of ``ranges`` (the rule of :meth:`ecg.rhythm.BeatSequence.build`, which calls this kernel).
    """
    m = max(times.size - 1, 0)
    ok = np.empty(m, dtype=np.bool_)
    for i in range(m):
        ok[i] = labels[i] != unknown and labels[i + 1] != unknown and _outside(times[i], times[i + 1], ranges)
    rr, clean, n_ok, n_clean, total, med, longest, longest_ok, n_v, n_known, af = sequence_intervals(
        times, labels, ok, p_wave, normal, ventricular, unknown, af_min_pairs
    )
    return ok, rr, clean, n_ok, n_clean, total, med, longest, longest_ok, n_v, n_known, af


@numba.njit(cache=True)
def usable_intervals(
    times: np.ndarray, ranges: np.ndarray, min_rr_s: float, max_rr_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """RR intervals (s) of increasing beat ``times`` and which are usable for the heart rate: inside
    ``[min_rr_s, max_rr_s]`` and overlapping none of the ``(start_s, end_s)`` rows of ``ranges`` (the rule of
    :func:`ecg.rate.heart_rate`)."""
    m = max(times.size - 1, 0)
    rr = np.empty(m)
    usable = np.empty(m, dtype=np.bool_)
    for i in range(m):
        d = times[i + 1] - times[i]
        rr[i] = d
        usable[i] = d >= min_rr_s and d <= max_rr_s and _outside(times[i], times[i + 1], ranges)
    return rr, usable


@numba.njit(cache=True)
def median_rate_bpm(times: np.ndarray, ranges: np.ndarray, min_rr_s: float, max_rr_s: float) -> float:
    """``60 / median`` of the :func:`usable_intervals` (s); NaN when there is none (:func:`ecg.rate.median_rate_bpm`
    calls this kernel; its reference is :func:`ecg.rate.heart_rate`)."""
    rr, usable = usable_intervals(times, ranges, min_rr_s, max_rr_s)
    buf = np.empty(rr.size)
    k = 0
    for i in range(rr.size):
        if usable[i]:
            buf[k] = rr[i]
            k += 1
    if k == 0:
        return np.nan
    return 60.0 / median_inplace(buf, k)


@numba.njit(cache=True)
def ventricular_runs(
    labels: np.ndarray, normal: int, ventricular: int, min_run: int, min_repeats: int
) -> tuple[np.ndarray, int, int, int, int, int, int, int, int]:
    """The runs of ``ventricular`` labels and the PVC pattern counts of :func:`ecg.rhythm.ventricular_findings`.

    Returns the ``[start, stop)`` rows of the runs of at least ``min_run`` beats (the VT candidates), the numbers
    of single beats and of couplets, the first and last ventricular beat (-1 when none), and
    :func:`repeating_pattern` of period 2 (bigeminy) and 3 (trigeminy), each ``(n_episodes, n_repeats)``.
    """
    runs = runs_of(labels, ventricular)
    first = runs[0, 0] if runs.shape[0] else -1
    last = runs[-1, 1] - 1 if runs.shape[0] else -1
    n_single = 0
    n_couplets = 0
    n_long = 0
    for k in range(runs.shape[0]):
        n = runs[k, 1] - runs[k, 0]
        if n == 1:
            n_single += 1
        elif n == 2:
            n_couplets += 1
        if n >= min_run:
            runs[n_long] = runs[k]
            n_long += 1  # in place: row n_long <= k is read already
    n_big, big_beats = repeating_pattern(labels, 2, normal, ventricular, min_repeats)
    n_tri, tri_beats = repeating_pattern(labels, 3, normal, ventricular, min_repeats)
    return runs[:n_long].copy(), n_single, n_couplets, first, last, n_big, big_beats, n_tri, tri_beats
