"""``ecg.screen``: arrhythmia pre-screening of one record, with a priority and its reasons.

Pipeline (each step is a public function of its own module):

1. :func:`ecg.preprocess.screening_signal` (masks, boxcar decimation to >= 120 Hz, one causal
   0.5-40 Hz pass with mains notch) and its backward pass (:func:`ecg.preprocess.zero_phase_screening`),
   shared by every later step -- together a fraction of the cost of the full-rate, zero-phase
   :func:`ecg.preprocess`;
2. :func:`ecg.detect_qrs` on that zero-phase screening signal, at its rate (multi-lead fusion; half the
   samples of the record's rate, and on the shared MIT-BIH records as accurate as detection on the raw
   signal); beat indices are returned at the record's rate;
3. :func:`ecg.assess_quality` -- record, lead and time-range readability; an unreadable record
   stops here with ``UNREADABLE`` (no rhythm finding comes from an unreadable stretch);
4. :func:`ecg.beats.classify_beats` -- normal / SV premature / ventricular / paced / unknown;
5. :mod:`ecg.rhythm` -- AF, rate, pauses and asystole, VT runs and PVC patterns;
6. :func:`ecg.intervals.measure_intervals` on records with at least 3 leads -- PR, QRS, QT, QTc, axis;
7. the priority policy of :class:`ecg.ScreeningSettings` turns findings into ``stat`` / ``urgent`` /
   ``routine`` with one human sentence per finding kind.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ._screen_kernels import beat_flags, beat_positions, rhythm_inputs
from .af import _AF_SHORT_MIN_PAIRS
from .atrial import AtrialSignal, atrial_signal
from .beats import BeatClass, BeatClassification, _classify_screening
from .errors import EcgValueError
from .findings import Finding, FindingCode, clamp, format_clock
from .intervals import Intervals, measure_intervals
from .preprocess import PreprocessedEcg, _screening_both
from .qrs import detect_qrs
from .rate import median_rate_bpm
from .quality import QualityLevel, SignalQuality, _screening_quality
from .record import EcgRecord
from .rhythm import (
    BeatSequence,
    af_findings,
    pause_findings,
    rate_findings,
    ventricular_findings,
)
from .settings import PRIORITY_RANK, PolicyKey, Priority, ScreeningSettings

__all__ = ["Screening", "screen", "policy_key"]

log = logging.getLogger(__name__)

_MIN_LEADS_FOR_INTERVALS = 3
_DEFAULT_SETTINGS = ScreeningSettings()  # frozen: shared safely
_GOOD = int(QualityLevel.GOOD)  # compared with int8 level arrays (an IntEnum member is slow there)
_CLASS_NAMES = tuple(c.name.lower() for c in BeatClass)  # BeatClass values are 0 .. len - 1
_NORMAL, _VENTRICULAR, _UNKNOWN = int(BeatClass.NORMAL), int(BeatClass.VENTRICULAR), int(BeatClass.UNKNOWN)
_MIN_RR_S, _MAX_RR_S = (median_rate_bpm.__kwdefaults__[name] for name in ("min_rr_s", "max_rr_s"))
_NO_RANGES = np.zeros((0, 2))  # unreadable ranges of a wholly readable record (never written)
_POLICY_KEY_OF_CODE: dict[FindingCode, PolicyKey] = {code: PolicyKey(code.value) for code in FindingCode}
_PRIORITY_OF_RANK: dict[int, Priority] = {rank: p for p, rank in PRIORITY_RANK.items()}


@dataclass(frozen=True, slots=True, eq=False)
class Screening:
    """Result of :func:`screen` for one record.

    Attributes
    ----------
    record_id
        The record's identifier (from its metadata).
    priority
        ``"stat"``, ``"urgent"`` or ``"routine"``: the most urgent of the findings' priorities.
    reasons
        One short sentence per finding kind, most urgent first (never empty).
    findings
        :class:`~ecg.findings.Finding` objects, most urgent first, then by time.
    quality
        :class:`~ecg.quality.SignalQuality` of the record.
    heart_rate_bpm
        ``60 / median(RR)`` over the readable stretches (:func:`ecg.heart_rate`), ``None`` when not measurable.
    duration_s, fs, leads
        Record length (s), sampling rate (Hz) and lead names.
    n_beats
        Number of detected QRS complexes.
    beat_counts
        Beats per class (``"normal"``, ``"supraventricular"``, ``"ventricular"``, ``"paced"``, ``"unknown"``).
    intervals
        12-lead (>= 3 leads) intervals and axis, ``None`` for fewer leads or when not measurable.
    beats
        The per-beat :class:`~ecg.beats.BeatClassification` (``None`` for an unreadable record); not in
        :meth:`to_dict`.
    """

    record_id: str
    priority: Priority
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
    quality: SignalQuality
    heart_rate_bpm: float | None
    duration_s: float
    fs: float
    leads: tuple[str, ...]
    n_beats: int
    beat_counts: Mapping[str, int] = field(default_factory=dict)
    intervals: Intervals | None = None
    beats: BeatClassification | None = None

    @classmethod
    def _of(cls, *values: Any) -> Screening:
        """A Screening of all its field values in order, set through the slots (what :func:`screen` returns:
        its values need no defaults or conversion, and keyword construction of 13 frozen fields costs ~2 us)."""
        out = object.__new__(cls)
        for setter, value in zip(_SCREENING_SETTERS, values, strict=True):
            setter(out, value)
        return out

    def codes(self) -> tuple[FindingCode, ...]:
        """Codes of the findings, in order, without repeats."""
        return tuple(dict.fromkeys(f.code for f in self.findings))

    def has(self, code: FindingCode | str) -> bool:
        """Whether any finding has ``code``."""
        code = FindingCode(code)
        return any(f.code is code for f in self.findings)

    def of(self, code: FindingCode | str) -> tuple[Finding, ...]:
        """The findings with ``code``."""
        code = FindingCode(code)
        return tuple(f for f in self.findings if f.code is code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (``record_id``, ``priority``, ``reasons``, ``quality`` level, ``findings``...)."""
        return {
            "record_id": self.record_id,
            "priority": self.priority,
            "reasons": list(self.reasons),
            "quality": self.quality.level.label,
            "readable_fraction": round(self.quality.readable_fraction, 4),
            "unreadable_ranges": [list(r) for r in self.quality.unreadable_ranges],
            "heart_rate_bpm": None if self.heart_rate_bpm is None else round(self.heart_rate_bpm, 1),
            "duration_s": round(self.duration_s, 3),
            "fs": self.fs,
            "leads": list(self.leads),
            "n_beats": self.n_beats,
            "beat_counts": dict(self.beat_counts),
            "intervals": None if self.intervals is None else self.intervals.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }


