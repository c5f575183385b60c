"""ECG signal quality: per lead and per record ``good`` / ``acceptable`` / ``unreadable``.

The record is cut into windows of ``window_s`` (default 4 s) advanced by ``step_s``
(default 2 s). For every window and lead, features are computed in Numba
(:mod:`ecg._quality_kernels`, graded in :mod:`ecg._quality_grading`) on the screening signal (:func:`ecg.preprocess.screening_signal`:
0.5-40 Hz, mains notch, one causal pass at >= 120 Hz; a full :func:`ecg.preprocess` result is
accepted too):

* lead off -- fraction of exactly flat samples and a peak-to-peak amplitude below
  ``lead_off_mv`` (Clifford et al., Physiol Meas 33:1419-1433, 2012, "flat line" SQI); a quiet
  but live line -- valid, non-constant samples far below the lead's own amplitude, as in asystole
  or a pause -- is readable (``acceptable``), not lead off;
* clipping -- fraction of samples at the ADC rail (Behar et al., IEEE TBME 60:2997, 2013,
  "saturation" test);
* missing data -- fraction of NaN samples;
* kurtosis of the band-limited signal, kSQI (Li, Mark & Clifford, Physiol Meas 29:15-32,
  2008): a clean ECG is spiky (kurtosis well above 5), broadband and motion noise are
  near-Gaussian (about 3);
* slope concentration -- the share of slope energy carried by the steepest 10 % of samples.
  In a clean ECG the QRS complexes hold most of it; muscle noise, electrode motion and
  baseline jumps spread it out. It plays the role of the spectral pSQI of Li et al. (2008)
  without a transform and is more robust to tall T waves than kSQI;
* motion / baseline jumps -- peak-to-peak amplitude above ``motion_ratio`` times the lead's
  median window amplitude, or above ``max_ptp_mv``; and the baseline excursion, the range of
  the 0.3-s moving mean (which averages a QRS away but follows a jump), relative to the
  lead's median amplitude.

When QRS indices (``beats``) are given, the median correlation of each beat with its
window's mean beat (template matching SQI, Orphanidou et al., IEEE JBHI 19:832-838, 2015)
refines the verdict: a consistent morphology rescues a window the signal-only features
doubted (wide-complex rhythms have low kurtosis too), an inconsistent one demotes it, and in the
record score a readable stretch with template-confirmed beats counts as good (AF with small QRS
and coarse fibrillatory waves looks marginal to the signal features throughout).

Each ``step_s`` segment takes the best verdict of the windows that cover it; the record is
readable wherever at least one lead is. Time ranges are in seconds from the record start.
"""

from __future__ import annotations

import enum
import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _quality_grading as qg
from . import _quality_kernels as qk
from ._runs import runs_of
from .errors import EcgValueError
from .preprocess import PreprocessedEcg, check_fs, screening_signal

__all__ = ["QualityLevel", "SignalQuality", "assess_quality"]

logger = logging.getLogger(__name__)

#: slopes for the concentration feature are taken at about this rate (Hz), whatever ``fs``
_SLOPE_FS = 250.0
#: moving-mean length (s) for the baseline-excursion feature: longer than a QRS, about a T wave
_BASELINE_SMOOTH_S = 0.3


class QualityLevel(enum.IntEnum):
    """Readability of a stretch of ECG, ordered from worst to best."""

    UNREADABLE = 0
    ACCEPTABLE = 1
    GOOD = 2

    @property
    def label(self) -> str:
        """Lower-case name used in JSON and reports (``"good"``, ...)."""
        return self.name.lower()


TimeRanges = tuple[tuple[float, float], ...]

