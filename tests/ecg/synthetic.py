"""Synthetic ECGs with known truth for the screening tests.

Each beat is a sum of Gaussian waves (P, Q, R, S, T) placed at a known sample, in the spirit of the
ECGSYN model (McSharry et al., IEEE TBME 50:289-294, 2003) but driven directly by a given RR series
and beat kinds, so the truth is exact:

* ``"N"`` -- sinus beat: P wave 160 ms before a narrow QRS (~80 ms), upright T;
* ``"V"`` -- ventricular beat: no P, wide (~160 ms) bizarre QRS, discordant T;
* AF (``atrial="f"``) -- no P waves, fibrillatory waves (6-9 Hz, ~0.05 mV) on the baseline.

Helpers build RR series: sinus (with optional respiratory sinus arrhythmia), AF (irregular,
independent RR), bigeminy and trigeminy patterns, pauses and VT runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecg.record import EcgMetadata, EcgRecord

__all__ = [
    "SyntheticEcg",
    "synth_ecg",
    "sinus_rr",
    "af_rr",
    "ectopic_pattern",
    "STANDARD_12",
]

STANDARD_12 = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")

# (offset_s from the R peak, amplitude_mV, width_s) of each wave; T offset scales with QT
_N_WAVES = ((-0.16, 0.15, 0.022), (-0.025, -0.12, 0.008), (0.0, 1.1, 0.010), (0.028, -0.28, 0.009))
_V_WAVES = ((-0.01, 0.9, 0.030), (0.055, -0.9, 0.032))
# per-lead gain of (P, QRS, T) for up to 12 leads; column 0 is a lead-II-like lead
_LEAD_GAINS = np.array(
    [
        (0.6, 0.7, 0.6), (1.0, 1.0, 1.0), (0.5, 0.4, 0.4), (-0.8, -0.85, -0.8), (0.3, 0.2, 0.2), (0.75, 0.7, 0.7),
        (0.4, -0.6, -0.2), (0.5, -0.3, 0.6), (0.6, 0.5, 0.9), (0.6, 1.2, 1.0), (0.6, 1.1, 0.8), (0.6, 0.9, 0.6),
    ]
)


@dataclass(frozen=True)
class SyntheticEcg:
    """A synthetic record and its truth.

    Attributes
    ----------
    record
        The :class:`~ecg.record.EcgRecord`.
    beat_samples
        R-peak sample of every beat.
    beat_kinds
        ``"N"`` or ``"V"`` per beat.
    qt_s
        The QT interval (QRS onset to T end) the T waves were built with, in s.
    """

    record: EcgRecord
    beat_samples: np.ndarray
    beat_kinds: str
    qt_s: float

    @property
    def fs(self) -> float:
        return self.record.fs


def sinus_rr(n_beats: int, hr_bpm: float, *, rsa: float = 0.0, jitter_s: float = 0.005, seed: int = 0) -> np.ndarray:
    """RR intervals (s) of sinus rhythm at ``hr_bpm``; ``rsa`` is the relative respiratory modulation (0-0.3)."""
    rng = np.random.default_rng(seed)
    rr0 = 60.0 / hr_bpm
    phase = 2 * np.pi * np.arange(n_beats) * rr0 / 5.0  # 5 s breathing cycle
    return rr0 * (1.0 + rsa * np.sin(phase)) + rng.normal(0.0, jitter_s, n_beats)


def af_rr(n_beats: int, hr_bpm: float, *, cv: float = 0.2, seed: int = 0) -> np.ndarray:
    """Independent, irregular RR intervals (s) of AF: gamma-distributed with coefficient of variation ``cv``."""
    rng = np.random.default_rng(seed)
    mean = 60.0 / hr_bpm
    k = 1.0 / cv**2
    return np.clip(rng.gamma(k, mean / k, n_beats), 0.28, 2.0)


def ectopic_pattern(n_beats: int, pattern: str) -> str:
    """Beat kinds repeating ``pattern`` (e.g. ``"NV"`` bigeminy, ``"NNV"`` trigeminy), ``n_beats`` long."""
    return (pattern * (n_beats // len(pattern) + 1))[:n_beats]


def _gauss(t: np.ndarray, centre: float, amp: float, width: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((t - centre) / width) ** 2)


def synth_ecg(
    rr_s: np.ndarray,
    kinds: str | None = None,
    *,
    fs: float = 360.0,
    n_leads: int = 2,
    atrial: str = "p",
    qt_s: float = 0.38,
    noise_mv: float = 0.01,
    lead_names: tuple[str, ...] | None = None,
    prematurity: float = 0.7,
    lead_in_s: float = 1.0,
    tail_s: float = 1.0,
    seed: int = 0,
) -> SyntheticEcg:
    """Build a synthetic ECG from RR intervals (s) and beat kinds.

    Parameters
    ----------
    rr_s
        Interval before each beat but the first (``len(rr_s)`` beats follow the first one at ``lead_in_s``).
    kinds
        ``"N"``/``"V"`` per beat (``len(rr_s) + 1``); all ``"N"`` when ``None``. A ``"V"`` beat comes at
        ``prematurity`` x its RR, and the next interval is lengthened by the same amount (full compensatory
        pause), as a ventricular premature beat does.
    atrial
        ``"p"`` for P waves before N beats, ``"f"`` for fibrillatory waves and no P.
    qt_s
        QT interval of N beats (s): the T wave is placed so that it ends ``qt_s`` after QRS onset.
    """
    rr = np.asarray(rr_s, dtype=np.float64)
    n_beats = rr.size + 1
    kinds = "N" * n_beats if kinds is None else kinds
    assert len(kinds) == n_beats, "kinds must give one letter per beat"
    rng = np.random.default_rng(seed)
    times = np.empty(n_beats)
    times[0] = lead_in_s
    carry = 0.0
    for k in range(1, n_beats):
        step = rr[k - 1] + carry
        carry = 0.0
        if kinds[k] == "V":
            step = rr[k - 1] * prematurity
            if k + 1 < n_beats and kinds[k + 1] != "V":
                carry = rr[k - 1] * (1.0 - prematurity)  # compensatory pause after a single PVC or a run
        times[k] = times[k - 1] + step
    duration = times[-1] + tail_s
    n = int(round(duration * fs))
    t = np.arange(n) / fs
    sig = np.zeros((n, n_leads))
    gains = _LEAD_GAINS[1:2] if n_leads == 1 else _LEAD_GAINS[np.arange(n_leads) % len(_LEAD_GAINS)]
    if n_leads == 2:
        gains = _LEAD_GAINS[[1, 10]]
    # T wave: Gaussian whose tangent-method end lies ~2 widths after its peak
    t_width = 0.045
    t_peak = qt_s - 0.04 - 2.0 * t_width
    for k, (tk, kind) in enumerate(zip(times, kinds)):
        lo, hi = np.searchsorted(t, tk - 0.4), np.searchsorted(t, tk + 0.8)
        tt = t[lo:hi]
        if kind == "N":
            p = _gauss(tt, tk + _N_WAVES[0][0], *_N_WAVES[0][1:]) if atrial == "p" else 0.0
            qrs = sum(_gauss(tt, tk + off, a, w) for off, a, w in _N_WAVES[1:])
            tw = _gauss(tt, tk + t_peak, 0.3, t_width)
        else:
            p = 0.0
            qrs = sum(_gauss(tt, tk + off, a, w) for off, a, w in _V_WAVES)
            tw = _gauss(tt, tk + 0.34, -0.35, 0.06)
        for j in range(n_leads):
            g = gains[j]
            sig[lo:hi, j] += g[0] * p + g[1] * qrs + g[2] * tw
    if atrial == "f":
        f_hz = rng.uniform(6.0, 9.0)
        phase = np.cumsum(2 * np.pi * (f_hz + 0.5 * np.sin(2 * np.pi * 0.3 * t)) / fs)
        fw = 0.05 * np.sin(phase)
        sig += fw[:, None] * np.abs(gains[:, 0])[None, :]
    sig += 0.05 * np.sin(2 * np.pi * 0.25 * t)[:, None]  # baseline wander
    sig += rng.normal(0.0, noise_mv, sig.shape)
    names = lead_names or (STANDARD_12[:n_leads] if n_leads > 2 else (("MLII", "V5")[:n_leads]))
    record = EcgRecord(sig, fs, names, EcgMetadata(record_id="synthetic", source_format="synthetic"))
    return SyntheticEcg(record, np.round(times * fs).astype(np.int64), kinds, qt_s)
