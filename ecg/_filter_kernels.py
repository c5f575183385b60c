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
    "screening_passes",
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


#: the screening cascade runs with its state in registers when it has at most this many sections
_FAST_SECTIONS = 4


@njit(cache=True)
def _padded_sections(sos: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sos`` / ``zi`` padded to :data:`_FAST_SECTIONS` rows with identity sections (``b0 = 1``, zero state).

    An identity section passes a finite value through exactly (``v * 1 + 0``), so padding changes no bit.
    """
    c = np.zeros((_FAST_SECTIONS, 6))
    z = np.zeros((_FAST_SECTIONS, 2))
    for s in range(_FAST_SECTIONS):
        c[s, 0] = 1.0
    for s in range(sos.shape[0]):
        for t in range(6):
            c[s, t] = sos[s, t]
        z[s, 0] = zi[s, 0]
        z[s, 1] = zi[s, 1]
    return c, z


@njit(cache=True, inline="always")
def _coefficients4(c: np.ndarray) -> tuple:  # pragma: no cover - compiled
    """The ``(b0, b1, b2, a1, a2)`` of each of the four sections of ``c``, as one tuple (kept in registers)."""
    return (c[0, 0], c[0, 1], c[0, 2], c[0, 4], c[0, 5], c[1, 0], c[1, 1], c[1, 2], c[1, 4], c[1, 5],
            c[2, 0], c[2, 1], c[2, 2], c[2, 4], c[2, 5], c[3, 0], c[3, 1], c[3, 2], c[3, 4], c[3, 5])


@njit(cache=True, inline="always")
def _steady4(z: np.ndarray, v: float) -> tuple:  # pragma: no cover - compiled
    """The four sections' state ``(p0, q0, ..., p3, q3)`` in the steady state of a constant input ``v``."""
    return (z[0, 0] * v, z[0, 1] * v, z[1, 0] * v, z[1, 1] * v, z[2, 0] * v, z[2, 1] * v, z[3, 0] * v, z[3, 1] * v)


@njit(cache=True, inline="always")
def _section(
    v: float, b0: float, b1: float, b2: float, a1: float, a2: float, p: float, q: float
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """One sample ``v`` through one biquad section in transposed direct form II (state ``p``, ``q``): the output
    and the new state, the operations of :func:`_cascade_run` in order."""
    o = b0 * v + p
    return o, b1 * v - a1 * o + q, b2 * v - a2 * o


@njit(cache=True, inline="always")
def _step4(v: float, coef: tuple, st: tuple) -> tuple[float, tuple]:  # pragma: no cover - compiled
    """One sample ``v`` through the four sections (coefficients ``coef`` of :func:`_coefficients4`, state ``st``):
    the output and the new state."""
    b00, b01, b02, a01, a02, b10, b11, b12, a11, a12, b20, b21, b22, a21, a22, b30, b31, b32, a31, a32 = coef
    p0, q0, p1, q1, p2, q2, p3, q3 = st
    v, p0, q0 = _section(v, b00, b01, b02, a01, a02, p0, q0)
    v, p1, q1 = _section(v, b10, b11, b12, a11, a12, p1, q1)
    v, p2, q2 = _section(v, b20, b21, b22, a21, a22, p2, q2)
    v, p3, q3 = _section(v, b30, b31, b32, a31, a32, p3, q3)
    return v, (p0, q0, p1, q1, p2, q2, p3, q3)


@njit(cache=True)
def _cascade_run4(src: np.ndarray, dst: np.ndarray, j: int, first: int, end: int, step: int,
                  c: np.ndarray, zi: np.ndarray) -> int:  # pragma: no cover - compiled
    """Run the 4-section cascade ``c`` over ``src[first], src[first + step], ...`` of column ``j`` into
    ``dst``, started in the steady state of the (finite) first value, up to the first NaN or ``end``;
    return where it stopped. The state lives in registers.

    Transposed direct form II, the same operations in the same order as the generic path.
    """
    st = _steady4(zi, src[first, j])
    coef = _coefficients4(c)
    k = first
    while k != end:
        v = src[k, j]
        if v != v:
            break
        o, st = _step4(v, coef, st)
        dst[k, j] = o
        k += step
    return k


@njit(cache=True)
def _cascade_run(src: np.ndarray, dst: np.ndarray, j: int, first: int, end: int, step: int,
                 sos: np.ndarray, zi: np.ndarray, z0: np.ndarray, z1: np.ndarray) -> int:  # pragma: no cover
    """:func:`_cascade_run4` for any number of sections (state in the arrays ``z0`` / ``z1``)."""
    n_sec = sos.shape[0]
    v = src[first, j]
    for s in range(n_sec):
        z0[s] = zi[s, 0] * v
        z1[s] = zi[s, 1] * v
    k = first
    while k != end:
        v = src[k, j]
        if v != v:
            break
        for s in range(n_sec):
            o = sos[s, 0] * v + z0[s]
            z0[s] = sos[s, 1] * v - sos[s, 4] * o + z1[s]
            z1[s] = sos[s, 2] * v - sos[s, 5] * o
            v = o
        dst[k, j] = v
        k += step
    return k


@njit(cache=True)
def _cascade_lead(src: np.ndarray, dst: np.ndarray, j: int, sos: np.ndarray, zi: np.ndarray, c: np.ndarray,
                  z: np.ndarray, z0: np.ndarray, z1: np.ndarray, backward: bool) -> None:  # pragma: no cover
    """Run the cascade down column ``j`` of ``src`` into ``dst``, restarting after NaN runs.

    ``c`` / ``z`` are ``sos`` / ``zi`` padded to four sections (:func:`_padded_sections`) when ``sos``
    has at most four, else ``sos`` / ``zi`` themselves; ``z0`` / ``z1`` are scratch state.
    """
    m = src.shape[0]
    fast = sos.shape[0] <= _FAST_SECTIONS
    step = -1 if backward else 1
    end = -1 if backward else m
    k = m - 1 if backward else 0
    while k != end:
        if src[k, j] != src[k, j]:
            dst[k, j] = np.nan
            k += step
            continue
        if fast:
            k = _cascade_run4(src, dst, j, k, end, step, c, z)
        else:
            k = _cascade_run(src, dst, j, k, end, step, sos, zi, z0, z1)


@njit(cache=True)
def _cascade_columns(src: np.ndarray, dst: np.ndarray, sos: np.ndarray, zi: np.ndarray, backward: bool) -> None:
    """Run ``sos`` down every column of ``src`` into ``dst`` (may be ``src``), restarting after NaN runs.

    NaN rows stay NaN; each run of finite values starts in the steady state (``zi * value``) of its first
    value, so gaps never ring into what follows. ``backward`` runs from the last row to the first.
    """
    c, z = _padded_sections(sos, zi) if sos.shape[0] <= _FAST_SECTIONS else (sos, zi)
    z0 = np.zeros(sos.shape[0])
    z1 = np.zeros(sos.shape[0])
    for j in range(src.shape[1]):
        _cascade_lead(src, dst, j, sos, zi, c, z, z0, z1, backward)


@njit(cache=True)
def _lead_pass(
    x: np.ndarray, j: int, d: int, flat_min_run: int, rail_min_run: int, y: np.ndarray, missing: np.ndarray,
    flat: np.ndarray, saturated: np.ndarray, run_start: np.ndarray, run_stop: np.ndarray, c: np.ndarray,
    zi: np.ndarray, run_filter: bool,
) -> tuple[int, float, float]:  # pragma: no cover - compiled
    """Block means of lead ``j`` into ``y`` (NaN where masked) with its missing / flat masks (``saturated``
    cleared) and candidate clipped runs (constant runs of at least ``rail_min_run``) in ``run_start`` /
    ``run_stop``; with ``run_filter``, each unmasked mean goes at once through the four-section cascade ``c``
    (state in registers, restarted in its steady state ``zi * value`` after masked blocks), so the out-of-order
    core overlaps the mask logic with the filter recursion. Returns ``(n_runs, top, bottom)`` (the lead's
    extremes; clipping, known only at the end, is left to the caller).

    One loop over the samples, a block ending every ``d``. A flat run that qualifies (``flat_min_run`` equal
    samples) masks the earlier blocks it reaches back into. The per-sample work is kept small: the equality
    run is a select, and only rare events branch -- a run of at least ``min(flat_min_run, rail_min_run)``
    ending (a clipped candidate is listed; a flat run ending inside the block flags it) and a flat run
    qualifying; a run still going at the end of a block flags it there. ``x`` holds finite values or NaN, so
    a block sum is NaN exactly when the block has a gap.
    """
    n = x.shape[0]
    # the mean of a full block: a product where 1 / d is exact (d a power of two), else a division
    inv = 1.0 / d if d & (d - 1) == 0 else 0.0
    low_run = min(flat_min_run, rail_min_run)
    missing[:, j] = False
    flat[:, j] = False
    saturated[:, j] = False
    top = -np.inf
    bottom = np.inf
    eq_run = 0
    prev = np.nan
    n_runs = 0
    coef = _coefficients4(c)
    st = _steady4(zi, 0.0)
    fresh = True
    k = 0  # block
    pos = 0  # samples of block k seen
    acc = 0.0
    flat_seen = False
    for i in range(n):
        v = x[i, j]
        top = v if v > top else top
        bottom = v if v < bottom else bottom
        acc += v
        same = v == prev
        if (not same) & (eq_run >= low_run):  # a run of interest [i - eq_run, i) ends
            if eq_run >= rail_min_run:
                run_start[n_runs] = i - eq_run
                run_stop[n_runs] = i
                n_runs += 1
            flat_seen |= (eq_run >= flat_min_run) & (pos > 0)  # it covered sample i - 1 of this block
        eq_run = eq_run + 1 if same else 1
        if eq_run == flat_min_run:  # the run qualifies: mask it back to its start
            for kk in range((i - eq_run + 1) // d, k):
                flat[kk, j] = True
                y[kk, j] = np.nan
        prev = v
        pos += 1
        if pos < d and i < n - 1:
            continue
        # block k ends at sample i
        flat_seen |= eq_run >= flat_min_run
        nan_seen = acc != acc
        if nan_seen | flat_seen:
            missing[k, j] = nan_seen
            flat[k, j] = flat_seen
            y[k, j] = np.nan
            fresh = True
        else:
            v = acc * inv if inv > 0.0 and pos == d else acc / pos
            if not run_filter:
                y[k, j] = v
            else:
                if fresh:
                    st = _steady4(zi, v)
                    fresh = False
                o, st = _step4(v, coef, st)
                y[k, j] = o
        k += 1
        pos = 0
        acc = 0.0
        flat_seen = False
    if eq_run >= rail_min_run and prev == prev:
        run_start[n_runs] = n - eq_run
        run_stop[n_runs] = n
        n_runs += 1
    return n_runs, top, bottom


@njit(cache=True)
def _mark_saturated(
    x: np.ndarray, j: int, d: int, n_runs: int, top: float, bottom: float, run_start: np.ndarray,
    run_stop: np.ndarray, y: np.ndarray, flat: np.ndarray, saturated: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Mask the candidate runs of lead ``j`` that sit at one of its extremes as clipped (not flat; ``y`` NaN);
    return whether there was any. A constant, empty or all-NaN lead is flat, never clipped."""
    if not top > bottom:
        return False
    clipped = False
    for r in range(n_runs):
        value = x[run_start[r], j]
        if value == top or value == bottom:
            clipped = True
            for kk in range(run_start[r] // d, (run_stop[r] - 1) // d + 1):
                saturated[kk, j] = True
                flat[kk, j] = False
                y[kk, j] = np.nan
    return clipped


@njit(cache=True)
def screening_pass(
    x: np.ndarray,
    decimation: int,
    sos: np.ndarray,
    zi: np.ndarray,
    flat_min_run: int,
    rail_min_run: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Masks, boxcar decimation and a causal biquad cascade, every lead in one kernel.

    Per lead, in one pass over the samples: missing / flat / clipped runs with the rules of
    :func:`sample_masks`, recorded at the decimated rate (a decimated sample is masked when any of its
    ``decimation`` input samples is), and the mean of each block of ``decimation`` input samples run
    through ``sos`` (transposed direct form II). The filter skips masked samples and restarts in the
    steady state (``zi * value``) of the first valid sample after them, so gaps, lead-off and clipping
    never ring into what follows. A flat run is known once it is ``flat_min_run`` long: its blocks are
    masked then. Clipping needs the lead's extremes, known at the end: constant runs of at least
    ``rail_min_run`` are listed on the way and those at an extreme are masked afterwards; only a lead
    that has any is filtered again. With at most four sections the filter state stays in registers
    (:func:`_lead_pass`); a longer cascade takes a mask pass and a filter pass.

    ``x`` holds finite values or NaN (gaps); infinities are only reported.

    Returns
    -------
    tuple
        ``(y, missing, flat, saturated, finite)``: the first four ``(ceil(n / decimation), n_leads)``, ``y``
        float64 with NaN where any mask is set; ``finite`` is False when ``x`` held an infinity (the
        caller rejects such input; the other results are then meaningless).
    """
    n, n_leads = x.shape
    d = decimation
    m = (n + d - 1) // d
    y = np.empty((m, n_leads))
    missing = np.empty((m, n_leads), dtype=np.bool_)
    flat = np.empty((m, n_leads), dtype=np.bool_)
    saturated = np.empty((m, n_leads), dtype=np.bool_)
    cap = n // max(rail_min_run, 1) + 2
    run_start = np.empty(cap, dtype=np.int64)
    run_stop = np.empty(cap, dtype=np.int64)
    fast = sos.shape[0] <= _FAST_SECTIONS
    c, z = _padded_sections(sos, zi) if fast else (sos, zi)
    z0 = np.zeros(sos.shape[0])
    z1 = np.zeros(sos.shape[0])
    finite = True
    for j in range(n_leads):
        if fast:
            n_runs, top, bottom = _lead_pass(
                x, j, d, flat_min_run, rail_min_run, y, missing, flat, saturated, run_start, run_stop, c, z, True
            )
            finite = finite and top < np.inf and bottom > -np.inf
            if not _mark_saturated(x, j, d, n_runs, top, bottom, run_start, run_stop, y, flat, saturated):
                continue
            # clipped: filter the lead again from its block means, now with the clipped blocks masked
        n_runs, top, bottom = _lead_pass(
            x, j, d, flat_min_run, rail_min_run, y, missing, flat, saturated, run_start, run_stop, c, z, False
        )
        finite = finite and top < np.inf and bottom > -np.inf
        _mark_saturated(x, j, d, n_runs, top, bottom, run_start, run_stop, y, flat, saturated)
        _cascade_lead(y, y, j, sos, zi, c, z, z0, z1, False)
    return y, missing, flat, saturated, finite


@njit(cache=True)
def backward_pass(y: np.ndarray, sos: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Run ``sos`` over ``y`` from the last row to the first (a copy; NaN rows stay NaN).

    After :func:`screening_pass`, this makes the cascade zero-phase (forward-backward). Like the
    forward pass, the recursion restarts in its steady state after every NaN run.
    """
    out = np.empty(y.shape)
    _cascade_columns(y, out, sos, zi, True)
    return out


@njit(cache=True)
def screening_passes(
    x: np.ndarray,
    decimation: int,
    sos: np.ndarray,
    zi: np.ndarray,
    flat_min_run: int,
    rail_min_run: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray]:
    """:func:`screening_pass` and :func:`backward_pass` of its ``y`` in one call: the results of the first
    followed by the zero-phase signal."""
    y, missing, flat, saturated, finite = screening_pass(x, decimation, sos, zi, flat_min_run, rail_min_run)
    return y, missing, flat, saturated, finite, backward_pass(y, sos, zi)
