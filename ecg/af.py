"""Atrial fibrillation (AF) detection on a classified beat sequence.

Method
------
RR irregularity after removing the intervals next to ectopic (ventricular, supraventricular premature,
paced, unknown) beats, so that bigeminy, trigeminy and isolated ectopy do not look irregular. Two
statistics of the successive RR differences ``dRR`` are used (Tateno & Glass, Med Biol Eng Comput
39:664-671, 2001, base AF detection on the ``dRR`` distribution; Sarkar, Ritscher & Mehra, IEEE TBME
55:1219-1224, 2008, on the ``dRR`` scatter): the median ``|dRR|`` relative to the median RR, and the
fraction of ``|dRR|`` above 10 % of the median RR. Both are large in AF.
Sinus arrhythmia changes RR smoothly, so it has few turning points (Dash et al., 2009); a repeating
pattern with P waves is ectopy or block, not AF. P-wave evidence (beat-to-beat consistency of the PR
window, :mod:`ecg.beats`) is used to veto, never to call AF on its own.

*Atrial activity* (:mod:`ecg.atrial`: the share of the QRST-cancelled residual's power in the 4-10 Hz band
of fibrillatory waves, after Rieta et al., IEEE TBME 51:1176, 2004) is measured only where the RR and P-wave
evidence is undecided (:meth:`AfStatistics.needs_atrial_evidence`), so clear AF and clearly regular rhythm
cost nothing extra:

- a moderate irregularity (``af_moderate_irregularity`` <= irregularity < 1) without P waves is AF when
  f waves are present (``f_wave_fraction >= af_f_wave_fraction``);
- an irregular rhythm with P waves present is AF when f waves are present (the PR-window consistency
  then comes from something else, e.g. the previous T wave inside the PR window of the short cycles of a
  long-short alternation), unless the P waves are beyond doubt (>= 0.95), and is not AF when f waves are
  absent (below half the threshold);
- a smooth RR series (few turning points) is never AF.

Short records ask once; in long records each undecided window asks for its own beats (not where the
record's sinus P-wave level or marginal signal already rule the window out). Without a signal
(``atrial=None``) the RR and P-wave rules decide alone.

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
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _rhythm_kernels as _rk
from ._runs import runs_of
from .atrial import AtrialSignal, f_wave_fraction
from .beats import BeatClass
from .errors import EcgValueError
from .findings import Finding, FindingCode, clamp
from .settings import ScreeningSettings

if TYPE_CHECKING:  # ecg.rhythm imports this module; the type is only needed for annotations
    from .rhythm import BeatSequence

__all__ = ["AfStatistics", "af_statistics", "af_findings"]

log = logging.getLogger(__name__)

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
_NORMAL = int(BeatClass.NORMAL)  # compared with int8 label arrays (an IntEnum member is slow there)
_AF_F_ABSENT = 0.5  # f-wave fraction below this share of ScreeningSettings.af_f_wave_fraction: no f waves

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
    f_wave_fraction
        Share of the QRST-cancelled residual's power in the 4-10 Hz f-wave band
        (:func:`ecg.atrial.f_wave_fraction`); NaN when not measured (long-record windows, no signal, or
        not needed because the RR and P-wave evidence decide on their own).
    """

    median_drr_ratio: float
    irregular_fraction: float
    n_pairs: int
    mean_rate_bpm: float
    pattern_ratio: float = float("nan")
    p_wave_corr: float = float("nan")
    turning_point_ratio: float = float("nan")
    f_wave_fraction: float = float("nan")

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

        Atrial activity, where measured (``f_wave_fraction`` finite, see :meth:`needs_atrial_evidence`):
        f waves present (``>= af_f_wave_fraction``) override the P-wave veto (the PR window's consistency then
        comes from something else, e.g. the previous T wave at a short cycle) unless ``p_wave_corr >= 0.95``,
        and make a moderate irregularity (``>= af_moderate_irregularity`` of the thresholds) without P waves AF;
        f waves absent (``< af_f_wave_fraction / 2``) with P waves present rule AF out.
        """
        irr = self.irregularity(settings)
        smooth = self.n_pairs >= _AF_TPR_MIN_PAIRS and self.turning_point_ratio < _AF_SMOOTH_TPR_ALONE
        p_present = bool(math.isfinite(self.p_wave_corr) and self.p_wave_corr >= settings.af_p_wave_corr)
        f = self.f_wave_fraction
        f_present = bool(math.isfinite(f) and f >= settings.af_f_wave_fraction)
        f_absent = bool(math.isfinite(f) and f < _AF_F_ABSENT * settings.af_f_wave_fraction)
        if irr < 1.0:
            return bool(irr >= settings.af_moderate_irregularity and f_present and not p_present and not smooth)
        if smooth:
            return False  # far fewer turning points than a random series: smooth, not fibrillation
        if p_present:
            if f_absent:
                return False  # organised atrial activity and no f waves: ectopy or sinus arrhythmia
            if f_present and self.p_wave_corr < _AF_P_CERTAIN:
                return True
            return not (
                self.pattern_ratio < _AF_PATTERN
                or irr < _AF_STRONG
                or self.turning_point_ratio < _AF_SMOOTH_TPR
                or self.p_wave_corr >= _AF_P_CERTAIN
            )
        return True

    def needs_atrial_evidence(self, settings: ScreeningSettings) -> bool:
        """Whether :attr:`f_wave_fraction` could change :meth:`is_af`: the RR evidence is undecided.

        That is a moderate irregularity (``af_moderate_irregularity`` <= irregularity < 1) without P waves,
        or an irregular rhythm (>= 1) with P waves present; never a smooth (few turning points) series.
        Clear AF (irregular, no P waves) and clearly regular rhythm skip the signal analysis.
        """
        irr = self.irregularity(settings)
        if not irr >= settings.af_moderate_irregularity:
            return False
        if self.n_pairs >= _AF_TPR_MIN_PAIRS and self.turning_point_ratio < _AF_SMOOTH_TPR_ALONE:
            return False
        p_present = bool(math.isfinite(self.p_wave_corr) and self.p_wave_corr >= settings.af_p_wave_corr)
        return p_present if irr >= 1.0 else not p_present

    def confidence(self, settings: ScreeningSettings) -> float:
        """How far past the thresholds (0.5 at the threshold, towards 1 at twice it)."""
        return clamp(0.5 * self.irregularity(settings), 0.0, 1.0)


def af_statistics(
    rr_s: np.ndarray, clean: np.ndarray, p_wave_corr: np.ndarray | None = None, *, min_pairs: int = 6
) -> AfStatistics | None:
    """:class:`AfStatistics` of RR intervals ``rr_s`` (s) using only successive pairs of ``clean`` intervals.

    ``p_wave_corr`` (one per beat, ``len(rr_s) + 1``) adds the P-wave evidence. Returns ``None`` when
    fewer than ``min_pairs`` clean pairs exist. Computed by the window kernel of the long-record path
    (:func:`ecg._rhythm_kernels.af_window_statistics`, one window over all intervals): a 30-s record costs
    a few microseconds.

    Raises
    ------
    EcgValueError
        If the arrays are not 1-D of matching lengths.
    """
    rr = np.ascontiguousarray(rr_s, dtype=np.float64)
    ok = np.ascontiguousarray(clean, dtype=np.bool_)
    if rr.ndim != 1 or ok.shape != rr.shape:
        raise EcgValueError(f"rr_s/clean: expected two 1-D arrays of equal length, got {rr.shape} and {ok.shape}")
    if p_wave_corr is None:
        pw = np.full(rr.size + 1, np.nan)
    else:
        pw = np.ascontiguousarray(p_wave_corr, dtype=np.float64)
        if pw.shape != (rr.size + 1,):
            raise EcgValueError(f"p_wave_corr: expected {rr.size + 1} values (one per beat), got shape {pw.shape}")
    return _statistics(_rk.af_record_statistics(rr, ok, pw, min_pairs), min_pairs)


def _statistics(row: tuple[float, ...], min_pairs: int) -> AfStatistics | None:
    """:class:`AfStatistics` of an :func:`ecg._rhythm_kernels.af_record_statistics` row; ``None`` with fewer than
    ``min_pairs`` clean pairs."""
    if not row[2] >= min_pairs:
        return None
    return AfStatistics(row[0], row[1], int(row[2]), row[3], row[4], row[5], row[6])


def af_findings(
    seq: BeatSequence, settings: ScreeningSettings, *, atrial: AtrialSignal | Callable[[], AtrialSignal] | None = None
) -> list[Finding]:
    """AF findings: one record-level finding (short records) or episodes (long records).

    Parameters
    ----------
    seq
        The classified beats.
    settings
        Thresholds.
    atrial
        Optional signal for the atrial-activity evidence (:func:`ecg.atrial.atrial_signal`; its beats are
        those of ``seq``, at the signal's rate). Used for short records, and only where the RR and P-wave
        evidence is undecided (:meth:`AfStatistics.needs_atrial_evidence`). A zero-argument callable
        returning it is called only then (:func:`ecg.screen` passes one: most records never need it).

    Raises
    ------
    EcgValueError
        If ``atrial`` is not an :class:`~ecg.atrial.AtrialSignal` with one beat per beat of ``seq``.
    """
    if atrial is not None and not callable(atrial):
        _check_atrial(atrial, seq.n_beats)
    if seq.n_beats < 8:
        return []
    rr = seq.rr_s
    clean = seq.clean
    if seq.duration_s <= settings.short_record_s:
        # a short record is judged as a whole, but only on enough evidence: >= _AF_SHORT_MIN_PAIRS successive
        # clean RR pairs, and clean intervals making up at least half of the readable ones (else the verdict
        # would rest on a minority of the beats, e.g. the few clean stretches of an ectopy- or noise-ridden record)
        if seq.n_clean < _AF_MIN_CLEAN_SHARE * seq.n_readable:
            log.debug("AF not judged: %d of %d readable intervals are clean", seq.n_clean, seq.n_readable)
            return []
        stats = _statistics(seq.record_af, _AF_SHORT_MIN_PAIRS)  # = af_statistics(rr, clean, seq.p_wave_corr, ...)
        if stats is None or stats.irregularity(settings) < min(1.0, settings.af_moderate_irregularity):
            return []  # too regular for either rule (is_af and needs_atrial_evidence are False): most records
        if atrial is not None and stats.needs_atrial_evidence(settings):
            f = f_wave_fraction(_check_atrial(atrial, seq.n_beats), seq.labels == _NORMAL, clean)
            log.debug("RR evidence undecided (irregularity %.2f): f-wave fraction %.3f", stats.irregularity(settings), f)
            stats = dataclasses.replace(stats, f_wave_fraction=f)
        if stats is None or not stats.is_af(settings):
            return []
        # = _marginal_share(seq, [0], rr.size)[0]: the share of all beats, without the cumulative sums
        marginal = seq.noisy is not None and np.count_nonzero(seq.noisy) / seq.n_beats > _AF_MARGINAL_SHARE
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
    sinus_level = _sinus_level_p_waves(table, settings)
    decided = _af_decisions(table, settings) & ~sinus_level
    # in marginal signal P-wave evidence is unreliable (noise lowers its consistency) and detection jitter adds
    # irregularity: a window mostly in marginal signal votes AF only on a strong irregularity
    with np.errstate(invalid="ignore"):
        irr = np.minimum(table[:, 0] / settings.af_drr_ratio, table[:, 1] / settings.af_irregular_fraction)
    weak_in_noise = (_marginal_share(seq, starts, w) > _AF_MARGINAL_SHARE) & ~(irr >= _AF_STRONG)
    decided &= ~weak_in_noise
    if atrial is not None:
        # undecided windows (and only those) ask the atrial activity; not where the record's own sinus P-wave
        # level or marginal signal already rule the window out
        need = valid & _needs_atrial_evidence(table, settings) & ~sinus_level & ~weak_in_noise
        normal = seq.labels == _NORMAL
        if need.any():
            atrial = _check_atrial(atrial, seq.n_beats)
        for k in np.flatnonzero(need):
            s0 = int(starts[k])
            window = AtrialSignal(atrial.signal, atrial.fs, atrial.beats[s0 : s0 + w + 1], atrial.lead)
            f = f_wave_fraction(window, normal[s0 : s0 + w + 1], clean[s0 : s0 + w])
            row = table[k]
            stats = AfStatistics(row[0], row[1], int(row[2]), row[3], row[4], row[5], row[6], f_wave_fraction=f)
            decided[k] = stats.is_af(settings)
    cover = _window_counts(starts[valid], w, rr.size)
    votes = _window_counts(starts[decided], w, rr.size)
    af = (cover > 0) & (votes >= 0.5 * cover)
    af &= seq.interval_ok
    out = []
    runs = runs_of(_close_gaps(af, seq.times_s, max_gap_s=_AF_MERGE_GAP_S), 1)
    starts, ends = runs[:, 0], runs[:, 1]
    for a, b in zip(starts, ends):
        if seq.times_s[b] - seq.times_s[a] < settings.af_min_duration_s:
            continue
        pw = None if seq.p_wave_corr is None else seq.p_wave_corr[a : b + 1]
        stats = af_statistics(rr[a:b], clean[a:b], pw)
        if stats is None:
            continue
        out.append(_af_finding(seq, a, b, stats, settings))
    return out


def _check_atrial(atrial: AtrialSignal | Callable[[], AtrialSignal], n_beats: int) -> AtrialSignal:
    """``atrial`` (called first when it is a callable), checked to be an AtrialSignal with ``n_beats`` beats."""
    if callable(atrial) and not isinstance(atrial, AtrialSignal):
        atrial = atrial()
    if not isinstance(atrial, AtrialSignal) or atrial.beats.size != n_beats:
        got = f"{atrial.beats.size} beats" if isinstance(atrial, AtrialSignal) else type(atrial).__name__
        raise EcgValueError(f"atrial: expected an AtrialSignal with the {n_beats} beats of seq, got {got}")
    return atrial


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


def _needs_atrial_evidence(table: np.ndarray, settings: ScreeningSettings) -> np.ndarray:
    """:meth:`AfStatistics.needs_atrial_evidence` of every row of an af_window_statistics table."""
    mdrr, irr_frac, n_pairs, _, _, pw, tpr = table.T
    with np.errstate(invalid="ignore"):
        irr = np.minimum(mdrr / settings.af_drr_ratio, irr_frac / settings.af_irregular_fraction)
        smooth = (n_pairs >= _AF_TPR_MIN_PAIRS) & (tpr < _AF_SMOOTH_TPR_ALONE)
        p_present = np.isfinite(pw) & (pw >= settings.af_p_wave_corr)
        return (irr >= settings.af_moderate_irregularity) & ~smooth & np.where(irr >= 1.0, p_present, ~p_present)


def _close_gaps(mask: np.ndarray, times_s: np.ndarray, *, max_gap_s: float) -> np.ndarray:
    """Fill runs of False shorter than ``max_gap_s`` between two runs of True (interval mask)."""
    out = mask.copy()
    runs = runs_of(~mask, 1)
    starts, ends = runs[:, 0], runs[:, 1]
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
        }
        | ({"f_wave_fraction": stats.f_wave_fraction} if math.isfinite(stats.f_wave_fraction) else {}),
        confidence=stats.confidence(settings),
    )
