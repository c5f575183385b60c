"""Numba kernels for WFDB signal files: bit unpacking and digital-to-physical conversion.

Private and trusting: :mod:`ecg.io.wfdb_format` validates sizes, dtypes and contiguity before calling.
Plain-Python references live in ``tests/ecg/test_io_wfdb_kernels.py``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["decode_212", "to_physical"]


@numba.njit(cache=True, nogil=True)
def decode_212(raw: np.ndarray, n_values: int) -> np.ndarray:
    """Unpack WFDB format 212 (two 12-bit two's-complement samples in three bytes).

    Byte layout per pair: ``b0`` = low 8 bits of sample 0, low nibble of ``b1`` = its high 4 bits,
    high nibble of ``b1`` = high 4 bits of sample 1, ``b2`` = low 8 bits of sample 1
    (Moody, *WFDB Programmer's Guide*, "signal(5)"). An odd final sample occupies two bytes.

    Parameters
    ----------
    raw
        ``uint8`` bytes, at least ``ceil(1.5 * n_values)`` of them.
    n_values
        How many samples to unpack.

    Returns
    -------
    numpy.ndarray
        ``int32`` samples in ``[-2048, 2047]``.
    """
    out = np.empty(n_values, dtype=np.int32)
    n_pairs = n_values // 2
    for p in range(n_pairs):
        b0 = np.int32(raw[3 * p])
        b1 = np.int32(raw[3 * p + 1])
        b2 = np.int32(raw[3 * p + 2])
        v0 = b0 | ((b1 & 0x0F) << 8)
        v1 = b2 | ((b1 & 0xF0) << 4)
        out[2 * p] = v0 - 4096 if v0 > 2047 else v0
        out[2 * p + 1] = v1 - 4096 if v1 > 2047 else v1
    if n_values % 2 == 1:
        b0 = np.int32(raw[3 * n_pairs])
        b1 = np.int32(raw[3 * n_pairs + 1])
        v0 = b0 | ((b1 & 0x0F) << 8)
        out[n_values - 1] = v0 - 4096 if v0 > 2047 else v0
    return out


@numba.njit(cache=True, nogil=True)
def to_physical(
    digital: np.ndarray,
    invalid: int,
    gain: np.ndarray,
    baseline: np.ndarray,
    mv_factor: np.ndarray,
    out: np.ndarray,
    first_col: int,
) -> None:
    """Write ``(digital - baseline) / gain * mv_factor`` into ``out[:, first_col:first_col + k]``.

    Samples equal to ``invalid`` (the format's "no data" code) become NaN, as in WFDB's
    ``physsamp``.

    Parameters
    ----------
    digital
        ``(n_frames, k)`` C-contiguous integer array (adu).
    invalid
        The digital value that marks a missing sample.
    gain, baseline, mv_factor
        ``(k,)`` float64: adu per physical unit, adu at 0 physical units, mV per physical unit.
    out
        ``(n_frames, n_leads)`` float64, written in place (mV).
    first_col
        The column of ``out`` that receives ``digital[:, 0]``.
    """
    n_frames, k = digital.shape
    scale = np.empty(k, dtype=np.float64)
    for j in range(k):
        scale[j] = mv_factor[j] / gain[j]
    for i in range(n_frames):
        for j in range(k):
            d = digital[i, j]
            if d == invalid:
                out[i, first_col + j] = np.nan
            else:
                out[i, first_col + j] = (d - baseline[j]) * scale[j]
