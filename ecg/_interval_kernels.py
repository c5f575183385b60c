"""Numba kernels of the interval measurement (private; callers validate, inputs are finite float64).

The median beat is the sample-wise median of a few dozen beat windows of a multi-lead signal; the
windows are gathered block by block of columns and sorted with a data-independent (Batcher odd-even
merge) network that runs over all columns of a block at once, which beats a per-column selection.
"""

from __future__ import annotations

import numba
import numpy as np

from ._stats import merge_network, sort_columns

__all__ = ["finite_share_and_box", "median_of_rows", "spatial_velocity", "tangent_t_ends"]

_BLOCK = 256  # columns per block: m rows x 256 doubles stay in the L1/L2 cache


@numba.njit(cache=True)
def median_of_rows(src: np.ndarray, offsets: np.ndarray, d: int) -> np.ndarray:
    """``median_r src[offsets[r] : offsets[r] + d]`` (1-D ``src``; NumPy's median: the mean of the two
    middle values for an even count). All windows must lie inside ``src``; at least one offset."""
    m = offsets.shape[0]
    out = np.empty(d)
    buf = np.empty((m, _BLOCK))
    net = merge_network(m)
    h = m // 2
    for c0 in range(0, d, _BLOCK):
        nb = min(_BLOCK, d - c0)
        for r in range(m):
            base = offsets[r] + c0
            row = buf[r]
            for c in range(nb):
                row[c] = src[base + c]
        sort_columns(buf, net, 0, nb)
        for c in range(nb):
            out[c0 + c] = buf[h, c] if m % 2 else (buf[h - 1, c] + buf[h, c]) / 2.0
    return out


@numba.njit(cache=True)
def spatial_velocity(x: np.ndarray, starts: np.ndarray, w: int) -> np.ndarray:
    """``(n_beats, w)``: ``sum_leads |x[s + t + 1] - x[s + t]|`` of the window at each start (0 at ``t = w - 1``)."""
    n_leads = x.shape[1]
    out = np.zeros((starts.shape[0], w))
    for r in range(starts.shape[0]):
        s = starts[r]
        for t in range(w - 1):
            acc = 0.0
            for j in range(n_leads):
                acc += abs(x[s + t + 1, j] - x[s + t, j])
            out[r, t] = acc
    return out


@numba.njit(cache=True)
def finite_share_and_box(x: np.ndarray, stop: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass over ``x`` (``(n, n_leads)``): the share of finite samples of every lead (all rows) and
    the ``(stop // factor, n_leads)`` means of every block of ``factor`` rows of ``x[:stop]`` (a boxcar
    anti-alias; NaN propagates into its block, where :func:`ecg.preprocess.preprocess` masks it)."""
    n, n_leads = x.shape
    n_out = stop // factor
    out = np.zeros((n_out, n_leads))
    cnt = np.zeros(n_leads)
    for i in range(n):
        o = i // factor
        for j in range(n_leads):
            v = x[i, j]
            if np.isfinite(v):
                cnt[j] += 1.0
            if o < n_out:
                out[o, j] += v
    for o in range(n_out):
        for j in range(n_leads):
            out[o, j] /= factor
    return cnt / max(n, 1), out


@numba.njit(cache=True)
def tangent_t_ends(
    med: np.ndarray, baselines: np.ndarray, qrs_off: int, start_gap: int, min_len: int, smooth_n: int,
    search: int, max_over: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Tangent-method T end of every lead (column) of the median beat ``med`` (``(n, n_leads)``).

    Per lead: ``seg`` = the beat from ``a = qrs_off + start_gap`` on, minus the lead's baseline, smoothed
    by a centred moving average of ``smooth_n`` samples (NumPy's ``convolve(..., "same")``); the T peak
    is its largest absolute value; the steepest slope back towards the baseline within ``search`` samples
    after the peak (central differences, as ``np.gradient``) gives the tangent, whose zero crossing is the
    T end. Returns ``(t_end, amplitude)``: the T end (sample index in ``med``; NaN when there is none: a
    segment shorter than ``min_len``, a T wave under 0.1 mV, no slope back, or a crossing later than
    ``max_over`` samples past the end) and ``|T peak|`` (mV; 0 for a too-short segment).
    """
    n, n_leads = med.shape
    t_end = np.full(n_leads, np.nan)
    amp_out = np.zeros(n_leads)
    a = qrs_off + start_gap
    m = n - a
    if m < min_len or m <= 0:
        return t_end, amp_out
    seg = np.empty(m)
    raw = np.empty(m)
    d = np.empty(m)
    half = (smooth_n - 1) // 2
    w = 1.0 / smooth_n
    for j in range(n_leads):
        for i in range(m):
            raw[i] = med[a + i, j] - baselines[j]
        for i in range(m):  # convolve(raw, ones(n) / n, "same"): raw[i + half - t] for t = 0..n-1 inside
            acc = 0.0
            for t in range(smooth_n):
                q = i + half - t
                if 0 <= q < m:
                    acc += raw[q] * w
            seg[i] = acc
        p = 0
        for i in range(1, m):
            if abs(seg[i]) > abs(seg[p]):
                p = i
        amp = seg[p]
        amp_out[j] = abs(amp)
        if abs(amp) < 0.1 or p >= m - 3:
            continue
        if m == 1:
            continue
        d[0] = seg[1] - seg[0]
        d[m - 1] = seg[m - 1] - seg[m - 2]
        for i in range(1, m - 1):
            d[i] = (seg[i + 1] - seg[i - 1]) / 2.0
        sgn = 1.0 if amp > 0 else -1.0
        stop_k = min(m, p + search)
        k = p
        for i in range(p + 1, stop_k):
            if d[i] * -sgn > d[k] * -sgn:
                k = i
        slope = d[k]
        if slope == 0.0 or (slope > 0) == (amp > 0):
            continue
        te = k - seg[k] / slope
        if not (k <= te < m + max_over):
            continue
        t_end[j] = a + te
    return t_end, amp_out
