"""Multi-lead QRS detection: one fused, streaming pass over all leads.

Design
------
Each lead goes through the Pan & Tompkins (1985) feature chain — Butterworth band-pass
(second-order sections designed from ``fs``), derivative, squaring, moving-window integration —
inside one Numba loop. The leads are then fused *before* thresholding, as in the combined-lead
detectors of Christov (2004) and the signal-quality-weighted fusion of Johnson et al. (2015):
every lead's integrated energy is divided by its own running QRS level (so leads of different
gain and polarity weigh alike; squaring makes an inverted lead identical to an upright one),
clipped at 3 (so an artefact in one lead cannot outvote the others) and combined by a weighted
power mean of exponent 1/2 (the mean of amplitude envelopes, squared back): a peak present in
every lead scores higher than the same peak in one lead only, a soft AND. The weights are a
running signal-quality index, the lead's peak-to-average energy ratio (a kurtosis-like SQI,
Li, Mark & Clifford 2008): a clean lead concentrates its energy in the QRS, a noisy one spreads
it. Flat and disconnected leads get weight zero; missing (NaN) samples drop a lead out of the
fusion until its filters have settled again. The fused function is searched for peaks with the
adaptive signal/noise levels, 200 ms refractory period and T-wave slope test of Pan & Tompkins
(1985) and their search-back after 1.66 mean RR, restricted to peaks over 360 ms after the last
beat (Hamilton 2002). A lead's level can rise by at most 25 % per beat, and after 4 s without a
beat the signal level halves, so artefacts and gain changes cannot blind the detector for long.
The fiducial is the first major peak of the smoothed fused slope energy (the R wave of a narrow
complex, the first major deflection of a wide one), corrected for the band-pass group delay.
No ``fastmath``: the kernels rely on IEEE NaN tests.

All detector state lives in arrays, so :class:`QrsDetector` consumes a recording in chunks of
any size (a 24-hour Holter in bounded memory) and yields exactly the detections of a single
call on the whole signal; :func:`detect_qrs` is the one-call convenience.

References
----------
Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng 32(3):230-236 (1985).
Hamilton P. Open source ECG analysis. Computers in Cardiology 29:101-104 (2002).
Christov II. Real time electrocardiogram QRS detection using combined adaptive threshold.
BioMed Eng OnLine 3:28 (2004).
Li Q, Mark RG, Clifford GD. Robust heart rate estimation from multiple asynchronous noisy sources
using signal quality indices and a Kalman filter. Physiol Meas 29(1):15-32 (2008).
Johnson AEW, Behar J, Andreotti F, Clifford GD, Oster J. Multimodal heart beat detection using
signal quality indices. Physiol Meas 36(8):1665-1677 (2015).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
from scipy import signal as sps

from . import _qrs_kernels as K
from .errors import EcgValueError

__all__ = ["FS_MAX", "FS_MIN", "QrsDetector", "detect_qrs"]

log = logging.getLogger(__name__)

#: Sampling rates (Hz) the detector is designed and tested for.
FS_MIN = 100.0
FS_MAX = 2000.0
_MAX_LEADS = 64
_BLOCK = 1 << 16
_LEARN_S = 8.0
_SB_CAPACITY = 64


def _as_float_array(signal: Any, name: str = "signal") -> np.ndarray:
    """View ``signal`` as a (n_samples, n_leads) array of real numbers, without copying."""
    arr = np.asarray(signal)
    if arr.dtype.kind not in "fiub":
        raise EcgValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise EcgValueError(f"{name}: expected a 1-D array or (n_samples, n_leads), got shape {arr.shape}")
    if arr.shape[1] > _MAX_LEADS:
        raise EcgValueError(
            f"{name}: expected (n_samples, n_leads) with at most {_MAX_LEADS} leads, got shape {arr.shape}"
            " (transposed? pass signal.T)"
        )
    if arr.shape[1] == 0:
        raise EcgValueError(f"{name}: expected at least one lead, got shape {arr.shape}")
    return arr


def _native_chunk(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous, native-endian float32/float64 copy (or view) of a chunk for the kernels."""
    dtype = np.float32 if arr.dtype.kind == "f" and arr.dtype.itemsize == 4 else np.float64
    return np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("="))


def _check_fs(fs: Any) -> float:
    try:
        fs_f = float(fs)
    except (TypeError, ValueError):
        raise EcgValueError(f"fs: expected a sampling rate in Hz, got {fs!r}") from None
    if not np.isfinite(fs_f) or not FS_MIN <= fs_f <= FS_MAX:
        raise EcgValueError(
            f"fs: expected a sampling rate between {FS_MIN:g} and {FS_MAX:g} Hz, got {fs!r} (resample the record)"
        )
    return fs_f


