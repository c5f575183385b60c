"""Numba kernels behind :mod:`ecg.quality` (private; callers validate, kernels trust).

Window features and the beat-template correlation, for every lead of a ``(n_samples, n_leads)`` record in
one call; :mod:`ecg._quality_grading` turns them into levels. Selection helpers come from :mod:`ecg._stats`.
Plain-Python references live in ``tests/ecg/test_quality.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._stats import center_columns
from ._stats import median_inplace as _median
from ._stats import select as _select

__all__ = ["N_FEATURES", "F_MASKED", "F_FLAT", "F_SATURATED", "F_PTP", "F_KURTOSIS", "F_SLOPE_CONC", "F_BASELINE",
           "window_features", "template_correlation", "beats_at_rate"]

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
#: the slope-energy threshold of a window: this times the previous window's k-th largest energy
_HINT_SCALE = 0.6


@njit(cache=True)
def _top_sum(values: np.ndarray, n: int, k: int, scratch: np.ndarray) -> float:
    """Sum of the ``k`` largest of ``values[:n]`` (``1 <= k <= n``), exactly; see :func:`_top_sum_hinted`."""
    return _top_sum_hinted(values, n, k, scratch, 0.0)[0]


@njit(cache=True)
def _top_sum_hinted(values: np.ndarray, n: int, k: int, scratch: np.ndarray, hint: float) -> tuple[float, float]:
    """Sum of the ``k`` largest of ``values[:n]`` (``1 <= k <= n``, values >= 0), exactly, and the ``k``-th
    largest value.

    Only the values at or above a threshold are partitioned (quickselect, :func:`_select`): ``hint`` when
    positive (a value expected a little below the ``k``-th largest, e.g. from the previous, overlapping
    window), else one estimated from every 8th value. When fewer than ``k`` values pass (rare), the next
    estimate, then all ``n`` values are partitioned. ``scratch`` holds at least ``n`` floats.
    """
    for attempt in range(2):
        if attempt == 0:
            if not hint > 0.0:
                continue
            t = hint
        else:
            if n < 128:
                break
            m = 0
            for i in range(0, n, 8):
                scratch[m] = values[i]
                m += 1
            rank = m - 2 - int(1.6 * k * m / n)
            if rank <= 0:
                break
            t = _select(scratch, m, rank)
        c = 0
        for i in range(n):  # branchless compaction of the values >= t
            v = values[i]
            scratch[c] = v
            c += v >= t
        if c >= k:
            kth = _select(scratch, c, c - k)
            total = 0.0
            for i in range(c - k, c):
                total += scratch[i]
            return total, kth
    for i in range(n):
        scratch[i] = values[i]
    kth = _select(scratch, n, n - k)
    total = 0.0
    for i in range(n - k, n):
        total += scratch[i]
    return total, kth


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

    When a window is a whole number of hops (the default 4 s / 2 s), every sample is visited once:
    the record is cut into hop-long segments whose partial results (mask counts, shifted power sums,
    extremes, moving-mean extremes, slope energies) are computed once and combined per window
    (:func:`_window_features_segments`); otherwise windows are scanned one by one.

    Parameters
    ----------
    y
        ``(n, n_leads)`` filtered signal, NaN where not valid (in particular wherever a mask is set).
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
    if win % hop == 0 and hop % stride == 0 and smooth - 1 <= hop:
        return _window_features_segments(y, missing, flat, saturated, win, hop, n_windows, stride, smooth)
    return _window_features_direct(y, missing, flat, saturated, win, hop, n_windows, stride, smooth)


@njit(cache=True)
def _clean_segment(seg: np.ndarray, back: np.ndarray, before: float, head: int, acc: float,
                   out: np.ndarray) -> tuple:  # pragma: no cover - compiled
    """The per-segment pass of :func:`_window_features_segments` for a segment ``seg`` without gaps (hence,
    the lead being NaN where masked, without masks) whose moving sum needs no test (stride 1): the same
    operations in the same order, without the tests. ``back[i]`` is the sample leaving the moving sum as
    ``seg[i]`` enters it (0 while the sum fills up at the record start), ``acc`` the sum before ``seg[0]``
    and ``before`` the sample before it; the extremes of the first ``head`` sums and of the rest are kept
    apart; slope energies go to ``out``. A gap makes the first result (the sum of deviations) NaN: the
    caller then takes the general path."""
    m = seg.shape[0]
    shift = seg[0]
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    lo = np.inf
    hi = -np.inf
    h_lo = np.inf
    h_hi = -np.inf
    t_lo = np.inf
    t_hi = -np.inf
    slope_total = 0.0
    boundary = 0.0
    head = min(head, m)
    a = before
    for i in range(m):
        v = seg[i]
        dv = v - shift
        d2 = dv * dv
        s1 += dv
        s2 += d2
        s3 += d2 * dv
        s4 += d2 * d2
        lo = min(lo, v)
        hi = max(hi, v)
        acc += v - back[i]
        if i < head:
            h_lo = min(h_lo, acc)
            h_hi = max(h_hi, acc)
        else:
            t_lo = min(t_lo, acc)
            t_hi = max(t_hi, acc)
        sq = (v - a) * (v - a)
        out[i] = sq
        if i == 0:
            boundary = sq
        else:
            slope_total += sq
        a = v
    return s1, s2, s3, s4, lo, hi, h_lo, h_hi, t_lo, t_hi, slope_total, boundary, acc


# per-segment partial results of _window_features_segments
_S_COUNT, _S_SHIFT, _S_S1, _S_S2, _S_S3, _S_S4, _S_LO, _S_HI = 0, 1, 2, 3, 4, 5, 6, 7
_S_HEAD_LO, _S_HEAD_HI, _S_TAIL_LO, _S_TAIL_HI, _S_SLOPE_TOTAL, _S_BOUNDARY = 8, 9, 10, 11, 12, 13
_N_S = 14


@njit(cache=True)
def _window_features_segments(
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
    """:func:`window_features` for ``win`` a multiple of ``hop``, ``hop`` of ``stride``, ``smooth <= hop + 1``.

    Segment ``g`` is ``[g * hop, (g + 1) * hop)``; window ``k`` is segments ``k .. k + win / hop - 1``
    (clipped). Per segment and lead, in one visit of its samples:

    * mask counts;
    * power sums ``S_p = sum (v - c)^p``, ``p = 1..4``, about the segment's first valid value ``c``; a
      window re-centres them exactly (binomial expansion) on its own first valid value before the
      moments, so large offsets cancel as in a one-window pass (Pebay, Sandia report SAND2008-6212);
    * extremes of the valid values;
    * extremes of the running ``smooth``-sample sum over the positions whose last ``smooth`` samples are
      valid, split into the first ``smooth - 1`` positions (which reach back before the segment, outside
      a window that starts there) and the rest;
    * the slope energies ``(y[i] - y[i - stride])^2`` (``i`` a multiple of ``stride`` from the segment
      start; the first one, reaching back into the previous segment, kept apart), stored contiguously,
      so a window's energies are one slice for :func:`_top_sum`.
    """
    n, n_leads = y.shape
    out = np.full((n_windows, n_leads, N_FEATURES), np.nan)
    q = win // hop
    n_seg = (n + hop - 1) // hop
    stats = np.empty((n_seg, _N_S))
    counts = np.zeros((n_seg, 3), dtype=np.int64)  # masked, flat, saturated
    has_boundary = np.zeros(n_seg, dtype=np.bool_)
    offset = np.zeros(n_seg + 1, dtype=np.int64)
    slopes = np.empty(n + 1)
    scratch = np.empty(win + 1)
    back0 = np.empty(hop)
    for lead in range(n_leads):
        x = np.ascontiguousarray(y[:, lead])  # (a view when y has one lead)
        run = 0  # valid (non-NaN) samples ending at i, across segments
        acc = 0.0
        n_slope = 0
        for g in range(n_seg):
            start = g * hop
            stop = min(start + hop, n)
            # re-sum the running window exactly at each segment start (no drift along the record)
            acc = 0.0
            for i in range(start - min(run, smooth), start):
                acc += y[i, lead]
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
            h_lo = np.inf
            h_hi = -np.inf
            t_lo = np.inf
            t_hi = -np.inf
            slope_total = 0.0
            offset[g] = n_slope
            has_boundary[g] = False
            head_end = start + smooth - 1
            first_seg = g == 0 and stop - start >= smooth
            if stride == 1 and stop > start and (run >= smooth or first_seg):
                # optimistically the same operations without the tests; valid when the segment has no gap
                # (its sum of deviations is then finite), so no mask either (masked samples are NaN)
                if g == 0:  # the moving sum fills up over the record's first samples
                    back = back0[: stop - start]
                    back[:smooth] = 0.0
                    back[smooth:] = x[: stop - start - smooth]
                    before = x[0]  # (no sample before the record: a zero slope in the boundary slot)
                else:
                    back = x[start - smooth : stop - smooth]
                    before = x[start - 1]
                clean = _clean_segment(x[start:stop], back, before, smooth - 1, acc, slopes[n_slope:])
                if clean[0] == clean[0]:
                    s1, s2, s3, s4, lo, hi, h_lo, h_hi, t_lo, t_hi, slope_total, boundary, acc = clean
                    if g == 0:  # no window reads the first segment's head sums nor its boundary slope
                        h_lo = np.inf
                        h_hi = -np.inf
                    shift = y[start, lead]
                    count = stop - start
                    run += count
                    n_slope += count
                    has_boundary[g] = True
                    stats[g, _S_BOUNDARY] = boundary
            phase = 0  # (i - start) % stride, by counting
            for i in range(start, stop if count == 0 else start):
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
                    run += 1
                    if run > smooth:
                        acc += v - y[i - smooth, lead]
                    else:
                        acc += v
                    if run >= smooth:
                        if i < head_end:
                            h_lo = min(h_lo, acc)
                            h_hi = max(h_hi, acc)
                        else:
                            t_lo = min(t_lo, acc)
                            t_hi = max(t_hi, acc)
                if phase == 0 and i >= stride:
                    a = y[i - stride, lead]
                    if a == a and v == v:
                        sq = (v - a) * (v - a)
                        slopes[n_slope] = sq
                        n_slope += 1
                        if i == start:
                            has_boundary[g] = True
                            stats[g, _S_BOUNDARY] = sq
                        else:
                            slope_total += sq
                phase += 1
                if phase == stride:
                    phase = 0
            counts[g, 0] = n_masked
            counts[g, 1] = n_flat
            counts[g, 2] = n_sat
            st = stats[g]
            st[_S_COUNT] = count
            st[_S_SHIFT] = shift
            st[_S_S1] = s1
            st[_S_S2] = s2
            st[_S_S3] = s3
            st[_S_S4] = s4
            st[_S_LO] = lo
            st[_S_HI] = hi
            st[_S_HEAD_LO] = h_lo
            st[_S_HEAD_HI] = h_hi
            st[_S_TAIL_LO] = t_lo
            st[_S_TAIL_HI] = t_hi
            st[_S_SLOPE_TOTAL] = slope_total
        offset[n_seg] = n_slope
        kth = 0.0  # k-th largest slope energy of the previous window (0: none)
        for k in range(n_windows):
            start = k * hop
            stop = min(start + win, n)
            length = stop - start
            if length <= 0:
                continue
            g_end = min(k + q, n_seg)
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
            b_lo = stats[k, _S_TAIL_LO]
            b_hi = stats[k, _S_TAIL_HI]
            slope_total = stats[k, _S_SLOPE_TOTAL]
            for g in range(k, g_end):
                n_masked += counts[g, 0]
                n_flat += counts[g, 1]
                n_sat += counts[g, 2]
                st = stats[g]
                c = st[_S_COUNT]
                if c > 0:
                    if count == 0:
                        shift = st[_S_SHIFT]
                        s1 = st[_S_S1]
                        s2 = st[_S_S2]
                        s3 = st[_S_S3]
                        s4 = st[_S_S4]
                    else:  # sum (v - shift)^p from sum (v - c_g)^p, with v - shift = (v - c_g) + e
                        e = st[_S_SHIFT] - shift
                        t1 = st[_S_S1]
                        t2 = st[_S_S2]
                        t3 = st[_S_S3]
                        t4 = st[_S_S4]
                        e2 = e * e
                        s4 += t4 + 4.0 * e * t3 + 6.0 * e2 * t2 + 4.0 * e2 * e * t1 + c * e2 * e2
                        s3 += t3 + 3.0 * e * t2 + 3.0 * e2 * t1 + c * e2 * e
                        s2 += t2 + 2.0 * e * t1 + c * e2
                        s1 += t1 + c * e
                    count += int(c)
                    lo = min(lo, st[_S_LO])
                    hi = max(hi, st[_S_HI])
                if g > k:
                    b_lo = min(b_lo, min(st[_S_HEAD_LO], st[_S_TAIL_LO]))
                    b_hi = max(b_hi, max(st[_S_HEAD_HI], st[_S_TAIL_HI]))
                    slope_total += st[_S_SLOPE_TOTAL]
                    if has_boundary[g]:
                        slope_total += st[_S_BOUNDARY]
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
                out[k, lead, F_BASELINE] = b_hi / smooth - b_lo / smooth
            out[k, lead, F_KURTOSIS] = m4 / (m2 * m2) if m2 > 1e-12 * (s2 / count) and m2 > 0 else np.nan
            first = offset[k] + has_boundary[k]  # the window's slope energies: one slice
            n_win_slope = offset[g_end] - first
            if n_win_slope < 8 or slope_total <= 0:
                continue
            n_top = max(1, int(_TOP_SHARE * n_win_slope))
            # the previous window shares a segment: a little below its k-th largest energy is a good threshold
            top, kth = _top_sum_hinted(slopes[first:], n_win_slope, n_top, scratch, _HINT_SCALE * kth)
            out[k, lead, F_SLOPE_CONC] = top / slope_total
    return out


@njit(cache=True)
def _window_features_direct(
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
    """:func:`window_features` window by window (every sample visited once per window covering it).

    The general path, for any ``win`` / ``hop`` / ``stride``; :func:`window_features` takes it when the
    windows are not whole numbers of hops.
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
                    if run >= smooth:  # (x / smooth is monotone: divide the extremes once)
                        b_lo = min(b_lo, acc)
                        b_hi = max(b_hi, acc)
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
                out[k, lead, F_BASELINE] = b_hi / smooth - b_lo / smooth
            out[k, lead, F_KURTOSIS] = m4 / (m2 * m2) if m2 > 1e-12 * (s2 / count) and m2 > 0 else np.nan
            if n_slope < 8 or slope_total <= 0:
                continue
            n_top = max(1, int(_TOP_SHARE * n_slope))
            out[k, lead, F_SLOPE_CONC] = _top_sum(slope_sq, n_slope, n_top, heap) / slope_total
    return out


