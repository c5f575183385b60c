"""Numba kernels of the beat classifier (private; callers validate and trust nothing else).

Inputs are C-contiguous float64 arrays without NaN; no checks are made here.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "cluster_beats",
    "aligned_correlation",
    "qrs_extent",
    "sharp_deflections",
    "beat_windows",
    "running_median",
]


@numba.njit(cache=True)
def _corr_at(beat: np.ndarray, template: np.ndarray, lag: int, core: int) -> float:
    """Pearson correlation of ``beat[core+lag : -core+lag]`` with ``template[core:-core]``."""
    n = template.shape[0] - 2 * core
    sa = 0.0
    sb = 0.0
    for i in range(n):
        sa += beat[core + lag + i]
        sb += template[core + i]
    ma = sa / n
    mb = sb / n
    num = 0.0
    da = 0.0
    db = 0.0
    ea = 0.0
    eb = 0.0
    for i in range(n):
        a = beat[core + lag + i] - ma
        b = template[core + i] - mb
        num += a * b
        da += a * a
        db += b * b
        ea += beat[core + lag + i] * beat[core + lag + i]
        eb += template[core + i] * template[core + i]
    # a (numerically) constant segment has no shape: correlation 0, not the sign of rounding noise
    if da <= 1e-12 * ea or db <= 1e-12 * eb or da <= 0.0 or db <= 0.0:
        return 0.0
    den = np.sqrt(da) * np.sqrt(db)  # product of roots: da * db may underflow to 0
    return num / den if den > 0.0 else 0.0


@numba.njit(cache=True)
def _prefix(beat: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> None:
    """Prefix sums of ``beat`` and of its squares (``s1[0] = s2[0] = 0``)."""
    a = 0.0
    b = 0.0
    s1[0] = 0.0
    s2[0] = 0.0
    for i in range(beat.shape[0]):
        v = beat[i]
        a += v
        b += v * v
        s1[i + 1] = a
        s2[i + 1] = b


@numba.njit(cache=True)
def _center(template: np.ndarray, core: int, tc: np.ndarray) -> tuple[float, float]:
    """``tc`` = the central part ``template[core:-core]`` minus its mean; returns (centred SS, energy)."""
    n = template.shape[0] - 2 * core
    mean = 0.0
    for i in range(n):
        mean += template[core + i]
    mean /= n
    ss = 0.0
    energy = 0.0
    for i in range(n):
        v = template[core + i]
        tc[i] = v - mean
        ss += tc[i] * tc[i]
        energy += v * v
    return ss, energy


@numba.njit(cache=True)
def _corr_fast(
    beat: np.ndarray, s1: np.ndarray, s2: np.ndarray, tc: np.ndarray, t_ss: float, t_energy: float, lag: int, core: int
) -> float:
    """:func:`_corr_at` from the beat's prefix sums and the centred template: one dot product per lag."""
    n = tc.shape[0]
    lo = core + lag
    sa = s1[lo + n] - s1[lo]
    ea = s2[lo + n] - s2[lo]
    da = ea - sa * sa / n
    cross = 0.0
    for i in range(n):
        cross += beat[lo + i] * tc[i]
    # A window is flat when its variance is below the prefix sums' rounding floor, which scales with the
    # energy of the whole beat (s2[-1]), not only of the window.
    if da <= 1e-12 * s2[s2.shape[0] - 1] or t_ss <= 1e-12 * t_energy or da <= 0.0 or t_ss <= 0.0:
        return 0.0
    den = np.sqrt(da) * np.sqrt(t_ss)  # product of roots: da * t_ss may underflow to 0
    return cross / den if den > 0.0 else 0.0


