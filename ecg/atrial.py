"""Atrial-activity evidence for the AF detector: fibrillatory (f) waves after QRST cancellation.

Method
------
Average beat subtraction (Slocum et al., J Electrocardiol 25 Suppl:1-8, 1992; Rieta, Castells &
Sanchez, IEEE TBME 51:1176-1186, 2004, for its use on AF): the mean beat of the record's normal beats
(-250..+450 ms around the QRS) is subtracted from every clean RR interval -- its P-wave part aligned
on the following QRS, its ST-T part on the preceding one -- and the QRS complexes themselves are left
out (-60..+80 ms). What remains is the activity that is *not* locked to the ventricular beats:
fibrillatory waves in AF, little more than noise in sinus rhythm (the P wave, locked to the next QRS,
cancels).

The feature is the share of the residual's power that falls in the 4-10 Hz band of the dominant
atrial frequency of AF (f waves at 4-9 Hz, i.e. 240-540 /min: Bollmann et al., Europace 8:911-926,
2006; Stridh & Sornmo, IEEE TBME 48:105-111, 2001): an organised, band-limited oscillation scores high,
broadband muscle noise and slow motion artefact score low. The residual power is floored at that of an
RMS of 2 % of the mean beat's QRS peak-to-peak amplitude (about 20-40 uV, the noise floor of a good
recording and the size of fine f waves): an almost noise-free residual, whose spectrum is that of small
template mismatches, cannot look like f waves. It is computed in one Numba pass (a mean
template and a two-section band-pass biquad cascade), on the zero-phase screening signal
(:func:`ecg.preprocess.zero_phase_screening`, 0.5-40 Hz).

The band is a 2nd-order Butterworth band-pass (4-10 Hz) applied forward only: the power share does not
depend on phase. Its coefficients are computed once per sampling rate.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from . import _atrial_kernels as _ak
from .errors import EcgValueError

__all__ = ["AtrialSignal", "atrial_signal", "f_wave_fraction", "F_WAVE_BAND_HZ"]

log = logging.getLogger(__name__)

F_WAVE_BAND_HZ = (4.0, 10.0)
"""Band of the fibrillatory waves (Hz)."""
_PRE_S = 0.25  # template before the QRS fiducial (s): the P wave
_POST_S = 0.45  # template after it (s): QRS, ST segment and T wave
_SKIP_BEFORE_S = 0.06  # QRS onset side left out of the residual (s)
_SKIP_AFTER_S = 0.08  # QRS end side left out (s)
_MIN_RESIDUAL_S = 2.0  # residual a fraction needs (s of counted samples)
_MIN_TEMPLATE_BEATS = 4
_RESIDUAL_FLOOR = 0.02  # residual RMS floor as a fraction of the mean beat's QRS peak-to-peak amplitude
_PREFERRED_LEADS = ("II", "MLII", "V1", "ECG", "I")  # where atrial activity is largest, in this order


@dataclass(frozen=True, slots=True, eq=False)
class AtrialSignal:
    """One lead of a band-limited ECG with its beat positions, for the atrial-activity features.

    Attributes
    ----------
    signal
        The lead (mV), 1-D native float64 (a view of the input's column where it already is), NaN where missing.
    fs
        Its sampling rate (Hz).
    beats
        QRS fiducial sample indices at ``fs`` (int64, strictly increasing).
    lead
        Name of the lead.
    """

    signal: np.ndarray
    fs: float
    beats: np.ndarray
    lead: str = ""


def atrial_signal(
    signal: np.ndarray,
    fs: float,
    beats: np.ndarray,
    *,
    leads: Sequence[str] | None = None,
    usable: np.ndarray | None = None,
) -> AtrialSignal:
    """Pick the lead for the atrial-activity features and validate the inputs.

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` band-limited ECG (mV), e.g.
        :func:`ecg.preprocess.zero_phase_screening`.
    fs
        Its sampling rate (Hz, >= 50: the f-wave band reaches 10 Hz).
    beats
        QRS sample indices at ``fs``.
    leads
        Lead names (one per column); the first of II, MLII, V1, ECG, I that is usable is taken, else
        the first usable lead.
    usable
        One flag per lead (e.g. not lead-off); all usable when ``None``.

    Raises
    ------
    EcgValueError
        On a wrong shape, rate, beat index or lead list.
    """
    x = np.asarray(signal)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0 or x.dtype.kind not in "fiu":
        raise EcgValueError(f"signal: expected a numeric (n_samples,) or (n_samples, n_leads) array, got shape {x.shape}")
    if isinstance(fs, bool) or not isinstance(fs, (int, float, np.number)) or not np.isfinite(fs) or fs < 50.0:
        raise EcgValueError(f"fs: expected a sampling rate >= 50 Hz, got {fs!r}")
    idx = np.asarray(beats)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise EcgValueError(f"beats: expected a 1-D integer array of sample indices, got {idx.dtype} shape {idx.shape}")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    if idx.size and (idx[0] < 0 or idx[-1] >= x.shape[0] or not (idx[1:] > idx[:-1]).all()):
        raise EcgValueError(f"beats: expected strictly increasing indices in [0, {x.shape[0]}), got {idx[:3]}...")
    names = tuple(str(i) for i in range(x.shape[1])) if leads is None else tuple(leads)
    if len(names) != x.shape[1]:
        raise EcgValueError(f"leads: expected {x.shape[1]} names, got {len(names)}")
    ok = np.ones(x.shape[1], dtype=bool) if usable is None else np.asarray(usable, dtype=bool)
    if ok.shape != (x.shape[1],):
        raise EcgValueError(f"usable: expected {x.shape[1]} flags, got shape {ok.shape}")
    candidates = [i for i in range(x.shape[1]) if ok[i]] or list(range(x.shape[1]))
    upper = [names[i].upper() for i in candidates]
    pick = candidates[0]
    for want in _PREFERRED_LEADS:
        if want in upper:
            pick = candidates[upper.index(want)]
            break
    lead = np.asarray(x[:, pick], dtype=np.float64)  # a view where the input is native float64: no copy of a long record
    return AtrialSignal(lead, float(fs), idx, names[pick])


@functools.lru_cache(maxsize=16)
def _band_sos(fs: float) -> np.ndarray:
    """Second-order sections of the 4-10 Hz Butterworth band-pass at ``fs`` (read-only; cached per rate)."""
    sos = sps.butter(2, F_WAVE_BAND_HZ, btype="bandpass", fs=fs, output="sos")
    sos.setflags(write=False)
    return sos


def f_wave_fraction(
    atrial: AtrialSignal,
    template_beat: np.ndarray | None = None,
    interval_ok: np.ndarray | None = None,
) -> float:
    """Share of the QRST-cancelled residual's power in the f-wave band (4-10 Hz), 0-1.

    Parameters
    ----------
    atrial
        From :func:`atrial_signal`.
    template_beat
        One flag per beat: the beat joins the mean beat (normal beats); all when ``None``.
    interval_ok
        One flag per RR interval (``n_beats - 1``): its residual counts (clean intervals: both beats
        normal, readable signal); all when ``None``.

    Returns
    -------
    float
        ``band power / max(residual power, (0.02 x QRS peak-to-peak)^2)`` (high for fibrillatory waves,
        about 0.05-0.15 for the residual noise of sinus rhythm); NaN when fewer than 4 template beats or
        2 s of residual exist.

    References
    ----------
    Rieta JJ, Castells F, Sanchez C, et al. Atrial activity extraction for atrial fibrillation analysis
    using blind source separation. IEEE Trans Biomed Eng 2004;51(7):1176-1186.
    """
    if not isinstance(atrial, AtrialSignal):
        raise EcgValueError(f"atrial: expected an AtrialSignal (see atrial_signal), got {type(atrial).__name__}")
    nb = atrial.beats.size
    tb = np.ones(nb, dtype=bool) if template_beat is None else np.ascontiguousarray(template_beat, dtype=bool)
    if tb.shape != (nb,):
        raise EcgValueError(f"template_beat: expected {nb} flags, got shape {tb.shape}")
    iv = np.ones(max(nb - 1, 0), dtype=bool) if interval_ok is None else np.ascontiguousarray(interval_ok, dtype=bool)
    if iv.shape != (max(nb - 1, 0),):
        raise EcgValueError(f"interval_ok: expected {max(nb - 1, 0)} flags, got shape {iv.shape}")
    if nb < 2:
        return float("nan")
    fs = atrial.fs
    r = _ak.f_wave_power(
        atrial.signal, atrial.beats, tb, iv,
        int(round(_PRE_S * fs)), int(round(_POST_S * fs)), int(round(_SKIP_BEFORE_S * fs)), int(round(_SKIP_AFTER_S * fs)),
        _band_sos(fs),
    )
    if r[3] < _MIN_TEMPLATE_BEATS or r[2] < _MIN_RESIDUAL_S * fs:
        return float("nan")
    floor = (_RESIDUAL_FLOOR * r[4]) ** 2 if np.isfinite(r[4]) else 0.0
    denom = max(float(r[1]), floor)
    return float(r[0] / denom) if denom > 0 else float("nan")
