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
import logging
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


def _validate(
    signal: np.ndarray, fs: float, beats: np.ndarray, decimation: int = 1
) -> tuple[np.ndarray, float, np.ndarray]:
    sig = np.asarray(signal)
    if sig.ndim == 1:
        sig = sig[:, None]
    if sig.ndim != 2:
        raise EcgValueError(f"signal: expected a (n_samples,) or (n_samples, n_leads) array, got shape {sig.shape}")
    if not np.issubdtype(sig.dtype, np.number):
        raise EcgValueError(f"signal: expected a numeric array, got dtype {sig.dtype}")
    sig = np.ascontiguousarray(sig, dtype=np.float64)
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise EcgValueError(f"fs: expected a sampling rate in Hz, got {fs!r}") from None
    if not np.isfinite(fs) or fs < 50.0:
        raise EcgValueError(f"fs: expected a sampling rate >= 50 Hz, got {fs!r}")
    idx = np.asarray(beats)
    if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
        raise EcgValueError(f"beats: expected a 1-D array of integer sample indices, got shape {idx.shape}, dtype {idx.dtype}")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    n_full = sig.shape[0] * decimation
    if idx.size and (idx[0] < 0 or idx[-1] >= n_full or np.any(np.diff(idx) <= 0)):
        raise EcgValueError(
            f"beats: expected strictly increasing sample indices within [0, {n_full}), "
            f"got range {int(idx.min())}..{int(idx.max())}"
        )
    return sig, fs, idx


def _filtered(sig: np.ndarray, fs: float, *, prefiltered: bool = False, decimation: int = 1) -> tuple[np.ndarray, int]:
    """Band-pass 1-35 Hz (2nd-order Butterworth, zero phase), NaN-filled with 0, decimated to ~180 Hz."""
    x = np.where(np.isfinite(sig), sig, 0.0)
    if decimation > 1:
        return np.ascontiguousarray(x), decimation
    step = max(1, int(round(fs / _TARGET_FS)))
    if prefiltered:
        return np.ascontiguousarray(x[::step]), step
    high = min(35.0, 0.45 * fs)
    sos = sps.butter(2, [1.0, high], btype="bandpass", fs=fs, output="sos")
    if x.shape[0] > 3 * 2 * sos.shape[0] + 1:
        x = sps.sosfiltfilt(sos, x, axis=0)
    return np.ascontiguousarray(x[::step]), step


def _windows(x: np.ndarray, centers: np.ndarray, pre: int, post: int) -> np.ndarray:
    """``(n_beats, n_leads * (pre + post))`` windows (zero-padded at the record edges)."""
    return _k.beat_windows(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(centers, dtype=np.int64), pre, post)


def _widths_s(win: np.ndarray, n_leads: int, pre: int, fs_d: float) -> np.ndarray:
    """QRS width (s) of each row of ``win`` from its spatial velocity (sum of |first difference| over leads)."""
    if win.shape[0] == 0:
        return np.zeros(0)
    per = win.reshape(win.shape[0], n_leads, -1)
    energy = np.abs(np.diff(per, axis=2)).sum(axis=1)
    energy = np.ascontiguousarray(energy)
    onset, offset = _k.qrs_extent(energy, pre, 0.2, max(2, int(round(0.02 * fs_d))))
    return (offset - onset + 1) / fs_d


