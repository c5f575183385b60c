"""Rhythm and episode analysis on a classified beat sequence.

Every function takes the beat times (s), their :class:`~ecg.beats.BeatClass` labels and which
beats / intervals are readable, and returns :class:`~ecg.findings.Finding` objects. Nothing is
reported from an unreadable stretch: RR intervals that touch an unknown beat or overlap an
unreadable time range are left out of every measurement.

Methods
-------
* **AF** -- :mod:`ecg.af` (RR irregularity after ectopy removal, with P-wave and f-wave evidence);
  its public names are re-exported here.
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
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _rhythm_kernels as _rk
from ._runs import runs_of
from .af import _AF_SHORT_MIN_PAIRS, AfStatistics, af_findings, af_statistics
from .beats import BeatClass
from .errors import EcgValueError
from .findings import Finding, FindingCode, clamp
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

_NORMAL, _VENTRICULAR, _UNKNOWN = int(BeatClass.NORMAL), int(BeatClass.VENTRICULAR), int(BeatClass.UNKNOWN)
# what BeatSequence.__post_init__ sets: the validated inputs, then the outputs of _rk.sequence_intervals in order
_DERIVED = (
    "times_s", "labels", "interval_ok", "rr_s", "clean", "n_readable", "n_clean", "clean_rr_sum_s",
    "clean_rr_median_s", "longest_rr_s", "longest_readable_rr_s", "n_ventricular", "n_known", "record_af",
)
# every field, in the order BeatSequence._assemble sets them
_FIELDS = (*_DERIVED, "duration_s", "leads", "p_wave_corr", "noisy")
_PATTERN_MIN_REPEATS = 3  # bigeminy / trigeminy: at least three NV / NNV repeats in a row
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

    The rest is derived from these in one pass (:func:`ecg._rhythm_kernels.sequence_intervals`):

    rr_s
        RR intervals in s, one per interval.
    clean
        One per RR interval: readable (``interval_ok``) and between two normal beats -- the intervals the
        rate and AF measures use.
    n_readable, n_clean
        Numbers of readable and of clean intervals.
    clean_rr_sum_s, clean_rr_median_s
        Sum and median of the clean intervals in s (median NaN when there is none).
    longest_rr_s, longest_readable_rr_s
        Longest interval and longest readable interval in s (``-inf`` when there is none).
    n_ventricular, n_known
        Numbers of ventricular beats and of beats with a known class (not unknown).
    record_af
        The AF statistics of all intervals as one window (:func:`ecg._rhythm_kernels.af_record_statistics`
        with the short-record minimum of clean pairs; what the short-record rule of :func:`ecg.af.af_findings`
        judges).
    """

    times_s: np.ndarray
    labels: np.ndarray
    interval_ok: np.ndarray
    duration_s: float
    leads: tuple[str, ...] = ()
    p_wave_corr: np.ndarray | None = None
    noisy: np.ndarray | None = None
    rr_s: np.ndarray = field(init=False, repr=False)
    clean: np.ndarray = field(init=False, repr=False)
    n_readable: int = field(init=False, repr=False)
    n_clean: int = field(init=False, repr=False)
    clean_rr_sum_s: float = field(init=False, repr=False)
    clean_rr_median_s: float = field(init=False, repr=False)
    longest_rr_s: float = field(init=False, repr=False)
    longest_readable_rr_s: float = field(init=False, repr=False)
    n_ventricular: int = field(init=False, repr=False)
    n_known: int = field(init=False, repr=False)
    record_af: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.times_s, dtype=np.float64)
        labels = np.ascontiguousarray(self.labels, dtype=np.int8)
        ok = np.ascontiguousarray(self.interval_ok, dtype=np.bool_)
        if t.ndim != 1 or labels.shape != t.shape or ok.shape != (max(t.size - 1, 0),):
            raise EcgValueError(
                f"BeatSequence: expected times_s and labels of one length n and n - 1 interval flags, got shapes "
                f"{t.shape}, {labels.shape} and {ok.shape}"
            )
        pw = np.full(t.size, np.nan) if self.p_wave_corr is None else np.ascontiguousarray(self.p_wave_corr, dtype=np.float64)
        if pw.shape != t.shape:
            raise EcgValueError(f"BeatSequence: expected {t.size} p_wave_corr values, got shape {pw.shape}")
        derived = _rk.sequence_intervals(t, labels, ok, pw, _NORMAL, _VENTRICULAR, _UNKNOWN, _AF_SHORT_MIN_PAIRS)
        for name, value in zip(_DERIVED, (t, labels, ok, *derived), strict=True):
            object.__setattr__(self, name, value)

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
        # strictly increasing with finite ends: finite throughout (a NaN inside breaks the increase)
        if t.size and not (math.isfinite(t[0]) and math.isfinite(t[-1]) and (t[1:] > t[:-1]).all()):
            raise EcgValueError("times_s: expected finite, strictly increasing beat times in s")
        ranges = np.array([(float(a), float(b)) for a, b in unreadable_ranges], dtype=np.float64).reshape(-1, 2)
        pw = None
        if p_wave_corr is not None:
            pw = np.ascontiguousarray(p_wave_corr, dtype=np.float64)
            if pw.shape != t.shape:
                raise EcgValueError(f"p_wave_corr: expected {t.size} values, got shape {pw.shape}")
        nz = None
        if noisy is not None:
            nz = np.asarray(noisy, dtype=bool)
            if nz.shape != t.shape:
                raise EcgValueError(f"noisy: expected {t.size} flags, got shape {nz.shape}")
        derived = _rk.readable_sequence(
            t, lab, ranges, np.full(t.size, np.nan) if pw is None else pw, _NORMAL, _VENTRICULAR, _UNKNOWN,
            _AF_SHORT_MIN_PAIRS,
        )
        return cls._assemble(t, lab, derived, float(duration_s), tuple(leads), pw, nz)

    @classmethod
    def _assemble(
        cls,
        times_s: np.ndarray,
        labels: np.ndarray,
        derived: tuple[Any, ...],
        duration_s: float,
        leads: tuple[str, ...],
        p_wave_corr: np.ndarray | None,
        noisy: np.ndarray | None,
    ) -> BeatSequence:
        """The sequence of validated inputs, without re-validation: contiguous float64 ``times_s`` (strictly
        increasing), int8 ``labels``, per-beat ``p_wave_corr`` / ``noisy`` of the right shapes, and ``derived``,
        the output of :func:`ecg._rhythm_kernels.readable_sequence` on them (``interval_ok`` and every derived
        value). :meth:`build` calls it after validating; :func:`ecg.screen` with its own arrays, its kernel pass
        computing the heart rate too.
        """
        seq = object.__new__(cls)
        for setter, value in zip(_SETTERS, (times_s, labels, *derived, duration_s, leads, p_wave_corr, noisy), strict=True):
            setter(seq, value)
        return seq

    @property
    def n_beats(self) -> int:
        """Number of beats."""
        return int(self.times_s.size)