_SCREENING_SETTERS = tuple(Screening.__dict__[f.name].__set__ for f in dataclasses.fields(Screening))


def policy_key(finding: Finding, settings: ScreeningSettings) -> PolicyKey:
    """The policy key of a finding: its code, the escalated ``PAUSE_LONG`` / ``PVC_FREQUENT``, or ``VT_SLOW``."""
    if finding.code is FindingCode.PAUSE and finding.values.get("rr_s", 0.0) >= settings.pause_stat_s:
        return PolicyKey.PAUSE_LONG
    if finding.code is FindingCode.PVC and (
        finding.values.get("burden", 0.0) >= settings.pvc_frequent_burden or finding.detail == "bigeminy"
    ):
        return PolicyKey.PVC_FREQUENT
    if finding.code is FindingCode.VT and finding.detail == "slow":
        return PolicyKey.VT_SLOW
    return _POLICY_KEY_OF_CODE[finding.code]


def _span(f: Finding) -> str:
    if f.duration_s < 1.0:
        return format_clock(f.start_s)
    return f"{format_clock(f.start_s)}-{format_clock(f.end_s)}"


def _reason(code: FindingCode, group: list[Finding], settings: ScreeningSettings) -> str:
    """One human sentence for all findings of one code."""
    first = group[0]
    more = f" ({len(group)} episodes)" if len(group) > 1 else ""
    if code is FindingCode.VT:
        fast = [f for f in group if f.detail != "slow"]
        top = max(fast or group, key=lambda f: (f.values["n_beats"], f.values["rate_bpm"]))
        kind = {"sustained": "Sustained VT", "slow": "Slow VT run"}.get(top.detail, "VT run")
        runs = f" ({len(group)} runs)" if len(group) > 1 else ""
        slow = (
            f" (below {settings.vt_rate_bpm:.0f} bpm: slow VT or accelerated idioventricular rhythm)"
            if top.detail == "slow" else ""
        )
        return (
            f"{kind} of {top.values['n_beats']} beats at {top.values['rate_bpm']:.0f} bpm{slow}, "
            f"{format_clock(top.start_s)}{runs}"
        )
    if code is FindingCode.ASYSTOLE:
        top = max(group, key=lambda f: f.values["rr_s"])
        return f"Asystole: no QRS for {top.values['rr_s']:.1f} s, {format_clock(top.start_s)}{more}"
    if code is FindingCode.PAUSE:
        n = int(first.values["n_pauses"])
        extra = f" ({n} pauses >= {settings.pause_s:.1f} s)" if n > 1 else ""
        return f"Pause of {first.values['rr_s']:.1f} s, {format_clock(first.start_s)}{extra}"
    if code is FindingCode.AF:
        top = max(group, key=lambda f: f.duration_s)
        total = sum(f.duration_s for f in group)
        return (
            f"AF (irregular RR) at {top.values['rate_bpm']:.0f} bpm, {_span(top)}"
            + (f"; {len(group)} episodes, {total / 60:.1f} min in all" if len(group) > 1 else "")
        )
    if code in (FindingCode.BRADY, FindingCode.EXTREME_BRADY):
        top = min(group, key=lambda f: f.values["rate_bpm"])
        word = "Extreme bradycardia" if code is FindingCode.EXTREME_BRADY else "Bradycardia"
        return f"{word} {top.values['rate_bpm']:.0f} bpm, {_span(top)}{more}"
    if code in (FindingCode.TACHY, FindingCode.EXTREME_TACHY):
        top = max(group, key=lambda f: f.values["rate_bpm"])
        word = "Extreme tachycardia" if code is FindingCode.EXTREME_TACHY else "Tachycardia"
        return f"{word} {top.values['rate_bpm']:.0f} bpm, {_span(top)}{more}"
    if code is FindingCode.PVC:
        v = first.values
        return f"PVCs: {v['n_pvc']} ({100 * v['burden']:.1f}% of beats), {first.detail}, first {format_clock(first.start_s)}"
    if code is FindingCode.QTC_PROLONGED:
        v = first.values
        return f"QTc {v['qtc_ms']:.0f} ms ({settings.qtc_formula.value}), QT {v['qt_ms']:.0f} ms at {v['rate_bpm']:.0f} bpm"
    if code is FindingCode.UNREADABLE:
        return f"Record quality too poor to screen (readable {100 * first.values['readable_fraction']:.0f}% of {first.duration_s:.0f} s)"
    if code is FindingCode.LEAD_OFF:
        return f"Lead off: {', '.join(first.leads)}"
    return code.value  # pragma: no cover - every code has a sentence above


