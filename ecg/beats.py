"""Per-beat classification: normal, supraventricular premature, ventricular, paced, unknown.

Method
------
Template matching in the spirit of the ARGUS / Holter classifiers (Nolle 1971; Hamilton & Tompkins,
*OSEA*, 2003; de Chazal et al., IEEE TBME 51(7):1196-1206, 2004, for the morphology + timing feature
set):

1. Each lead is band-passed (1-35 Hz, zero phase) and decimated to ~180 Hz; a window of -100 ms..+160 ms
   around every QRS is cut from up to three leads and the leads are concatenated.
2. Beats are clustered greedily on their lag-aligned Pearson correlation (Numba kernel,
   :func:`ecg._beat_kernels.cluster_beats`); the **dominant** cluster is the most populous one (on a near
   tie, the narrower, less premature one, so bigeminy does not crown the PVCs).
3. Morphology features per beat: correlation with the dominant template, QRS width (spatial velocity
   above 20 % of its peak, on the beat's cluster template; the beat's own width too when it is unlike the
   dominant beat in a clean stretch), peak-to-peak amplitude ratio.
   Timing features: prematurity ``RR_pre / RR_ref`` and ``RR_post / RR_ref`` against the local median RR.
   Atrial feature: P-wave consistency, the correlation of the PR window (-280..-90 ms) with the median PR
   window of its block of 32 beats (organised atrial activity repeats; fibrillatory waves do not).
4. Rules: a beat unlike the dominant one that is wider, or very unlike it and premature, is *ventricular*;
   a dominant-like beat that comes >= 20 % early, in a locally regular rhythm or followed by an interval
   >= 20 % longer than the local RR, is *supraventricular premature*;
   a pacemaker spike (sharp, narrow deflection just before the QRS) makes it *paced*;
   beats from unreadable stretches, and "beats" under 35 % of the dominant QRS amplitude (false
   detections on noise or baseline), are *unknown*.
"""

from __future__ import annotations

import enum
import functools
import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from . import _beat_kernels as _k
from .errors import EcgValueError

__all__ = ["BeatClass", "BeatClassification", "classify_beats"]

log = logging.getLogger(__name__)

_PRE_S = 0.10
_POST_S = 0.16
_LAG_S = 0.025
_TARGET_FS = 180.0
_CLUSTER_THRESHOLD = 0.90
_MAX_TEMPLATES = 24
_PACED_RECORD_FRACTION = 0.10
_P_WINDOW_S = (0.28, 0.09)  # PR window before the QRS fiducial (s): start, end
_MIN_AMPLITUDE_RATIO = 0.35  # peak-to-peak amplitude below this fraction of the dominant QRS: not a QRS
_PACED_CLUSTER_FRACTION = 0.08


class BeatClass(enum.IntEnum):
    """Beat classes (AAMI EC57 groups: N, S, V, paced Q/``/``, unknown)."""

    NORMAL = 0
    SUPRAVENTRICULAR = 1
    VENTRICULAR = 2
    PACED = 3
    UNKNOWN = 4

    @property
    def symbol(self) -> str:
        """One-letter symbol (``N S V P Q``)."""
        return "NSVPQ"[int(self)]