@functools.lru_cache(maxsize=32)
def _band_pass(fs: float, lo: float, hi: float) -> tuple[np.ndarray, int, np.ndarray]:
    """Butterworth band-pass sections, their group delay (samples) at the band centre and their
    step-response state (:func:`scipy.signal.sosfilt_zi`), cached: the design costs more than
    detection on a short record."""
    sos = np.ascontiguousarray(sps.butter(2, [lo, hi], btype="bandpass", fs=fs, output="sos"))
    _, gd = sps.group_delay(sps.sos2tf(sos), w=[0.5 * (lo + hi)], fs=fs)
    zi = np.ascontiguousarray(sps.sosfilt_zi(sos))
    sos.setflags(write=False)
    zi.setflags(write=False)
    return sos, int(round(float(gd[0]) + 0.5)), zi


class QrsDetector:
    """Streaming multi-lead QRS detector: feed chunks, collect R-peak sample indices.

    Parameters
    ----------
    fs
        Sampling rate in Hz (100-2000).
    n_leads
        Number of leads (columns) in every chunk.
    band_hz
        Pass band of the Butterworth band-pass in Hz (QRS energy; Pan & Tompkins 1985 use 5-15).
    integration_s
        Moving-window integration length in seconds (Pan & Tompkins: 150 ms).
    refractory_s
        Shortest interval between two beats in seconds.
    learn_s
        Length of the initial learning period in seconds; the detector buffers this much before
        its first detection.
    block
        Largest number of rows converted and processed at once (bounds the scratch memory:
        about ``block * n_leads * 32`` bytes).

    Notes
    -----
    The output of ``feed`` + ``close`` over any chunking equals ``detect_qrs`` on the whole signal.

    Examples
    --------
    Screening a Holter file block by block (``blocks`` yields ``(n, 2)`` arrays):

    >>> det = QrsDetector(500.0, 2)  # doctest: +SKIP
    >>> beats = np.concatenate([*(det.feed(b) for b in blocks), det.close()])  # doctest: +SKIP
    """

    def __init__(
        self,
        fs: float,
        n_leads: int,
        *,
        band_hz: tuple[float, float] = (5.0, 20.0),
        integration_s: float = 0.150,
        refractory_s: float = 0.200,
        learn_s: float = _LEARN_S,
        block: int = _BLOCK,
    ) -> None:
        self.fs = _check_fs(fs)
        if not isinstance(n_leads, (int, np.integer)) or not 1 <= n_leads <= _MAX_LEADS:
            raise EcgValueError(f"n_leads: expected an integer from 1 to {_MAX_LEADS}, got {n_leads!r}")
        lo, hi = (float(v) for v in band_hz)
        if not 0.0 < lo < hi < 0.45 * self.fs:
            raise EcgValueError(f"band_hz: expected 0 < low < high < 0.45 fs Hz, got {band_hz!r}")
        for name, val, lo_s, hi_s in (
            ("integration_s", integration_s, 0.02, 0.5),
            ("refractory_s", refractory_s, 0.1, 0.5),
            ("learn_s", learn_s, 1.0, 60.0),
        ):
            if not lo_s <= float(val) <= hi_s:
                raise EcgValueError(f"{name}: expected {lo_s}-{hi_s} s, got {val!r}")
        if not isinstance(block, (int, np.integer)) or block < 1:
            raise EcgValueError(f"block: expected a positive number of rows, got {block!r}")
        self.n_leads = int(n_leads)
        self._block = int(block)
        fs = self.fs
        sos, delay, zi0 = _band_pass(fs, lo, hi)
        self._sos = sos.copy()
        self._zi0 = zi0
        mwi = max(2, int(round(integration_s * fs)))
        refractory = int(round(refractory_s * fs))
        p_i = np.zeros(K.N_P_I, dtype=np.int64)
        p_i[K.P_MWI] = mwi
        p_i[K.P_REFRACTORY] = refractory
        p_i[K.P_TWAVE] = int(round(0.36 * fs))
        p_i[K.P_FID_WINDOW] = mwi + int(round(0.05 * fs))
        p_i[K.P_DELAY] = delay
        p_i[K.P_HOLD] = mwi + int(round(0.25 * fs))
        p_i[K.P_RR_DEFAULT] = int(round(1.0 * fs))
        p_i[K.P_RR_MIN] = refractory
        p_i[K.P_RR_MAX] = int(round(3.0 * fs))
        p_i[K.P_STALL] = int(round(4.0 * fs))
        p_i[K.P_SMOOTH] = max(1, int(round(0.04 * fs)))
        p_i[K.P_SB_MIN] = int(round(0.36 * fs))
        p_f = np.zeros(K.N_P_F)
        p_f[K.PF_FS] = fs
        p_f[K.PF_SEARCHBACK] = 1.66
        p_f[K.PF_U_MAX] = 3.0
        p_f[K.PF_FLAT] = 1e-12
        p_f[K.PF_PAR_LO] = 2.0
        p_f[K.PF_PAR_HI] = 6.0
        p_f[K.PF_W_POW] = 2.0
        p_f[K.PF_MEAN_POW] = 0.5
        self._p_i, self._p_f = p_i, p_f
        n_l = self.n_leads
        ring = refractory + int(p_i[K.P_FID_WINDOW]) + mwi // 2 + 16
        self._zi = np.zeros((n_l, self._sos.shape[0], 2))
        self._st_f = np.zeros(K.N_ST_F)
        self._st_i = np.zeros(K.N_ST_I, dtype=np.int64)
        self._st_i[[K.I_CAND_POS, K.I_LAST_PEAK, K.I_LAST_FID]] = -1
        self._lead_f = np.zeros((n_l, K.N_LEAD_F))
        self._mwi_buf = np.zeros((mwi, n_l))
        self._ring_c = np.zeros(ring)
        self._ring_e = np.zeros(ring)
        self._ring_m = np.zeros((ring, n_l))
        self._rr = np.zeros(K.RR_RING)
        self._sb = np.zeros((_SB_CAPACITY, K.N_SB_F))
        self._work_m = np.empty((0, n_l))  # scratch of the kernel, grown to the largest chunk
        self._work_e = np.empty((0, n_l))
        self._learn_n = int(round(float(learn_s) * fs))
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self._started = False
        self._closed = False

    # ---- learning ----------------------------------------------------------------------
    def _learn(self, head: np.ndarray) -> None:
        """Initial filter state, lead levels and thresholds from the first seconds."""
        n, n_l = head.shape
        zi0 = self._zi0
        first = np.zeros(n_l)
        for l in range(n_l):
            finite = np.flatnonzero(np.isfinite(head[:, l]))
            first[l] = float(head[finite[0], l]) if finite.size else 0.0
        zi = np.ascontiguousarray(zi0[None, :, :] * first[:, None, None])
        self._zi[...] = zi
        # The same feature pass as detection, on scratch state (the stream starts afresh).
        scratch = np.zeros((n_l, K.N_LEAD_F))
        scratch[:, K.L_HOLD] = first
        m = np.empty((n, n_l))
        K.feature_pass(
            head, self._sos, self._p_i, self._p_f, zi.copy(), np.zeros(K.N_ST_I, dtype=np.int64), scratch,
            np.zeros_like(self._mwi_buf), m, np.empty((n, n_l)),
        )
        np.maximum(m, 0.0, out=m)  # missing stretches (-1) count as silence
        block = max(1, int(round(self.fs)))
        n_blocks = max(1, n // block)
        blocks = m[: n_blocks * block].reshape(n_blocks, -1, n_l) if n >= block else m[None, :, :]
        lead_f = self._lead_f
        lead_f[:, K.L_S] = np.median(blocks.max(axis=1), axis=0)
        lead_f[:, K.L_A] = m.mean(axis=0) if n else 0.0
        lead_f[:, K.L_HOLD] = first
        lead_f[:, K.L_YPREV] = 0.0
        K._update_weights(lead_f, self._p_f)
        w = lead_f[:, K.L_W]
        if w.sum() > 0:
            # The fused function exactly as the kernel forms it (weighted power mean).
            u = np.minimum(m * lead_f[:, K.L_INV_S], self._p_f[K.PF_U_MAX])
            root = self._p_f[K.PF_MEAN_POW] == 0.5 and n_l > 1
            c = ((np.sqrt(u) if root else u) @ w) / w.sum()
            if root:
                c = c * c
            c_blocks = c[: n_blocks * block].reshape(n_blocks, -1) if n >= block else c[None, :]
            self._st_f[K.F_SPK] = float(np.median(c_blocks.max(axis=1)))
            self._st_f[K.F_NPK] = 0.5 * float(c.mean())
        log.debug("QRS learning: lead levels %s, weights %s", lead_f[:, K.L_S], w)

    # ---- streaming ---------------------------------------------------------------------
    def _run(self, chunk: np.ndarray, final: bool) -> np.ndarray:
        n = chunk.shape[0]
        # Beats are over a refractory period apart; search-back may add the listed candidates.
        cap = (n + int(60 * self.fs)) // max(1, int(self._p_i[K.P_REFRACTORY])) + _SB_CAPACITY + 16
        out = np.empty(cap, dtype=np.int64)
        if self._work_m.shape[0] < n:
            self._work_m = np.empty((n, self.n_leads))
            self._work_e = np.empty((n, self.n_leads))
        k = K.detect_kernel(
            chunk, self._sos, self._p_i, self._p_f, self._zi, self._st_f, self._st_i, self._lead_f,
            self._mwi_buf, self._ring_c, self._ring_e, self._ring_m, self._rr, self._sb,
            self._work_m, self._work_e, out, final,
        )
        return out[:k].copy()

    def feed(self, chunk: Any) -> np.ndarray:
        """Process the next ``(n, n_leads)`` block of samples; return beats confirmed so far.

        Parameters
        ----------
        chunk
            The next samples, any real dtype or byte order, any length (converted and processed
            in blocks of at most ``block`` rows, so extra memory stays bounded).

        Returns
        -------
        numpy.ndarray
            int64 sample indices (from the start of the stream) of newly detected beats.
        """
        if self._closed:
            raise EcgValueError("chunk: the detector is closed; create a new QrsDetector")
        arr = _as_float_array(chunk, "chunk")
        if arr.shape[1] != self.n_leads:
            raise EcgValueError(f"chunk: expected {self.n_leads} leads, got shape {arr.shape}")
        n = arr.shape[0]
        parts: list[np.ndarray] = []
        pos = 0
        if not self._started:
            # Buffer only the learning period; everything after it streams through blocks.
            pos = min(n, self._learn_n - self._pending_n)
            if pos:
                self._pending.append(_native_chunk(arr[:pos]))
                self._pending_n += pos
            if self._pending_n < self._learn_n:
                return np.zeros(0, dtype=np.int64)
            parts.append(self._start(final=False))
        for start in range(pos, n, self._block):
            parts.append(self._run(_native_chunk(arr[start : start + self._block]), final=False))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _start(self, *, final: bool) -> np.ndarray:
        head = np.concatenate(self._pending, axis=0) if len(self._pending) > 1 else self._pending[0]
        self._pending = []
        self._started = True
        self._learn(np.ascontiguousarray(head, dtype=np.float64))
        return self._run(np.ascontiguousarray(head), final=final)

    def close(self) -> np.ndarray:
        """End of the record: flush the last candidate beat and return any remaining beats."""
        if self._closed:
            return np.zeros(0, dtype=np.int64)
        self._closed = True
        if not self._started:
            if self._pending_n == 0:
                return np.zeros(0, dtype=np.int64)
            return self._start(final=True)
        # An empty final chunk still flushes the pending candidate.
        return self._run(np.zeros((0, self.n_leads)), final=True)


def detect_qrs(
    signal: Any,
    fs: float,
    *,
    band_hz: tuple[float, float] = (5.0, 20.0),
    integration_s: float = 0.150,
    refractory_s: float = 0.200,
    chunk_s: float | None = None,
) -> np.ndarray:
    """Detect QRS complexes in a single- or multi-lead ECG, fusing all leads.

    Parameters
    ----------
    signal
        ``(n_samples,)`` or ``(n_samples, n_leads)`` ECG, any amplitude unit, any real dtype and
        byte order, contiguous or not. NaN samples are tolerated (that lead is left out while it
        is missing); flat, inverted or noisy leads are down-weighted by the fusion.
    fs
        Sampling rate in Hz (100-2000).
    band_hz, integration_s, refractory_s
        See :class:`QrsDetector`.
    chunk_s
        Block length in seconds converted and processed at a time (default 65,536 samples);
        bounds the extra memory for long recordings and never changes the result.

    Returns
    -------
    numpy.ndarray
        Sorted, unique int64 sample indices of the QRS complexes: the first major peak of
        the fused slope energy, corrected for the filter delay (within ~20 ms of the R peak
        for narrow complexes; the first major deflection of wide ones).

    Raises
    ------
    EcgValueError
        If ``signal``, ``fs`` or an option is invalid (the message names the parameter).

    Examples
    --------
    >>> beats = detect_qrs(record.signal, record.fs)  # doctest: +SKIP
    """
    arr = _as_float_array(signal)
    fs_f = _check_fs(fs)
    block = _BLOCK
    if chunk_s is not None:
        if not 0.01 <= float(chunk_s) <= 86400.0:
            raise EcgValueError(f"chunk_s: expected 0.01-86400 s, got {chunk_s!r}")
        block = max(1, int(round(float(chunk_s) * fs_f)))
    det = QrsDetector(
        fs_f, arr.shape[1], band_hz=band_hz, integration_s=integration_s, refractory_s=refractory_s,
        block=block,
    )
    if arr.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([det.feed(arr), det.close()])