@numba.njit(cache=True)
def aligned_correlation(beats: np.ndarray, template: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Best Pearson correlation of every beat with ``template`` over lags ``-max_lag..max_lag``.

    ``beats`` is ``(n_beats, n)``, ``template`` is ``(n,)``; the central ``n - 2*max_lag`` samples are compared.
    Returns ``(corr, lag)``.
    """
    n_beats, n = beats.shape
    corr = np.empty(n_beats)
    lags = np.zeros(n_beats, dtype=np.int64)
    m = max(n - 2 * max_lag, 0)
    tc = np.zeros(m)
    ss, energy = _center(template, max_lag, tc) if m > 0 else (0.0, 0.0)
    s1 = np.empty(n + 1)
    s2 = np.empty(n + 1)
    for k in range(n_beats):
        _prefix(beats[k], s1, s2)
        best = -2.0
        best_lag = 0
        for lag in range(-max_lag, max_lag + 1):
            c = _corr_fast(beats[k], s1, s2, tc, ss, energy, lag, max_lag)
            if c > best:
                best = c
                best_lag = lag
        corr[k] = best
        lags[k] = best_lag
    return corr, lags


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
    n_beats, n = beats.shape
    templates = np.zeros((max_templates, n))
    counts = np.zeros(max_templates, dtype=np.int64)
    labels = np.empty(n_beats, dtype=np.int64)
    m = max(n - 2 * max_lag, 0)
    centred = np.zeros((max_templates, m))  # centred central parts of the templates, kept up to date
    t_ss = np.zeros(max_templates)
    t_energy = np.zeros(max_templates)
    s1 = np.empty(n + 1)
    s2 = np.empty(n + 1)
    n_templates = 0
    last_j = -1
    for k in range(n_beats):
        beat = beats[k]
        _prefix(beat, s1, s2)
        best = -2.0
        best_j = -1
        best_lag = 0
        if last_j >= 0:  # most beats match the template of the beat before: try it first
            for lag in range(-max_lag, max_lag + 1):
                c = _corr_fast(beat, s1, s2, centred[last_j], t_ss[last_j], t_energy[last_j], lag, max_lag)
                if c > best:
                    best = c
                    best_j = last_j
                    best_lag = lag
        if best < threshold:
            for j in range(n_templates):
                if j == last_j:
                    continue
                for lag in range(-max_lag, max_lag + 1):
                    c = _corr_fast(beat, s1, s2, centred[j], t_ss[j], t_energy[j], lag, max_lag)
                    if c > best:
                        best = c
                        best_j = j
                        best_lag = lag
        if best >= threshold or (n_templates == max_templates and best_j >= 0):
            j = best_j
            counts[j] += 1
            w = 1.0 / min(counts[j], 32)
            for i in range(max_lag, n - max_lag):
                templates[j, i] += w * (beat[i + best_lag] - templates[j, i])
            labels[k] = j
            last_j = j
        else:
            j = n_templates
            n_templates += 1
            for i in range(n):
                templates[j, i] = beat[i]
            counts[j] = 1
            labels[k] = j
            last_j = j
        if m > 0:
            t_ss[j], t_energy[j] = _center(templates[j], max_lag, centred[j])
    return labels, counts[:n_templates].copy(), templates[:n_templates].copy()


@numba.njit(cache=True)
def qrs_extent(energy: np.ndarray, center: int, frac: float, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Onset and offset (sample indices) of the QRS in each row of ``energy`` (``(n_beats, n)``, >= 0).

    The peak is searched within ``+-max_gap`` of ``center``; onset/offset are where the energy,
    walking outwards from the peak, stays below ``frac`` x peak for ``max_gap`` samples (so a
    notch inside a wide QRS does not end it).
    """
    n_beats, n = energy.shape
    onset = np.empty(n_beats, dtype=np.int64)
    offset = np.empty(n_beats, dtype=np.int64)
    for k in range(n_beats):
        lo = max(center - max_gap, 0)
        hi = min(center + max_gap + 1, n)
        p = lo
        for i in range(lo, hi):
            if energy[k, i] > energy[k, p]:
                p = i
        thr = frac * energy[k, p]
        i = p
        last = p
        while i > 0:
            i -= 1
            if energy[k, i] >= thr:
                last = i
            elif last - i > max_gap:
                break
        onset[k] = last
        i = p
        last = p
        while i < n - 1:
            i += 1
            if energy[k, i] >= thr:
                last = i
            elif i - last > max_gap:
                break
        offset[k] = last
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
    for i in range(n):
        for t in range(w):
            buf[t] = x[min(max(i - half + t, 0), n - 1)]
        for a in range(1, w):  # insertion sort: the window is short
            v = buf[a]
            b = a - 1
            while b >= 0 and buf[b] > v:
                buf[b + 1] = buf[b]
                b -= 1
            buf[b + 1] = v
        out[i] = buf[half]
    return out
