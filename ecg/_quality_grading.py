"""Numba kernels that grade signal quality from the window features (private; callers validate).

:func:`grade_windows` applies the rules of :func:`ecg.quality.assess_quality` per window and lead,
:func:`segment_levels` turns overlapping windows into per-segment levels, :func:`summarize` gives the lead and
record verdicts, and :func:`assess` runs the whole of ``assess_quality`` after validation in one call, with
the features of :mod:`ecg._quality_kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._quality_kernels import (
    F_BASELINE,
    F_FLAT,
    F_KURTOSIS,
    F_MASKED,
    F_PTP,
    F_SATURATED,
    F_SLOPE_CONC,
    template_correlation,
    window_features,
)

__all__ = ["N_PARAMS", "grade_windows", "segment_levels", "summarize", "assess"]


# parameters of grade_windows, in this order (a float64 array)
(P_MAX_MASKED, P_MAX_SATURATED, P_LEAD_OFF, P_MIN_KURTOSIS, P_MIN_SLOPE_CONC, P_GOOD_SLOPE_CONC, P_MOTION_RATIO,
 P_MAX_PTP, P_GOOD_BASELINE, P_MAX_BASELINE, P_MIN_CORR, P_RESCUE_CORR, P_CONFIRM_CORR, P_QUIET_RATIO) = range(14)
N_PARAMS = 14

_UNREADABLE = 0
_ACCEPTABLE = 1
_GOOD = 2


@njit(cache=True)
def grade_windows(
    feats: np.ndarray, corr: np.ndarray, use_corr: bool, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level (0 unreadable, 1 acceptable, 2 good), lead-off flag and template confirmation per window and lead.

    The rules documented in :func:`ecg.quality.assess_quality`, applied to the :func:`window_features`
    ``feats`` (and, when ``use_corr``, the :func:`template_correlation` ``corr``) with the thresholds
    ``p`` (indices ``P_*``). NaN features fail every comparison, as in NumPy.

    Returns
    -------
    tuple
        ``(levels int8, off bool, confirmed bool)``, each ``(n_windows, n_leads)``.
    """
    n_windows, n_leads = feats.shape[0], feats.shape[1]
    levels = np.empty((n_windows, n_leads), dtype=np.int8)
    off = np.zeros((n_windows, n_leads), dtype=np.bool_)
    confirmed = np.zeros((n_windows, n_leads), dtype=np.bool_)
    usable = np.empty(n_windows)
    for j in range(n_leads):
        # the lead's median amplitude over windows that are neither dead nor below the lead-off amplitude
        n_usable = 0
        for k in range(n_windows):
            ptp = feats[k, j, F_PTP]
            if not (feats[k, j, F_FLAT] > p[P_MAX_MASKED]) and not (ptp < p[P_LEAD_OFF]) and ptp == ptp:
                usable[n_usable] = ptp
                n_usable += 1
        has_ptp = n_usable > 0
        median_ptp = np.median(usable[:n_usable]) if has_ptp else np.inf
        for k in range(n_windows):
            masked = feats[k, j, F_MASKED]
            ptp = feats[k, j, F_PTP]
            kurt = feats[k, j, F_KURTOSIS]
            conc = feats[k, j, F_SLOPE_CONC]
            sat = feats[k, j, F_SATURATED]
            dead = feats[k, j, F_FLAT] > p[P_MAX_MASKED]  # exactly flat: disconnected
            small = ptp < p[P_LEAD_OFF]
            # a live but quiet line (valid, not constant samples, far below the lead's own ECG amplitude):
            # asystole or a pause looks like this, and it is readable -- unlike a disconnected lead
            quiet = (not dead and masked <= p[P_MAX_MASKED] and ptp < p[P_QUIET_RATIO] * median_ptp
                     and has_ptp and ptp == ptp)
            lead_off = dead or (small and not quiet)
            hard_bad = lead_off or masked > p[P_MAX_MASKED] or sat > p[P_MAX_SATURATED]
            baseline = feats[k, j, F_BASELINE] / median_ptp
            motion = (ptp > p[P_MOTION_RATIO] * median_ptp or ptp > p[P_MAX_PTP]
                      or baseline > p[P_MAX_BASELINE])
            # kurtosis alone misjudges clean leads with biphasic QRS and tall T waves (and wide
            # complexes): it only counts where the slope concentration is doubtful too
            noisy = (conc < p[P_MIN_SLOPE_CONC] or conc != conc
                     or (kurt < p[P_MIN_KURTOSIS] and conc < p[P_GOOD_SLOPE_CONC]))
            doubtful = conc < p[P_GOOD_SLOPE_CONC] or sat > 0 or masked > 0.1 or baseline > p[P_GOOD_BASELINE]
            level = _GOOD
            if doubtful:
                level = _ACCEPTABLE
            if noisy or motion:
                level = _UNREADABLE
            if use_corr:
                c = corr[k, j]
                if c >= p[P_RESCUE_CORR] and noisy and not motion:
                    level = _ACCEPTABLE
                if c < p[P_MIN_CORR]:
                    level = max(level - 1, _UNREADABLE)
                confirmed[k, j] = c >= p[P_CONFIRM_CORR] and not motion and not hard_bad
            if quiet:
                level = _ACCEPTABLE
            if hard_bad:
                level = _UNREADABLE
            levels[k, j] = level
            off[k, j] = lead_off
    return levels, off, confirmed


