"""Numba kernels behind :mod:`ecg.preprocess` (private; callers validate, kernels trust).

Every kernel takes C-contiguous float64 ``(n_samples, n_leads)`` arrays (or boolean masks of
the same shape) and loops over leads inside compiled code, so a 12-lead record costs one call.
The plain-Python / SciPy references these kernels are tested against live in
``tests/ecg/test_preprocess.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "sosfiltfilt_columns",
    "sample_masks",
    "fill_gaps_linear",
]


@njit(cache=True)
def _sosfilt_rows(sos: np.ndarray, zi: np.ndarray, buf: np.ndarray, backward: bool) -> None:
    """Run the biquad cascade ``sos`` down the rows of ``buf`` in place, all columns at once.

    Transposed direct form II, as :func:`scipy.signal.sosfilt`. The state of section ``s``
    of column ``j`` starts at ``zi[s] * buf[first, j]``, the steady state for a constant
    input equal to the first row visited (SciPy's ``zi * x0``). ``backward`` runs from the
    last row to the first. The inner loop runs across columns (leads), whose recursions are
    independent, so the compiler can vectorize it.
    """
    m, n_cols = buf.shape
    if m == 0:
        return
    z0 = np.empty(n_cols)
    z1 = np.empty(n_cols)
    start = m - 1 if backward else 0
    step = -1 if backward else 1
    for s in range(sos.shape[0]):
        b0 = sos[s, 0]
        b1 = sos[s, 1]
        b2 = sos[s, 2]
        a1 = sos[s, 4]
        a2 = sos[s, 5]
        for j in range(n_cols):
            z0[j] = zi[s, 0] * buf[start, j]
            z1[j] = zi[s, 1] * buf[start, j]
        i = start
        for _ in range(m):
            for j in range(n_cols):
                x = buf[i, j]
                y = b0 * x + z0[j]
                z0[j] = b1 * x - a1 * y + z1[j]
                z1[j] = b2 * x - a2 * y
                buf[i, j] = y
            i += step


@njit(cache=True)
def sosfiltfilt_columns(sos: np.ndarray, zi: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """Zero-phase forward-backward biquad cascade along axis 0, all leads at once.

    Reproduces :func:`scipy.signal.sosfiltfilt` (``padtype="odd"``) along axis 0:
    odd extension of ``padlen`` samples at both ends, forward pass started in the steady
    state of the first extended sample, backward pass started in the steady state of the
    last forward output, extension stripped.

    Parameters
    ----------
    sos
        ``(n_sections, 6)`` second-order sections with ``a0 == 1``.
    zi
        ``(n_sections, 2)`` step-response steady state, :func:`scipy.signal.sosfilt_zi`.
    x
        ``(n_samples, n_leads)`` finite float64 signal (gaps already filled), C-contiguous.
    padlen
        Samples of odd extension at each end, ``0 <= padlen < n_samples``.

    Returns
    -------
    numpy.ndarray
        Filtered ``(n_samples, n_leads)`` float64 array.
    """
    n, n_leads = x.shape
    if n == 0:
        return np.empty((0, n_leads))
    m = n + 2 * padlen
    buf = np.empty((m, n_leads))
    for i in range(padlen):
        for lead in range(n_leads):
            buf[i, lead] = 2.0 * x[0, lead] - x[padlen - i, lead]
            buf[padlen + n + i, lead] = 2.0 * x[n - 1, lead] - x[n - 2 - i, lead]
    buf[padlen : padlen + n] = x
    # (a forward-then-backward run in place equals SciPy's reverse / filter / reverse)
    _sosfilt_rows(sos, zi, buf, False)
    _sosfilt_rows(sos, zi, buf, True)
    return buf[padlen : padlen + n].copy()


@njit(cache=True)
def sample_masks(x: np.ndarray, flat_min_run: int, rail_min_run: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Missing, flat and clipped samples of every lead in two row-major passes.

    * missing: NaN;
    * saturated (clipped): inside a run of at least ``rail_min_run`` consecutive samples at
      the lead's maximum or at its minimum (tracked separately), unless the whole lead is
      one constant value;
    * flat (lead off): inside a run of at least ``flat_min_run`` exactly equal consecutive
      values that is not saturated.

    NaN samples break runs.
    """
    n, n_leads = x.shape
    missing = np.zeros((n, n_leads), dtype=np.bool_)
    flat = np.zeros((n, n_leads), dtype=np.bool_)
    saturated = np.zeros((n, n_leads), dtype=np.bool_)
    hi = np.full(n_leads, -np.inf)
    lo = np.full(n_leads, np.inf)
    for i in range(n):
        for j in range(n_leads):
            v = x[i, j]
            if v != v:
                missing[i, j] = True
            else:
                hi[j] = max(hi[j], v)
                lo[j] = min(lo[j], v)
    for j in range(n_leads):
        if not hi[j] > lo[j]:  # constant (or empty) lead: flat, never clipped
            hi[j] = np.inf
            lo[j] = -np.inf
    const_start = np.zeros(n_leads, dtype=np.int64)
    hi_run = np.zeros(n_leads, dtype=np.int64)
    lo_run = np.zeros(n_leads, dtype=np.int64)
    for i in range(n + 1):
        for j in range(n_leads):
            v = x[i, j] if i < n else np.nan
            # runs at the rails
            if v >= hi[j]:
                hi_run[j] += 1
            else:
                if hi_run[j] >= rail_min_run:
                    for k in range(i - hi_run[j], i):
                        saturated[k, j] = True
                hi_run[j] = 0
            if v <= lo[j]:
                lo_run[j] += 1
            else:
                if lo_run[j] >= rail_min_run:
                    for k in range(i - lo_run[j], i):
                        saturated[k, j] = True
                lo_run[j] = 0
            # constant runs: [const_start, i) ends when the value changes (NaN never equals)
            if i > 0 and i < n and v == x[i - 1, j]:
                continue
            start = const_start[j]
            if i - start >= flat_min_run and x[start, j] == x[start, j]:
                for k in range(start, i):
                    flat[k, j] = True
            const_start[j] = i
    for i in range(n):
        for j in range(n_leads):
            if saturated[i, j]:
                flat[i, j] = False
    return missing, flat, saturated


@njit(cache=True)
def fill_gaps_linear(x: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Copy of ``x`` with ``bad`` samples replaced by linear interpolation between good neighbours.

    Leading / trailing bad runs hold the nearest good value; a lead with no good sample
    becomes all zeros.
    """
    n, n_leads = x.shape
    out = np.empty((n, n_leads))
    for lead in range(n_leads):
        prev = -1
        for i in range(n + 1):
            if i < n and bad[i, lead]:
                continue
            # good sample at i (or end sentinel); fill (prev, i)
            if i - prev > 1:
                if prev < 0 and i >= n:
                    for k in range(n):
                        out[k, lead] = 0.0
                elif prev < 0:
                    v = x[i, lead]
                    for k in range(0, i):
                        out[k, lead] = v
                elif i >= n:
                    v = x[prev, lead]
                    for k in range(prev + 1, n):
                        out[k, lead] = v
                else:
                    v0 = x[prev, lead]
                    slope = (x[i, lead] - v0) / (i - prev)
                    for k in range(prev + 1, i):
                        out[k, lead] = v0 + slope * (k - prev)
            if i < n:
                out[i, lead] = x[i, lead]
            prev = i
    return out