@dataclass(frozen=True, slots=True, eq=False)
class BeatClassification:
    """Per-beat labels with the features they rest on (arrays of length ``n_beats``).

    Attributes
    ----------
    samples
        QRS fiducial sample indices (int64), as given.
    labels
        :class:`BeatClass` value of each beat (int8).
    correlation
        Lag-aligned Pearson correlation with the dominant template (-1..1).
    qrs_width_s
        QRS width of the beat's cluster template (s).
    amplitude_ratio
        Peak-to-peak amplitude relative to the dominant template.
    prematurity
        ``RR_pre / RR_ref`` (NaN for the first beat); < 1 is early.
    p_wave_corr
        Correlation of the beat's PR window (-250..-50 ms) with the median PR window of its 32
        neighbours: high with organised atrial activity (P waves), low with fibrillatory waves.
    cluster
        Cluster index of each beat (int64); ``dominant`` is the dominant cluster's index.
    dominant_width_s
        QRS width of the dominant template (s).
    fs
        Sampling rate of ``samples`` (Hz).
    leads
        Names (or indices as strings) of the leads the morphology used.
    """

    samples: np.ndarray
    labels: np.ndarray
    correlation: np.ndarray
    qrs_width_s: np.ndarray
    amplitude_ratio: np.ndarray
    prematurity: np.ndarray
    p_wave_corr: np.ndarray
    cluster: np.ndarray
    dominant: int
    dominant_width_s: float
    fs: float
    leads: tuple[str, ...]

    @property
    def n_beats(self) -> int:
        """Number of beats."""
        return int(self.samples.shape[0])

    @property
    def symbols(self) -> str:
        """Labels as a string of one-letter symbols (``"NNVNNS..."``)."""
        return "".join("NSVPQ"[int(v)] for v in self.labels)

    def count(self, beat_class: BeatClass) -> int:
        """Number of beats of ``beat_class``."""
        return int(np.count_nonzero(self.labels == int(beat_class)))


_PREFERRED = ("II", "MLII", "V1", "V5", "ECG", "I")


_FLOAT64 = np.dtype(np.float64)
_INT64 = np.dtype(np.int64)


def _validate(
    signal: np.ndarray, fs: float, beats: np.ndarray, decimation: int = 1
) -> tuple[np.ndarray, float, np.ndarray]:
    sig = signal if isinstance(signal, np.ndarray) else np.asarray(signal)
    if sig.ndim == 1:
        sig = sig[:, None]
    if sig.ndim != 2:
        raise EcgValueError(f"signal: expected a (n_samples,) or (n_samples, n_leads) array, got shape {sig.shape}")
    if sig.dtype != _FLOAT64 or not sig.flags.c_contiguous:
        if sig.dtype.kind not in "iufc":
            raise EcgValueError(f"signal: expected a numeric array, got dtype {sig.dtype}")
        sig = np.ascontiguousarray(sig, dtype=np.float64)
    if type(fs) is not float:
        try:
            fs = float(fs)
        except (TypeError, ValueError):
            raise EcgValueError(f"fs: expected a sampling rate in Hz, got {fs!r}") from None
    if not math.isfinite(fs) or fs < 50.0:
        raise EcgValueError(f"fs: expected a sampling rate >= 50 Hz, got {fs!r}")
    idx = beats if isinstance(beats, np.ndarray) else np.asarray(beats)
    if idx.ndim != 1 or not (idx.size == 0 or idx.dtype.kind in "iu"):
        raise EcgValueError(f"beats: expected a 1-D array of integer sample indices, got shape {idx.shape}, dtype {idx.dtype}")
    if idx.dtype != _INT64 or not idx.flags.c_contiguous:
        idx = np.ascontiguousarray(idx, dtype=np.int64)
    n_full = sig.shape[0] * decimation
    if not _k.increasing_within(idx, n_full):
        raise EcgValueError(
            f"beats: expected strictly increasing sample indices within [0, {n_full}), "
            f"got range {int(idx.min())}..{int(idx.max())}"
        )
    return sig, fs, idx