@njit(cache=True)
def segment_levels(
    levels: np.ndarray, off: np.ndarray, confirmed: np.ndarray, n_segments: int, per_window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ``hop`` segment: the best level of the windows covering it, lead off when all of them are, and
    template-confirmed when any of them is (and the segment is readable).

    Segment ``k`` lies in windows ``k - per_window < w <= k``; segments past the last window take the last
    window's values.
    """
    n_windows, n_leads = levels.shape
    seg_levels = np.zeros((n_segments, n_leads), dtype=np.int8)
    seg_off = np.zeros((n_segments, n_leads), dtype=np.bool_)
    seg_confirmed = np.zeros((n_segments, n_leads), dtype=np.bool_)
    if n_windows == 0:
        return seg_levels, seg_off, seg_confirmed
    for k in range(n_segments):
        w_lo = max(k - per_window + 1, 0)
        w_hi = min(k, n_windows - 1)
        if w_lo > w_hi:  # past the last window
            w_lo = n_windows - 1
            w_hi = n_windows - 1
        for j in range(n_leads):
            best = -1
            all_off = True
            any_confirmed = False  # some covering window has a consistent, template-confirmed morphology
            for w in range(w_lo, w_hi + 1):
                best = max(best, levels[w, j])
                all_off = all_off and off[w, j]
                any_confirmed = any_confirmed or confirmed[w, j]
            seg_levels[k, j] = best
            seg_off[k, j] = all_off
            seg_confirmed[k, j] = any_confirmed and best > _UNREADABLE
    return seg_levels, seg_off, seg_confirmed


@njit(cache=True)
def _verdict(frac: float, column: np.ndarray, sure: np.ndarray, seg_len: np.ndarray, total: float,
             acceptable_weight: float, min_readable: float) -> int:  # pragma: no cover - compiled
    """Level of one lead (or of the record) from its segment levels, template confirmation and readable share."""
    if column.shape[0] == 0:
        return _UNREADABLE
    # acceptable time whose beats are template-confirmed counts in full (an AF record with small
    # QRS and coarse fibrillatory waves is "acceptable" to the signal features throughout)
    good = 0.0
    good_or_sure = 0.0
    for k in range(column.shape[0]):
        if column[k] == _GOOD:
            good += seg_len[k]
        if column[k] == _GOOD or sure[k]:
            good_or_sure += seg_len[k]
    good /= total
    good_or_sure /= total
    score = good_or_sure + acceptable_weight * (frac - good_or_sure)
    if frac < min_readable or score < min_readable:
        return _UNREADABLE
    return _GOOD if good >= 0.8 else _ACCEPTABLE


@njit(cache=True)
def summarize(
    seg_levels: np.ndarray,
    seg_off: np.ndarray,
    seg_confirmed: np.ndarray,
    saturated: np.ndarray,
    step_s: float,
    duration_s: float,
    acceptable_weight: float,
    min_readable: float,
) -> tuple[np.ndarray, float, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """Time-weighted summary of the segment verdicts of :func:`segment_levels`.

    Segments last ``step_s`` except the last, which ends at ``duration_s``. A lead (the record) is
    unreadable when less than ``min_readable`` of the time is readable or its quality score (good = 1,
    acceptable = ``acceptable_weight``, template-confirmed readable time = 1) is below it; good when
    at least 80 % of the time is good; acceptable otherwise.

    Returns
    -------
    tuple
        ``(lead_readable_fraction, readable_fraction, lead_levels, record_level, lead_off_fraction,
        saturated_fraction, record_readable)``; ``record_readable`` is per segment.
    """
    n_seg, n_leads = seg_levels.shape
    n = saturated.shape[0]
    seg_len = np.full(n_seg, step_s)
    if n_seg:
        seg_len[n_seg - 1] = duration_s - (n_seg - 1) * step_s
    total = max(duration_s, 1e-12)
    lead_frac = np.zeros(n_leads)
    lead_off_frac = np.zeros(n_leads) if n_seg else np.ones(n_leads)
    record_column = np.zeros(n_seg, dtype=np.int8)
    record_sure = np.zeros(n_seg, dtype=np.bool_)
    rec_readable = np.zeros(n_seg, dtype=np.bool_)
    rec_frac = 0.0
    for k in range(n_seg):
        best = 0
        sure = False
        for j in range(n_leads):
            level = seg_levels[k, j]
            if level > _UNREADABLE:
                lead_frac[j] += seg_len[k]
            if seg_off[k, j]:
                lead_off_frac[j] += seg_len[k]
            best = max(best, level)
            sure = sure or seg_confirmed[k, j]
        record_column[k] = best
        record_sure[k] = sure
        rec_readable[k] = best > _UNREADABLE
        if best > _UNREADABLE:
            rec_frac += seg_len[k]
    lead_levels = np.zeros(n_leads, dtype=np.int64)
    n_sat = np.zeros(n_leads, dtype=np.int64)
    for i in range(n):  # row by row: the mask is read in memory order
        for j in range(n_leads):
            n_sat[j] += saturated[i, j]
    sat_frac = np.zeros(n_leads)
    for j in range(n_leads):
        lead_frac[j] /= total
        if n_seg:
            lead_off_frac[j] /= total
        lead_levels[j] = _verdict(lead_frac[j], seg_levels[:, j], seg_confirmed[:, j], seg_len, total,
                                  acceptable_weight, min_readable)
        if n:
            sat_frac[j] = n_sat[j] / n
    rec_frac /= total
    level = _verdict(rec_frac, record_column, record_sure, seg_len, total, acceptable_weight, min_readable)
    return lead_frac, rec_frac, lead_levels, level, lead_off_frac, sat_frac, rec_readable


@njit(cache=True)
def assess(
    y: np.ndarray,
    missing: np.ndarray,
    flat: np.ndarray,
    saturated: np.ndarray,
    win: int,
    hop: int,
    n_windows: int,
    stride: int,
    smooth: int,
    beats: np.ndarray,
    half: int,
    use_corr: bool,
    p: np.ndarray,
    n_segments: int,
    step_s: float,
    duration_s: float,
    acceptable_weight: float,
    min_readable: float,
) -> tuple:
    """The whole of :func:`ecg.quality.assess_quality` after validation, in one call.

    :func:`window_features`, :func:`template_correlation` (when ``use_corr``), :func:`grade_windows`,
    :func:`segment_levels` (``ceil(win / hop)`` windows a segment) and :func:`summarize`.

    Returns
    -------
    tuple
        ``(seg_levels, seg_off, fractions, codes)`` (few arrays: each one handed back to Python costs time).
        ``fractions`` (float64, ``3 * n_leads + 1``): the lead readable, lead-off and saturated fractions,
        ``n_leads`` each, then the record's readable fraction. ``codes`` (int64, ``2 + 3 * n_leads``): the
        lead levels, the record level, then the flagged counts -- the unreadable segments of the record,
        then per lead the unreadable and the lead-off segments (so the caller lists time ranges only where
        there are some).
    """
    feats = window_features(y, missing, flat, saturated, win, hop, n_windows, stride, smooth)
    if use_corr:
        corr = template_correlation(y, beats, half, win, hop, n_windows)
    else:
        corr = np.empty((n_windows, y.shape[1]))
    levels, off, confirmed = grade_windows(feats, corr, use_corr, p)
    seg_levels, seg_off, seg_confirmed = segment_levels(levels, off, confirmed, n_segments, -(-win // hop))
    lead_frac, rec_frac, lead_levels, level, lead_off_frac, sat_frac, rec_readable = summarize(
        seg_levels, seg_off, seg_confirmed, saturated, step_s, duration_s, acceptable_weight, min_readable
    )
    n_leads = y.shape[1]
    fractions = np.empty(3 * n_leads + 1)
    fractions[:n_leads] = lead_frac
    fractions[n_leads : 2 * n_leads] = lead_off_frac
    fractions[2 * n_leads : 3 * n_leads] = sat_frac
    fractions[3 * n_leads] = rec_frac
    codes = np.zeros(2 + 3 * n_leads, dtype=np.int64)
    codes[:n_leads] = lead_levels
    codes[n_leads] = level
    flagged = codes[n_leads + 1 :]
    for k in range(n_segments):
        flagged[0] += not rec_readable[k]
        for j in range(n_leads):
            flagged[1 + j] += seg_levels[k, j] == _UNREADABLE
            flagged[1 + n_leads + j] += seg_off[k, j]
    return seg_levels, seg_off, fractions, codes
