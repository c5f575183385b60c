"""Numba kernels behind :mod:`ecg.quality` (private; callers validate, kernels trust).

Window features are computed for every lead of a ``(n_samples, n_leads)`` record in one call.
Plain-Python references live in ``tests/ecg/test_quality.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["N_FEATURES", "F_MASKED", "F_FLAT", "F_SATURATED", "F_PTP", "F_KURTOSIS", "F_SLOPE_CONC", "F_BASELINE",
           "window_features", "template_correlation"]

#: feature columns of :func:`window_features`
F_MASKED = 0  # fraction of the window that is missing / flat / saturated
F_FLAT = 1  # fraction of the window that is flat (lead off)
F_SATURATED = 2  # fraction of the window at the ADC rail
F_PTP = 3  # peak-to-peak amplitude of the valid filtered samples (mV)
F_KURTOSIS = 4  # kurtosis (Pearson, normal = 3) of the filtered samples, kSQI
F_SLOPE_CONC = 5  # share of slope energy in the steepest 10 % of samples
F_BASELINE = 6  # range of the moving mean over `smooth` samples (mV): baseline jumps, motion
N_FEATURES = 7

_TOP_SHARE = 0.10


@njit(cache=True)
def _select(a: np.ndarray, n: int, r: int) -> float:
    """Rearrange ``a[:n]`` in place so that ``a[r]`` is the value of rank ``r`` (ascending), ``a[r:]``
    the larger ones; return ``a[r]`` (Hoare's quickselect with a median-of-three pivot)."""
    lo = 0
    hi = n - 1
    while hi > lo:
        mid = (lo + hi) >> 1
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if r <= j:
            hi = j
        elif r >= i:
            lo = i
        else:
            break
    return a[r]


@njit(cache=True)
def _top_sum(values: np.ndarray, n: int, k: int, scratch: np.ndarray) -> float:
    """Sum of the ``k`` largest of ``values[:n]`` (``1 <= k <= n``), exactly.

    A threshold is first estimated from every 8th value (a little below the expected k-th largest);
    only the values at or above it are then partitioned. When fewer than ``k`` values pass (rare),
    all ``n`` are partitioned. ``scratch`` holds at least ``n`` floats.
    """
    if n >= 128:
        m = 0
        for i in range(0, n, 8):
            scratch[m] = values[i]
            m += 1
        rank = m - 2 - int(1.6 * k * m / n)
        if rank > 0:
            t = _select(scratch, m, rank)
            c = 0
            for i in range(n):
                v = values[i]
                if v >= t:
                    scratch[c] = v
                    c += 1
            if c >= k:
                _select(scratch, c, c - k)
                total = 0.0
                for i in range(c - k, c):
                    total += scratch[i]
                return total
    for i in range(n):
        scratch[i] = values[i]
    _select(scratch, n, n - k)
    total = 0.0
    for i in range(n - k, n):
        total += scratch[i]
    return total


@njit(cache=True)
def window_features(
    y: np.ndarray,
    missing: np.ndarray,
    flat: np.ndarray,
    saturated: np.ndarray,
    win: int,
    hop: int,
    n_windows: int,
    stride: int,
    smooth: int,
) -> np.ndarray:
    """Features of windows ``[k * hop, k * hop + win)`` (clipped to the record) per lead.

    Parameters
    ----------
    y
        ``(n, n_leads)`` filtered signal (NaN where not valid).
    missing, flat, saturated
        ``(n, n_leads)`` boolean masks from preprocessing.
    win, hop
        Window length and hop in samples (``win >= 2``).
    n_windows
        Number of windows.
    stride
        Slopes are differences over ``stride`` samples taken every ``stride`` samples (an
        effective rate of about 250 Hz for a band-limited signal, whatever ``fs``).
    smooth
        Length in samples of the moving mean whose range is :data:`F_BASELINE` (NaN when no
        run of ``smooth`` valid samples exists).

    Returns
    -------
    numpy.ndarray
        ``(n_windows, n_leads, N_FEATURES)``; statistics of a window with fewer than
        8 valid samples are NaN.
    """
    n, n_leads = y.shape
    out = np.full((n_windows, n_leads, N_FEATURES), np.nan)
    slope_sq = np.empty(win)
    heap = np.empty(win)
    for lead in range(n_leads):
        for k in range(n_windows):
            start = k * hop
            stop = min(start + win, n)
            length = stop - start
            if length <= 0:
                continue
            # one pass: masks, shifted power sums (moments), extremes, moving mean, slopes
            n_masked = 0
            n_flat = 0
            n_sat = 0
            count = 0
            shift = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            s4 = 0.0
            lo = np.inf
            hi = -np.inf
            run = 0
            acc = 0.0
            b_lo = np.inf
            b_hi = -np.inf
            n_slope = 0
            slope_total = 0.0
            phase = 0  # (i - start) % stride, by counting
            for i in range(start, stop):
                f = flat[i, lead]
                sa = saturated[i, lead]
                n_flat += f
                n_sat += sa
                v = y[i, lead]
                if v != v:
                    run = 0
                    acc = 0.0
                    n_masked += 1
                else:
                    if missing[i, lead] or f or sa:
                        n_masked += 1
                    else:
                        if count == 0:
                            shift = v
                        dv = v - shift
                        d2 = dv * dv
                        s1 += dv
                        s2 += d2
                        s3 += d2 * dv
                        s4 += d2 * d2
                        count += 1
                        lo = min(lo, v)
                        hi = max(hi, v)
                    acc += v
                    run += 1
                    if run > smooth:
                        acc -= y[i - smooth, lead]
                    if run >= smooth:
                        mean_s = acc / smooth
                        b_lo = min(b_lo, mean_s)
                        b_hi = max(b_hi, mean_s)
                if phase == 0 and i >= start + stride:
                    a = y[i - stride, lead]
                    if a == a and v == v:
                        sq = (v - a) * (v - a)
                        slope_sq[n_slope] = sq
                        slope_total += sq
                        n_slope += 1
                phase += 1
                if phase == stride:
                    phase = 0
            out[k, lead, F_MASKED] = n_masked / length
            out[k, lead, F_FLAT] = n_flat / length
            out[k, lead, F_SATURATED] = n_sat / length
            if count < 8:
                continue
            mu = s1 / count
            m2 = s2 / count - mu * mu
            m4 = s4 / count - 4.0 * mu * s3 / count + 6.0 * mu * mu * s2 / count - 3.0 * mu ** 4
            out[k, lead, F_PTP] = hi - lo
            if b_hi >= b_lo:
                out[k, lead, F_BASELINE] = b_hi - b_lo
            out[k, lead, F_KURTOSIS] = m4 / (m2 * m2) if m2 > 1e-12 * (s2 / count) and m2 > 0 else np.nan
            if n_slope < 8 or slope_total <= 0:
                continue
            n_top = max(1, int(_TOP_SHARE * n_slope))
            out[k, lead, F_SLOPE_CONC] = _top_sum(slope_sq, n_slope, n_top, heap) / slope_total
    return out


@njit(cache=True, inline="always")
def _segment_usable(y: np.ndarray, b: int, half: int, seg_len: int, lead: int) -> bool:  # pragma: no cover
    """Whether the beat segment ``y[b - half : b - half + seg_len, lead]`` lies inside the record and has no NaN."""
    if b - half < 0 or b + half > y.shape[0]:
        return False
    for i in range(seg_len):
        v = y[b - half + i, lead]
        if v != v:
            return False
    return True


@njit(cache=True)
def template_correlation(y: np.ndarray, beats: np.ndarray, half: int, win: int, hop: int, n_windows: int) -> np.ndarray:
    """Median Pearson correlation of each beat with its window's mean beat, per window and lead.

    Beats are segments ``y[b - half : b + half]`` around the QRS sample indices ``beats``
    (sorted, int64); beats whose segment leaves the record or holds NaN are skipped. A
    window needs at least 3 usable beats, otherwise its value is NaN (template-matching SQI,
    Orphanidou et al., IEEE JBHI 19:832-838, 2015).
    """
    n, n_leads = y.shape
    out = np.full((n_windows, n_leads), np.nan)
    seg_len = 2 * half
    template = np.empty(seg_len)
    corrs = np.empty(beats.shape[0])
    for lead in range(n_leads):
        first = 0
        for k in range(n_windows):
            start = k * hop
            stop = min(start + win, n)
            while first < beats.shape[0] and beats[first] < start:
                first += 1
            # pass 1: template
            template[:] = 0.0
            used = 0
            j = first
            while j < beats.shape[0] and beats[j] < stop:
                b = beats[j]
                j += 1
                if not _segment_usable(y, b, half, seg_len, lead):
                    continue
                for i in range(seg_len):
                    template[i] += y[b - half + i, lead]
                used += 1
            if used < 3:
                continue
            t_mean = 0.0
            for i in range(seg_len):
                template[i] /= used
                t_mean += template[i]
            t_mean /= seg_len
            t_ss = 0.0
            for i in range(seg_len):
                t_ss += (template[i] - t_mean) ** 2
            # pass 2: correlations
            n_corr = 0
            j = first
            while j < beats.shape[0] and beats[j] < stop:
                b = beats[j]
                j += 1
                if not _segment_usable(y, b, half, seg_len, lead):
                    continue
                s_mean = 0.0
                for i in range(seg_len):
                    s_mean += y[b - half + i, lead]
                s_mean /= seg_len
                cross = 0.0
                s_ss = 0.0
                for i in range(seg_len):
                    d = y[b - half + i, lead] - s_mean
                    cross += d * (template[i] - t_mean)
                    s_ss += d * d
                denom = np.sqrt(s_ss * t_ss)
                corrs[n_corr] = cross / denom if denom > 0 else 0.0
                n_corr += 1
            out[k, lead] = np.median(corrs[:n_corr])
    return out
