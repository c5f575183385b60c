"""Plain-NumPy reference of :func:`ecg.af.af_statistics` (whose values come from a Numba kernel)."""

from __future__ import annotations

import numpy as np

from ecg.af import _AF_BIG_DRR, AfStatistics


def af_statistics_reference(
    rr_s: np.ndarray, clean: np.ndarray, p_wave_corr: np.ndarray | None = None, *, min_pairs: int = 6
) -> AfStatistics | None:
    """:class:`AfStatistics` of ``rr_s`` from the successive pairs of ``clean`` intervals, written out in NumPy."""
    rr = np.asarray(rr_s, dtype=np.float64)
    ok = np.asarray(clean, dtype=bool)
    pair = ok[:-1] & ok[1:]
    if np.count_nonzero(pair) < min_pairs:
        return None
    drr = np.abs(np.diff(rr))[pair]
    med = float(np.median(rr[ok]))
    pattern = float("nan")
    for k in (2, 3):
        if rr.size > k + 2:
            sel = ok[k:] & ok[:-k]
            if np.count_nonzero(sel) >= 4:
                lagged = float(np.median(np.abs(rr[k:] - rr[:-k])[sel]) / med)
                pattern = lagged if not np.isfinite(pattern) else min(pattern, lagged)
    tpr = float("nan")
    trip = ok[:-2] & ok[1:-1] & ok[2:]
    if np.count_nonzero(trip) >= 4:
        d1, d2 = np.diff(rr)[:-1], np.diff(rr)[1:]
        tpr = float(np.mean((d1 * d2 < 0)[trip]))
    pw = float("nan")
    if p_wave_corr is not None:
        beat_ok = np.zeros(rr.size + 1, dtype=bool)
        beat_ok[:-1] |= ok
        beat_ok[1:] |= ok
        vals = np.asarray(p_wave_corr)[beat_ok]
        vals = vals[np.isfinite(vals)]
        if vals.size >= 4:
            pw = float(np.median(vals))
    return AfStatistics(
        median_drr_ratio=float(np.median(drr) / med),
        irregular_fraction=float(np.mean(drr > _AF_BIG_DRR * med)),
        n_pairs=int(drr.size),
        mean_rate_bpm=float(60.0 / np.mean(rr[ok])),
        pattern_ratio=pattern,
        p_wave_corr=pw,
        turning_point_ratio=tpr,
    )
