"""Rhythm and episode analysis on a classified beat sequence.

Every function takes the beat times (s), their :class:`~ecg.beats.BeatClass` labels and which
beats / intervals are readable, and returns :class:`~ecg.findings.Finding` objects. Nothing is
reported from an unreadable stretch: RR intervals that touch an unknown beat or overlap an
unreadable time range are left out of every measurement.

Methods
-------
* **AF** -- RR irregularity after removing the intervals next to ectopic (ventricular,
  supraventricular premature, paced, unknown) beats, so that bigeminy, trigeminy and isolated
  ectopy do not look irregular. Two statistics of the successive RR differences ``dRR`` are used
  (Tateno & Glass, Med Biol Eng Comput 39:664-671, 2001, base AF detection on the ``dRR``
  distribution; Sarkar, Ritscher & Mehra, IEEE TBME 55:1219-1224, 2008, on the ``dRR`` scatter):
  the median ``|dRR|`` relative to the median RR, and the fraction of ``|dRR|`` above 10 % of the
  median RR. Both are large in AF.
  Sinus arrhythmia changes RR smoothly, so it has few turning points (Dash et al., 2009); a repeating
  pattern with P waves is ectopy or block, not AF. P-wave evidence (beat-to-beat consistency of the PR
  window, :mod:`ecg.beats`) is used to veto, never to call AF on its own.

  *Short records* (<= ``short_record_s``, e.g. 9-61 s single-lead uploads) are judged as a whole, and only
  on enough evidence: at least 8 successive clean RR pairs, and clean intervals making up at least half
  of the readable ones. *Long records* are judged in sliding windows of ``af_window_beats`` intervals,
  whose votes form episodes of at least ``af_min_duration_s``; when the record has >= 20 clearly regular
  windows, a window whose P-wave consistency stays at their level (>= their 10th percentile, or less than
  0.2 below their median) keeps the patient's own sinus P waves and is not AF (a within-record baseline,
  robust to lead and amplitude differences; this removes the sinus-arrhythmia "AF" of MIT-BIH 108).
  A record or window whose beats lie mostly in marginal signal (``BeatSequence.noisy``) is called AF only
  on a strong irregularity (>= 2.5 x the thresholds): noise lowers the P-wave consistency and detection
  jitter adds irregularity, so neither the P-wave veto nor a mild irregularity can be trusted there.
* **Rate** -- median RR of the intervals between normal beats over the record (short records) or in
  windows of ``rate_sustained_s`` (Numba kernel, one pass per window).
* **Pauses / asystole** -- RR intervals (or gaps without QRS) inside readable signal.
* **Ventricular ectopy** -- runs of the ventricular label: ``VT`` (>= ``vt_min_beats`` faster than
  ``vt_rate_bpm``). The run's rate is 60 / its mean cycle length, each beat contributing the cycle that
  ends at it (the coupling interval of the first beat included): the guideline criterion "rate > 100 bpm,
  cycle length < 600 ms" (Zipes et al., ACC/AHA/ESC 2006 guidelines for ventricular arrhythmias,
  Circulation 114:e385). The mean of the instantaneous rates is not used: one short coupling interval
  inflates it. Slower runs are counted (``n_slow_runs`` of the PVC finding), as are runs of 3-4 beats
  lying wholly in marginal signal; couplets, bigeminy (``(NV){3,}``), trigeminy (``(NNV){3,}``), PVC burden.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _rhythm_kernels as _rk
from .beats import BeatClass
from .errors import EcgValueError
from .findings import Finding, FindingCode
from .settings import ScreeningSettings

__all__ = [
    "BeatSequence",
    "AfStatistics",
    "af_statistics",
    "af_findings",
    "rate_findings",
    "pause_findings",
    "ventricular_findings",
    "heart_rate_bpm",
]

log = logging.getLogger(__name__)

_ECTOPIC = (BeatClass.SUPRAVENTRICULAR, BeatClass.VENTRICULAR, BeatClass.PACED, BeatClass.UNKNOWN)
_AF_BIG_DRR = 0.10  # |dRR| above this fraction of the median RR counts as an irregular step
_AF_PATTERN = 0.04  # median |RR[i] - RR[i-k]| / median RR below this: a repeating pattern
_AF_STRONG = 2.5  # irregularity that stands even with consistent P waves
_AF_SMOOTH_TPR = 0.5  # turning-point ratio below this: smooth (respiratory) RR modulation
_AF_P_CERTAIN = 0.95  # P-wave consistency that rules AF out
_AF_SMOOTH_TPR_ALONE = 0.45  # ~3 SD below the 2/3 of a random series of 30: smooth even without P-wave evidence
_AF_TPR_MIN_PAIRS = 12
_AF_MERGE_GAP_S = 20.0  # AF stretches closer than this (s) form one episode
_AF_SHORT_MIN_PAIRS = 8  # successive clean RR pairs a short record needs for an AF verdict
_AF_MIN_CLEAN_SHARE = 0.5  # ... and the share of its readable intervals that must be clean
_AF_MARGINAL_SHARE = 0.5  # share of beats in marginal signal above which AF needs a strong irregularity
_AF_P_DROP = 0.2  # fall of P-wave consistency below the record's sinus median that AF needs at least
_AF_BASELINE_MIN_WINDOWS = 20  # regular windows (~2.5 min) that define a record's own sinus P-wave level
_SYMBOLS = np.frombuffer(b"NSVPQ", dtype=np.uint8)  # one letter per BeatClass value
_VT_SHORT_RUN = 5  # runs shorter than this, wholly in marginal signal, are not reported as VT


@dataclass(frozen=True, slots=True, eq=False)
class BeatSequence:
    """Beats of one record ready for rhythm analysis.

    Attributes
    ----------
    times_s
        Beat times in s from the record start (strictly increasing).
    labels
        :class:`~ecg.beats.BeatClass` values (int8), one per beat.
    interval_ok
        One per RR interval (``len(times_s) - 1``): the interval lies in readable signal.
    duration_s
        Record length in s.
    leads
        Leads the beat analysis rests on (for the findings' evidence).
    p_wave_corr
        Optional per-beat P-wave consistency (:attr:`ecg.beats.BeatClassification.p_wave_corr`).
    noisy
        Optional per-beat flag: the beat lies in a marginal (readable but not good) stretch.
    """

    times_s: np.ndarray
    labels: np.ndarray
    interval_ok: np.ndarray
    duration_s: float
    leads: tuple[str, ...] = ()
    p_wave_corr: np.ndarray | None = None
    noisy: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        times_s: np.ndarray,
        labels: np.ndarray,
        *,
        duration_s: float,
        unreadable_ranges: Sequence[tuple[float, float]] = (),
        leads: Sequence[str] = (),
        p_wave_corr: np.ndarray | None = None,
        noisy: np.ndarray | None = None,
    ) -> BeatSequence:
        """Validate the inputs and mark the intervals that overlap ``unreadable_ranges`` (s) or touch an unknown beat."""
        t = np.ascontiguousarray(times_s, dtype=np.float64)
        lab = np.ascontiguousarray(labels, dtype=np.int8)
        if t.ndim != 1 or lab.shape != t.shape:
            raise EcgValueError(f"times_s/labels: expected two 1-D arrays of equal length, got {t.shape} and {lab.shape}")
        if t.size and (not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0)):
            raise EcgValueError("times_s: expected finite, strictly increasing beat times in s")
        ok = np.ones(max(t.size - 1, 0), dtype=bool)
        if t.size > 1:
            unknown = lab == BeatClass.UNKNOWN
            ok &= ~(unknown[:-1] | unknown[1:])
            for start, end in unreadable_ranges:
                ok &= ~((t[:-1] < end) & (t[1:] > start))
        pw = None
        if p_wave_corr is not None:
            pw = np.asarray(p_wave_corr, dtype=np.float64)
            if pw.shape != t.shape:
                raise EcgValueError(f"p_wave_corr: expected {t.size} values, got shape {pw.shape}")
        nz = None
        if noisy is not None:
            nz = np.asarray(noisy, dtype=bool)
            if nz.shape != t.shape:
                raise EcgValueError(f"noisy: expected {t.size} flags, got shape {nz.shape}")
        return cls(t, lab, ok, float(duration_s), tuple(leads), pw, nz)

    @property
    def rr_s(self) -> np.ndarray:
        """RR intervals in s."""
        return np.diff(self.times_s)

    @property
    def n_beats(self) -> int:
        """Number of beats."""
        return int(self.times_s.size)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) end indices of the runs of True in a 1-D boolean array."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def heart_rate_bpm(seq: BeatSequence) -> float | None:
    """Median heart rate (bpm) over the readable RR intervals, ``None`` when fewer than 2 exist."""
    rr = seq.rr_s[seq.interval_ok]
    if rr.size < 2:
        return None
    return float(60.0 / np.median(rr))


# ---------------------------------------------------------------------------------------------- AF


@dataclass(frozen=True, slots=True)
class AfStatistics:
    """RR irregularity of a stretch, after ectopic beats are removed.

    Attributes
    ----------
    median_drr_ratio
        Median ``|dRR|`` over the median RR (dimensionless).
    irregular_fraction
        Fraction of ``|dRR|`` above 10 % of the median RR.
    n_pairs
        Number of successive clean RR pairs the statistics rest on.
    mean_rate_bpm
        Mean ventricular rate of the clean intervals (bpm).
    pattern_ratio
        Smallest of the median ``|RR[i] - RR[i-k]|`` (k = 2, 3) over the median RR: small for a repeating
        (bigeminal, trigeminal, group-beating) pattern.
    p_wave_corr
        Median P-wave consistency of the beats (NaN when unknown).
    turning_point_ratio
        Share of RR intervals that are a local minimum or maximum: about 2/3 for a random (AF) series,
        lower for the smooth RR changes of sinus arrhythmia (Dash et al., Ann Biomed Eng 37:1701-1709, 2009).
    """

    median_drr_ratio: float
    irregular_fraction: float
    n_pairs: int
    mean_rate_bpm: float
    pattern_ratio: float = float("nan")
    p_wave_corr: float = float("nan")
    turning_point_ratio: float = float("nan")

    def irregularity(self, settings: ScreeningSettings) -> float:
        """``min`` of both statistics over their thresholds: >= 1 is irregular."""
        return min(
            self.median_drr_ratio / settings.af_drr_ratio, self.irregular_fraction / settings.af_irregular_fraction
        )

    def is_af(self, settings: ScreeningSettings) -> bool:
        """Irregular RR, unless consistent P waves go with a repeating pattern or a mild irregularity.

        A turning-point ratio below 0.45 (over >= 12 pairs) vetoes AF on its own: a random RR series has
        2/3 (Dash et al., 2009). Consistent P waves (``p_wave_corr >= af_p_wave_corr``) veto AF when the RR irregularity is a
        repeating pattern (``pattern_ratio < 0.04``) or less than ``_AF_STRONG`` x its thresholds (sinus
        arrhythmia, ectopy the classifier missed).
        """
        irr = self.irregularity(settings)
        if irr < 1.0:
            return False
        if self.n_pairs >= _AF_TPR_MIN_PAIRS and self.turning_point_ratio < _AF_SMOOTH_TPR_ALONE:
            return False  # far fewer turning points than a random series: smooth, not fibrillation
        if np.isfinite(self.p_wave_corr) and self.p_wave_corr >= settings.af_p_wave_corr:
            return not (
                self.pattern_ratio < _AF_PATTERN
                or irr < _AF_STRONG
                or self.turning_point_ratio < _AF_SMOOTH_TPR
                or self.p_wave_corr >= _AF_P_CERTAIN
            )
        return True

    def confidence(self, settings: ScreeningSettings) -> float:
        """How far past the thresholds (0.5 at the threshold, towards 1 at twice it)."""
        return float(np.clip(0.5 * self.irregularity(settings), 0.0, 1.0))


def _clean_intervals(seq: BeatSequence) -> np.ndarray:
    """Intervals whose both beats are normal (not ectopic) and that lie in readable signal."""
    ectopic = np.isin(seq.labels, [int(c) for c in _ECTOPIC])
    return seq.interval_ok & ~(ectopic[:-1] | ectopic[1:]) if seq.n_beats > 1 else np.zeros(0, dtype=bool)


def af_statistics(
    rr_s: np.ndarray, clean: np.ndarray, p_wave_corr: np.ndarray | None = None, *, min_pairs: int = 6
) -> AfStatistics | None:
    """:class:`AfStatistics` of RR intervals ``rr_s`` (s) using only successive pairs of ``clean`` intervals.

    ``p_wave_corr`` (one per beat, ``len(rr_s) + 1``) adds the P-wave evidence. Returns ``None`` when
    fewer than ``min_pairs`` clean pairs exist.
    """
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


def af_findings(seq: BeatSequence, settings: ScreeningSettings) -> list[Finding]:
    """AF findings: one record-level finding (short records) or episodes (long records)."""
    if seq.n_beats < 8:
        return []
    rr = seq.rr_s
    clean = _clean_intervals(seq)
    if seq.duration_s <= settings.short_record_s:
        # a short record is judged as a whole, but only on enough evidence: >= _AF_SHORT_MIN_PAIRS successive
        # clean RR pairs, and clean intervals making up at least half of the readable ones (else the verdict
        # would rest on a minority of the beats, e.g. the few clean stretches of an ectopy- or noise-ridden record)
        n_readable = int(np.count_nonzero(seq.interval_ok))
        if np.count_nonzero(clean) < _AF_MIN_CLEAN_SHARE * n_readable:
            log.debug("AF not judged: %d of %d readable intervals are clean", np.count_nonzero(clean), n_readable)
            return []
        stats = af_statistics(rr, clean, seq.p_wave_corr, min_pairs=_AF_SHORT_MIN_PAIRS)
        if stats is None or not stats.is_af(settings):
            return []
        marginal = _marginal_share(seq, np.zeros(1, dtype=np.int64), rr.size)[0] > _AF_MARGINAL_SHARE
        if marginal and stats.irregularity(settings) < _AF_STRONG:
            log.debug("AF not called: mild irregularity (%.2f) in a mostly marginal record", stats.irregularity(settings))
            return []
        return [_af_finding(seq, 0, rr.size, stats, settings)]
    w = settings.af_window_beats
    if rr.size < w:
        return []
    step = max(1, w // 4)
    starts = np.arange(0, rr.size - w + 1, step, dtype=np.int64)
    if seq.p_wave_corr is None:
        pw_all = np.full(seq.n_beats, np.nan)
    else:
        pw_all = np.ascontiguousarray(seq.p_wave_corr, dtype=np.float64)
    table = _rk.af_window_statistics(
        np.ascontiguousarray(rr), np.ascontiguousarray(clean), pw_all, starts, w, max(6, w // 3)
    )
    valid = np.isfinite(table[:, 0])
    decided = _af_decisions(table, settings) & ~_sinus_level_p_waves(table, settings)
    # in marginal signal P-wave evidence is unreliable (noise lowers its consistency) and detection jitter adds
    # irregularity: a window mostly in marginal signal votes AF only on a strong irregularity
    with np.errstate(invalid="ignore"):
        irr = np.minimum(table[:, 0] / settings.af_drr_ratio, table[:, 1] / settings.af_irregular_fraction)
    decided &= ~((_marginal_share(seq, starts, w) > _AF_MARGINAL_SHARE) & ~(irr >= _AF_STRONG))
    cover = _window_counts(starts[valid], w, rr.size)
    votes = _window_counts(starts[decided], w, rr.size)
    af = (cover > 0) & (votes >= 0.5 * cover)
    af &= seq.interval_ok
    out = []
    starts, ends = _runs(_close_gaps(af, seq.times_s, max_gap_s=_AF_MERGE_GAP_S))
    for a, b in zip(starts, ends):
        if seq.times_s[b] - seq.times_s[a] < settings.af_min_duration_s:
            continue
        pw = None if seq.p_wave_corr is None else seq.p_wave_corr[a : b + 1]
        stats = af_statistics(rr[a:b], clean[a:b], pw)
        if stats is None:
            continue
        out.append(_af_finding(seq, a, b, stats, settings))
    return out


def _window_counts(starts: np.ndarray, w: int, n: int) -> np.ndarray:
    """How many of the windows ``[s, s + w)`` (s in ``starts``) cover each of ``n`` intervals."""
    diff = np.zeros(n + 1)
    np.add.at(diff, starts, 1.0)
    np.add.at(diff, starts + w, -1.0)
    return np.cumsum(diff[:-1])


def _marginal_share(seq: BeatSequence, starts: np.ndarray, n: int) -> np.ndarray:
    """Share of the ``n + 1`` beats of each window ``starts`` (intervals ``[s, s + n)``) in marginal signal."""
    if seq.noisy is None:
        return np.zeros(starts.size)
    cs = np.concatenate([[0], np.cumsum(seq.noisy, dtype=np.int64)])
    return (cs[starts + n + 1] - cs[starts]) / (n + 1)


def _sinus_level_p_waves(table: np.ndarray, settings: ScreeningSettings) -> np.ndarray:
    """Windows whose P-wave consistency is at the level of the record's own regular-rhythm windows.

    AF replaces organised atrial activity with fibrillatory waves, so in the same patient, lead and
    electrode placement the P-wave consistency of an AF stretch falls below that of the sinus stretches.
    When the record holds at least ``_AF_BASELINE_MIN_WINDOWS`` clearly regular windows (irregularity
    below half the AF thresholds), a window whose consistency reaches the lower of their 10th percentile
    and their median less ``_AF_P_DROP`` (0.2, about the window-to-window spread of the measure in sinus
    rhythm) keeps sinus-level P waves and is not AF (sinus arrhythmia, missed ectopy). A within-record
    baseline sidesteps the lead and amplitude differences that make one absolute threshold unreliable.
    Records without such a baseline (all AF, short) rely on the absolute
    :attr:`ScreeningSettings.af_p_wave_corr` rule alone.

    Returns one boolean per row of the :func:`ecg._rhythm_kernels.af_window_statistics` table.
    """
    mdrr, irr_frac, pw = table[:, 0], table[:, 1], table[:, 5]
    with np.errstate(invalid="ignore"):
        irr = np.minimum(mdrr / settings.af_drr_ratio, irr_frac / settings.af_irregular_fraction)
        regular = np.isfinite(irr) & (irr < 0.5) & np.isfinite(pw)
        if np.count_nonzero(regular) < _AF_BASELINE_MIN_WINDOWS:
            return np.zeros(table.shape[0], dtype=bool)
        sinus = pw[regular]
        floor = min(float(np.percentile(sinus, 10)), float(np.median(sinus)) - _AF_P_DROP)
        return np.isfinite(pw) & (pw >= floor)


def _af_decisions(table: np.ndarray, settings: ScreeningSettings) -> np.ndarray:
    """:meth:`AfStatistics.is_af` of every row of an :func:`ecg._rhythm_kernels.af_window_statistics` table."""
    mdrr, irr_frac, n_pairs, _, pattern, pw, tpr = table.T
    valid = np.isfinite(mdrr)
    with np.errstate(invalid="ignore"):
        irr = np.minimum(mdrr / settings.af_drr_ratio, irr_frac / settings.af_irregular_fraction)
        af = valid & (irr >= 1.0)
        af &= ~((n_pairs >= _AF_TPR_MIN_PAIRS) & (tpr < _AF_SMOOTH_TPR_ALONE))
        p_present = np.isfinite(pw) & (pw >= settings.af_p_wave_corr)
        veto = p_present & (
            (pattern < _AF_PATTERN) | (irr < _AF_STRONG) | (tpr < _AF_SMOOTH_TPR) | (pw >= _AF_P_CERTAIN)
        )
    return af & ~veto


def _close_gaps(mask: np.ndarray, times_s: np.ndarray, *, max_gap_s: float) -> np.ndarray:
    """Fill runs of False shorter than ``max_gap_s`` between two runs of True (interval mask)."""
    out = mask.copy()
    starts, ends = _runs(~mask)
    for a, b in zip(starts, ends):
        if a == 0 or b == mask.size:
            continue
        if times_s[b] - times_s[a] < max_gap_s:
            out[a:b] = True
    return out


def _af_finding(seq: BeatSequence, a: int, b: int, stats: AfStatistics, settings: ScreeningSettings) -> Finding:
    """AF finding over intervals ``a..b`` (exclusive)."""
    return Finding(
        FindingCode.AF,
        start_s=seq.times_s[a],
        end_s=seq.times_s[b],
        leads=seq.leads,
        values={
            "rate_bpm": stats.mean_rate_bpm,
            "median_drr_ratio": stats.median_drr_ratio,
            "irregular_fraction": stats.irregular_fraction,
            "p_wave_corr": stats.p_wave_corr,
            "n_beats": int(b - a + 1),
        },
        confidence=stats.confidence(settings),
    )


# -------------------------------------------------------------------------------------------- rate


def _rate_class(bpm: float, settings: ScreeningSettings) -> FindingCode | None:
    if bpm < settings.extreme_brady_bpm:
        return FindingCode.EXTREME_BRADY
    if bpm < settings.brady_bpm:
        return FindingCode.BRADY
    if bpm > settings.extreme_tachy_bpm:
        return FindingCode.EXTREME_TACHY
    if bpm > settings.tachy_bpm:
        return FindingCode.TACHY
    return None


def rate_findings(seq: BeatSequence, settings: ScreeningSettings) -> list[Finding]:
    """BRADY / EXTREME_BRADY / TACHY / EXTREME_TACHY from the median RR (record or sustained windows).

    Only intervals between two normal beats count (the sinus or AF rate), so bigeminy or frequent
    ectopy does not read as tachycardia; a VT run is its own finding.
    """
    rr = seq.rr_s
    ok = _clean_intervals(seq)
    if np.count_nonzero(ok) < 4:
        return []
    if seq.duration_s <= settings.short_record_s:
        if np.sum(rr[ok]) < 0.4 * seq.duration_s:
            return []
        bpm = 60.0 / float(np.median(rr[ok]))
        code = _rate_class(bpm, settings)
        if code is None:
            return []
        return [_rate_finding(seq, code, seq.times_s[0], seq.times_s[-1], bpm, settings)]
    # long records: windows of rate_sustained_s advanced by a sixth of it
    win = settings.rate_sustained_s
    step = win / 6.0
    mids = 0.5 * (seq.times_s[:-1] + seq.times_s[1:])
    starts = np.arange(0.0, max(seq.duration_s - win, 0.0) + step, step)
    lo = np.searchsorted(mids, starts).astype(np.int64)
    hi = np.searchsorted(mids, starts + win).astype(np.int64)
    table = _rk.window_rate_statistics(np.ascontiguousarray(rr), np.ascontiguousarray(ok), lo, hi)
    enough = (table[:, 1] >= 0.4 * win) & (table[:, 2] >= 3)
    bpms = np.where(enough, 60.0 / table[:, 0], np.nan)
    with np.errstate(invalid="ignore"):
        hits = {
            FindingCode.EXTREME_BRADY: bpms < settings.extreme_brady_bpm,
            FindingCode.BRADY: bpms < settings.brady_bpm,
            FindingCode.EXTREME_TACHY: bpms > settings.extreme_tachy_bpm,
            FindingCode.TACHY: bpms > settings.tachy_bpm,
        }
    out: list[Finding] = []
    for code, hit in hits.items():
        r_starts, r_ends = _runs(hit)
        for a, b in zip(r_starts, r_ends):
            t0, t1 = starts[a], min(starts[b - 1] + win, seq.duration_s)
            vals = bpms[a:b]
            bpm = float(np.nanmin(vals) if code in (FindingCode.BRADY, FindingCode.EXTREME_BRADY) else np.nanmax(vals))
            out.append(_rate_finding(seq, code, t0, t1, bpm, settings))
    return out


def _rate_finding(
    seq: BeatSequence, code: FindingCode, t0: float, t1: float, bpm: float, settings: ScreeningSettings
) -> Finding:
    limit = {
        FindingCode.BRADY: settings.brady_bpm,
        FindingCode.EXTREME_BRADY: settings.extreme_brady_bpm,
        FindingCode.TACHY: settings.tachy_bpm,
        FindingCode.EXTREME_TACHY: settings.extreme_tachy_bpm,
    }[code]
    margin = abs(bpm - limit) / limit
    return Finding(
        code,
        start_s=t0,
        end_s=t1,
        leads=seq.leads,
        values={"rate_bpm": bpm, "limit_bpm": limit},
        confidence=float(np.clip(0.6 + 4.0 * margin, 0.0, 1.0)),
    )


# ------------------------------------------------------------------------------- pauses / asystole


def pause_findings(seq: BeatSequence, settings: ScreeningSettings) -> list[Finding]:
    """PAUSE (RR >= ``pause_s``; evidence: the longest, plus the count) and ASYSTOLE (>= ``asystole_s``).

    Only intervals inside readable signal count; a gap before the first or after the last beat
    counts when it is readable too (passed in as ``seq.interval_ok`` by the caller for inner gaps only).
    """
    rr = seq.rr_s
    if rr.size == 0:
        return []
    ok = seq.interval_ok
    out: list[Finding] = []
    asys = ok & (rr >= settings.asystole_s)
    for k in np.flatnonzero(asys):
        out.append(
            Finding(
                FindingCode.ASYSTOLE,
                start_s=seq.times_s[k],
                end_s=seq.times_s[k + 1],
                leads=seq.leads,
                values={"rr_s": float(rr[k])},
                confidence=float(np.clip(0.7 + 0.1 * (rr[k] - settings.asystole_s), 0.0, 1.0)),
            )
        )
    pauses = ok & (rr >= settings.pause_s) & ~asys
    if np.any(pauses):
        idx = np.flatnonzero(pauses)
        k = int(idx[np.argmax(rr[idx])])
        out.append(
            Finding(
                FindingCode.PAUSE,
                start_s=seq.times_s[k],
                end_s=seq.times_s[k + 1],
                leads=seq.leads,
                values={"rr_s": float(rr[k]), "n_pauses": int(idx.size)},
                confidence=float(np.clip(0.6 + 0.4 * (rr[k] - settings.pause_s), 0.0, 1.0)),
            )
        )
    return out


# ------------------------------------------------------------------------------ ventricular ectopy


def _run_rate_bpm(t: np.ndarray, interval_ok: np.ndarray, a: int, b: int) -> float:
    """Rate (bpm) of the beat run ``a..b`` (exclusive): 60 / its mean cycle length.

    Each beat of the run contributes the cycle (RR interval) that ends at it, so the coupling interval of
    the first beat is included when it lies in readable signal (``n`` cycles for ``n`` beats; otherwise the
    ``n - 1`` cycles inside the run). This is the guideline form "rate > 100 bpm, cycle length < 600 ms"
    (ACC/AHA/ESC 2006 ventricular arrhythmia guideline; Al-Khatib et al., AHA/ACC/HRS 2017): the mean cycle
    length, not the mean of the instantaneous rates, which a single short coupling interval inflates.
    """
    first = a - 1 if a > 0 and interval_ok[a - 1] else a
    return float(60.0 * (b - 1 - first) / (t[b - 1] - t[first]))


def ventricular_findings(seq: BeatSequence, settings: ScreeningSettings) -> list[Finding]:
    """VT runs (one finding each) and one PVC finding with burden and pattern counts."""
    if seq.n_beats == 0:
        return []
    t = seq.times_s
    out: list[Finding] = []
    is_v = seq.labels == BeatClass.VENTRICULAR
    # a V beat in an unreadable interval on both sides is not evidence
    v_starts, v_ends = _runs(is_v)
    n_runs_slow = 0
    n_runs_noisy = 0
    for a, b in zip(v_starts, v_ends):
        n = b - a
        if n < settings.vt_min_beats:
            continue
        if not np.all(seq.interval_ok[a : b - 1]):
            continue
        if n < _VT_SHORT_RUN and seq.noisy is not None and np.all(seq.noisy[a:b]):
            n_runs_noisy += 1  # a triplet in marginal signal is more often artefact than VT
            continue
        rate = _run_rate_bpm(t, seq.interval_ok, a, b)
        if rate <= settings.vt_slow_rate_bpm:
            n_runs_slow += 1
            continue
        duration = float(t[b - 1] - t[a])
        if rate <= settings.vt_rate_bpm:  # slow VT / accelerated idioventricular run: urgent, not stat
            detail, confidence = "slow", 0.4 + 0.05 * n
        else:
            detail = "sustained" if duration >= settings.vt_sustained_s else "non-sustained"
            confidence = 0.5 + 0.1 * n
        out.append(
            Finding(
                FindingCode.VT,
                start_s=t[a],
                end_s=t[b - 1],
                leads=seq.leads,
                values={"n_beats": int(n), "rate_bpm": rate},
                confidence=float(np.clip(confidence, 0.0, 0.95)),
                detail=detail,
            )
        )
    n_v = int(np.count_nonzero(is_v))
    if n_v == 0:
        return out
    sym = _SYMBOLS[seq.labels].tobytes().decode("ascii")
    n_known = int(np.count_nonzero(seq.labels != BeatClass.UNKNOWN))
    burden = n_v / max(n_known, 1)
    run_len = v_ends - v_starts
    bigeminy = [m.span() for m in re.finditer(r"(?:NV){3,}", sym)]
    trigeminy = [m.span() for m in re.finditer(r"(?:NNV){3,}", sym)]
    big_beats = sum((e - s) // 2 for s, e in bigeminy)
    tri_beats = sum((e - s) // 3 for s, e in trigeminy)
    if bigeminy:
        pattern = "bigeminy"
    elif trigeminy:
        pattern = "trigeminy"
    elif np.any(run_len == 2):
        pattern = "couplets"
    else:
        pattern = "isolated"
    first, last = int(np.flatnonzero(is_v)[0]), int(np.flatnonzero(is_v)[-1])
    out.append(
        Finding(
            FindingCode.PVC,
            start_s=t[first],
            end_s=t[last],
            leads=seq.leads,
            values={
                "n_pvc": n_v,
                "burden": burden,
                "n_isolated": int(np.count_nonzero(run_len == 1)),
                "n_couplets": int(np.count_nonzero(run_len == 2)),
                "n_runs": int(np.count_nonzero(run_len >= settings.vt_min_beats)),
                "n_slow_runs": n_runs_slow,
                "n_runs_in_noise": n_runs_noisy,
                "bigeminy_beats": int(big_beats),
                "trigeminy_beats": int(tri_beats),
            },
            confidence=float(np.clip(0.5 + 0.05 * n_v, 0.0, 0.95)),
            detail=pattern,
        )
    )
    return out