@njit(cache=True)
def _beat_segments(
    x: np.ndarray, beats: np.ndarray, half: int, dev: np.ndarray, s_sss: np.ndarray, usable: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Per beat ``j`` of the lead ``x``: whether its segment ``x[b - half : b + half]`` lies inside the record and
    has no NaN (``usable[j]``), its deviations from its own mean (column ``dev[:, j]``) and their sum of
    squares (``s_sss[j]``). The columns are filled together, row by row (one running sum per beat, each
    in sample order), so the per-beat sums advance side by side instead of one long dependency chain each."""
    n = x.shape[0]
    n_beats = beats.shape[0]
    seg_len = 2 * half
    for j in range(n_beats):
        b = beats[j]
        ok = b - half >= 0 and b + half <= n
        if ok:
            seg = x[b - half : b + half]
            for i in range(seg_len):
                v = seg[i]
                ok = ok and v == v
                dev[i, j] = v
        else:
            for i in range(seg_len):
                dev[i, j] = 0.0
        usable[j] = ok
    center_columns(dev, s_sss)  # (s_sss holds the means first, then the sums of squares)
    s_sss[:n_beats] = 0.0
    for i in range(seg_len):
        row = dev[i]
        for j in range(n_beats):
            s_sss[j] += row[j] * row[j]


@njit(cache=True)
def template_correlation(y: np.ndarray, beats: np.ndarray, half: int, win: int, hop: int, n_windows: int) -> np.ndarray:
    """Median Pearson correlation of each beat with its window's mean beat, per window and lead.

    Beats are segments ``y[b - half : b + half]`` around the QRS sample indices ``beats``
    (sorted, int64); beats whose segment leaves the record or holds NaN are skipped. A
    window needs at least 3 usable beats, otherwise its value is NaN (template-matching SQI,
    Orphanidou et al., IEEE JBHI 19:832-838, 2015). Whether a beat is usable, its deviations from its
    mean and their sum of squares are computed once per beat and lead (:func:`_beat_segments`), not once per
    window; a window's cross products run over its beats side by side (each sum in sample order).
    """
    n, n_leads = y.shape
    n_beats = beats.shape[0]
    out = np.full((n_windows, n_leads), np.nan)
    seg_len = 2 * half
    template = np.empty(seg_len)
    corrs = np.empty(n_beats)
    cross = np.empty(n_beats)
    usable = np.empty(n_beats, dtype=np.bool_)
    s_sss = np.empty(n_beats)
    dev = np.empty((seg_len, n_beats))  # beat j's segment, less its mean, in column j
    for lead in range(n_leads):
        x = np.ascontiguousarray(y[:, lead])  # (a view when y has one lead)
        _beat_segments(x, beats, half, dev, s_sss, usable)
        first = 0
        for k in range(n_windows):
            start = k * hop
            stop = min(start + win, n)
            while first < n_beats and beats[first] < start:
                first += 1
            last = first
            used = 0
            while last < n_beats and beats[last] < stop:
                used += usable[last]
                last += 1
            if used < 3:
                continue
            # pass 1: template (the usable beats' mean, from their samples)
            template[:] = 0.0
            for j in range(first, last):
                if usable[j]:
                    seg = x[beats[j] - half : beats[j] + half]
                    for i in range(seg_len):
                        template[i] += seg[i]
            t_mean = 0.0
            for i in range(seg_len):
                template[i] /= used
                t_mean += template[i]
            t_mean /= seg_len
            t_ss = 0.0
            for i in range(seg_len):
                template[i] -= t_mean
                t_ss += template[i] ** 2
            # pass 2: correlations
            cross[first:last] = 0.0
            for i in range(seg_len):
                row = dev[i]
                t = template[i]
                for j in range(first, last):
                    cross[j] += row[j] * t
            n_corr = 0
            for j in range(first, last):
                if usable[j]:
                    denom = np.sqrt(s_sss[j] * t_ss)
                    corrs[n_corr] = cross[j] / denom if denom > 0 else 0.0
                    n_corr += 1
            out[k, lead] = _median(corrs, n_corr)
    return out


@njit(cache=True)
def beats_at_rate(beats: np.ndarray, n: int, d: int) -> tuple[np.ndarray, bool]:
    """``beats // d`` (a fresh int64 array) when ``beats`` is non-decreasing within ``[0, n)``.

    Returns ``(out, ok)``; when ``ok`` is False (unsorted or out of range) ``out`` is meaningless and the
    caller takes its general path (sort, check, divide).
    """
    m = beats.shape[0]
    out = np.empty(m, dtype=np.int64)
    if m == 0:
        return out, True
    if beats[0] < 0 or beats[m - 1] >= n:
        return out, False
    prev = beats[0]
    for i in range(m):
        v = beats[i]
        if v < prev:
            return out, False
        prev = v
        out[i] = v // d
    return out, True
