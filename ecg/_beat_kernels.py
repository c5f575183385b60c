"""Numba kernels of the beat classifier (private; callers validate and trust nothing else).

Inputs are float64 arrays without NaN unless a kernel says otherwise; no checks are made here.
:func:`classify` runs all of :func:`ecg.beats.classify_beats` after validation and lead choice in one
call (window cuts, :func:`cluster_beats`, widths, prematurity, dominant template, correlation and
amplitude, :func:`pacer_spikes`, the label rules, :func:`p_wave_consistency`): on short records the
per-call overhead of many small NumPy operations used to dominate. Sums keep the index order of the
plain loops they replace (bit-identical results), except in the P-wave consistency (within 1e-14).
"""

from __future__ import annotations

import numba
import numpy as np

from ._stats import center_columns, median_sorted, merge_network, sort_columns

__all__ = [
    "cluster_beats",
    "aligned_correlation",
    "correlate_block",
    "lag_roots",
    "qrs_extent",
    "sharp_deflections",
    "beat_windows",
    "running_median",
    "pacer_spikes",
    "any_nonfinite",
    "p_wave_consistency",
    "classify",
    "finite_share",
    "increasing_within",
]


_FEW_TEMPLATES = 6  # up to this many templates, score them one by one; beyond, all in one vectorised pass
_BLOCK = 64  # beats per transposed block of the vectorised passes (:func:`lag_roots`, :func:`_aligned`)


