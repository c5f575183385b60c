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
    "screening_pass",
    "backward_pass",
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


@njit(cache=True, inline="always")
def _cascade_step(sos, zi, z0, z1, v, fresh):  # pragma: no cover - compiled
    """One sample through a biquad cascade (transposed direct form II, state ``z0``/``z1``).

    When ``fresh`` the state is first set to the steady state for a constant input ``v`` (``zi`` from
    ``scipy.signal.sosfilt_zi``), so a filter restarting after a gap does not ring.
    """
    if fresh:
        for s in range(sos.shape[0]):
            z0[s] = zi[s, 0] * v
            z1[s] = zi[s, 1] * v
    for s in range(sos.shape[0]):
        out = sos[s, 0] * v + z0[s]
        z0[s] = sos[s, 1] * v - sos[s, 4] * out + z1[s]
        z1[s] = sos[s, 2] * v - sos[s, 5] * out
        v = out
    return v


@njit(cache=True)
def _filter_blocks(
    x: np.ndarray, j: int, d: int, sos: np.ndarray, zi: np.ndarray, bad: np.ndarray, y: np.ndarray,
    z0: np.ndarray, z1: np.ndarray,
) -> None:
    """Block means of lead ``j`` through ``sos`` (TDF-II), skipping ``bad`` blocks, restarting after them."""
    n = x.shape[0]
    n_sec = sos.shape[0]
    fresh = True
    for k in range(y.shape[0]):
        if bad[k]:
            y[k, j] = np.nan
            fresh = True
            continue
        a = k * d
        b = min(a + d, n)
        acc = 0.0
        for i in range(a, b):
            acc += x[i, j]
        v = acc / (b - a)
        y[k, j] = _cascade_step(sos, zi, z0, z1, v, fresh)
        fresh = False


@njit(cache=True)
def screening_pass(
    x: np.ndarray,
    decimation: int,
    sos: np.ndarray,
    zi: np.ndarray,
    flat_min_run: int,
    rail_min_run: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Masks, boxcar decimation and a causal biquad cascade, every lead in one kernel.

    Per lead, in one pass: missing / flat / clipped runs with the rules of :func:`sample_masks`,
    recorded at the decimated rate (a decimated sample is masked when any of its ``decimation`` input
    samples is), and the mean of each block of ``decimation`` input samples run through ``sos``
    (transposed direct form II). The filter skips masked samples and restarts in the steady state
    (``zi * value``) of the first valid sample after them, so gaps, lead-off and clipping never ring
    into what follows. A flat run is known once it is ``flat_min_run`` long: its blocks are masked
    then. Clipping needs the lead's extremes, known at the end: constant runs of at least
    ``rail_min_run`` are listed on the way and those at an extreme are masked afterwards; only a lead
    that has any is filtered again.

    Returns
    -------
    tuple
        ``(y, missing, flat, saturated)``, each ``(ceil(n / decimation), n_leads)``; ``y`` is float64
        with NaN where any mask is set.
    """
    n, n_leads = x.shape
    d = decimation
    m = (n + d - 1) // d
    y = np.empty((m, n_leads))
    missing = np.zeros((m, n_leads), dtype=np.bool_)
    flat = np.zeros((m, n_leads), dtype=np.bool_)
    saturated = np.zeros((m, n_leads), dtype=np.bool_)
    n_sec = sos.shape[0]
    z0 = np.zeros(n_sec)
    z1 = np.zeros(n_sec)
    cap = n // max(rail_min_run, 1) + 2
    run_start = np.empty(cap, dtype=np.int64)
    run_stop = np.empty(cap, dtype=np.int64)
    bad = np.zeros(m, dtype=np.bool_)
    for j in range(n_leads):
        top = -np.inf
        bottom = np.inf
        eq_run = 0
        prev = np.nan
        n_runs = 0
        fresh = True
        acc = 0.0
        block_bad = False
        k = 0  # block of sample i (counters, not divisions, in the hot loop)
        pos = 0  # position of sample i in its block
        for i in range(n):
            v = x[i, j]
            if v != v:
                missing[k, j] = True
                block_bad = True
            else:
                top = v if v > top else top
                bottom = v if v < bottom else bottom
            acc += v
            if v == prev:
                eq_run += 1
                if eq_run >= flat_min_run:
                    if eq_run == flat_min_run:  # the run qualifies: mask it back to its start
                        for kk in range((i - eq_run + 1) // d, k):
                            flat[kk, j] = True
                            y[kk, j] = np.nan
                    flat[k, j] = True
                    block_bad = True
            else:
                if eq_run >= rail_min_run:  # candidate clipped run [i - eq_run, i)
                    run_start[n_runs] = i - eq_run
                    run_stop[n_runs] = i
                    n_runs += 1
                eq_run = 1
            prev = v
            pos += 1
            if pos == d or i == n - 1:  # block complete: filter its mean
                if block_bad:
                    y[k, j] = np.nan
                    fresh = True
                else:
                    v = acc / pos
                    y[k, j] = _cascade_step(sos, zi, z0, z1, v, fresh)
                    fresh = False
                acc = 0.0
                block_bad = False
                pos = 0
                k += 1
        if eq_run >= rail_min_run and prev == prev:
            run_start[n_runs] = n - eq_run
            run_stop[n_runs] = n
            n_runs += 1
        if not top > bottom:  # constant, empty or all-NaN lead: flat, never clipped
            continue
        clipped = False
        for r in range(n_runs):
            value = x[run_start[r], j]
            if value == top or value == bottom:
                clipped = True
                for kk in range(run_start[r] // d, (run_stop[r] - 1) // d + 1):
                    saturated[kk, j] = True
        if clipped:
            for kk in range(m):
                if saturated[kk, j]:
                    flat[kk, j] = False
                bad[kk] = missing[kk, j] or flat[kk, j] or saturated[kk, j]
            _filter_blocks(x, j, d, sos, zi, bad, y, z0, z1)
    return y, missing, flat, saturated


@njit(cache=True)
def backward_pass(y: np.ndarray, sos: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Run ``sos`` over ``y`` from the last row to the first (a copy; NaN rows stay NaN).

    After :func:`screening_pass`, this makes the cascade zero-phase (forward-backward). Like the
    forward pass, the recursion restarts in its steady state after every NaN run.
    """
    m, n_leads = y.shape
    out = np.empty((m, n_leads))
    n_sec = sos.shape[0]
    z0 = np.zeros((n_sec, n_leads))
    z1 = np.zeros((n_sec, n_leads))
    fresh = np.ones(n_leads, dtype=np.bool_)
    for k in range(m - 1, -1, -1):
        for j in range(n_leads):
            v = y[k, j]
            if v != v:
                out[k, j] = np.nan
                fresh[j] = True
                continue
            if fresh[j]:
                for s in range(n_sec):
                    z0[s, j] = zi[s, 0] * v
                    z1[s, j] = zi[s, 1] * v
                fresh[j] = False
            for s in range(n_sec):
                o = sos[s, 0] * v + z0[s, j]
                z0[s, j] = sos[s, 1] * v - sos[s, 4] * o + z1[s, j]
                z1[s, j] = sos[s, 2] * v - sos[s, 5] * o
                v = o
            out[k, j] = v
    return out