_LEVELS = (QualityLevel.UNREADABLE, QualityLevel.ACCEPTABLE, QualityLevel.GOOD)
_NO_BEATS = np.zeros(0, dtype=np.int64)
_NO_BEATS.setflags(write=False)
_INT64 = np.dtype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class SignalQuality:
    """Result of :func:`assess_quality`.

    Attributes
    ----------
    level
        Record verdict.
    lead_levels
        Verdict per lead.
    readable_fraction
        Fraction of the record's duration in which at least one lead is readable.
    lead_readable_fraction
        Per lead, fraction of the duration that lead is readable.
    unreadable_ranges
        ``(start_s, end_s)`` stretches where no lead is readable (merged, sorted).
    lead_unreadable_ranges
        Per lead, its unreadable stretches.
    lead_off
        Per lead: off (flat line / no signal) for more than half of the record.
    lead_off_ranges
        Per lead, the stretches where the lead is off.
    saturated_fraction
        Per lead, fraction of samples at the ADC rail (clipped).
    segment_levels
        ``(n_segments, n_leads)`` int8 :class:`QualityLevel` values; segment ``k`` spans
        ``[k * step_s, (k + 1) * step_s)`` (the last one ends at :attr:`duration_s`).
    step_s
        Segment length in s.
    duration_s
        Record duration in s.
    """

    level: QualityLevel
    lead_levels: tuple[QualityLevel, ...]
    readable_fraction: float
    lead_readable_fraction: tuple[float, ...]
    unreadable_ranges: TimeRanges
    lead_unreadable_ranges: tuple[TimeRanges, ...]
    lead_off: tuple[bool, ...]
    lead_off_ranges: tuple[TimeRanges, ...]
    saturated_fraction: tuple[float, ...]
    segment_levels: np.ndarray
    step_s: float
    duration_s: float

    @property
    def unreadable(self) -> bool:
        """Whether the record as a whole is unreadable."""
        return self.level is QualityLevel.UNREADABLE

    def readable_mask(self, fs: float, n_samples: int | None = None) -> np.ndarray:
        """Boolean per-sample mask (at ``fs`` Hz) of where at least one lead is readable."""
        fs = check_fs(fs)
        n = int(round(self.duration_s * fs)) if n_samples is None else int(n_samples)
        if self.segment_levels.shape[0] == 0:
            return np.zeros(n, dtype=bool)
        seg = np.minimum((np.arange(n) / fs / self.step_s).astype(np.int64), self.segment_levels.shape[0] - 1)
        readable = (self.segment_levels > QualityLevel.UNREADABLE).any(axis=1)
        return readable[seg]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (levels as lower-case strings, ranges as ``[start_s, end_s]`` lists)."""
        return {
            "level": self.level.label,
            "lead_levels": [lvl.label for lvl in self.lead_levels],
            "readable_fraction": round(self.readable_fraction, 4),
            "lead_readable_fraction": [round(f, 4) for f in self.lead_readable_fraction],
            "unreadable_ranges": [list(r) for r in self.unreadable_ranges],
            "lead_unreadable_ranges": [[list(r) for r in rr] for rr in self.lead_unreadable_ranges],
            "lead_off": list(self.lead_off),
            "lead_off_ranges": [[list(r) for r in rr] for rr in self.lead_off_ranges],
            "saturated_fraction": [round(f, 4) for f in self.saturated_fraction],
            "step_s": self.step_s,
            "duration_s": self.duration_s,
        }


def _ranges(runs: np.ndarray, step_s: float, duration_s: float) -> TimeRanges:
    """``(start_s, end_s)`` pairs of the segment runs ``runs`` (:func:`ecg._runs.runs_of`)."""
    return tuple(
        (round(float(start * step_s), 3), round(float(min(stop * step_s, duration_s)), 3))
        for start, stop in runs.tolist()
    )


def _params(*values: float) -> np.ndarray:
    """The thresholds as the read-only float64 array :func:`ecg._quality_grading.grade_windows` takes."""
    try:
        return _params_cached(*values)
    except TypeError:  # an unhashable number (a 0-d array): not cached
        return np.array([float(v) for v in values], dtype=np.float64)


@functools.lru_cache(maxsize=16)
def _params_cached(*values: float) -> np.ndarray:
    arr = np.array(values, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def _check_beats(beats: object, n_samples: int, d: int) -> np.ndarray:
    """Validated beats (sample indices at the signal's rate) as a fresh, sorted int64 array at the rate of the
    preprocessed signal (``beats // d``)."""
    arr = beats if type(beats) is np.ndarray else np.asarray(beats)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise EcgValueError(f"beats: expected a 1-D array of integer sample indices, got {arr.dtype} {arr.shape}")
    if arr.dtype == _INT64 and arr.flags.c_contiguous:  # the common case: sorted already, one compiled pass
        out, ok = qk.beats_at_rate(arr, n_samples, d)
        if ok:
            return out
    arr = np.sort(arr).astype(np.int64, copy=False)  # (a sorted copy, C-contiguous)
    if arr.size and (arr[0] < 0 or arr[-1] >= n_samples):
        raise EcgValueError(f"beats: expected sample indices in [0, {n_samples}), got {arr[0]}..{arr[-1]}")
    if d > 1:
        arr //= d
    return arr


def assess_quality(
    signal: object,
    fs: float,
    *,
    beats: object | None = None,
    preprocessed: PreprocessedEcg | None = None,
    powerline_hz: float | None = 50.0,
    window_s: float = 4.0,
    step_s: float = 2.0,
    lead_off_mv: float = 0.05,
    max_masked_fraction: float = 0.5,
    max_saturated_fraction: float = 0.2,
    min_kurtosis: float = 3.6,
    min_slope_conc: float = 0.72,
    good_slope_conc: float = 0.80,
    motion_ratio: float = 2.7,
    max_ptp_mv: float = 10.0,
    good_baseline_ratio: float = 1.0,
    max_baseline_ratio: float = 2.5,
    min_template_corr: float = 0.5,
    rescue_template_corr: float = 0.9,
    confirm_template_corr: float = 0.85,
    quiet_ratio: float = 0.3,
    min_readable_fraction: float = 0.5,
    acceptable_weight: float = 0.5,
) -> SignalQuality:
    """Grade the quality of an ECG per lead and per record, with unreadable time ranges.

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` real array in mV (NaN = missing).
    fs
        Sampling rate in Hz.
    beats
        Optional QRS sample indices (e.g. from :func:`ecg.detect_qrs`) for the
        template-matching refinement.
    preprocessed
        The :func:`ecg.preprocess.screening_signal` (or :func:`ecg.preprocess`, ``lowpass_hz`` 40 Hz)
        result of the same ``signal``, at ``fs`` or decimated by an integer factor, to avoid
        filtering twice; ``screening_signal(signal, fs)`` is computed when ``None``.
    powerline_hz
        Mains frequency in Hz (used only when ``preprocessed`` is ``None``).
    window_s, step_s
        Feature window and hop in s (``step_s <= window_s``); verdicts have ``step_s`` resolution.
    lead_off_mv
        A window whose filtered peak-to-peak amplitude is below this (mV) is "lead off", unless it is a
        quiet live line (see ``quiet_ratio``).
    max_masked_fraction
        Above this fraction of missing / flat / clipped samples a window is unreadable.
    max_saturated_fraction
        Above this fraction of clipped samples a window is unreadable (any clipping: acceptable).
    min_kurtosis
        kSQI below this is unreadable (noise-like amplitude distribution).
    min_slope_conc, good_slope_conc
        Slope concentration below ``min_slope_conc`` is unreadable, below ``good_slope_conc`` acceptable.
    motion_ratio, max_ptp_mv
        Peak-to-peak amplitude above ``motion_ratio`` x the lead's median, or above
        ``max_ptp_mv`` mV, is motion artefact (unreadable).
    good_baseline_ratio, max_baseline_ratio
        Baseline excursion -- the range of the 0.3-s moving mean of the filtered signal, which
        a QRS or T wave barely moves but a baseline jump or electrode motion does -- over the
        lead's median peak-to-peak amplitude: above ``good_baseline_ratio`` acceptable, above
        ``max_baseline_ratio`` unreadable.
    min_template_corr, rescue_template_corr
        With ``beats``: median beat-template correlation below ``min_template_corr`` demotes a
        window one level; at or above ``rescue_template_corr`` it lifts a window that only the
        kurtosis / slope features rejected to ``acceptable``.
    confirm_template_corr
        With ``beats``: a readable stretch whose median beat-template correlation reaches this counts
        as good in the quality score below (its beats are consistent, whatever the signal features say).
    quiet_ratio
        A window of valid, non-constant samples whose peak-to-peak amplitude is below this fraction of
        the lead's median amplitude is a quiet, live line (asystole, a pause): ``acceptable``, not
        lead off. Only an exactly constant (or railed, or missing) lead is off; a lead whose amplitude
        stays below ``lead_off_mv`` throughout has no ECG and is off too.
    min_readable_fraction
        The record (and a lead) is unreadable when less than this fraction of it is readable,
        or when its quality score -- the time-weighted mean of good = 1, acceptable =
        ``acceptable_weight``, unreadable = 0 -- is below it (a record that is marginal
        throughout is not read reliably).
    acceptable_weight
        Weight of ``acceptable`` time in the quality score.

    Returns
    -------
    SignalQuality

    Raises
    ------
    EcgValueError
        For invalid input or options.
    """
    fs = check_fs(fs)
    if not 0 < step_s <= window_s:
        raise EcgValueError(f"step_s: expected 0 < step_s <= window_s ({window_s}), got {step_s}")
    shape = signal.shape if type(signal) is np.ndarray else np.shape(signal)
    if preprocessed is None:
        preprocessed = screening_signal(signal, fs, powerline_hz=powerline_hz)
        n_input = shape[0] if shape else 0
    else:
        n_cols = 1 if len(shape) == 1 else (shape[1] if len(shape) == 2 else -1)
        factor = fs / preprocessed.fs
        d = int(round(factor))
        pre_shape = preprocessed.signal.shape
        if (
            d < 1
            or abs(factor - d) > 1e-9 * d
            or len(shape) not in (1, 2)
            or -(-shape[0] // d) != pre_shape[0]
            or n_cols != (1 if len(pre_shape) == 1 else pre_shape[1])
        ):
            raise EcgValueError(
                f"preprocessed: expected the preprocessing of this signal ({shape} at {fs} Hz, or decimated by "
                f"an integer factor), got {preprocessed.signal.shape} at {preprocessed.fs} Hz"
            )
        n_input = shape[0]
    d = int(round(fs / preprocessed.fs))
    beats_arr = _NO_BEATS if beats is None else _check_beats(beats, n_input, d)  # (a fresh array)
    values = (
        max_masked_fraction, max_saturated_fraction, lead_off_mv, min_kurtosis, min_slope_conc, good_slope_conc,
        motion_ratio, max_ptp_mv, good_baseline_ratio, max_baseline_ratio, min_template_corr,
        rescue_template_corr, confirm_template_corr, quiet_ratio,
    )
    try:
        default = values == _DEFAULT_VALUES  # (the defaults themselves: an identity check per value)
    except ValueError:  # an array of several values (rejected by _params)
        default = False
    params = _DEFAULT_PARAMS if default else _params(*values)
    return _assess(
        preprocessed, n_input / fs, beats_arr, beats is not None, params, window_s, step_s, acceptable_weight,
        min_readable_fraction,
    )


def _assess(
    pre: PreprocessedEcg,
    duration_s: float,
    beats: np.ndarray,
    use_beats: bool,
    params: np.ndarray,
    window_s: float,
    step_s: float,
    acceptable_weight: float,
    min_readable_fraction: float,
) -> SignalQuality:
    """:func:`assess_quality` after validation (trusted input).

    Parameters
    ----------
    pre
        The screening signal (:func:`ecg.preprocess.screening_signal` or :func:`ecg.preprocess.preprocess`).
    duration_s
        Duration of the record (s): its samples at the record's rate over that rate.
    beats
        Sorted, C-contiguous int64 QRS indices at the rate of ``pre`` within ``[0, pre.n_samples)``; may be
        empty (and is only read when ``use_beats``).
    use_beats
        Whether beats were given (the template-matching refinement applies, even with no beat).
    params
        Thresholds, :func:`_params` order.
    window_s, step_s, acceptable_weight, min_readable_fraction
        As for :func:`assess_quality` (validated).

    Returns
    -------
    SignalQuality
    """
    fs_y = pre.fs
    y, missing, flat, saturated = pre.signal, pre.missing, pre.flat, pre.saturated
    n_samples = y.shape[0]
    if y.ndim == 1:
        y, missing, flat, saturated = y[:, None], missing[:, None], flat[:, None], saturated[:, None]
    if not (y.flags.c_contiguous and missing.flags.c_contiguous and flat.flags.c_contiguous
            and saturated.flags.c_contiguous):
        y, missing, flat, saturated = (np.ascontiguousarray(a) for a in (y, missing, flat, saturated))
    n_leads = y.shape[1]
    hop, win, stride, smooth, half = _window_setup(float(fs_y), float(window_s), float(step_s))
    n_segments = -(-n_samples // hop)
    n_windows = max(1, -(-max(n_samples - win, 0) // hop) + 1) if n_samples else 0
    step_s = hop / fs_y  # the segment length actually used
    seg_levels, seg_off, fractions, codes = qg.assess(
        y, missing, flat, saturated, win, hop, n_windows, stride, smooth, beats, half, use_beats, params,
        n_segments, step_s, duration_s, acceptable_weight, min_readable_fraction,
    )
    fractions = fractions.tolist()
    codes = codes.tolist()
    rec_frac = fractions[3 * n_leads]
    level = _LEVELS[codes[n_leads]]
    flagged = codes[n_leads + 1 :]
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("quality: %s, %.1f %% readable", level.label, 100 * rec_frac)
    no_ranges = ((),) * n_leads
    if flagged[0]:  # the segments where no lead is readable
        rec_readable = (seg_levels > QualityLevel.UNREADABLE).any(axis=1)
        unreadable_ranges = _ranges(runs_of(rec_readable, 0), step_s, duration_s)
    else:
        unreadable_ranges = ()
    return SignalQuality(
        level=level,
        lead_levels=tuple([_LEVELS[v] for v in codes[:n_leads]]),
        readable_fraction=rec_frac,
        lead_readable_fraction=tuple(fractions[:n_leads]),
        unreadable_ranges=unreadable_ranges,
        lead_unreadable_ranges=tuple([
            _ranges(runs_of(seg_levels[:, j], 0), step_s, duration_s) if flagged[1 + j] else ()
            for j in range(n_leads)
        ]) if any(flagged[1 : 1 + n_leads]) else no_ranges,
        lead_off=tuple([f > 0.5 for f in fractions[n_leads : 2 * n_leads]]),
        lead_off_ranges=tuple([
            _ranges(runs_of(seg_off[:, j], 1), step_s, duration_s) if flagged[1 + n_leads + j] else ()
            for j in range(n_leads)
        ]) if any(flagged[1 + n_leads :]) else no_ranges,
        saturated_fraction=tuple(fractions[2 * n_leads : 3 * n_leads]),
        segment_levels=seg_levels,
        step_s=float(step_s),
        duration_s=float(duration_s),
    )


@functools.lru_cache(maxsize=64)
def _window_setup(fs_y: float, window_s: float, step_s: float) -> tuple[int, int, int, int, int]:
    """``(hop, win, stride, smooth, half)`` in samples of the screening signal at ``fs_y`` (cached)."""
    return (
        max(1, int(round(step_s * fs_y))),
        max(2, int(round(window_s * fs_y))),
        max(1, int(fs_y // _SLOPE_FS)),
        max(1, int(round(_BASELINE_SMOOTH_S * fs_y))),
        max(2, int(round(0.1 * fs_y))),
    )


def _screening_quality(pre: PreprocessedEcg, n_input: int, fs: float, beats: np.ndarray) -> SignalQuality:
    """``assess_quality(signal, fs, beats=beats, preprocessed=pre)`` with the default options, for
    :func:`ecg.screen`, which has validated its input already.

    Parameters
    ----------
    pre
        ``screening_signal(signal, fs)`` of the record's ``(n_input, n_leads)`` signal.
    n_input
        Samples per lead of the record.
    fs
        The record's (validated, float) sampling rate in Hz.
    beats
        QRS sample indices at ``fs`` (int64; checked for order and range in one compiled pass, with the errors
        of :func:`assess_quality`).

    Returns
    -------
    SignalQuality
    """
    d = int(round(fs / pre.fs))
    return _assess(
        pre, n_input / fs, _check_beats(beats, n_input, d), True, _DEFAULT_PARAMS, _DEFAULT_WINDOW_S,
        _DEFAULT_STEP_S, _DEFAULT_ACCEPTABLE_WEIGHT, _DEFAULT_MIN_READABLE,
    )


_DEFAULT_WINDOW_S, _DEFAULT_STEP_S, _DEFAULT_ACCEPTABLE_WEIGHT, _DEFAULT_MIN_READABLE = (
    assess_quality.__kwdefaults__[name]
    for name in ("window_s", "step_s", "acceptable_weight", "min_readable_fraction")
)
_DEFAULT_VALUES = tuple(
    assess_quality.__kwdefaults__[name]
    for name in (
        "max_masked_fraction", "max_saturated_fraction", "lead_off_mv", "min_kurtosis", "min_slope_conc",
        "good_slope_conc", "motion_ratio", "max_ptp_mv", "good_baseline_ratio", "max_baseline_ratio",
        "min_template_corr", "rescue_template_corr", "confirm_template_corr", "quiet_ratio",
    )
)
_DEFAULT_PARAMS = _params(*_DEFAULT_VALUES)