def _filtered(
    sig: np.ndarray, fs: float, chosen: np.ndarray, *, prefiltered: bool, decimation: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The 1-35 Hz morphology signal at ~180 Hz as ``(x, columns, xstep, step)``: ``x[::xstep]`` at ``fs / step``.

    Without ``prefiltered`` the chosen leads are band-passed (2nd-order Butterworth, zero phase, NaN filled
    with 0) here; otherwise ``signal`` is only decimated (read with a stride; the kernels read non-finite
    samples as 0).
    """
    if decimation > 1:
        return sig, chosen, 1, decimation
    step = max(1, int(round(fs / _TARGET_FS)))
    if prefiltered:
        return sig, chosen, step, step
    x = sig[:, chosen]
    x = np.where(np.isfinite(x), x, 0.0)
    high = min(35.0, 0.45 * fs)
    sos = sps.butter(2, [1.0, high], btype="bandpass", fs=fs, output="sos")
    if x.shape[0] > 3 * 2 * sos.shape[0] + 1:
        x = sps.sosfiltfilt(sos, x, axis=0)
    return np.ascontiguousarray(x), np.arange(chosen.size, dtype=np.int64), step, step


def _pick_leads(sig: np.ndarray, lead_names: tuple[str, ...], usable: np.ndarray | None) -> np.ndarray:
    n_leads = sig.shape[1]
    if usable is not None:
        usable = np.asarray(usable, dtype=bool)
        if usable.shape != (n_leads,):
            raise EcgValueError(f"usable_leads: expected {n_leads} booleans, got shape {usable.shape}")
    if n_leads == 1:  # whatever the masks say, the only lead is used
        return np.zeros(1, dtype=np.int64)
    finite = _k.finite_share(sig, max(1, sig.shape[0] // 5000)) > 0.5
    ok = finite if usable is None else usable & finite
    if not ok.any():
        ok = finite if finite.any() else np.ones(n_leads, dtype=bool)
    order = sorted(np.flatnonzero(ok).tolist(), key=lambda i: (lead_names[i] not in _PREFERRED, i))
    return np.array(order[:3], dtype=np.int64)


def _mask(values: object, n_beats: int, name: str) -> np.ndarray:
    mask = np.asarray(values, dtype=bool)
    if mask.shape != (n_beats,):
        raise EcgValueError(f"{name}: expected {n_beats} booleans, got shape {mask.shape}")
    return mask if mask.flags.c_contiguous else np.ascontiguousarray(mask)


def classify_beats(
    signal: np.ndarray,
    fs: float,
    beats: np.ndarray,
    *,
    leads: tuple[str, ...] | None = None,
    usable_leads: np.ndarray | None = None,
    unreadable: np.ndarray | None = None,
    noisy: np.ndarray | None = None,
    prefiltered: bool = False,
    raw: np.ndarray | None = None,
    decimation: int = 1,
) -> BeatClassification:
    """Classify every beat as normal, supraventricular premature, ventricular, paced or unknown.

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` ECG in mV (NaN for missing samples).
    fs
        Sampling rate in Hz.
    beats
        QRS fiducial sample indices (strictly increasing; e.g. from :func:`ecg.detect_qrs`).
    leads
        Lead names (defaults to ``"0", "1", ...``); ``II``/``MLII``, ``V1``, ``V5`` are preferred.
    usable_leads
        Optional boolean mask of leads fit for morphology (e.g. not lead-off).
    unreadable
        Optional boolean mask, one per beat: beats in unreadable stretches are labelled ``UNKNOWN``.
    noisy
        Optional boolean mask, one per beat: beats in marginal (not good) stretches; their own, noise-prone
        QRS width is not used (only their cluster's).
    prefiltered
        ``signal`` is already band-limited without baseline (e.g. :func:`ecg.preprocess` output with NaN
        replaced by 0); it is then only decimated.
    raw
        The unfiltered signal (``fs``, same number of leads) for the pacemaker-spike test when ``signal``
        is prefiltered; defaults to ``signal``.
    decimation
        With ``prefiltered``: ``signal`` is already decimated by this integer factor (its rate is
        ``fs / decimation``, e.g. :func:`ecg.preprocess.screening_signal`), while ``beats`` and ``raw``
        stay at ``fs``.

    Returns
    -------
    BeatClassification

    References
    ----------
    de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology and
    heartbeat interval features. IEEE Trans Biomed Eng 2004;51(7):1196-1206.
    Hamilton P. Open source ECG analysis (OSEA). Computers in Cardiology 2002;29:101-104.
    """
    if not isinstance(decimation, (int, np.integer)) or decimation < 1 or (decimation > 1 and not prefiltered):
        raise EcgValueError(f"decimation: expected a positive integer (> 1 only with prefiltered=True), got {decimation!r}")
    if decimation > 1 and raw is None:
        raise EcgValueError("raw: required (the unfiltered signal at fs) when decimation > 1")
    sig, fs, idx = _validate(signal, fs, beats, int(decimation))
    names = tuple(leads) if leads is not None else tuple(str(i) for i in range(sig.shape[1]))
    if len(names) != sig.shape[1]:
        raise EcgValueError(f"leads: expected {sig.shape[1]} names, got {len(names)}")
    n_beats = idx.size
    if n_beats == 0:
        empty = np.zeros(0)
        return BeatClassification(
            idx, np.zeros(0, dtype=np.int8), empty, empty, empty, empty, empty, np.zeros(0, dtype=np.int64),
            -1, float("nan"), fs, (),
        )
    chosen = _pick_leads(sig, names, usable_leads)
    if raw is not None:
        raw_sig = raw if isinstance(raw, np.ndarray) and raw.dtype == np.float64 else np.asarray(raw, dtype=np.float64)
        raw_sig = raw_sig[:, None] if raw_sig.ndim == 1 else raw_sig
        want = (idx.size and raw_sig.shape[0] > idx[-1]) if decimation > 1 else raw_sig.shape[0] == sig.shape[0]
        if raw_sig.ndim != 2 or raw_sig.shape[1] != sig.shape[1] or not want:
            raise EcgValueError(f"raw: expected the unfiltered signal ({sig.shape[1]} leads at fs), got {raw_sig.shape}")
        if not raw_sig.flags.c_contiguous:
            raw_sig = np.ascontiguousarray(raw_sig)
    else:
        raw_sig = sig
    noisy_mask = _NO_MASK if noisy is None else _mask(noisy, n_beats, "noisy")  # empty: absent
    unreadable_mask = _NO_MASK if unreadable is None else _mask(unreadable, n_beats, "unreadable")
    return _classify(sig, fs, idx, names, chosen, noisy_mask, unreadable_mask, raw_sig, prefiltered=prefiltered,
                     decimation=int(decimation))


_NO_MASK = np.zeros(0, dtype=np.bool_)  # (an absent per-beat mask; never written)


def _classify_screening(
    filt: np.ndarray,
    fs: float,
    beats: np.ndarray,
    leads: tuple[str, ...],
    usable: np.ndarray,
    unreadable: np.ndarray,
    noisy: np.ndarray,
    raw: np.ndarray,
    decimation: int,
) -> BeatClassification:
    """``classify_beats(filt, fs, beats, leads=leads, usable_leads=usable, unreadable=unreadable, noisy=noisy,
    prefiltered=True, raw=raw, decimation=decimation)`` for :func:`ecg.screen`, whose arrays are valid by
    construction: only what a valid record can still violate is checked (``fs >= 50`` Hz; beats strictly
    increasing within the record, one compiled pass), with the errors of :func:`classify_beats`.

    Parameters
    ----------
    filt
        C-contiguous float64 ``(m, n_leads)`` zero-phase screening signal (:func:`ecg.preprocess.zero_phase_screening`).
    fs
        The record's sampling rate (a float, Hz).
    beats
        C-contiguous int64 QRS indices at ``fs``.
    leads
        The record's lead names (one per column).
    usable
        ``(n_leads,)`` booleans: leads fit for morphology.
    unreadable, noisy
        C-contiguous boolean masks, one per beat.
    raw
        The record's C-contiguous float64 ``(n_samples, n_leads)`` signal at ``fs``.
    decimation
        ``filt`` is at ``fs / decimation`` (an int >= 1).

    Returns
    -------
    BeatClassification
    """
    if not 50.0 <= fs < math.inf or not _k.increasing_within(beats, filt.shape[0] * decimation):
        return classify_beats(filt, fs, beats, leads=leads, usable_leads=usable, unreadable=unreadable,
                              noisy=noisy, prefiltered=True, raw=raw, decimation=decimation)  # (raises)
    if beats.shape[0] == 0:
        empty = np.zeros(0)
        return BeatClassification(
            beats, np.zeros(0, dtype=np.int8), empty, empty, empty, empty, empty, np.zeros(0, dtype=np.int64),
            -1, float("nan"), fs, (),
        )
    chosen = _pick_leads(filt, leads, usable)
    return _classify(filt, fs, beats, leads, chosen, noisy, unreadable, raw, prefiltered=True, decimation=decimation)


@functools.lru_cache(maxsize=64)
def _geometry(fs: float, step: int) -> tuple[float, int, int, int, int, int, int, int, int]:
    """``(fs_d, pre, post, lag, gap, p_a, p_b, spike_before, spike_after)`` of the classifier at ``fs`` with the
    morphology signal at ``fs / step`` (cached)."""
    fs_d = fs / step
    return (
        fs_d,
        int(round(_PRE_S * fs_d)),
        int(round(_POST_S * fs_d)),
        max(1, int(round(_LAG_S * fs_d))),
        max(2, int(round(0.02 * fs_d))),
        int(round(_P_WINDOW_S[0] * fs_d)),
        int(round(_P_WINDOW_S[1] * fs_d)),
        int(round(0.2 * fs)),
        int(round(0.01 * fs)),
    )


def _classify(
    sig: np.ndarray,
    fs: float,
    idx: np.ndarray,
    names: tuple[str, ...],
    chosen: np.ndarray,
    noisy: np.ndarray,
    unreadable: np.ndarray,
    raw: np.ndarray,
    *,
    prefiltered: bool,
    decimation: int,
) -> BeatClassification:
    """:func:`classify_beats` after validation (trusted input).

    Parameters
    ----------
    sig
        C-contiguous float64 ``(n_samples, n_leads)`` signal (the ``signal`` of :func:`classify_beats`).
    fs
        Sampling rate of ``idx`` and ``raw`` (Hz, a float >= 50).
    idx
        Strictly increasing, C-contiguous int64 beat indices within ``[0, n_samples * decimation)``; at least one.
    names
        One lead name per column of ``sig``.
    chosen
        int64 columns of ``sig`` for the morphology (:func:`_pick_leads`).
    noisy, unreadable
        C-contiguous boolean masks, one per beat, or empty (absent).
    raw
        C-contiguous float64 ``(n, n_leads)`` unfiltered signal at ``fs`` (``sig`` itself when not prefiltered).
    prefiltered, decimation
        As for :func:`classify_beats`.

    Returns
    -------
    BeatClassification
    """
    x, cols, xstep, step = _filtered(sig, fs, chosen, prefiltered=prefiltered, decimation=decimation)
    nx = (x.shape[0] + xstep - 1) // xstep
    fs_d, pre, post, lag, gap, p_a, p_b, spike_before, spike_after = _geometry(fs, step)
    # pacemaker spikes: a sign-reversing second difference above 0.25 mV (a deflection of a few ms) in
    # -200..-10 ms on any lead of the raw signal, the detection rule of ANSI/AAMI EC13 pacemaker-pulse
    # enhancement reduced to its core (scanned in the kernel, window by window)
    labels, corr, width, amp, prem, p_corr, labels_c, dom, dom_w = _k.classify(
        x, xstep, nx, cols, idx, step, fs, fs_d, pre, post, lag, gap, _CLUSTER_THRESHOLD, _MAX_TEMPLATES, raw,
        spike_before, spike_after, noisy, unreadable, p_a, p_b,
    )
    if log.isEnabledFor(logging.DEBUG):
        log.debug("classified %d beats: %d clusters, dominant width %.3f s", idx.size, int(labels_c.max()) + 1, dom_w)
    return BeatClassification(
        samples=idx,
        labels=labels,
        correlation=corr,
        qrs_width_s=width,
        amplitude_ratio=amp,
        prematurity=prem,
        p_wave_corr=p_corr,
        cluster=labels_c,
        dominant=int(dom),
        dominant_width_s=float(dom_w),
        fs=fs,
        leads=tuple([names[i] for i in chosen.tolist()]),
    )