def _prioritise(
    findings: list[Finding], settings: ScreeningSettings, heart_rate: float | None
) -> tuple[Priority, tuple[str, ...], tuple[Finding, ...]]:
    if not findings:
        rate = f" at {heart_rate:.0f} bpm" if heart_rate is not None else ""
        return "routine", (f"No arrhythmia finding{rate}",), ()
    keyed = [(PRIORITY_RANK[settings.priority_of(policy_key(f, settings))], f) for f in findings]
    if len(keyed) == 1:  # the common case: one finding, one sentence
        rank, f = keyed[0]
        return _PRIORITY_OF_RANK[rank], (_reason(f.code, [f], settings),), (f,)
    keyed.sort(key=lambda kf: (kf[0], kf[1].start_s))
    ordered = tuple(f for _, f in keyed)
    groups: dict[FindingCode, tuple[int, list[Finding]]] = {}
    for rank, f in keyed:
        best, group = groups.setdefault(f.code, (rank, []))
        group.append(f)
        groups[f.code] = (min(best, rank), group)
    reasons = [
        (rank, _reason(code, group, settings))
        for code, (rank, group) in sorted(groups.items(), key=lambda kv: kv[1][0])
    ]
    return _PRIORITY_OF_RANK[keyed[0][0]], tuple(r for _, r in reasons), ordered