# the slots' own setters: what object.__setattr__ ends in, without its look-up (17 fields per record)
_SETTERS = tuple(BeatSequence.__dict__[name].__set__ for name in _FIELDS)


def heart_rate_bpm(seq: BeatSequence) -> float | None:
    """Median heart rate (bpm) over the readable RR intervals, ``None`` when fewer than 2 exist."""
    rr = seq.rr_s[seq.interval_ok]
    if rr.size < 2:
        return None
    return float(60.0 / np.median(rr))


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
    if seq.n_clean < 4:
        return []
    if seq.duration_s <= settings.short_record_s:
        if seq.clean_rr_sum_s < 0.4 * seq.duration_s:
            return []
        bpm = 60.0 / seq.clean_rr_median_s
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
    table = _rk.window_rate_statistics(seq.rr_s, seq.clean, lo, hi)
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
        runs = runs_of(hit, 1)
        r_starts, r_ends = runs[:, 0], runs[:, 1]
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
        confidence=clamp(0.6 + 4.0 * margin, 0.0, 1.0),
    )


# ------------------------------------------------------------------------------- pauses / asystole


def pause_findings(seq: BeatSequence, settings: ScreeningSettings) -> list[Finding]:
    """PAUSE (RR >= ``pause_s``; evidence: the longest, plus the count) and ASYSTOLE (>= ``asystole_s``).

    Only intervals inside readable signal count; a gap before the first or after the last beat
    counts when it is readable too (passed in as ``seq.interval_ok`` by the caller for inner gaps only).
    """
    if not seq.longest_readable_rr_s >= min(settings.pause_s, settings.asystole_s):
        return []
    rr = seq.rr_s
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
                confidence=clamp(0.7 + 0.1 * (rr[k] - settings.asystole_s), 0.0, 1.0),
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
                confidence=clamp(0.6 + 0.4 * (rr[k] - settings.pause_s), 0.0, 1.0),
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
    if seq.n_ventricular == 0:
        return []
    t = seq.times_s
    out: list[Finding] = []
    # the runs of V beats long enough for VT, and the pattern counts, in one kernel pass
    long_runs, n_isolated, n_couplets, first, last, n_big, big_beats, n_tri, tri_beats = _rk.ventricular_runs(
        seq.labels, _NORMAL, _VENTRICULAR, settings.vt_min_beats, _PATTERN_MIN_REPEATS
    )
    n_runs_slow = 0
    n_runs_noisy = 0
    for a, b in long_runs.tolist():
        n = b - a
        # a V beat in an unreadable interval on both sides is not evidence
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
                values={"n_beats": n, "rate_bpm": rate},
                confidence=clamp(confidence, 0.0, 0.95),
                detail=detail,
            )
        )
    n_v = seq.n_ventricular
    burden = n_v / max(seq.n_known, 1)
    # (NV){3,} and (NNV){3,} on the label string: episodes and the V beats in them
    if n_big:
        pattern = "bigeminy"
    elif n_tri:
        pattern = "trigeminy"
    elif n_couplets:
        pattern = "couplets"
    else:
        pattern = "isolated"
    out.append(
        Finding(
            FindingCode.PVC,
            start_s=t[first],
            end_s=t[last],
            leads=seq.leads,
            values={
                "n_pvc": n_v,
                "burden": burden,
                "n_isolated": n_isolated,
                "n_couplets": n_couplets,
                "n_runs": len(long_runs),
                "n_slow_runs": n_runs_slow,
                "n_runs_in_noise": n_runs_noisy,
                "bigeminy_beats": big_beats,
                "trigeminy_beats": tri_beats,
            },
            confidence=clamp(0.5 + 0.05 * n_v, 0.0, 0.95),
            detail=pattern,
        )
    )
    return out