def _median_networks(max_m: int) -> tuple[np.ndarray, np.ndarray]:
    """For every ``m <= max_m``, the comparators of :func:`~ecg._stats.merge_network` of ``m`` values that the
    middle row(s) of the sorted result depend on (row ``m // 2``, and ``m // 2 - 1`` for even ``m``): the other
    comparators only order other rows. Returns all of them stacked, ``(n, 2)``, and where those of each ``m``
    start (``(max_m + 2,)``: ``m``'s are rows ``at[m] : at[m + 1]``)."""
    parts = []
    for m in range(max_m + 1):
        pairs = merge_network(m)
        need = {m // 2} if m % 2 else {m // 2 - 1, m // 2}
        keep = []
        for q in range(pairs.shape[0] - 1, -1, -1):  # backwards: a comparator counts when an output is needed
            lo, hi = int(pairs[q, 0]), int(pairs[q, 1])
            if lo in need or hi in need:
                keep.append(q)
                need.update((lo, hi))
        parts.append(pairs[sorted(keep)])
    at = np.zeros(max_m + 2, dtype=np.int64)
    at[1:] = np.cumsum([p.shape[0] for p in parts])
    return np.ascontiguousarray(np.concatenate(parts)), at


# the median networks of up to 32 values, built once (frozen into the kernels that read them)
_MEDIAN_NETS, _MEDIAN_NET_AT = _median_networks(32)


@numba.njit(cache=True)
def _center(template: np.ndarray, core: int, tc: np.ndarray) -> tuple[float, float]:
    """``tc`` = the central part ``template[core:-core]`` minus its mean; returns (centred SS, energy)."""
    n = template.shape[0] - 2 * core
    part = template[core : core + n]  # (loop-counter indices: no per-element wrap-around checks)
    mean = 0.0
    for i in range(n):
        mean += part[i]
    mean /= n
    ss = 0.0
    energy = 0.0
    for i in range(n):
        v = part[i]
        tc[i] = v - mean
        ss += tc[i] * tc[i]
        energy += v * v
    return ss, energy


@numba.njit(cache=True)
def _transpose(win: np.ndarray, k0: int, nb: int, wt: np.ndarray) -> None:
    """``wt[:, :nb]`` = the rows ``win[k0 : k0 + nb]`` as columns."""
    for b in range(nb):
        row = win[k0 + b]
        for i in range(win.shape[1]):
            wt[i, b] = row[i]


@numba.njit(cache=True)
def _block_roots(wt: np.ndarray, nb: int, max_lag: int, s1: np.ndarray, s2: np.ndarray, roots: np.ndarray,
                 k0: int) -> None:
    """:func:`lag_roots` of the ``nb`` beats transposed into ``wt`` (columns ``k0 ..`` of ``roots``), vectorised
    across the beats; each beat's prefix sums of values and squares run in index order."""
    n = wt.shape[0]
    m = n - 2 * max_lag
    for b in range(nb):
        s1[0, b] = 0.0
        s2[0, b] = 0.0
    for i in range(n):
        r = wt[i]
        p1 = s1[i]
        p2 = s2[i]
        q1 = s1[i + 1]
        q2 = s2[i + 1]
        for b in range(nb):
            v = r[b]
            q1[b] = p1[b] + v
            q2[b] = p2[b] + v * v
    for l in range(2 * max_lag + 1):
        out = roots[l, k0 : k0 + nb]
        if m <= 0:
            out[:] = 0.0
            continue
        a1 = s1[l]
        b1 = s1[l + m]
        a2 = s2[l]
        b2 = s2[l + m]
        e = s2[n]
        for b in range(nb):
            sa = b1[b] - a1[b]
            da = (b2[b] - a2[b]) - sa * sa / m
            out[b] = 0.0 if (da <= 1e-12 * e[b] or da <= 0.0) else np.sqrt(da)


@numba.njit(cache=True)
def lag_roots(beats: np.ndarray, max_lag: int) -> np.ndarray:
    """``(2 * max_lag + 1, n_beats)``: for every lag ``l - max_lag`` and beat, the square root of the centred
    sum of squares of ``beat[l : l + n - 2 * max_lag]``, the beat's half of every Pearson denominator; 0 where
    that part is (numerically) constant, i.e. below the prefix sums' rounding floor, which scales with the
    energy of the whole beat, not only of the part (such a part has no shape and correlation 0)."""
    n_beats, n = beats.shape
    roots = np.empty((2 * max_lag + 1, n_beats))
    width = min(_BLOCK, n_beats)
    wt = np.empty((n, width))
    s1 = np.empty((n + 1, width))
    s2 = np.empty((n + 1, width))
    for k0 in range(0, n_beats, _BLOCK):
        nb = min(_BLOCK, n_beats - k0)
        _transpose(beats, k0, nb, wt)
        _block_roots(wt, nb, max_lag, s1, s2, roots, k0)
    return roots


@numba.njit(cache=True)
def _template_norm(t_ss: float, t_energy: float) -> float:
    """The template's half of the Pearson denominators (``sqrt(t_ss)``), or 0 for a (numerically) constant
    template (centred SS ``t_ss`` at most 1e-12 of its ``t_energy``): it correlates 0 with everything."""
    return 0.0 if (t_ss <= 1e-12 * t_energy or t_ss <= 0.0) else np.sqrt(t_ss)


@numba.njit(cache=True)
def _aligned(beats: np.ndarray, roots: np.ndarray, template: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`aligned_correlation` given the beats' :func:`lag_roots`."""
    n_beats, n = beats.shape
    corr = np.empty(n_beats)
    lags = np.zeros(n_beats, dtype=np.int64)
    m = max(n - 2 * max_lag, 0)
    tc = np.zeros(m)
    ss, energy = _center(template, max_lag, tc) if m > 0 else (0.0, 0.0)
    t_root = _template_norm(ss, energy)
    width = min(_BLOCK, n_beats)
    wt = np.empty((n, width))
    acc = np.empty((2 * max_lag + 1, width))
    for k0 in range(0, n_beats, _BLOCK):
        nb = min(_BLOCK, n_beats - k0)
        _transpose(beats, k0, nb, wt)
        correlate_block(wt, nb, tc, t_root, max_lag, acc, roots, k0, corr, lags)
    return corr, lags


@numba.njit(cache=True)
def aligned_correlation(beats: np.ndarray, template: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Best Pearson correlation of every beat with ``template`` over lags ``-max_lag..max_lag``.

    ``beats`` is ``(n_beats, n)``, ``template`` is ``(n,)``; the central ``n - 2*max_lag`` samples are compared.
    Returns ``(corr, lag)``.
    """
    return _aligned(beats, lag_roots(beats, max_lag), template, max_lag)


@numba.njit(cache=True)
def _cluster(
    beats: np.ndarray, roots: np.ndarray, threshold: float, max_lag: int, max_templates: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cluster_beats` given the beats' :func:`lag_roots`."""
    n_beats, n = beats.shape
    templates = np.zeros((max_templates, n))
    counts = np.zeros(max_templates, dtype=np.int64)
    labels = np.empty(n_beats, dtype=np.int64)
    m = max(n - 2 * max_lag, 0)
    n_lags = 2 * max_lag + 1
    centred = np.zeros((max_templates, m))  # centred central parts of the templates, kept up to date
    centred_t = np.zeros((m, max_templates))  # the same, transposed: one pass scores every template
    stale = np.zeros(max_templates, dtype=np.bool_)  # centred_t column out of date
    acc = np.zeros((n_lags, max_templates))
    t_root = np.zeros(max_templates)  # :func:`_template_norm` of every template
    cross = np.empty(n_lags)
    n_templates = 0
    last_j = -1
    for k in range(n_beats):
        beat = beats[k]
        root = roots[:, k]
        best = -2.0
        best_j = -1
        best_lag = 0
        if last_j >= 0:  # most beats match the template of the beat before: try it first
            _cross_lags(beat, centred[last_j], n_lags, cross)
            best, best_lag = _pick_lag(cross, root, t_root[last_j], max_lag)
            best_j = last_j
        if best < threshold and n_templates <= _FEW_TEMPLATES:
            for j in range(n_templates):
                if j == last_j:
                    continue
                _cross_lags(beat, centred[j], n_lags, cross)
                c, c_lag = _pick_lag(cross, root, t_root[j], max_lag)
                if c > best:
                    best = c
                    best_j = j
                    best_lag = c_lag
        elif best < threshold:
            # cross products with every template at every lag; each sum runs in index order, as in
            # _cross_lags, but the templates share the pass (contiguous, vectorised)
            nt = n_templates
            for j in range(nt):  # refresh the transposed copies of the templates changed since the last pass
                if stale[j]:
                    for i in range(m):
                        centred_t[i, j] = centred[j, i]
                    stale[j] = False
            for l in range(n_lags):
                for j in range(nt):
                    acc[l, j] = 0.0
            for i in range(m):  # index-outer: each template row is loaded once for all lags
                tr = centred_t[i]
                for l in range(n_lags):
                    v = beat[l + i]
                    row = acc[l]
                    for j in range(nt):
                        row[j] += v * tr[j]
            for j in range(nt):
                if j == last_j:
                    continue
                for l in range(n_lags):
                    cross[l] = acc[l, j]
                c, c_lag = _pick_lag(cross, root, t_root[j], max_lag)
                if c > best:
                    best = c
                    best_j = j
                    best_lag = c_lag
        if best >= threshold or (n_templates == max_templates and best_j >= 0):
            j = best_j
            counts[j] += 1
            w = 1.0 / min(counts[j], 32)
            dst = templates[j, max_lag : n - max_lag]  # (slices: loop-counter indices, no wrap-around checks)
            src = beat[max_lag + best_lag : n - max_lag + best_lag]
            for i in range(dst.shape[0]):
                dst[i] += w * (src[i] - dst[i])
        else:
            j = n_templates
            n_templates += 1
            for i in range(n):
                templates[j, i] = beat[i]
            counts[j] = 1
        labels[k] = j
        last_j = j
        if m > 0:
            ss, energy = _center(templates[j], max_lag, centred[j])
            t_root[j] = _template_norm(ss, energy)
            stale[j] = True
    return labels, counts[:n_templates].copy(), templates[:n_templates].copy()


@numba.njit(cache=True)
def cluster_beats(
    beats: np.ndarray, threshold: float, max_lag: int, max_templates: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy template clustering (single pass, running-mean templates).

    Each beat joins the template it correlates best with (over lags ``+-max_lag``) when that
    correlation is at least ``threshold``; otherwise it starts a new template (up to ``max_templates``,
    after which it joins the best one anyway). Templates are running means of their aligned members.

    Returns ``(labels, counts, templates)``: the cluster of every beat, the member count of every
    cluster and the ``(n_clusters, n)`` templates.
    """
    return _cluster(beats, lag_roots(beats, max_lag), threshold, max_lag, max_templates)


@numba.njit(cache=True)
def qrs_extent(energy: np.ndarray, center: int, frac: float, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Onset and offset (sample indices) of the QRS in each row of ``energy`` (``(n_beats, n)``, >= 0).

    The peak is searched within ``+-max_gap`` of ``center``; onset/offset are where the energy,
    walking outwards from the peak, stays below ``frac`` x peak for ``max_gap`` samples (so a
    notch inside a wide QRS does not end it).
    """
    n_beats = energy.shape[0]
    onset = np.empty(n_beats, dtype=np.int64)
    offset = np.empty(n_beats, dtype=np.int64)
    for k in range(n_beats):
        onset[k], offset[k] = _extent_row(energy[k], center, frac, max_gap)
    return onset, offset


@numba.njit(cache=True)
def sharp_deflections(x: np.ndarray, min_mv: float, ratio: float) -> np.ndarray:
    """Per sample (``n - 2`` of them), whether any lead of ``x`` (``(n, n_leads)``, finite) has a sharp,
    sign-reversing deflection: ``|d2| > min_mv`` and ``|d2| > ratio * (|d1[i]| + |d1[i+1]|)``."""
    n, n_leads = x.shape
    out = np.zeros(max(n - 2, 0), dtype=np.bool_)
    for i in range(n - 2):
        for j in range(n_leads):
            a = x[i + 1, j] - x[i, j]
            b = x[i + 2, j] - x[i + 1, j]
            d2 = abs(b - a)
            if d2 > min_mv and d2 > ratio * (abs(a) + abs(b)):
                out[i] = True
                break
    return out


@numba.njit(cache=True)
def beat_windows(x: np.ndarray, centers: np.ndarray, pre: int, post: int) -> np.ndarray:
    """``(n_beats, n_leads * (pre + post))`` rows: lead by lead, ``x[c - pre : c + post]`` (0 outside ``x``)."""
    n, n_leads = x.shape
    width = pre + post
    out = np.zeros((centers.shape[0], n_leads * width))
    for k in range(centers.shape[0]):
        start = centers[k] - pre
        lo = max(0, -start)
        hi = min(width, n - start)
        for lead in range(n_leads):
            base = lead * width
            for t in range(lo, hi):
                out[k, base + t] = x[start + t, lead]
    return out


@numba.njit(cache=True)
def running_median(x: np.ndarray, half: int) -> np.ndarray:
    """Median of ``x[i - half : i + half + 1]`` for every ``i``, the ends padded with the edge values."""
    n = x.shape[0]
    out = np.empty(n)
    w = 2 * half + 1
    buf = np.empty(w)
    if n == 0:
        return out
    # sorted window, slid one value at a time (remove the leaving value, insert the entering one)
    for t in range(w):
        buf[t] = x[min(max(t - half, 0), n - 1)]
    for a in range(1, w):  # insertion sort: the window is short
        v = buf[a]
        b = a - 1
        while b >= 0 and buf[b] > v:
            buf[b + 1] = buf[b]
            b -= 1
        buf[b + 1] = v
    out[0] = buf[half]
    for i in range(1, n):
        old = x[min(max(i - 1 - half, 0), n - 1)]
        new = x[min(i + half, n - 1)]
        p = 0
        while buf[p] != old:  # the leaving value is in the window (no NaN: callers pass finite RR)
            p += 1
        while p + 1 < w and buf[p + 1] < new:
            buf[p] = buf[p + 1]
            p += 1
        while p > 0 and buf[p - 1] > new:
            buf[p] = buf[p - 1]
            p -= 1
        buf[p] = new
        out[i] = buf[half]
    return out


# ------------------------------------------------------------------------------------------------
# Fused classifier kernels: everything of :func:`ecg.beats.classify_beats` after validation and lead
# choice, in one call (the per-call overhead of many small NumPy operations dominated short records).


@numba.njit(cache=True)
def _cross_lags(beat: np.ndarray, tc: np.ndarray, n_lags: int, out: np.ndarray) -> None:
    """``out[l] = sum_i beat[l + i] * tc[i]`` for ``l < n_lags``, each summed in index order; four lags share
    a pass, in four register accumulators (independent sums, so they overlap in the CPU)."""
    m = tc.shape[0]
    l = 0
    while l + 4 <= n_lags:
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for i in range(m):
            t = tc[i]
            p = l + i
            a0 += beat[p] * t
            a1 += beat[p + 1] * t
            a2 += beat[p + 2] * t
            a3 += beat[p + 3] * t
        out[l] = a0
        out[l + 1] = a1
        out[l + 2] = a2
        out[l + 3] = a3
        l += 4
    for r in range(l, n_lags):
        a = 0.0
        for i in range(m):
            a += beat[r + i] * tc[i]
        out[r] = a


@numba.njit(cache=True)
def _pick_lag(cross: np.ndarray, roots: np.ndarray, t_root: float, max_lag: int) -> tuple[float, int]:
    """Best Pearson correlation over lags ``-max_lag..max_lag`` (first best on ties) and its lag, from the
    cross products ``cross[lag + max_lag]`` of the beat with the centred template, the beat's
    :func:`lag_roots` and the template's :func:`_template_norm`: one division per lag by a product of roots
    (the product of the sums of squares may underflow to 0); a zero root, of a constant beat part or
    template, gives correlation 0."""
    best = -2.0
    best_lag = 0
    for l in range(2 * max_lag + 1):
        den = roots[l] * t_root
        c = cross[l] / den if den > 0.0 else 0.0
        if c > best:
            best = c
            best_lag = l - max_lag
    return best, best_lag


@numba.njit(cache=True)
def correlate_block(wt: np.ndarray, nb: int, tc: np.ndarray, t_root: float, max_lag: int, acc: np.ndarray,
                    roots: np.ndarray, k0: int, corr: np.ndarray, lags: np.ndarray) -> None:
    """:func:`aligned_correlation` of the ``nb`` beats ``k0 ..`` transposed into ``wt`` (:func:`_transpose`),
    vectorised across the beats: every cross product runs over a row of beats at once, each beat's sum in the
    index order of :func:`_cross_lags`, so the values are bit-identical to its. ``roots``: the beats'
    :func:`lag_roots`; ``t_root``: the template's :func:`_template_norm`."""
    m = tc.shape[0]
    n_lags = 2 * max_lag + 1
    for l in range(n_lags):
        a = acc[l]
        for b in range(nb):
            a[b] = 0.0
        for i in range(m):
            t = tc[i]
            r = wt[l + i]
            for b in range(nb):
                a[b] += r[b] * t
    best = corr[k0 : k0 + nb]
    best_lag = lags[k0 : k0 + nb]
    best[:] = -2.0
    best_lag[:] = 0
    for l in range(n_lags):  # :func:`_pick_lag`, vectorised across the beats
        a = acc[l]
        r = roots[l, k0 : k0 + nb]
        for b in range(nb):
            den = r[b] * t_root
            c = a[b] / den if den > 0.0 else 0.0
            if c > best[b]:
                best[b] = c
                best_lag[b] = l - max_lag


@numba.njit(cache=True)
def _extent_row(energy: np.ndarray, center: int, frac: float, max_gap: int) -> tuple[int, int]:
    """:func:`qrs_extent` of one row."""
    n = energy.shape[0]
    lo = max(center - max_gap, 0)
    hi = min(center + max_gap + 1, n)
    p = lo
    for i in range(lo, hi):
        if energy[i] > energy[p]:
            p = i
    thr = frac * energy[p]
    i = p
    last = p
    while i > 0:
        i -= 1
        if energy[i] >= thr:
            last = i
        elif last - i > max_gap:
            break
    onset = last
    i = p
    last = p
    while i < n - 1:
        i += 1
        if energy[i] >= thr:
            last = i
        elif i - last > max_gap:
            break
    return onset, last


@numba.njit(cache=True)
def _width_samples(row: np.ndarray, n_leads: int, pre: int, max_gap: int, energy: np.ndarray) -> int:
    """QRS width (samples) of one concatenated beat window from its spatial velocity (20 % of the peak)."""
    w = row.shape[0] // n_leads
    for t in range(w - 1):
        energy[t] = abs(row[t + 1] - row[t])
    for lead in range(1, n_leads):
        part = row[lead * w : (lead + 1) * w]  # (loop-counter indices: no per-element wrap-around checks)
        for t in range(w - 1):
            energy[t] += abs(part[t + 1] - part[t])
    on, off = _extent_row(energy[: w - 1], pre, 0.2, max_gap)
    return off - on + 1


@numba.njit(cache=True)
def _cut(x: np.ndarray, xstep: int, nx: int, leads: np.ndarray, start: int, width: int, out: np.ndarray) -> None:
    """``out`` = lead by lead, rows ``start .. start + width`` of ``x[::xstep]`` (``nx`` rows), 0 outside
    and for non-finite samples."""
    lo = min(max(0, -start), width)
    hi = max(min(width, nx - start), lo)
    for j in range(leads.shape[0]):
        lead = leads[j]
        base = j * width
        for t in range(lo):
            out[base + t] = 0.0
        for t in range(lo, hi):
            v = x[(start + t) * xstep, lead]
            out[base + t] = v if np.isfinite(v) else 0.0
        for t in range(hi, width):
            out[base + t] = 0.0


_AHEAD = 4  # beats ahead whose samples are touched early (software prefetch; see _touch)


@numba.njit(cache=True)
def _touch(x: np.ndarray, lo: int, hi: int) -> float:
    """Sum of one sample per cache line of rows ``lo..hi`` of ``x`` (clipped): touching a later beat's
    window early lets its cache misses overlap the work on the current beat (a software prefetch; the
    windows of consecutive beats are far apart, which defeats the hardware prefetcher). Cold-cache
    speed-up about 3x on the pacer-spike scan of a 30-min MIT-BIH record."""
    lo = max(lo, 0)
    hi = min(hi, x.shape[0])
    step = max(1, 8 // x.shape[1])
    acc = 0.0
    for i in range(lo, hi, step):
        acc += x[i, 0]
    return acc


@numba.njit(cache=True)
def _spiked(v: np.ndarray, stride: int, zero_nan: bool, min_mv: float, ratio: float) -> bool:
    """Whether the flattened C-order ``(rows, stride)`` window ``v`` has a :func:`sharp_deflections` sample
    (rows ``0 .. rows - 2``, any column): one unit-stride loop over rows and columns whose indices are loop
    counters, provably non-negative, so that it vectorises (an index with an offset, or a 2-D index, brings
    per-element wrap-around checks, done with gathers)."""
    hit = False
    v1 = v[stride:]
    v2 = v[2 * stride :]
    for q in range(v2.shape[0]):
        x0 = v[q]
        x1 = v1[q]
        x2 = v2[q]
        if zero_nan:
            x0 = x0 if np.isfinite(x0) else 0.0
            x1 = x1 if np.isfinite(x1) else 0.0
            x2 = x2 if np.isfinite(x2) else 0.0
        a = x1 - x0
        b = x2 - x1
        d2 = abs(b - a)
        hit |= (d2 > min_mv) & (d2 > ratio * (abs(a) + abs(b)))
    return hit


@numba.njit(cache=True)
def pacer_spikes(raw: np.ndarray, idx: np.ndarray, before: int, after: int, zero_nan: bool,
                 min_mv: float, ratio: float) -> np.ndarray:
    """Whether a :func:`sharp_deflections` sample lies in ``[idx - before, idx - after)`` of each beat.

    ``raw`` is C-contiguous. Only the windows are scanned (not the whole record), without early exit so that
    the scan vectorises. ``zero_nan``: non-finite samples count as 0; otherwise they make no deflection.
    """
    n, n_leads = raw.shape
    ns = max(n - 2, 0)
    flat = raw.reshape(n * n_leads)
    out = np.zeros(idx.shape[0], dtype=np.bool_)
    touched = 0.0
    for k in range(idx.shape[0]):
        if k + _AHEAD < idx.shape[0]:
            touched += _touch(raw, idx[k + _AHEAD] - before, idx[k + _AHEAD] - after + 2)
        lo = min(max(idx[k] - before, 0), ns)
        hi = min(max(idx[k] - after, 0), ns)
        if hi > lo:
            out[k] = _spiked(flat[lo * n_leads : (hi + 2) * n_leads], n_leads, zero_nan, min_mv, ratio)
    if touched == 1.2345e300:  # (never: keeps the prefetching loads alive)
        out[0] = not out[0]
    return out


@numba.njit(cache=True)
def any_nonfinite(x: np.ndarray, stride: int) -> bool:
    """Whether ``x[::stride]`` (2-D) holds a non-finite value."""
    for i in range(0, x.shape[0], stride):
        for j in range(x.shape[1]):
            if not np.isfinite(x[i, j]):
                return True
    return False


@numba.njit(cache=True)
def _detrend_columns(st: np.ndarray, n_leads: int, ramp: np.ndarray, rr: float) -> None:
    """Detrend every column of ``st`` (``(n_leads * w, n_beats)``, the beats' windows as columns) lead by lead:
    minus its mean, then minus its projection on ``ramp`` (``rr`` = ``ramp``'s sum of squares); vectorised
    across the beats, each beat's sums in index order (as one beat at a time)."""
    w = ramp.shape[0]
    nb = st.shape[1]
    mean = np.empty(nb)
    proj = np.empty(nb)
    for j in range(n_leads):
        part = st[j * w : (j + 1) * w]
        center_columns(part, mean)
        proj[:] = 0.0
        for t in range(w):
            r = part[t]
            q = ramp[t]
            for b in range(nb):
                proj[b] += r[b] * q
        for b in range(nb):
            proj[b] /= rr
        for t in range(w):
            r = part[t]
            q = ramp[t]
            for b in range(nb):
                r[b] -= proj[b] * q


@numba.njit(cache=True)
def p_wave_consistency(x: np.ndarray, xstep: int, nx: int, leads: np.ndarray, centers: np.ndarray,
                       a: int, b: int, half: int) -> np.ndarray:
    """Correlation of each beat's detrended PR window (``c - a .. c - b``) with the sample-wise median
    of its block of ``2 * half`` beats (the remainder joins the last full block); NaN when the window
    starts before the record or is flat."""
    n_beats = centers.shape[0]
    out = np.full(n_beats, np.nan)
    if n_beats < 3:
        return out
    n_leads = leads.shape[0]
    w = a - b
    d = n_leads * w
    ramp = np.empty(w)
    for t in range(w):  # np.linspace(-1, 1, w)
        ramp[t] = -1.0 + t * (2.0 / (w - 1)) if w > 1 else -1.0
    if w > 1:
        ramp[w - 1] = 1.0
    rr = 0.0
    for t in range(w):
        rr += ramp[t] * ramp[t]
    seg = np.empty((n_beats, d))
    touched = 0.0
    for k in range(n_beats):
        if k + _AHEAD < n_beats and xstep == 1:
            touched += _touch(x, centers[k + _AHEAD] - a, centers[k + _AHEAD] - b)
        _cut(x, xstep, nx, leads, centers[k] - a, w, seg[k])
    # the windows as columns: the per-beat sums run across the beats at once (vectorised), each in index order
    st = np.empty((d, n_beats))
    _transpose(seg, 0, n_beats, st)
    _detrend_columns(st, n_leads, ramp, rr)
    _transpose(st, 0, d, seg)
    block = 2 * half
    n_full = n_beats // block
    rest = n_beats - n_full * block
    n_groups = n_full + (1 if rest else 0)
    local = np.empty(d)
    buf = np.empty((block, d))
    num = np.zeros(n_beats)
    ss = np.zeros(n_beats)
    for i in range(d):
        r = st[i]
        for k in range(n_beats):
            ss[k] += r[k] * r[k]
    for g in range(n_groups):
        if g < n_full:
            lo, hi = g * block, (g + 1) * block
            first, last = lo, hi  # beats the template is made of / applies to
        else:
            lo, hi = max(n_beats - block, 0), n_beats
            first, last = n_full * block, n_beats
        m = hi - lo
        buf[:m] = seg[lo:hi]
        if m < _MEDIAN_NET_AT.shape[0] - 1:  # (only the middle rows come out sorted)
            sort_columns(buf, _MEDIAN_NETS[_MEDIAN_NET_AT[m] : _MEDIAN_NET_AT[m + 1]], 0, d)
        else:
            sort_columns(buf, merge_network(m), 0, d)
        h = m // 2
        for i in range(d):
            local[i] = buf[h, i] if m % 2 else (buf[h - 1, i] + buf[h, i]) / 2.0
        mean = 0.0
        for i in range(d):
            mean += local[i]
        mean /= d
        ll = 0.0
        for i in range(d):
            local[i] -= mean
            ll += local[i] * local[i]
        part = num[first:last]
        for i in range(d):
            r = st[i, first:last]
            q = local[i]
            for k in range(part.shape[0]):
                part[k] += r[k] * q
        for k in range(first, last):
            den = np.sqrt(ss[k] * ll)
            if den > 0.0 and centers[k] - a >= 0:
                out[k] = num[k] / den
    if touched == 1.2345e300:  # (never: keeps the prefetching loads alive)
        out[0] = np.nan
    return out


@numba.njit(cache=True)
def classify(
    x: np.ndarray, xstep: int, nx: int, leads: np.ndarray, idx: np.ndarray, step: int, fs: float, fs_d: float,
    pre: int, post: int, lag: int, gap: int, threshold: float, max_templates: int, raw: np.ndarray,
    spike_before: int, spike_after: int, noisy: np.ndarray, unreadable: np.ndarray, p_a: int, p_b: int,
) -> tuple:
    """The classifier of :func:`ecg.beats.classify_beats` on validated input (see its docstring).

    ``x[::xstep]`` (``nx`` rows; non-finite samples read as 0) is the band-limited signal at ``fs_d``,
    ``leads`` the columns used, ``idx`` the beats at ``fs = fs_d * step``; ``pre``/``post`` the QRS window,
    ``lag`` the alignment range, ``gap`` the QRS-extent gap and ``p_a``/``p_b`` the PR window (samples at
    ``fs_d``); ``raw`` is the unfiltered signal at ``fs``, scanned for pacemaker spikes ``spike_before ..
    spike_after`` samples before each beat (:func:`pacer_spikes`; non-finite samples read as 0 when a probe
    of every ``n // 1000``-th row finds one); ``noisy`` and ``unreadable`` are per-beat masks or empty (absent).
    Returns ``(labels, correlation, width_s, amplitude_ratio, prematurity, p_wave_corr, cluster,
    dominant, dominant_width_s)``.
    """
    n_beats = idx.shape[0]
    n_leads = leads.shape[0]
    w = pre + post
    n = n_leads * w
    centers = np.empty(n_beats, dtype=np.int64)
    for k in range(n_beats):
        centers[k] = min(idx[k] // step, nx - 1)
    win = np.empty((n_beats, n))
    touched = 0.0
    for k in range(n_beats):
        if k + _AHEAD < n_beats and xstep == 1:
            touched += _touch(x, centers[k + _AHEAD] - pre, centers[k + _AHEAD] + post)
        _cut(x, xstep, nx, leads, centers[k] - pre, w, win[k])
    if touched == 1.2345e300:  # (never: keeps the prefetching loads alive)
        win[0, 0] = 0.0

    roots = lag_roots(win, lag)  # the beats' halves of every correlation's denominator, shared by both passes
    labels_c, counts, templates = _cluster(win, roots, threshold, lag, max_templates)
    n_t = counts.shape[0]
    energy = np.empty(max(w - 1, 1))
    t_width = np.empty(n_t)
    for j in range(n_t):
        t_width[j] = _width_samples(templates[j], n_leads, pre, gap, energy) / fs_d

    # timing: prematurity against the local median RR
    prem = np.full(n_beats, np.nan)
    post_ratio = np.full(n_beats, np.nan)
    rr = np.empty(max(n_beats - 1, 0))
    for k in range(n_beats - 1):
        rr[k] = (idx[k + 1] - idx[k]) / fs
    if rr.shape[0]:
        rr_ref = running_median(rr, 8)
        for k in range(rr.shape[0]):
            q = rr[k] / rr_ref[k]
            prem[k + 1] = q
            post_ratio[k] = q
    c_prem = np.ones(n_t)  # median prematurity of every cluster (its finite values grouped, then sorted)
    start = np.zeros(n_t + 1, dtype=np.int64)
    for k in range(n_beats):
        if np.isfinite(prem[k]):
            start[labels_c[k] + 1] += 1
    for j in range(n_t):
        start[j + 1] += start[j]
    fill = start[:n_t].copy()
    buf = np.empty(max(start[n_t], 1))
    for k in range(n_beats):
        if np.isfinite(prem[k]):
            buf[fill[labels_c[k]]] = prem[k]
            fill[labels_c[k]] += 1
    for j in range(n_t):
        if start[j + 1] > start[j]:
            part = buf[start[j] : start[j + 1]]
            part.sort()
            c_prem[j] = median_sorted(part)

    # dominant cluster: the most populous; on a near tie (bigeminy) the narrower, less premature one
    dom = 0
    for j in range(1, n_t):
        if counts[j] > counts[dom]:
            dom = j
    if n_t > 1:
        alt = -1
        for j in range(n_t):
            if j != dom and (alt < 0 or counts[j] > counts[alt]):
                alt = j
        if counts[alt] >= 0.6 * counts[dom]:
            score_dom = t_width[dom] - t_width[alt] + 0.1 * (c_prem[alt] - c_prem[dom])
            if score_dom > 0.01:
                dom = alt
    dom_t = templates[dom]
    corr = _aligned(win, roots, dom_t, lag)[0]
    lo_c, hi_c = lag, n - lag
    dom_ptp = 0.0
    if hi_c > lo_c:
        vmin = dom_t[lo_c]
        vmax = dom_t[lo_c]
        for i in range(lo_c, hi_c):
            vmin = min(vmin, dom_t[i])
            vmax = max(vmax, dom_t[i])
        dom_ptp = vmax - vmin
    if dom_ptp == 0.0:
        dom_ptp = 1.0
    amp = np.empty(n_beats)
    for k in range(n_beats):
        vmin = win[k, lo_c]
        vmax = win[k, lo_c]
        for i in range(lo_c, hi_c):
            vmin = min(vmin, win[k, i])
            vmax = max(vmax, win[k, i])
        amp[k] = (vmax - vmin) / dom_ptp

    # width: the cluster template's; small clusters and beats unlike the dominant template (also those that
    # joined the dominant cluster itself) carry their own
    width = np.empty(n_beats)
    has_noisy = noisy.shape[0] == n_beats
    for k in range(n_beats):
        j = labels_c[k]
        width[k] = t_width[j]
        small = counts[j] < 3
        own = small or corr[k] < 0.85
        if has_noisy:
            own = own and (not noisy[k] or small)
        if own:
            own_w = _width_samples(win[k], n_leads, pre, gap, energy) / fs_d
            width[k] = own_w if small else max(width[k], own_w)
    dom_w = t_width[dom]

    # pacing
    zero_nan = any_nonfinite(raw, max(1, raw.shape[0] // 1000))
    spiked = pacer_spikes(raw, idx, spike_before, spike_after, zero_nan, 0.25, 0.8)
    n_spiked = 0
    for k in range(n_beats):
        n_spiked += spiked[k]
    record_paced = n_spiked / n_beats >= 0.10
    paced = np.zeros(n_beats, dtype=np.bool_)
    if record_paced:
        c_spiked = np.zeros(n_t)
        for k in range(n_beats):
            if spiked[k]:
                c_spiked[labels_c[k]] += 1.0
        paced_cluster = np.empty(n_t, dtype=np.bool_)
        for j in range(n_t):
            paced_cluster[j] = c_spiked[j] / counts[j] >= 0.08
        if t_width[dom] >= 0.11:
            paced_cluster[dom] = True
        for k in range(n_beats):
            paced[k] = spiked[k] or paced_cluster[labels_c[k]]

    labels = np.zeros(n_beats, dtype=np.int8)
    wide_v = max(dom_w + 0.025, 1.25 * dom_w)
    wide_m = max(dom_w + 0.01, 1.12 * dom_w)
    for k in range(n_beats):
        p = prem[k] if np.isfinite(prem[k]) else 1.0  # (prem is never +-inf: RR > 0)
        early = p < 0.85
        c = corr[k]
        if record_paced:
            vent = not paced[k] and width[k] >= 0.12 and c < 0.9 and (early or amp[k] > 1.3)
        else:
            minor = counts[labels_c[k]] < 0.1 * n_beats
            vent = not paced[k] and (
                (c < 0.90 and width[k] >= wide_v) or (c < 0.80 and width[k] >= wide_m and minor)
                or (c < 0.70 and early) or (c < 0.80 and amp[k] > 1.8)
            )
        if vent:
            labels[k] = 2
        if paced[k]:
            labels[k] = 3
        if amp[k] < 0.35:
            labels[k] = 4
        if labels[k] == 0 and p < 0.80 and c >= 0.80:
            regular_before = k >= 3 and abs(rr[k - 3] - rr[k - 2]) < 0.15 * rr[k - 2]
            pr = post_ratio[k] if np.isfinite(post_ratio[k]) else 0.0
            if regular_before or pr > 1.2:
                labels[k] = 1
        if unreadable.shape[0] == n_beats and unreadable[k]:
            labels[k] = 4
    pwc = p_wave_consistency(x, xstep, nx, leads, centers, p_a, p_b, 16)
    return labels, corr, width, amp, prem, pwc, labels_c, dom, dom_w


@numba.njit(cache=True)
def finite_share(x: np.ndarray, stride: int) -> np.ndarray:
    """Share of finite samples per column of ``x[::stride]``."""
    n, n_leads = x.shape
    cnt = np.zeros(n_leads)
    m = 0
    for i in range(0, n, stride):
        m += 1
        for j in range(n_leads):
            if np.isfinite(x[i, j]):
                cnt[j] += 1.0
    return cnt / max(m, 1)


@numba.njit(cache=True)
def increasing_within(idx: np.ndarray, n: int) -> bool:
    """Whether ``idx`` is strictly increasing within ``[0, n)``."""
    if idx.shape[0] == 0:
        return True
    if idx[0] < 0 or idx[idx.shape[0] - 1] >= n:
        return False
    for k in range(1, idx.shape[0]):
        if idx[k] <= idx[k - 1]:
            return False
    return True