def _lead_off_findings(quality: SignalQuality, leads: tuple[str, ...]) -> list[Finding]:
    if not any(quality.lead_off):  # the common case, without building a list
        return []
    off = [i for i, flag in enumerate(quality.lead_off) if flag]
    ranges = [r for i in off for r in quality.lead_off_ranges[i]]
    start = min((r[0] for r in ranges), default=0.0)
    end = max((r[1] for r in ranges), default=quality.duration_s)
    return [
        Finding(
            FindingCode.LEAD_OFF,
            start_s=start,
            end_s=max(end, start),
            leads=tuple(leads[i] for i in off),
            values={"n_leads_off": len(off), "n_leads": len(leads)},
            confidence=0.9,
        )
    ]


@functools.lru_cache(maxsize=64)
def _usable_leads(lead_off: tuple[bool, ...]) -> np.ndarray:
    """The leads fit for morphology (not off), as a read-only boolean array (cached: a handful of lead-off patterns
    cover every record)."""
    usable = np.logical_not(lead_off)
    usable.flags.writeable = False
    return usable


def _at_rate(beats: np.ndarray, record_fs: float, fs: float, n: int) -> np.ndarray:
    """Beat sample indices at ``record_fs`` mapped to the nearest-below sample at ``fs``."""
    return np.minimum((beats * (fs / record_fs)).astype(np.int64), max(n - 1, 0))


def _edge_gaps(
    beats: np.ndarray,
    times: np.ndarray,
    record_fs: float,
    pre: PreprocessedEcg,
    quality: SignalQuality,
    settings: ScreeningSettings,
    leads: tuple[str, ...],
) -> list[Finding]:
    """ASYSTOLE for a quiet, readable stretch of >= ``asystole_s`` before the first or after the last beat.

    With fewer than 3 beats there is no QRS amplitude to judge quietness by, and nothing is reported
    (a record without beats is flat or noise, which the quality grading reports). ``times`` are the beats'
    times in s (``beats / record_fs``).
    """
    if beats.size < 3:
        return []
    fs = pre.fs  # the rate of the screening signal; beats are at `record_fs`
    duration = quality.duration_s
    t0, t1 = float(times[0]), float(times[-1])  # Python floats: NumPy scalar arithmetic costs ~0.5 us a step
    if t0 < settings.asystole_s and duration - t1 < settings.asystole_s:
        return []
    x = pre.signal_2d()
    at = _at_rate(beats, record_fs, fs, x.shape[0])
    gaps = [
        (a, b, lo, hi)
        for a, b, lo, hi in (
            (0.0, t0, 0, int(at[0]) - int(round(0.1 * fs))),
            (t1, duration, int(at[-1]) + int(round(0.6 * fs)), x.shape[0]),
        )
        if b - a >= settings.asystole_s and not any(r0 < b and r1 > a for r0, r1 in quality.unreadable_ranges)
    ]
    if not gaps:
        return []
    valid = pre.valid.reshape(x.shape)
    qrs_amp = _qrs_amplitudes(x, at, fs)
    out = []
    for a, b, lo, hi in gaps:
        if _quiet(x, valid, lo, hi, qrs_amp, fs):
            out.append(
                Finding(FindingCode.ASYSTOLE, start_s=a, end_s=b, leads=leads, values={"rr_s": b - a}, confidence=0.7)
            )
    return out