def _pacer_spikes(sig: np.ndarray, fs: float, idx: np.ndarray) -> np.ndarray:
    """Whether a pacemaker spike precedes each QRS (-200..-10 ms) on any lead of the raw signal.

    A spike is a sign-reversing second difference above 0.25 mV (a deflection of a few ms), the
    detection rule of ANSI/AAMI EC13 pacemaker-pulse enhancement reduced to its core.
    """
    x = sig if np.all(np.isfinite(sig[:: max(1, sig.shape[0] // 1000)])) else np.where(np.isfinite(sig), sig, 0.0)
    sharp = _k.sharp_deflections(np.ascontiguousarray(x), 0.25, 0.8)
    cs = np.concatenate([[0], np.cumsum(sharp)])
    lo = np.clip(idx - int(round(0.2 * fs)), 0, sharp.size)
    hi = np.clip(idx - int(round(0.01 * fs)), 0, sharp.size)
    return (cs[hi] - cs[lo]) > 0


def _p_wave_consistency(x: np.ndarray, centers: np.ndarray, fs_d: float, half: int = 16) -> np.ndarray:
    """Pearson correlation of each beat's PR window (-280..-90 ms) with the median of its block of 32 beats.

    Organised atrial activity repeats beat to beat; fibrillatory waves do not (the P-wave absence
    criterion of AF detectors, e.g. Ladavich & Ghoraani, Biomed Signal Process Control 18:274-281, 2015).
    """
    n_beats = centers.size
    if n_beats < 3:
        return np.full(n_beats, np.nan)
    a, b = int(round(_P_WINDOW_S[0] * fs_d)), int(round(_P_WINDOW_S[1] * fs_d))
    n_leads = x.shape[1]
    seg = _windows(x, centers - b, a - b, 0).reshape(n_beats, n_leads, a - b)
    ramp = np.linspace(-1.0, 1.0, a - b)
    seg = seg - seg.mean(axis=2, keepdims=True)
    seg = seg - np.sum(seg * ramp, axis=2, keepdims=True) / np.sum(ramp * ramp) * ramp  # remove linear trend
    seg = seg.reshape(n_beats, -1)
    block = 2 * half
    n_full = n_beats // block
    local = np.empty_like(seg)
    if n_full:  # one median template per block of beats; the remainder joins the last full block
        blocks = np.ascontiguousarray(seg[: n_full * block].reshape(n_full, block, -1).transpose(0, 2, 1))
        full = np.median(blocks, axis=2)  # (the median along a contiguous axis is several times faster)
        local[: n_full * block] = np.repeat(full, block, axis=0)
    rest = n_beats - n_full * block
    if rest:
        tail = seg[max(n_beats - block, 0) :]
        local[n_full * block :] = np.median(tail, axis=0)
    local = local - local.mean(axis=1, keepdims=True)
    num = np.sum(seg * local, axis=1)
    den = np.sqrt(np.sum(seg * seg, axis=1) * np.sum(local * local, axis=1))
    out = np.full(n_beats, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    out[centers - a < 0] = np.nan
    return out


def _local_rr_ref(rr: np.ndarray, half: int = 8) -> np.ndarray:
    """Median of the RR intervals within ``+-half`` beats (robust local reference, s)."""
    if rr.size == 0:
        return rr.copy()
    return _k.running_median(np.ascontiguousarray(rr, dtype=np.float64), half)


def _pick_leads(sig: np.ndarray, lead_names: tuple[str, ...], usable: np.ndarray | None) -> np.ndarray:
    n_leads = sig.shape[1]
    ok = np.ones(n_leads, dtype=bool) if usable is None else np.asarray(usable, dtype=bool).copy()
    if ok.shape != (n_leads,):
        raise EcgValueError(f"usable_leads: expected {n_leads} booleans, got shape {ok.shape}")
    finite = np.isfinite(sig[:: max(1, sig.shape[0] // 5000)]).mean(axis=0) > 0.5
    ok &= finite
    if not ok.any():
        ok = finite if finite.any() else np.ones(n_leads, dtype=bool)
    preferred = ("II", "MLII", "V1", "V5", "ECG", "I")
    order = sorted(np.flatnonzero(ok), key=lambda i: (lead_names[i] not in preferred, i))
    return np.array(order[:3], dtype=np.int64)


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
    x, step = _filtered(sig[:, chosen], fs, prefiltered=prefiltered, decimation=int(decimation))
    fs_d = fs / step
    pre, post = int(round(_PRE_S * fs_d)), int(round(_POST_S * fs_d))
    lag = max(1, int(round(_LAG_S * fs_d)))
    centers = np.minimum(idx // step, x.shape[0] - 1)
    win = _windows(x, centers, pre, post)

    labels_c, counts, templates = _k.cluster_beats(win, _CLUSTER_THRESHOLD, lag, _MAX_TEMPLATES)
    n_leads = chosen.size
    t_width = _widths_s(templates, n_leads, pre, fs_d)

    rr = np.diff(idx) / fs
    rr_ref = _local_rr_ref(rr)
    prem = np.full(n_beats, np.nan)
    post_ratio = np.full(n_beats, np.nan)
    if rr.size:
        prem[1:] = rr / rr_ref
        post_ratio[:-1] = rr / rr_ref
    c_prem = np.array([np.nanmedian(prem[labels_c == j]) if np.any(np.isfinite(prem[labels_c == j])) else 1.0
                       for j in range(counts.size)])

    order = np.argsort(-counts, kind="stable")
    dom = int(order[0])
    if counts.size > 1:
        alt = int(order[1])
        if counts[alt] >= 0.6 * counts[dom]:
            # near tie (bigeminy): the narrower, less premature template is the dominant rhythm
            score_dom = t_width[dom] - t_width[alt] + 0.1 * (c_prem[alt] - c_prem[dom])
            if score_dom > 0.01:
                dom = alt
    dom_t = templates[dom]
    corr, _ = _k.aligned_correlation(win, np.ascontiguousarray(dom_t), lag)
    t_corr, _ = _k.aligned_correlation(templates, np.ascontiguousarray(dom_t), lag)
    core = slice(lag, dom_t.size - lag)
    dom_ptp = float(np.ptp(dom_t[core])) or 1.0
    amp = np.ptp(win[:, core], axis=1) / dom_ptp
    width = t_width[labels_c]
    # beats of small clusters, and beats unlike the dominant one that joined a big cluster, carry their own width
    own = (counts[labels_c] < 3) | (corr < 0.85)
    if noisy is not None:
        noisy_mask = np.asarray(noisy, dtype=bool)
        if noisy_mask.shape != (n_beats,):
            raise EcgValueError(f"noisy: expected {n_beats} booleans, got shape {noisy_mask.shape}")
        own &= ~noisy_mask | (counts[labels_c] < 3)
    if np.any(own):
        width = width.copy()
        own_w = _widths_s(win[own], n_leads, pre, fs_d)
        width[own] = np.where(counts[labels_c[own]] < 3, own_w, np.maximum(width[own], own_w))
    dom_w = float(t_width[dom])

    if raw is not None:
        raw_sig = np.asarray(raw, dtype=np.float64)
        raw_sig = raw_sig[:, None] if raw_sig.ndim == 1 else raw_sig
        want = (idx.size and raw_sig.shape[0] > idx[-1]) if decimation > 1 else raw_sig.shape[0] == sig.shape[0]
        if raw_sig.ndim != 2 or raw_sig.shape[1] != sig.shape[1] or not want:
            raise EcgValueError(f"raw: expected the unfiltered signal ({sig.shape[1]} leads at fs), got {raw_sig.shape}")
    else:
        raw_sig = sig
    spiked = _pacer_spikes(raw_sig, fs, idx)
    paced = np.zeros(n_beats, dtype=bool)
    record_paced = bool(spiked.mean() >= _PACED_RECORD_FRACTION)
    if record_paced:
        c_spiked = np.bincount(labels_c, weights=spiked.astype(np.float64), minlength=counts.size) / counts
        paced_cluster = c_spiked >= _PACED_CLUSTER_FRACTION
        if t_width[dom] >= 0.11:
            paced_cluster[dom] = True  # a wide dominant rhythm in a paced record is the paced rhythm
        paced = spiked | paced_cluster[labels_c]
    labels = np.zeros(n_beats, dtype=np.int8)
    early = np.nan_to_num(prem, nan=1.0) < 0.85
    if record_paced:
        # paced rhythm: an unpaced beat is ventricular when it is wide in absolute terms
        ventricular = ~paced & (width >= 0.12) & (corr < 0.9) & (early | (amp > 1.3))
    else:
        wider = width >= np.maximum(dom_w + 0.025, 1.25 * dom_w)
        minor = counts[labels_c] < 0.1 * n_beats  # a big look-alike cluster is drift of the normal beat
        ventricular = ~paced & (
            ((corr < 0.90) & wider) | ((corr < 0.80) & (width >= max(dom_w + 0.01, 1.12 * dom_w)) & minor)
            | ((corr < 0.70) & early) | ((corr < 0.80) & (amp > 1.8))
        )
    labels[ventricular] = BeatClass.VENTRICULAR
    labels[paced] = BeatClass.PACED
    # a "beat" far smaller than the dominant QRS is a false detection (noise, baseline, T wave): unknown
    labels[amp < _MIN_AMPLITUDE_RATIO] = BeatClass.UNKNOWN
    regular_before = np.zeros(n_beats, dtype=bool)
    if n_beats > 3:
        a, b = rr[:-2], rr[1:-1]  # the two intervals before the interval ending at beat k (k = 3..)
        regular_before[3:] = np.abs(a[: n_beats - 3] - b[: n_beats - 3]) < 0.15 * b[: n_beats - 3]
    compensated = np.nan_to_num(post_ratio, nan=0.0) > 1.2  # a longer interval follows the early beat
    sv = (labels == 0) & (np.nan_to_num(prem, nan=1.0) < 0.80) & (regular_before | compensated) & (corr >= 0.80)
    labels[sv] = BeatClass.SUPRAVENTRICULAR
    if unreadable is not None:
        mask = np.asarray(unreadable, dtype=bool)
        if mask.shape != (n_beats,):
            raise EcgValueError(f"unreadable: expected {n_beats} booleans, got shape {mask.shape}")
        labels[mask] = BeatClass.UNKNOWN
    log.debug("classified %d beats: %d clusters, dominant width %.3f s", n_beats, counts.size, dom_w)
    return BeatClassification(
        samples=idx,
        labels=labels,
        correlation=corr,
        qrs_width_s=width,
        amplitude_ratio=amp,
        prematurity=prem,
        p_wave_corr=_p_wave_consistency(x, centers, fs_d),
        cluster=labels_c,
        dominant=dom,
        dominant_width_s=dom_w,
        fs=fs,
        leads=tuple(names[i] for i in chosen),
    )
