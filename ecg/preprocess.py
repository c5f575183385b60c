"""ECG preprocessing: gaps, lead-off and clipping masks, baseline wander, powerline, band limit.

All leads are filtered at once by one zero-phase biquad cascade (Numba kernel in
:mod:`ecg._filter_kernels`):

* **baseline wander** -- Butterworth high-pass (order 2, default 0.5 Hz) run forward and
  backward, i.e. zero phase; bidirectional filtering is what the AHA/ACCF/HRS recommendations
  allow above 0.05 Hz without ST-segment distortion (Kligfield et al., Circulation
  115:1306-1324, 2007; Van Alste & Schilder, IEEE TBME 32:1052-1060, 1985);
* **powerline interference** -- second-order IIR notches (Q = 30) at the mains frequency
  (50 Hz by default, 60 Hz configurable) and at each harmonic below Nyquist that the
  low-pass does not already suppress by 40 dB (Luo & Johnston, J Electrocardiol 43:486-496, 2010);
* **band limiting** -- Butterworth low-pass (order 4, default 40 Hz; 100-150 Hz for
  diagnostic bandwidth), also zero phase.

Before filtering, samples that carry no ECG -- NaN gaps, exactly constant runs (lead off)
and runs at the lead's extreme value (ADC rail, clipping) -- are bridged by linear
interpolation so they never enter the IIR state, and they are NaN again in the output.
The input array is never modified.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from ._filter_kernels import (
    backward_pass,
    fill_gaps_linear,
    sample_masks,
    screening_pass,
    screening_passes,
    sosfiltfilt_columns,
)
from .errors import EcgValueError

__all__ = [
    "PreprocessedEcg",
    "preprocess",
    "screening_signal",
    "screening_decimation",
    "zero_phase_screening",
    "resample",
    "design_filter",
    "as_signal_2d",
    "check_fs",
]

logger = logging.getLogger(__name__)

_NOTCH_Q = 30.0
_HIGHPASS_ORDER = 2
_LOWPASS_ORDER = 4
#: harmonics the (two-pass) low-pass already attenuates by at least this much are not notched
_NOTCH_SKIP_DB = 40.0


@dataclass(frozen=True, slots=True, eq=False)
class PreprocessedEcg:
    """The result of :func:`preprocess`.

    Attributes
    ----------
    signal
        Filtered signal in mV, same shape as the input (``(n_samples,)`` or
        ``(n_samples, n_leads)``), float64; NaN wherever :attr:`valid` is False.
    fs
        Sampling rate of :attr:`signal` in Hz (the target rate when resampled).
    missing
        Boolean mask, same shape: the input was NaN here.
    flat
        Boolean mask: inside an exactly constant run of at least ``flat_min_s`` (lead off,
        disconnected electrode, zero-filled gap).
    saturated
        Boolean mask: inside a run of at least ``saturation_min_s`` at the lead's extreme
        value (amplifier / ADC rail, clipped signal).
    """

    signal: np.ndarray
    fs: float
    missing: np.ndarray
    flat: np.ndarray
    saturated: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of samples that carry filtered ECG (not missing, flat or saturated)."""
        return ~(self.missing | self.flat | self.saturated)

    @property
    def n_samples(self) -> int:
        """Samples per lead."""
        return int(self.signal.shape[0])

    @property
    def n_leads(self) -> int:
        """Number of leads (1 for a 1-D signal)."""
        return 1 if self.signal.ndim == 1 else int(self.signal.shape[1])

    def valid_fraction(self) -> np.ndarray:
        """Fraction of valid samples per lead, ``(n_leads,)`` (0 for an empty record)."""
        valid = self.valid.reshape(self.n_samples, self.n_leads)
        if self.n_samples == 0:
            return np.zeros(self.n_leads)
        return valid.mean(axis=0)

    def signal_2d(self) -> np.ndarray:
        """:attr:`signal` as ``(n_samples, n_leads)`` (a view)."""
        return self.signal.reshape(self.n_samples, self.n_leads)