def _qrs_amplitudes(x: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """Median peak-to-peak amplitude (mV) of +-60 ms around up to ~200 beats, per lead of ``x``."""
    half = int(round(0.06 * fs))
    sample = beats[:: max(1, beats.size // 200)]
    windows = np.clip(sample[:, None] + np.arange(-half, half + 1)[None, :], 0, x.shape[0] - 1)
    seg = x[windows]  # (n, w, n_leads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows (missing leads) give NaN
        ptp = np.nanmax(seg, axis=1) - np.nanmin(seg, axis=1)
    # per lead (np.nanmedian goes through masked arrays on small inputs: slow)
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        finite = ptp[:, j][np.isfinite(ptp[:, j])]
        if finite.size:
            out[j] = np.median(finite)
    return out


def _quiet(x: np.ndarray, valid: np.ndarray, a: int, b: int, qrs_amp: np.ndarray, fs: float) -> bool:
    """Whether ``x[a:b]`` is a quiet, live line on at least one lead: >= 95 % valid samples and a
    peak-to-peak amplitude below 35 % of that lead's QRS amplitude."""
    if b - a < int(0.5 * fs):
        return False
    for j in range(x.shape[1]):
        if not (np.isfinite(qrs_amp[j]) and qrs_amp[j] > 0) or valid[a:b, j].mean() < 0.95:
            continue
        seg = x[a:b, j]
        if np.nanmax(seg) - np.nanmin(seg) < 0.35 * qrs_amp[j]:
            return True
    return False


def _judge_long_gaps(
    seq: BeatSequence, pre: PreprocessedEcg, beats: np.ndarray, record_fs: float, settings: ScreeningSettings
) -> BeatSequence:
    """Decide, from the signal inside it, whether each RR gap of at least ``pause_s`` is a real pause.

    A real pause or asystole is a quiet, live line: valid samples (not lead off, clipped or missing) whose
    peak-to-peak amplitude, from 600 ms after the first beat (past its T wave) to 100 ms before the next,
    stays below 35 % of the lead's median QRS amplitude. (:func:`ecg.assess_quality` grades such a quiet,
    live line readable -- only an exactly flat, railed or missing lead is off -- so a real pause is not
    hidden in an unreadable range; the check here is on the gap itself.) A gap that is not quiet on any
    lead hides a missed QRS or artefact and is left out, so it raises no PAUSE or ASYSTOLE.
    """
    if beats.size < 3:
        return seq
    if not seq.longest_rr_s >= settings.pause_s:
        return seq
    cand = np.flatnonzero(seq.rr_s >= settings.pause_s)
    fs = pre.fs
    x = pre.signal_2d()
    valid = pre.valid.reshape(x.shape)
    at = _at_rate(beats, record_fs, fs, x.shape[0])
    qrs_amp = _qrs_amplitudes(x, at, fs)
    ok = seq.interval_ok.copy()
    after, before = int(round(0.6 * fs)), int(round(0.1 * fs))
    for k in cand:
        ok[k] = _quiet(x, valid, int(at[k]) + after, int(at[k + 1]) - before, qrs_amp, fs)
    if np.array_equal(ok, seq.interval_ok):
        return seq
    return dataclasses.replace(seq, interval_ok=ok)


def screen(record: EcgRecord, *, settings: ScreeningSettings | None = None) -> Screening:
    """Pre-screen one ECG record for arrhythmias and assign a triage priority.

    Parameters
    ----------
    record
        The :class:`~ecg.record.EcgRecord` (any number of leads, any duration, mV).
    settings
        Thresholds and priority policy; :class:`~ecg.settings.ScreeningSettings` defaults when ``None``.

    Returns
    -------
    Screening
        Findings with evidence, quality, heart rate, priority and reasons.

    Raises
    ------
    EcgValueError
        If ``record`` is not an :class:`~ecg.record.EcgRecord` or ``settings`` not a ``ScreeningSettings``.
    """
    if not isinstance(record, EcgRecord):
        raise EcgValueError(f"record: expected an EcgRecord, got {type(record).__name__}")
    settings = _DEFAULT_SETTINGS if settings is None else settings
    if not isinstance(settings, ScreeningSettings):
        raise EcgValueError(f"settings: expected ScreeningSettings, got {type(settings).__name__}")
    sig, fs, leads = record.signal, record.fs, record.leads
    pre, filt = _screening_both(sig, fs)  # = screening_signal(sig, fs) and zero_phase_screening(pre)
    decimation = int(round(fs / pre.fs))
    # QRS detection at the screening rate, on the zero-phase 0.5-40 Hz signal: half the work of a full-rate
    # pass and as accurate (shared MIT-BIH: F1 99.81 % vs 99.78 %); indices go back to the record's rate at
    # the centre of each decimation block
    beats, times = beat_positions(detect_qrs(filt, pre.fs), decimation, max(record.n_samples - 1, 0), fs)
    quality = _screening_quality(pre, record.n_samples, fs, beats)  # = assess_quality(sig, fs, beats=..., preprocessed=pre)
    findings = _lead_off_findings(quality, leads)
    record_id, duration_s = record.metadata.record_id, record.duration_s
    if quality.unreadable:
        findings.append(
            Finding(
                FindingCode.UNREADABLE,
                start_s=0.0,
                end_s=duration_s,
                leads=leads,
                values={"readable_fraction": quality.readable_fraction},
                confidence=clamp(1.0 - quality.readable_fraction, 0.5, 1.0),
            )
        )
        priority, reasons, ordered = _prioritise(findings, settings, None)
        return Screening(
            record_id=record_id, priority=priority, reasons=reasons, findings=ordered, quality=quality, heart_rate_bpm=None,
            duration_s=duration_s, fs=fs, leads=leads, n_beats=int(beats.size),
        )

    ranges = np.array(quality.unreadable_ranges, dtype=np.float64) if quality.unreadable_ranges else _NO_RANGES
    # per beat: in an unreadable range; in a marginal segment (no lead GOOD)
    in_unreadable, noisy = beat_flags(times, ranges, quality.segment_levels, _GOOD, quality.step_s)
    usable = _usable_leads(quality.lead_off)
    # = classify_beats(filt, fs, beats, leads=leads, usable_leads=usable, unreadable=in_unreadable, noisy=noisy,
    #                  prefiltered=True, raw=sig, decimation=decimation), without re-validating screen's own arrays
    classes = _classify_screening(filt, fs, beats, leads, usable, in_unreadable, noisy, sig, decimation)
    # one kernel call: the readable intervals and derived values of the beat sequence, the heart rate
    # (= median_rate_bpm(times, exclude=quality.unreadable_ranges) = heart_rate(beats, fs, exclude=...).bpm)
    # and the beats per class
    derived, bpm, counts = rhythm_inputs(
        times, classes.labels, ranges, classes.p_wave_corr, _MIN_RR_S, _MAX_RR_S, _NORMAL, _VENTRICULAR, _UNKNOWN,
        _AF_SHORT_MIN_PAIRS, len(_CLASS_NAMES),
    )
    # = BeatSequence.build(times, classes.labels, duration_s=..., unreadable_ranges=quality.unreadable_ranges,
    #                      leads=classes.leads, p_wave_corr=classes.p_wave_corr, noisy=noisy), without re-validation
    seq = BeatSequence._assemble(times, classes.labels, derived, duration_s, classes.leads, classes.p_wave_corr, noisy)
    seq = _judge_long_gaps(seq, pre, beats, fs, settings)
    hr = bpm if math.isfinite(bpm) else None

    def atrial() -> AtrialSignal:  # asked for only where the RR and P-wave evidence leave AF undecided
        return atrial_signal(filt, pre.fs, np.minimum(beats // decimation, filt.shape[0] - 1), leads=leads, usable=usable)

    findings += af_findings(seq, settings, atrial=atrial)
    findings += rate_findings(seq, settings)
    findings += pause_findings(seq, settings)
    findings += _edge_gaps(beats, times, fs, pre, quality, settings, classes.leads)
    findings += ventricular_findings(seq, settings)
    intervals = None
    if record.n_leads >= _MIN_LEADS_FOR_INTERVALS and beats.size >= 3:
        intervals = measure_intervals(sig, fs, beats, leads=leads, labels=classes.labels, usable_leads=usable)
        if intervals is not None and intervals.reliable:
            qtc = intervals.qtc_ms(settings.qtc_formula.value)
            if qtc is not None and qtc > settings.qtc_ms:
                findings.append(
                    Finding(
                        FindingCode.QTC_PROLONGED,
                        start_s=0.0,
                        end_s=duration_s,
                        leads=intervals.leads,
                        values={"qtc_ms": qtc, "qt_ms": intervals.qt_ms, "rate_bpm": intervals.heart_rate_bpm},
                        confidence=clamp(0.6 + (qtc - settings.qtc_ms) / 100.0, 0.0, 0.95),
                        detail=settings.qtc_formula.value,
                    )
                )
    priority, reasons, ordered = _prioritise(findings, settings, hr)
    return Screening._of(
        record_id, priority, reasons, ordered, quality, hr, duration_s, fs, leads, int(beats.size),
        MappingProxyType(dict(zip(_CLASS_NAMES, counts.tolist()))), intervals, classes,
    )

