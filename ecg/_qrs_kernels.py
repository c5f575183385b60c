"""Numba kernels of the multi-lead QRS detector (private; callers validate input).

:func:`detect_kernel` processes one chunk in two fused loops: a lead-major feature pass
(band-pass as two biquads in transposed direct form II, derivative, squaring, moving-window
integration; Pan & Tompkins 1985) with the filter state held in registers, then a sample-major
pass that fuses the leads (quality-weighted power mean of the normalised energies) and runs
the adaptive-threshold state machine with refractory period, T-wave slope test and search-back
(Pan & Tompkins 1985; Hamilton 2002). All state lives in arrays owned by the caller, so a long
record can be fed in chunks and gives exactly the detections of one call on the whole record.
No per-sample arrays outlive a chunk.

Layout of the state arrays is described by the ``F_*`` / ``I_*`` / ``L_*`` / ``P_*`` index
constants below; :mod:`ecg.qrs` allocates them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---- integer parameters (p_i) -------------------------------------------------------------
P_MWI = 0  # moving-window integration length (samples)
P_REFRACTORY = 1  # refractory period (samples)
P_TWAVE = 2  # T-wave discrimination window (samples)
P_FID_WINDOW = 3  # window before the integrated peak searched for the fiducial point (samples)
P_DELAY = 4  # filter group delay subtracted from the fiducial (samples)
P_HOLD = 5  # samples a lead stays excluded after a missing (NaN) sample
P_RR_DEFAULT = 6  # RR interval assumed before two beats are known (samples)
P_RR_MIN = 7  # shortest RR accepted into the RR average (samples)
P_RR_MAX = 8  # longest RR accepted into the RR average (samples)
P_STALL = 9  # no beat for this long: lower the signal level (samples)
P_SMOOTH = 10  # fused slope energy is smoothed over this many samples to place the fiducial
P_SB_MIN = 11  # search-back only accepts peaks at least this long after the last beat (samples)
N_P_I = 12

# ---- float parameters (p_f) ---------------------------------------------------------------
PF_FS = 0  # sampling rate (Hz), scales the derivative
PF_SEARCHBACK = 1  # search back after this many mean RR intervals without a beat
PF_U_MAX = 2  # clip of a lead's normalised feature (one lead's artefact cannot dominate)
PF_FLAT = 3  # signal level below which a lead counts as flat ((units/s)^2)
PF_PAR_LO = 4  # peak-to-average energy ratio given quality 0
PF_PAR_HI = 5  # ratio given quality 1
PF_W_POW = 6  # weight = quality ** PF_W_POW
PF_MEAN_POW = 7  # exponent of the weighted power mean fusing the leads: 1 or 0.5
N_P_F = 8

# ---- scalar float state (st_f) ------------------------------------------------------------
F_SPK = 0  # running signal-peak level of the fused function
F_NPK = 1  # running noise-peak level
F_CAND_VAL = 2  # value of the pending candidate peak
F_LAST_SLOPE = 3  # slope energy of the last beat
F_C1 = 4  # fused function one sample ago
F_C2 = 5  # fused function two samples ago
N_ST_F = 6

# ---- scalar int state (st_i) --------------------------------------------------------------
I_T = 0  # absolute index of the next sample
I_MWI_POS = 1  # write position in the integration ring
I_RING_POS = 2  # write position in the history rings
I_CAND_POS = 3  # absolute index of the pending candidate peak (-1: none)
I_LAST_PEAK = 4  # absolute index of the last beat's integrated peak (-1: none)
I_N_BEATS = 5
I_N_SB = 6  # entries in the search-back list
I_SB_DIRTY = 7  # search-back list changed since the last search
I_RR_N = 8  # RR intervals in the RR ring
I_RR_POS = 9
I_LAST_FID = 10  # last emitted fiducial (-1: none)
I_GAP_REF = 11  # where the current search-back gap started (last beat, or last stall)
N_ST_I = 12

# ---- per-lead float state (lead_f[l, :]) ---------------------------------------------------
L_HOLD = 0  # last finite sample (held through NaN gaps)
L_YPREV = 1  # previous band-passed sample
L_MWI_SUM = 2  # running sum of the integration ring
L_S = 3  # running QRS level of the lead's integrated feature
L_A = 4  # running mean level of the lead's integrated feature
L_ACC = 5  # sum of the integrated feature since the last beat
L_ACC_N = 6  # samples in L_ACC
L_INVALID = 7  # samples left during which the lead is excluded
L_W = 8  # quality weight
L_COEF = 9  # weight / level (multiplies the integrated feature)
L_INV_S = 10  # 1 / L_S (0 for a flat lead)
N_LEAD_F = 11

# ---- search-back list columns (sb_f[k, :]) -------------------------------------------------
SB_POS = 0
SB_VAL = 1
SB_FID = 2
SB_SLOPE = 3
N_SB_F = 4

RR_RING = 8
_TINY = 1e-300


@njit(cache=True, nogil=True)
def _update_weights(lead_f: np.ndarray, p_f: np.ndarray) -> None:
    """Quality weight of each lead from its peak-to-average ratio of integrated energy.

    A clean lead concentrates its energy in the QRS (peak-to-average ratio ~5-10); noise
    spreads it (ratio ~1-2). The weight rises from 0 at ratio 2 to 1 at ratio 6 (a kurtosis-like
    signal quality index, Li, Mark & Clifford 2008); flat leads get weight 0.
    """
    n_leads = lead_f.shape[0]
    flat = p_f[PF_FLAT]
    lo = p_f[PF_PAR_LO]
    span = p_f[PF_PAR_HI] - lo
    pw = p_f[PF_W_POW]
    for l in range(n_leads):
        s = lead_f[l, L_S]
        a = lead_f[l, L_A]
        if s <= flat:
            lead_f[l, L_W] = 0.0
            lead_f[l, L_COEF] = 0.0
            lead_f[l, L_INV_S] = 0.0
            continue
        par = s / a if a > _TINY else 10.0
        q = (par - lo) / span
        if q < 0.0:
            q = 0.0
        elif q > 1.0:
            q = 1.0
        w = 1e-3 + q**pw
        lead_f[l, L_W] = w
        lead_f[l, L_COEF] = w / s
        lead_f[l, L_INV_S] = 1.0 / s


@njit(cache=True, nogil=True)
def _lead_levels(
    p: int, t: int, p_i: np.ndarray, p_f: np.ndarray, lead_f: np.ndarray, ring_m: np.ndarray, col: int
) -> None:
    """Update column ``col`` of every valid lead with its largest integrated value near ``p``
    (exponential average, weight 1/8), when that stretch is still in the history ring."""
    h = ring_m.shape[0]
    half = p_i[P_MWI] // 2
    if t - (p - half) >= h:
        return
    hi = p + half
    if hi > t - 1:
        hi = t - 1
    lo = p - half if p >= half else 0
    for l in range(lead_f.shape[0]):
        mx = 0.0
        for j in range(lo, hi + 1):
            v = ring_m[j % h, l]
            if v < 0.0:  # the lead was missing here
                mx = -1.0
                break
            if v > mx:
                mx = v
        if mx >= 0.0:
            level = lead_f[l, col]
            if level > p_f[PF_FLAT] and mx > p_f[PF_U_MAX] * level:
                mx = p_f[PF_U_MAX] * level  # an artefact may raise the level by 25 % at most
            lead_f[l, col] = 0.125 * mx + 0.875 * level


@njit(cache=True, nogil=True)
def _push_beat(
    p: int,
    val: float,
    fid: int,
    slope: float,
    searchback: bool,
    t: int,
    p_i: np.ndarray,
    p_f: np.ndarray,
    st_f: np.ndarray,
    st_i: np.ndarray,
    lead_f: np.ndarray,
    ring_m: np.ndarray,
    rr_ring: np.ndarray,
    sb_f: np.ndarray,
    out: np.ndarray,
    nout: int,
) -> int:
    """Accept a beat: update levels, RR average, lead levels and weights; emit its fiducial."""
    if searchback:
        st_f[F_SPK] = 0.25 * val + 0.75 * st_f[F_SPK]
    else:
        st_f[F_SPK] = 0.125 * val + 0.875 * st_f[F_SPK]
    last = st_i[I_LAST_PEAK]
    if last >= 0:
        rr = p - last
        if p_i[P_RR_MIN] <= rr <= p_i[P_RR_MAX]:
            rr_ring[st_i[I_RR_POS]] = rr
            st_i[I_RR_POS] = (st_i[I_RR_POS] + 1) % RR_RING
            if st_i[I_RR_N] < RR_RING:
                st_i[I_RR_N] += 1
    st_i[I_LAST_PEAK] = p
    st_i[I_GAP_REF] = p
    st_i[I_N_BEATS] += 1
    st_f[F_LAST_SLOPE] = slope
    _lead_levels(p, t, p_i, p_f, lead_f, ring_m, L_S)
    n_leads = lead_f.shape[0]
    for l in range(n_leads):
        if lead_f[l, L_ACC_N] > 0.0:
            mean = lead_f[l, L_ACC] / lead_f[l, L_ACC_N]
            lead_f[l, L_A] = 0.125 * mean + 0.875 * lead_f[l, L_A]
        lead_f[l, L_ACC] = 0.0
        lead_f[l, L_ACC_N] = 0.0
    _update_weights(lead_f, p_f)
    # Drop search-back candidates up to this beat.
    n_sb = st_i[I_N_SB]
    k2 = 0
    for k in range(n_sb):
        if sb_f[k, SB_POS] > p:
            for c in range(N_SB_F):
                sb_f[k2, c] = sb_f[k, c]
            k2 += 1
    st_i[I_N_SB] = k2
    last_fid = st_i[I_LAST_FID]
    if fid <= last_fid:
        fid = last_fid + 1
    st_i[I_LAST_FID] = fid
    if nout >= out.shape[0]:  # cannot happen with the capacity qrs.py allocates; never overrun
        return nout
    out[nout] = fid
    return nout + 1


@njit(cache=True, nogil=True)
def _rr_mean(p_i: np.ndarray, st_i: np.ndarray, rr_ring: np.ndarray) -> float:
    n = st_i[I_RR_N]
    if n == 0:
        return float(p_i[P_RR_DEFAULT])
    s = 0.0
    for k in range(n):
        s += rr_ring[k]
    return s / n


@njit(cache=True, nogil=True)
def _search_back(
    t: int,
    p_i: np.ndarray,
    p_f: np.ndarray,
    st_f: np.ndarray,
    st_i: np.ndarray,
    lead_f: np.ndarray,
    ring_m: np.ndarray,
    rr_ring: np.ndarray,
    sb_f: np.ndarray,
    out: np.ndarray,
    nout: int,
) -> int:
    """After 1.66 mean RR without a beat, accept the largest candidate above half the threshold
    (Pan & Tompkins 1985) that lies over 360 ms after the last beat (Hamilton 2002); after a
    stall of ``P_STALL`` samples with no such candidate, halve the signal level."""
    last = st_i[I_LAST_PEAK]
    ref = st_i[I_GAP_REF]
    if t - ref <= p_f[PF_SEARCHBACK] * _rr_mean(p_i, st_i, rr_ring):
        return nout
    st_i[I_SB_DIRTY] = 0
    thr1 = st_f[F_NPK] + 0.25 * (st_f[F_SPK] - st_f[F_NPK])
    thr2 = 0.5 * thr1
    best = -1
    best_val = thr2
    for k in range(st_i[I_N_SB]):
        pos = int(sb_f[k, SB_POS])
        val = sb_f[k, SB_VAL]
        if val <= best_val:
            continue
        if last >= 0 and pos - last <= p_i[P_SB_MIN]:
            continue  # too close to the last beat: likely its T wave (Hamilton 2002: 360 ms)
        best = k
        best_val = val
    if best >= 0:
        nout = _push_beat(
            int(sb_f[best, SB_POS]), sb_f[best, SB_VAL], int(sb_f[best, SB_FID]), sb_f[best, SB_SLOPE],
            True, t, p_i, p_f, st_f, st_i, lead_f, ring_m, rr_ring, sb_f, out, nout,
        )
    elif t - ref > p_i[P_STALL]:
        # A long stall: the signal level was learnt on something larger than the current beats
        # (an artefact, a gain change); let it decay so detection resumes.
        st_f[F_SPK] *= 0.5
        st_i[I_GAP_REF] = t
        st_i[I_SB_DIRTY] = 1
    return nout


@njit(cache=True, nogil=True)
def _fiducial(ring_e: np.ndarray, lo: int, p: int, smooth: int) -> int:
    """First peak of the smoothed fused slope energy in [lo, p] reaching 70 % of its maximum.

    For a narrow QRS this is the R wave; for a wide (paced, bundle-branch-block, ventricular)
    complex it is the first major deflection rather than the energy centre. Returns the centre
    of the smoothing window (before the filter-delay correction).
    """
    h = ring_e.shape[0]
    best = 0.0
    acc = 0.0
    for j in range(lo, p + 1):
        acc += ring_e[j % h]
        if j - smooth >= lo:
            acc -= ring_e[(j - smooth) % h]
        if acc > best:
            best = acc
    acc = 0.0
    found = -1
    prev = -1.0
    for j in range(lo, p + 1):
        acc += ring_e[j % h]
        if j - smooth >= lo:
            acc -= ring_e[(j - smooth) % h]
        if found >= 0:
            if acc < prev:
                break
            found = j
        elif acc >= 0.7 * best:
            found = j
        prev = acc
    if found < 0:
        found = p
    return found - smooth // 2


@njit(cache=True, nogil=True)
def feature_pass(
    x: np.ndarray,
    sos: np.ndarray,
    p_i: np.ndarray,
    p_f: np.ndarray,
    zi: np.ndarray,
    st_i: np.ndarray,
    lead_f: np.ndarray,
    mwi_buf: np.ndarray,
    work_m: np.ndarray,
    work_e: np.ndarray,
) -> None:
    """Per lead (lead-major, state in registers): hold NaN, two biquads, derivative, square, MWI.

    Writes the integrated energy to ``work_m`` (-1 where the lead is excluded after a missing
    sample) and the instantaneous energy to ``work_e``.
    """
    n, n_leads = x.shape
    fs = p_f[PF_FS]
    mwi = p_i[P_MWI]
    inv_w = 1.0 / mwi
    hold_n = float(p_i[P_HOLD])
    b00, b01, b02, a01, a02 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    b10, b11, b12, a11, a12 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    mpos0 = st_i[I_MWI_POS]
    for l in range(n_leads):
        hold = lead_f[l, L_HOLD]
        invalid = lead_f[l, L_INVALID]
        yprev = lead_f[l, L_YPREV]
        msum = lead_f[l, L_MWI_SUM]
        z00, z01, z10, z11 = zi[l, 0, 0], zi[l, 0, 1], zi[l, 1, 0], zi[l, 1, 1]
        mpos = mpos0
        for i in range(n):
            v = x[i, l]
            if np.isfinite(v):
                hold = v
                if invalid > 0.0:
                    invalid -= 1.0
            else:
                v = hold
                invalid = hold_n
            # Two biquads, transposed direct form II.
            y0 = b00 * v + z00
            z00 = b01 * v - a01 * y0 + z01
            z01 = b02 * v - a02 * y0
            y = b10 * y0 + z10
            z10 = b11 * y0 - a11 * y + z11
            z11 = b12 * y0 - a12 * y
            d = (y - yprev) * fs
            yprev = y
            e = d * d
            msum += e - mwi_buf[mpos, l]
            mwi_buf[mpos, l] = e
            mpos += 1
            if mpos == mwi:
                mpos = 0
                # Re-sum the ring exactly once per turn so rounding cannot drift over hours.
                acc = 0.0
                for k in range(mwi):
                    acc += mwi_buf[k, l]
                msum = acc
                # Flush filter state that would decay into subnormals on an all-zero lead.
                if abs(z00) < 1e-200:
                    z00 = 0.0
                if abs(z01) < 1e-200:
                    z01 = 0.0
                if abs(z10) < 1e-200:
                    z10 = 0.0
                if abs(z11) < 1e-200:
                    z11 = 0.0
            m = msum * inv_w
            if m < 0.0:
                m = 0.0
            work_m[i, l] = m if invalid == 0.0 else -1.0
            work_e[i, l] = e
        lead_f[l, L_HOLD] = hold
        lead_f[l, L_INVALID] = invalid
        lead_f[l, L_YPREV] = yprev
        lead_f[l, L_MWI_SUM] = msum
        zi[l, 0, 0], zi[l, 0, 1], zi[l, 1, 0], zi[l, 1, 1] = z00, z01, z10, z11
    st_i[I_MWI_POS] = (mpos0 + n) % mwi


@njit(cache=True, nogil=True)
def detect_kernel(
    x: np.ndarray,
    sos: np.ndarray,
    p_i: np.ndarray,
    p_f: np.ndarray,
    zi: np.ndarray,
    st_f: np.ndarray,
    st_i: np.ndarray,
    lead_f: np.ndarray,
    mwi_buf: np.ndarray,
    ring_c: np.ndarray,
    ring_e: np.ndarray,
    ring_m: np.ndarray,
    rr_ring: np.ndarray,
    sb_f: np.ndarray,
    work_m: np.ndarray,
    work_e: np.ndarray,
    out: np.ndarray,
    final: bool,
) -> int:
    """Process one chunk ``x`` (n, n_leads) of a stream; write fiducials to ``out``; return count.

    ``sos`` must hold exactly two sections; ``work_m`` and ``work_e`` are scratch arrays of at
    least ``x.shape``. ``final`` flushes the pending candidate at the end of the record.
    """
    n, n_leads = x.shape
    feature_pass(x, sos, p_i, p_f, zi, st_i, lead_f, mwi_buf, work_m, work_e)
    refractory = p_i[P_REFRACTORY]
    fid_window = p_i[P_FID_WINDOW]
    delay = p_i[P_DELAY]
    twave = p_i[P_TWAVE]
    smooth = p_i[P_SMOOTH]
    mwi = p_i[P_MWI]
    u_max = p_f[PF_U_MAX]
    # Power mean of exponent 1/2: leads are averaged as amplitude envelopes (square roots of
    # the normalised energies) and the mean squared back, so one lead's peak alone counts less
    # than the same peak seen in all leads (a soft AND).
    root = p_f[PF_MEAN_POW] == 0.5 and n_leads > 1
    h = ring_c.shape[0]
    sb_cap = sb_f.shape[0]
    nout = 0
    # Search-back gap (samples); refreshed whenever a beat changes the RR average.
    sb_gap = p_f[PF_SEARCHBACK] * _rr_mean(p_i, st_i, rr_ring)
    n_beats_seen = st_i[I_N_BEATS]
    t = st_i[I_T]
    rpos = st_i[I_RING_POS]
    c1 = st_f[F_C1]
    c2 = st_f[F_C2]
    cand = st_i[I_CAND_POS]
    cand_val = st_f[F_CAND_VAL]
    for i in range(n + 1):
        if st_i[I_N_BEATS] != n_beats_seen:
            n_beats_seen = st_i[I_N_BEATS]
            sb_gap = p_f[PF_SEARCHBACK] * _rr_mean(p_i, st_i, rr_ring)
        if i == n:
            # End of the chunk: only the last one of a record flushes the pending candidate.
            if not final:
                break
            confirm = cand >= 0
        else:
            num = 0.0
            den = 0.0
            enum = 0.0
            for l in range(n_leads):
                m = work_m[i, l]
                ring_m[rpos, l] = m
                if m >= 0.0:
                    lead_f[l, L_ACC] += m
                    lead_f[l, L_ACC_N] += 1.0
                    coef = lead_f[l, L_COEF]
                    if coef > 0.0:
                        w = lead_f[l, L_W]
                        u = m * lead_f[l, L_INV_S]
                        if u > u_max:
                            u = u_max
                        if root:
                            u = np.sqrt(u)
                        num += w * u
                        enum += work_e[i, l] * coef
                        den += w
            c = 0.0
            ec = 0.0
            if den > 0.0:
                c = num / den
                ec = enum / den
                if root:
                    c = c * c
            ring_c[rpos] = c
            ring_e[rpos] = ec
            rpos += 1
            if rpos == h:
                rpos = 0
            t += 1  # samples seen; this one has index t - 1
            # Local maximum of the fused function at index t - 2.
            if t >= 3 and c1 > c2 and c1 >= c:
                pk = t - 2
                if cand >= 0 and pk - cand <= refractory:
                    if c1 > cand_val:
                        cand = pk
                        cand_val = c1
                else:
                    cand = pk
                    cand_val = c1
            c2 = c1
            c1 = c
            confirm = cand >= 0 and (t - 1) - cand > refractory
        if confirm:
            p = cand
            val = cand_val
            cand = -1
            # Slope (for the T-wave test): steepest fused slope energy in the integration window.
            # Fiducial: first major peak of the smoothed slope energy, minus the filter delay.
            lo = p - fid_window
            if lo < 0:
                lo = 0
            if lo < t - h:
                lo = t - h
            slope = -1.0
            for j in range(max(lo, p - mwi), p + 1):
                ev = ring_e[j % h]
                if ev > slope:
                    slope = ev
            fid = _fiducial(ring_e, lo, p, smooth)
            fid -= delay
            if fid < 0:
                fid = 0
            last = st_i[I_LAST_PEAK]
            gap = p - last
            if last >= 0 and gap <= refractory:
                pass  # within the refractory period of the last beat: ignored
            else:
                thr1 = st_f[F_NPK] + 0.25 * (st_f[F_SPK] - st_f[F_NPK])
                is_beat = val > thr1
                if is_beat and last >= 0 and gap < twave:
                    if slope < 0.25 * st_f[F_LAST_SLOPE]:
                        is_beat = False  # slope under half the last QRS's: a T wave
                if is_beat:
                    nout = _push_beat(
                        p, val, fid, slope, False, t, p_i, p_f, st_f, st_i, lead_f, ring_m,
                        rr_ring, sb_f, out, nout,
                    )
                else:
                    st_f[F_NPK] = 0.125 * val + 0.875 * st_f[F_NPK]
                    n_sb = st_i[I_N_SB]
                    if n_sb == sb_cap:
                        # Full: replace the smallest candidate if this one is larger.
                        kmin = 0
                        for k in range(1, n_sb):
                            if sb_f[k, SB_VAL] < sb_f[kmin, SB_VAL]:
                                kmin = k
                        if sb_f[kmin, SB_VAL] < val:
                            for k in range(kmin, n_sb - 1):
                                for cc in range(N_SB_F):
                                    sb_f[k, cc] = sb_f[k + 1, cc]
                            n_sb -= 1
                    if n_sb < sb_cap:
                        sb_f[n_sb, SB_POS] = p
                        sb_f[n_sb, SB_VAL] = val
                        sb_f[n_sb, SB_FID] = fid
                        sb_f[n_sb, SB_SLOPE] = slope
                        st_i[I_N_SB] = n_sb + 1
                    st_i[I_SB_DIRTY] = 1
        if (st_i[I_SB_DIRTY] == 1 or confirm) and t - st_i[I_GAP_REF] > sb_gap:
            nout = _search_back(t, p_i, p_f, st_f, st_i, lead_f, ring_m, rr_ring, sb_f, out, nout)
    st_i[I_T] = t
    st_i[I_RING_POS] = rpos
    st_i[I_CAND_POS] = cand
    st_f[F_C1] = c1
    st_f[F_C2] = c2
    st_f[F_CAND_VAL] = cand_val
    return nout