def check_fs(fs: float, name: str = "fs") -> float:
    """Validate a sampling rate (finite, > 0) and return it as ``float``."""
    if type(fs) is float and 0.0 < fs < math.inf:  # the common case, without conversions (NaN fails too)
        return fs
    try:
        value = float(fs)
    except (TypeError, ValueError):
        raise EcgValueError(f"{name}: expected a sampling rate in Hz (a number), got {fs!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise EcgValueError(f"{name}: expected a positive, finite sampling rate in Hz, got {fs!r}")
    return value


def as_signal_2d(signal: object, name: str = "signal") -> tuple[np.ndarray, bool]:
    """Validate an ECG array and return a C-contiguous native float64 ``(n, n_leads)`` copy.

    Accepts any real numeric dtype (int16, big-endian, float32, ...), any memory layout,
    1-D (one lead) or 2-D ``(n_samples, n_leads)``. NaN marks missing samples; infinities
    are rejected.

    Returns
    -------
    tuple
        The 2-D float64 copy and whether the input was 1-D.
    """
    arr, was_1d = _checked_2d(signal, name)
    out = np.array(arr, dtype=np.float64, order="C")
    if np.isinf(out).any():
        raise EcgValueError(f"{name}: expected finite values (NaN marks gaps), got infinities")
    return out, was_1d


def _checked_2d(signal: object, name: str) -> tuple[np.ndarray, bool]:
    """``signal`` as a real numeric ``(n_samples, n_leads)`` array with at least one lead (a view where it can be)
    and whether it was 1-D; the dtype and shape checks of :func:`as_signal_2d`."""
    arr = np.asarray(signal)
    if arr.dtype.kind not in "iuf":
        raise EcgValueError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise EcgValueError(f"{name}: expected shape (n_samples,) or (n_samples, n_leads), got {arr.shape}")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise EcgValueError(f"{name}: expected at least one lead, got shape {arr.shape}")
    return (arr[:, None], True) if arr.ndim == 1 else (arr, False)


def design_filter(
    fs: float,
    highpass_hz: float | None,
    lowpass_hz: float | None,
    powerline_hz: float | None,
) -> np.ndarray:
    """The second-order sections :func:`preprocess` runs forward and backward.

    Parameters
    ----------
    fs
        Sampling rate in Hz.
    highpass_hz, lowpass_hz
        Band edges in Hz; ``None`` (or a low-pass at/above 0.95 x Nyquist) leaves that side open.
    powerline_hz
        Mains frequency in Hz to notch (with its harmonics), or ``None``.

    Returns
    -------
    numpy.ndarray
        ``(n_sections, 6)`` float64, a fresh copy. May have zero rows (identity).
    """
    return _design_filter_cached(float(fs), highpass_hz, lowpass_hz, powerline_hz).copy()


def _design_sos(
    fs: float,
    highpass_hz: float | None,
    lowpass_hz: float | None,
    powerline_hz: float | None,
    *,
    lowpass_order: int,
    passes: int,
    notch_skip_db: float,
) -> np.ndarray:
    """Second-order sections: Butterworth high-pass, Butterworth low-pass, mains notches with harmonics.

    A notch is skipped where the low-pass (applied ``passes`` times) already attenuates the harmonic by
    ``notch_skip_db`` or more.
    """
    nyquist = fs / 2.0
    sections: list[np.ndarray] = []
    if highpass_hz is not None:
        if not 0 < highpass_hz < nyquist:
            raise EcgValueError(f"highpass_hz: expected 0 < highpass_hz < Nyquist ({nyquist} Hz), got {highpass_hz}")
        sections.append(sps.butter(_HIGHPASS_ORDER, highpass_hz, btype="highpass", fs=fs, output="sos"))
    lowpass = None
    if lowpass_hz is not None:
        if lowpass_hz <= 0 or (highpass_hz is not None and lowpass_hz <= highpass_hz):
            raise EcgValueError(f"lowpass_hz: expected a cut-off above highpass_hz ({highpass_hz}), got {lowpass_hz}")
        if lowpass_hz < 0.95 * nyquist:
            lowpass = sps.butter(lowpass_order, lowpass_hz, btype="lowpass", fs=fs, output="sos")
            sections.append(lowpass)
        else:
            logger.debug("lowpass_hz=%s at/above Nyquist of fs=%s: no low-pass", lowpass_hz, fs)
    if powerline_hz is not None:
        if powerline_hz <= 0:
            raise EcgValueError(f"powerline_hz: expected a mains frequency in Hz (50 or 60) or None, got {powerline_hz}")
        harmonic = powerline_hz
        while harmonic < 0.98 * nyquist:
            attenuation_db = 0.0
            if lowpass is not None:
                _, h = sps.sosfreqz(lowpass, worN=[harmonic], fs=fs)
                attenuation_db = -passes * 20.0 * np.log10(max(abs(h[0]), 1e-300))
            if attenuation_db < notch_skip_db:
                b, a = sps.iirnotch(harmonic, _NOTCH_Q, fs=fs)
                sections.append(sps.tf2sos(b, a))
            harmonic += powerline_hz
    sos = np.ascontiguousarray(np.vstack(sections)) if sections else np.zeros((0, 6))
    return sos


@functools.lru_cache(maxsize=64)
def _design_filter_cached(
    fs: float, highpass_hz: float | None, lowpass_hz: float | None, powerline_hz: float | None
) -> np.ndarray:
    sos = _design_sos(
        fs, highpass_hz, lowpass_hz, powerline_hz,
        lowpass_order=_LOWPASS_ORDER, passes=2, notch_skip_db=_NOTCH_SKIP_DB,
    )
    sos.setflags(write=False)
    return sos


@functools.lru_cache(maxsize=64)
def _zi_cached(sos_bytes: bytes) -> np.ndarray:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(-1, 6).copy()
    zi = np.ascontiguousarray(sps.sosfilt_zi(sos))
    zi.setflags(write=False)
    return zi


def _zi_and_padlen(sos: np.ndarray, n_samples: int, fs: float) -> tuple[np.ndarray, int]:
    if sos.shape[0] == 0:
        return np.zeros((0, 2)), 0
    zi = _zi_cached(np.ascontiguousarray(sos, dtype=np.float64).tobytes())
    ntaps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    # at least SciPy's default (3 x taps) and one second of odd extension, to settle the high-pass
    padlen = max(3 * ntaps, int(round(fs)))
    return zi, max(0, min(padlen, n_samples - 1))


def filter_zero_phase(x2d: np.ndarray, fs: float, sos: np.ndarray) -> np.ndarray:
    """Run ``sos`` forward-backward over every column of a finite ``(n, n_leads)`` float64 array."""
    zi, padlen = _zi_and_padlen(sos, x2d.shape[0], fs)
    if sos.shape[0] == 0:
        return x2d.copy()
    return sosfiltfilt_columns(np.ascontiguousarray(sos), zi, np.ascontiguousarray(x2d), padlen)


def _resample_2d(x2d: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    if ratio.numerator == 0:
        raise EcgValueError(f"target_fs: {target_fs} Hz is too low for fs={fs} Hz")
    if abs(float(ratio) * fs - target_fs) > 1e-6 * target_fs:
        raise EcgValueError(
            f"target_fs: cannot resample {fs} Hz to {target_fs} Hz with a rational factor (denominator <= 1000)"
        )
    if x2d.shape[0] == 0:
        return np.zeros((0, x2d.shape[1]))
    return np.ascontiguousarray(sps.resample_poly(x2d, ratio.numerator, ratio.denominator, axis=0))


def _resample_mask(mask: np.ndarray, n_out: int) -> np.ndarray:
    """A sample of the output is masked when any input sample it covers is masked."""
    n_in = mask.shape[0]
    if n_in == 0 or n_out == 0:
        return np.zeros((n_out, mask.shape[1]), dtype=bool)
    edges = np.minimum((np.arange(n_out + 1) * n_in) // n_out, n_in)
    cums = np.vstack([np.zeros((1, mask.shape[1]), dtype=np.int64), np.cumsum(mask, axis=0)])
    lo = edges[:-1]
    hi = np.maximum(edges[1:], lo + 1)
    hi = np.minimum(hi, n_in)
    return (cums[hi] - cums[lo]) > 0


def resample(signal: object, fs: float, target_fs: float) -> np.ndarray:
    """Resample an ECG to ``target_fs`` with a polyphase anti-aliasing FIR.

    Uses :func:`scipy.signal.resample_poly` (Kaiser-windowed FIR, Crochiere & Rabiner,
    *Multirate Digital Signal Processing*, 1983). NaN gaps are bridged for filtering and
    NaN again in the output (an output sample is NaN when any input sample it covers was).

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` real array (mV).
    fs, target_fs
        Input and output sampling rates in Hz; their ratio must be a fraction with a
        denominator of at most 1000.

    Returns
    -------
    numpy.ndarray
        float64, ``(ceil(n_samples * target_fs / fs),)`` or ``(..., n_leads)``.
    """
    x2d, was_1d = as_signal_2d(signal)
    fs = check_fs(fs)
    target_fs = check_fs(target_fs, "target_fs")
    if target_fs == fs:
        out = x2d
    else:
        missing = np.isnan(x2d)
        filled = fill_gaps_linear(x2d, missing) if missing.any() else x2d
        out = _resample_2d(filled, fs, target_fs)
        if missing.any():
            out[_resample_mask(missing, out.shape[0])] = np.nan
    return out[:, 0].copy() if was_1d else out


def preprocess(
    signal: object,
    fs: float,
    *,
    powerline_hz: float | None = 50.0,
    highpass_hz: float | None = 0.5,
    lowpass_hz: float | None = 40.0,
    target_fs: float | None = None,
    flat_min_s: float = 0.25,
    saturation_min_s: float = 0.015,
) -> PreprocessedEcg:
    """Clean an ECG for analysis: mask non-ECG samples, remove baseline and mains, band-limit.

    Parameters
    ----------
    signal
        ``(n_samples,)`` (one lead) or ``(n_samples, n_leads)`` real array in mV; NaN marks
        missing samples. Any numeric dtype, byte order or memory layout; never modified.
    fs
        Sampling rate in Hz.
    powerline_hz
        Mains frequency in Hz to notch with its harmonics (50 Hz in China and Europe, 60 Hz in
        the Americas), or ``None`` for no notch.
    highpass_hz
        Baseline-wander cut-off in Hz (zero-phase Butterworth, order 2), or ``None``.
    lowpass_hz
        Band-limit in Hz (zero-phase Butterworth, order 4); 40 Hz for rhythm analysis,
        100-150 Hz for diagnostic bandwidth; ``None`` for none.
    target_fs
        Resample to this rate in Hz before filtering (:func:`resample`), or ``None``.
    flat_min_s
        Minimum duration in s of an exactly constant run to call it flat (lead off).
    saturation_min_s
        Minimum duration in s of a run at the lead's extreme value to call it clipped.

    Returns
    -------
    PreprocessedEcg
        Filtered signal (NaN where not valid) with its masks.

    Raises
    ------
    EcgValueError
        For a non-numeric / wrongly shaped / infinite signal or invalid options.
    """
    x2d, was_1d = as_signal_2d(signal)
    fs = check_fs(fs)
    if flat_min_s <= 0 or saturation_min_s <= 0:
        raise EcgValueError(
            f"flat_min_s, saturation_min_s: expected positive durations in s, got {flat_min_s}, {saturation_min_s}"
        )
    # a run pinned at the lead's extreme value is clipping; other constant runs are lead off
    missing, flat, saturated = sample_masks(
        x2d, max(2, int(round(flat_min_s * fs))), max(3, int(round(saturation_min_s * fs)))
    )
    bad = missing | flat | saturated
    filled = fill_gaps_linear(x2d, bad) if bad.any() else x2d
    out_fs = fs
    if target_fs is not None:
        target_fs = check_fs(target_fs, "target_fs")
        if target_fs != fs:
            filled = _resample_2d(filled, fs, target_fs)
            n_out = filled.shape[0]
            missing, flat, saturated = (_resample_mask(m, n_out) for m in (missing, flat, saturated))
            bad = missing | flat | saturated
            out_fs = target_fs
    sos = _design_filter_cached(out_fs, highpass_hz, lowpass_hz, powerline_hz)
    filtered = filter_zero_phase(filled, out_fs, sos)
    filtered[bad] = np.nan
    if was_1d:
        filtered, missing, flat, saturated = (a[:, 0].copy() for a in (filtered, missing, flat, saturated))
    n_bad = int(bad.sum())
    if n_bad:
        logger.debug("preprocess: %d of %d samples masked (missing/flat/saturated)", n_bad, bad.size)
    return PreprocessedEcg(signal=filtered, fs=out_fs, missing=missing, flat=flat, saturated=saturated)


#: :func:`screening_signal` decimates to the lowest rate of at least this (Hz): enough for a 40 Hz band
SCREENING_MIN_FS = 120.0
_SCREEN_LOWPASS_ORDER = 4
#: single causal pass: mains harmonics the low-pass attenuates by this much are not notched
_SCREEN_NOTCH_SKIP_DB = 20.0


def screening_decimation(fs: float) -> int:
    """The integer factor :func:`screening_signal` decimates ``fs`` by: the largest that keeps the rate at
    or above 120 Hz and, for a whole-number ``fs``, a whole number of Hz (so second-based windows stay exact)."""
    return _decimation(check_fs(fs))


@functools.lru_cache(maxsize=64)
def _decimation(fs: float) -> int:
    """:func:`screening_decimation` of a validated ``fs``."""
    top = max(1, int(fs // SCREENING_MIN_FS))
    if fs == int(fs):
        for d in range(top, 0, -1):
            if int(fs) % d == 0:
                return d
    return top


@functools.lru_cache(maxsize=64)
def _screening_filter(fs: float, highpass_hz: float | None, lowpass_hz: float | None, powerline_hz: float | None):
    sos = _design_sos(
        fs, highpass_hz, lowpass_hz, powerline_hz,
        lowpass_order=_SCREEN_LOWPASS_ORDER, passes=1, notch_skip_db=_SCREEN_NOTCH_SKIP_DB,
    )
    zi = np.ascontiguousarray(sps.sosfilt_zi(sos)) if len(sos) else np.zeros((0, 2))
    sos.setflags(write=False)
    zi.setflags(write=False)
    return sos, zi


_FLOAT64 = np.dtype(np.float64)


@functools.lru_cache(maxsize=64)
def _screening_setup(
    fs: float,
    highpass_hz: float | None,
    lowpass_hz: float | None,
    powerline_hz: float | None,
    flat_min_s: float,
    saturation_min_s: float,
) -> tuple[int, float, np.ndarray, np.ndarray, int, int]:
    """Decimation, output rate, cascade (``sos``, ``zi``) and flat / clipped run lengths (samples at ``fs``) of
    :func:`screening_signal` for a validated ``fs`` (cached per option set)."""
    d = _decimation(fs)
    out_fs = fs / d
    sos, zi = _screening_filter(out_fs, highpass_hz, lowpass_hz, powerline_hz)
    return d, out_fs, sos, zi, max(2, int(round(flat_min_s * fs))), max(3, int(round(saturation_min_s * fs)))


def _screening_input(signal: object) -> tuple[np.ndarray, bool]:
    """:func:`as_signal_2d` for the screening kernel, which only reads its input: no copy of a native
    float64 C-contiguous array, and the infinity check left to the kernel (it finds each lead's extremes)."""
    if (type(signal) is np.ndarray and signal.dtype == _FLOAT64 and signal.ndim == 2 and signal.shape[1]
            and signal.flags.c_contiguous):  # the common case: used as it is
        return signal, False
    arr, was_1d = _checked_2d(signal, "signal")
    return np.ascontiguousarray(arr, dtype=np.float64), was_1d


def screening_signal(
    signal: object,
    fs: float,
    *,
    powerline_hz: float | None = 50.0,
    highpass_hz: float | None = 0.5,
    lowpass_hz: float | None = 40.0,
    flat_min_s: float = 0.25,
    saturation_min_s: float = 0.015,
    zero_phase: bool = False,
) -> PreprocessedEcg:
    """A cheap, screening-grade version of :func:`preprocess`: one causal pass at a reduced rate.

    Same masks (missing, flat, clipped) as :func:`preprocess`, then every block of
    :func:`screening_decimation` samples is averaged (a boxcar anti-alias; the rate stays at or above
    120 Hz) and run once, causally, through a Butterworth high-pass (order 2, ``highpass_hz``),
    a Butterworth low-pass (order 4, ``lowpass_hz``) and mains notches (Q = 30) -- about a sixth of
    the work of the zero-phase, full-rate :func:`preprocess`. The phase is not linear (a delay of a
    few ms around the QRS), which statistics of windows (signal quality) do not mind; beat morphology
    takes ``zero_phase=True`` (one more pass, backward, at the reduced rate: on MIT-BIH the causal
    signal cost about 1 point of ventricular-beat +P); use :func:`preprocess` for display, export
    and interval measurement. Masked samples are skipped and the filters restart in their steady state
    after them.

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` real array in mV (NaN = missing); never modified.
    fs
        Sampling rate in Hz.
    powerline_hz, highpass_hz, lowpass_hz, flat_min_s, saturation_min_s
        As for :func:`preprocess`.
    zero_phase
        Also run the cascade backward over the decimated signal (forward-backward: zero phase, the
        squared magnitude response), for beat morphology; about 40 % more work.

    Returns
    -------
    PreprocessedEcg
        At ``fs / screening_decimation(fs)`` Hz, ``ceil(n_samples / factor)`` samples per lead; a
        sample is masked when any input sample it averages is.
    """
    pre, back = _screening(
        signal, fs, powerline_hz, highpass_hz, lowpass_hz, flat_min_s, saturation_min_s, zero_phase
    )
    if back is None:
        return pre
    y = back[:, 0].copy() if pre.signal.ndim == 1 else back
    return PreprocessedEcg(signal=y, fs=pre.fs, missing=pre.missing, flat=pre.flat, saturated=pre.saturated)


def _screening(
    signal: object,
    fs: float,
    powerline_hz: float | None,
    highpass_hz: float | None,
    lowpass_hz: float | None,
    flat_min_s: float,
    saturation_min_s: float,
    backward: bool,
) -> tuple[PreprocessedEcg, np.ndarray | None]:
    """:func:`screening_signal` (causal) and, with ``backward``, the ``(n_samples, n_leads)`` zero-phase
    signal of :func:`zero_phase_screening` from the same kernel call (else ``None``)."""
    x2d, was_1d = _screening_input(signal)
    fs = check_fs(fs)
    if flat_min_s <= 0 or saturation_min_s <= 0:
        raise EcgValueError(
            f"flat_min_s, saturation_min_s: expected positive durations in s, got {flat_min_s}, {saturation_min_s}"
        )
    d, out_fs, sos, zi, flat_run, rail_run = _screening_setup(
        fs, highpass_hz, lowpass_hz, powerline_hz, float(flat_min_s), float(saturation_min_s)
    )
    back = None
    if backward:
        y, missing, flat, saturated, finite, back = screening_passes(x2d, d, sos, zi, flat_run, rail_run)
    else:
        y, missing, flat, saturated, finite = screening_pass(x2d, d, sos, zi, flat_run, rail_run)
    if not finite:
        raise EcgValueError("signal: expected finite values (NaN marks gaps), got infinities")
    if was_1d:
        y, missing, flat, saturated = (a[:, 0].copy() for a in (y, missing, flat, saturated))
    # positional: the frozen dataclass's keyword call costs about half a microsecond more
    return PreprocessedEcg(y, out_fs, missing, flat, saturated), back


# screening_signal's filter and mask options, its defaults in order (what ecg.screen uses)
_SCREENING_DEFAULTS = tuple(
    screening_signal.__kwdefaults__[name]
    for name in ("powerline_hz", "highpass_hz", "lowpass_hz", "flat_min_s", "saturation_min_s")
)


def _screening_both(signal: object, fs: float) -> tuple[PreprocessedEcg, np.ndarray]:
    """``pre = screening_signal(signal, fs)`` and ``zero_phase_screening(pre)`` (default options) in one
    kernel call."""
    return _screening(signal, fs, *_SCREENING_DEFAULTS, True)


def zero_phase_screening(pre: PreprocessedEcg, *, powerline_hz: float | None = 50.0,
                         highpass_hz: float | None = 0.5, lowpass_hz: float | None = 40.0) -> np.ndarray:
    """The backward pass that turns a :func:`screening_signal` result (same filter options) zero-phase.

    Returns the ``(n_samples, n_leads)`` float64 signal, NaN where ``pre`` is; see ``zero_phase`` of
    :func:`screening_signal` (which equals ``screening_signal(..., zero_phase=False)`` followed by this).
    """
    sos, zi = _screening_filter(float(pre.fs), highpass_hz, lowpass_hz, powerline_hz)
    y = pre.signal
    if y.ndim == 1:
        y = y[:, None]
    if not y.flags.c_contiguous:
        y = np.ascontiguousarray(y)
    return backward_pass(y, sos, zi)
