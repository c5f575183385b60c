"""Tests of :mod:`ecg.qrs` and its Numba kernels.

Kernels are checked against plain scipy/numpy references; the detector against real MIT-BIH
annotations (shared data) and against synthetic ECGs with known beat positions (always run).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from ecg import EcgValueError, QrsDetector, detect_qrs, pool_scores, reference_beats, score_detections
from ecg import _qrs_kernels as K

MITDB_RECORDS = ("100", "102", "104", "106", "107", "108", "118", "119", "202", "223")


# ---- synthetic ECG with known beats ------------------------------------------------------------
def synthetic_ecg(
    fs: float, duration_s: float, *, seed: int = 0, hr_bpm: float = 72.0, noise_mv: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """A sum-of-Gaussians ECG (P, Q, R, S, T waves after McSharry et al. 2003) with RR variability.

    Returns the signal in mV and the R-peak sample indices.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    rr_mean = 60.0 / hr_bpm
    peaks_s = []
    tr = 0.4
    while tr < duration_s - 0.4:
        peaks_s.append(tr)
        tr += rr_mean * (1.0 + 0.08 * rng.standard_normal())
    # (offset s, width s, amplitude mV): P, Q, R, S, T
    waves = ((-0.20, 0.025, 0.15), (-0.03, 0.010, -0.12), (0.0, 0.011, 1.2), (0.03, 0.010, -0.25), (0.28, 0.045, 0.35))
    sig = np.zeros(n)
    for p in peaks_s:
        lo, hi = np.searchsorted(t, [p - 0.4, p + 0.5])
        tt = t[lo:hi] - p
        for off, width, amp in waves:
            sig[lo:hi] += amp * np.exp(-0.5 * ((tt - off) / width) ** 2)
    sig += 0.1 * np.sin(2 * np.pi * 0.25 * t)  # baseline wander (respiration)
    sig += noise_mv * rng.standard_normal(n)
    return sig, np.round(np.asarray(peaks_s) * fs).astype(np.int64)


def _f1(beats: np.ndarray, ref: np.ndarray, fs: float) -> float:
    return score_detections(beats, ref, fs).f1


# ---- kernels against plain references -----------------------------------------------------------
def _reference_features(
    x: np.ndarray, sos: np.ndarray, fs: float, mwi: int, zi: np.ndarray, hold_n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Plain scipy/numpy version of ``feature_pass``: hold NaN (lead excluded for ``hold_n``
    samples after a missing one), band-pass, derivative, square, moving-window integration."""
    m_out = np.zeros(x.shape)
    e_out = np.zeros(x.shape)
    for lead in range(x.shape[1]):
        col = x[:, lead].astype(np.float64)
        finite = np.isfinite(col)
        held = col.copy()
        valid = np.ones(len(col), dtype=bool)
        hold = col[finite][0] if finite.any() else 0.0
        invalid = 0
        for i in range(len(col)):  # straightforward sample-and-hold with a countdown
            if finite[i]:
                hold = col[i]
                invalid = max(invalid - 1, 0)
            else:
                invalid = hold_n
            held[i] = hold
            valid[i] = invalid == 0
        y, _ = sps.sosfilt(sos, held, zi=zi[lead])
        e = (np.diff(y, prepend=0.0) * fs) ** 2
        m = np.maximum(np.convolve(e, np.ones(mwi) / mwi)[: len(e)], 0.0)
        m[~valid] = -1.0
        m_out[:, lead], e_out[:, lead] = m, e
    return m_out, e_out


@pytest.mark.parametrize("fs", [100.0, 360.0, 2000.0])
def test_feature_pass_matches_scipy_reference(fs: float) -> None:
    rng = np.random.default_rng(1)
    n = int(3 * fs)
    x = np.ascontiguousarray(rng.standard_normal((n, 2)).cumsum(axis=0) * 0.05)
    x[n // 3 : n // 3 + 17, 1] = np.nan
    det = QrsDetector(fs, 2)
    zi = rng.standard_normal((2, 2, 2)) * 0.01
    lead_f = np.zeros((2, K.N_LEAD_F))
    lead_f[:, K.L_HOLD] = x[0]
    m, e = np.empty_like(x), np.empty_like(x)
    K.feature_pass(
        x, det._sos, det._p_i, det._p_f, zi.copy(), np.zeros(K.N_ST_I, dtype=np.int64), lead_f,
        np.zeros_like(det._mwi_buf), m, e,
    )
    want_m, want_e = _reference_features(x, det._sos, fs, int(det._p_i[K.P_MWI]), zi, int(det._p_i[K.P_HOLD]))
    np.testing.assert_allclose(e, want_e, rtol=1e-9, atol=1e-9 * want_e.max())
    np.testing.assert_allclose(m, want_m, rtol=1e-9, atol=1e-9 * want_m.max())
    assert (m < 0).sum() == (want_m < 0).sum() > 0


def _reference_detect(x: np.ndarray, fs: float) -> np.ndarray:
    """Plain-Python version of the whole detector on full arrays (no rings, no chunks).

    Learning (already plain numpy in ``QrsDetector._learn``) is shared; the features come from
    scipy, and the fusion and the Pan-Tompkins/Hamilton state machine are re-written here in
    the most direct way, so ring indexing, chunk seams and the two-pass kernel are checked.
    """
    n, n_leads = x.shape
    det = QrsDetector(fs, n_leads)
    det._learn(np.ascontiguousarray(x[: det._learn_n], dtype=np.float64))
    pi, pf, lead = det._p_i, det._p_f, det._lead_f.copy()
    mwi, refr, twave = int(pi[K.P_MWI]), int(pi[K.P_REFRACTORY]), int(pi[K.P_TWAVE])
    fidw, delay, smooth = int(pi[K.P_FID_WINDOW]), int(pi[K.P_DELAY]), int(pi[K.P_SMOOTH])
    h = det._ring_c.shape[0]
    u_max, flat = pf[K.PF_U_MAX], pf[K.PF_FLAT]
    root = pf[K.PF_MEAN_POW] == 0.5 and n_leads > 1

    m, e = _reference_features(x, det._sos, fs, mwi, det._zi, int(pi[K.P_HOLD]))

    S, A = lead[:, K.L_S].copy(), lead[:, K.L_A].copy()
    w, coef, inv_s = np.zeros(n_leads), np.zeros(n_leads), np.zeros(n_leads)

    def weights() -> None:
        for l in range(n_leads):
            if S[l] <= flat:
                w[l] = coef[l] = inv_s[l] = 0.0
                continue
            par = S[l] / A[l] if A[l] > 1e-300 else 10.0
            q = min(max((par - pf[K.PF_PAR_LO]) / (pf[K.PF_PAR_HI] - pf[K.PF_PAR_LO]), 0.0), 1.0)
            w[l] = 1e-3 + q ** pf[K.PF_W_POW]
            coef[l], inv_s[l] = w[l] / S[l], 1.0 / S[l]

    weights()
    st = {"spk": det._st_f[K.F_SPK], "npk": det._st_f[K.F_NPK], "last": -1, "gap_ref": 0, "slope": 0.0,
          "last_fid": -1, "dirty": False}
    acc, acc_n = np.zeros(n_leads), np.zeros(n_leads)
    rr: list[int] = []
    sb: list[tuple[int, float, int, float]] = []
    beats: list[int] = []
    c, ec = np.zeros(n), np.zeros(n)

    def rr_mean() -> float:
        return sum(rr) / len(rr) if rr else float(pi[K.P_RR_DEFAULT])

    def push(p: int, val: float, fid: int, slope: float, searchback: bool, t: int) -> None:
        st["spk"] = (0.25 * val + 0.75 * st["spk"]) if searchback else (0.125 * val + 0.875 * st["spk"])
        if st["last"] >= 0 and pi[K.P_RR_MIN] <= p - st["last"] <= pi[K.P_RR_MAX]:
            rr.append(p - st["last"])
            del rr[:-8]
        st["last"] = st["gap_ref"] = p
        st["slope"] = slope
        half = mwi // 2
        if t - (p - half) < h:
            seg = m[max(p - half, 0) : min(p + half, t - 1) + 1]
            for l in range(n_leads):
                if np.all(seg[:, l] >= 0):
                    mx = max(seg[:, l].max(), 0.0)
                    if S[l] > flat:
                        mx = min(mx, u_max * S[l])
                    S[l] = 0.125 * mx + 0.875 * S[l]
        for l in range(n_leads):
            if acc_n[l] > 0:
                A[l] = 0.125 * (acc[l] / acc_n[l]) + 0.875 * A[l]
        acc[:] = acc_n[:] = 0.0
        weights()
        sb[:] = [cand for cand in sb if cand[0] > p]
        fid = max(fid, st["last_fid"] + 1)
        st["last_fid"] = fid
        beats.append(fid)

    def fiducial(lo: int, p: int) -> int:
        sm = np.array([ec[max(lo, j - smooth + 1) : j + 1].sum() for j in range(lo, p + 1)])
        best = max(sm.max(), 0.0)
        above = np.flatnonzero(sm >= 0.7 * best)
        if above.size == 0:
            return p - smooth // 2
        k = above[0]
        while k + 1 < sm.size and sm[k + 1] >= sm[k]:
            k += 1
        return lo + k - smooth // 2

    cand, cand_val = -1, 0.0

    def confirm_and_search(confirm: bool, p: int, val: float, t: int) -> None:
        if confirm:
            lo = max(p - fidw, 0, t - h)
            slope = ec[max(lo, p - mwi) : p + 1].max()
            fid = max(fiducial(lo, p) - delay, 0)
            last = st["last"]
            if not (last >= 0 and p - last <= refr):
                thr1 = st["npk"] + 0.25 * (st["spk"] - st["npk"])
                is_beat = val > thr1 and not (last >= 0 and p - last < twave and slope < 0.25 * st["slope"])
                if is_beat:
                    push(p, val, fid, slope, False, t)
                else:
                    st["npk"] = 0.125 * val + 0.875 * st["npk"]
                    sb.append((p, val, fid, slope))
                    st["dirty"] = True
        if (st["dirty"] or confirm) and t - st["gap_ref"] > pf[K.PF_SEARCHBACK] * rr_mean():
            st["dirty"] = False
            thr2 = 0.5 * (st["npk"] + 0.25 * (st["spk"] - st["npk"]))
            ok = [cd for cd in sb if cd[1] > thr2 and not (st["last"] >= 0 and cd[0] - st["last"] <= pi[K.P_SB_MIN])]
            if ok:
                best = max(ok, key=lambda cd: cd[1])
                push(best[0], best[1], best[2], best[3], True, t)
            elif t - st["gap_ref"] > pi[K.P_STALL]:
                st["spk"] *= 0.5
                st["gap_ref"] = t
                st["dirty"] = True

    for i in range(n):
        valid = m[i] >= 0
        acc[valid] += m[i, valid]
        acc_n[valid] += 1
        use = valid & (coef > 0)
        if use.any():
            u = np.minimum(m[i, use] * inv_s[use], u_max)
            u = np.sqrt(u) if root else u
            c[i] = (w[use] @ u) / w[use].sum()
            c[i] = c[i] ** 2 if root else c[i]
            ec[i] = (e[i, use] @ coef[use]) / w[use].sum()
        if i >= 2 and c[i - 1] > c[i - 2] and c[i - 1] >= c[i]:
            if cand >= 0 and (i - 1) - cand <= refr:
                if c[i - 1] > cand_val:
                    cand, cand_val = i - 1, c[i - 1]
            else:
                cand, cand_val = i - 1, c[i - 1]
        confirm = cand >= 0 and i - cand > refr
        p, cand = (cand, -1) if confirm else (cand, cand)
        confirm_and_search(confirm, p, cand_val, i + 1)
    confirm_and_search(cand >= 0, cand, cand_val, n)  # end of record: flush the last candidate
    return np.asarray(beats, dtype=np.int64)


@pytest.mark.parametrize(
    ("fs", "case"),
    [(250.0, "two leads"), (360.0, "one lead"), (500.0, "nan gap"), (128.0, "pause"), (100.0, "noisy")],
)
def test_detector_matches_plain_python_reference(fs: float, case: str) -> None:
    sig, _ = synthetic_ecg(fs, 40.0, seed=int(fs), noise_mv=0.08)
    rng = np.random.default_rng(3)
    x = np.c_[sig, -0.5 * sig + 0.1 * rng.standard_normal(sig.size)]
    if case == "one lead":
        x = x[:, :1]
    elif case == "nan gap":
        x[int(15 * fs) : int(16 * fs), 0] = np.nan
    elif case == "noisy":  # noise peaks above threshold, search-back, T-wave tests all exercised
        x += 0.5 * rng.standard_normal(x.shape)
    elif case == "pause":
        x[int(20 * fs) : int(27 * fs)] = 0.01 * rng.standard_normal((int(27 * fs) - int(20 * fs), 2))
    want = _reference_detect(x, fs)
    got = detect_qrs(x, fs, chunk_s=3.7)  # many seams
    assert got.size == want.size
    assert np.max(np.abs(got - want)) <= 1  # running vs direct sums may move a fiducial by one sample


# ---- synthetic accuracy and robustness --------------------------------------------------------
@pytest.mark.parametrize("fs", [100.0, 128.0, 250.0, 360.0, 500.0, 1000.0, 2000.0])
def test_synthetic_any_sampling_rate(fs: float) -> None:
    sig, ref = synthetic_ecg(fs, 60.0, seed=int(fs))
    beats = detect_qrs(sig, fs)
    assert _f1(beats, ref, fs) == 1.0
    # Fiducial near the R peak (within 30 ms), not just inside the 150 ms window.
    idx = np.searchsorted(beats, ref).clip(1, beats.size - 1)
    nearest = np.minimum(np.abs(beats[idx] - ref), np.abs(beats[idx - 1] - ref))
    assert np.median(nearest) / fs < 0.030


def test_output_is_sorted_unique_int64_in_range() -> None:
    fs = 360.0
    sig, _ = synthetic_ecg(fs, 30.0, seed=5, noise_mv=0.3)
    beats = detect_qrs(sig, fs)
    assert beats.dtype == np.int64
    assert np.all(np.diff(beats) > 0)
    assert beats.min() >= 0 and beats.max() < sig.size


def test_fusion_ignores_inverted_flat_nan_and_noisy_leads() -> None:
    fs = 500.0
    sig, ref = synthetic_ecg(fs, 60.0, seed=7)
    rng = np.random.default_rng(8)
    n = sig.size
    cases = {
        "inverted": np.c_[-sig, 0.7 * sig],
        "flat": np.c_[sig, np.zeros(n)],
        "constant": np.c_[np.full(n, 3.0), sig],
        "nan": np.c_[np.full(n, np.nan), sig],
        "white noise": np.c_[sig, 2.0 * rng.standard_normal(n)],
        "gain 1000": np.c_[1000.0 * sig, sig],
    }
    for name, x in cases.items():
        assert _f1(detect_qrs(x, fs), ref, fs) == 1.0, name


def test_noisy_lead_fused_with_clean_lead_beats_noisy_lead_alone() -> None:
    fs = 360.0
    sig, ref = synthetic_ecg(fs, 120.0, seed=9)
    rng = np.random.default_rng(10)
    # Electrode-motion-like noise: band-limited bursts as large as the QRS.
    burst = sps.sosfilt(sps.butter(2, [3, 15], btype="band", fs=fs, output="sos"), rng.standard_normal(sig.size))
    noisy = sig + 3.0 * burst / burst.std()
    alone = _f1(detect_qrs(noisy, fs), ref, fs)
    fused = _f1(detect_qrs(np.c_[noisy, 0.8 * sig], fs), ref, fs)
    assert fused >= 0.995
    assert fused > alone


def test_nan_gaps_are_tolerated() -> None:
    fs = 250.0
    sig, ref = synthetic_ecg(fs, 60.0, seed=11)
    x = sig.copy()
    x[int(20 * fs) : int(23 * fs)] = np.nan  # a 3-s dropout in the only lead
    beats = detect_qrs(x, fs)
    score = score_detections(beats, ref, fs)
    assert score.fp == 0
    gap = (ref >= 20 * fs) & (ref < 23.5 * fs)
    assert score.fn <= gap.sum()


def test_pause_gets_no_beats_and_detection_resumes() -> None:
    fs = 360.0
    sig, ref = synthetic_ecg(fs, 90.0, seed=17)
    lo, hi = int(40 * fs), int(47 * fs)  # a 7-s sinus arrest: baseline and noise only
    sig[lo:hi] = sig[lo] + 0.02 * np.random.default_rng(18).standard_normal(hi - lo)
    keep = (ref < lo - 0.1 * fs) | (ref >= hi)
    score = score_detections(detect_qrs(sig, fs), ref[keep], fs)
    assert score.fp == 0 and score.fn <= 1, score


def test_recovers_after_an_amplitude_drop() -> None:
    fs = 250.0
    sig, ref = synthetic_ecg(fs, 120.0, seed=19, noise_mv=0.005)
    sig[int(60 * fs) :] *= 0.2  # electrode change: QRS 5 times smaller (energy 25 times)
    score = score_detections(detect_qrs(sig, fs), ref, fs)
    assert score.fp == 0 and score.fn <= 15, score  # ~9: recovers within a few seconds, not minutes


@pytest.mark.parametrize(
    "signal",
    [np.zeros(0), np.zeros((0, 3)), np.zeros(10), np.zeros(5000), np.full(5000, 7.5), np.full((5000, 2), np.nan)],
    ids=["empty", "empty-3-leads", "short", "zeros", "constant", "all-nan"],
)
def test_degenerate_input_gives_no_beats(signal: np.ndarray) -> None:
    beats = detect_qrs(signal, 250.0)
    assert beats.dtype == np.int64 and beats.size == 0


def test_dtype_layout_and_byte_order_do_not_change_detections() -> None:
    fs = 360.0
    sig, ref = synthetic_ecg(fs, 30.0, seed=12)
    x = np.c_[sig, 0.5 * sig]
    want = detect_qrs(x, fs)
    assert _f1(want, ref, fs) == 1.0
    np.testing.assert_array_equal(detect_qrs(np.asfortranarray(x), fs), want)
    np.testing.assert_array_equal(detect_qrs(x.astype(">f8"), fs), want)
    np.testing.assert_array_equal(detect_qrs(np.c_[x, x][:, ::2], fs), want)  # strided view
    assert _f1(detect_qrs(x.astype(np.float32), fs), ref, fs) == 1.0
    assert _f1(detect_qrs(x.astype(">f4"), fs), ref, fs) == 1.0
    assert _f1(detect_qrs(np.round(x * 200).astype(np.int16), fs), ref, fs) == 1.0


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=12))
def test_chunked_stream_equals_one_call(sizes: list[int]) -> None:
    fs = 250.0
    sig, _ = synthetic_ecg(fs, 90.0, seed=13, noise_mv=0.1)
    x = np.c_[sig, -sig + 0.05 * np.random.default_rng(14).standard_normal(sig.size)]
    want = detect_qrs(x, fs)
    det = QrsDetector(fs, 2)
    parts, pos, k = [], 0, 0
    while pos < x.shape[0]:
        step = sizes[k % len(sizes)]
        parts.append(det.feed(x[pos : pos + step]))
        pos += step
        k += 1
    parts.append(det.close())
    np.testing.assert_array_equal(np.concatenate(parts), want)


def test_chunk_length_does_not_change_detections_on_long_signal() -> None:
    fs = 200.0
    sig, ref = synthetic_ecg(fs, 1800.0, seed=15, noise_mv=0.05)
    want = detect_qrs(sig, fs, chunk_s=3600.0)
    assert _f1(want, ref, fs) == 1.0
    for chunk_s in (1.0, 13.7, 120.0):
        np.testing.assert_array_equal(detect_qrs(sig, fs, chunk_s=chunk_s), want)


def test_extra_memory_does_not_grow_with_record_length() -> None:
    import tracemalloc

    fs = 250.0
    sig, _ = synthetic_ecg(fs, 120.0, seed=16)
    x = np.c_[sig, 0.6 * sig]
    detect_qrs(x, fs)  # compile outside the measurement
    peaks = []
    for tiles in (2, 16):  # 4 min and 32 min
        long = np.tile(x, (tiles, 1))
        tracemalloc.start()
        detect_qrs(long, fs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0] + 200_000, peaks  # bounded by the block size, not the length


# ---- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"signal": np.zeros((10, 2, 2))}, "signal"),
        ({"signal": np.zeros((2, 5000))}, "signal"),  # (n_leads, n_samples) passed: too many leads
        ({"signal": np.array(["a", "b"])}, "signal"),
        ({"fs": 50.0}, "fs"),
        ({"fs": float("nan")}, "fs"),
        ({"fs": "fast"}, "fs"),
        ({"band_hz": (20.0, 5.0)}, "band_hz"),
        ({"refractory_s": 2.0}, "refractory_s"),
        ({"chunk_s": 0.0}, "chunk_s"),
    ],
)
def test_invalid_arguments_name_the_parameter(kwargs: dict, match: str) -> None:
    args = {"signal": np.zeros(1000), "fs": 250.0, **kwargs}
    with pytest.raises(EcgValueError, match=match):
        detect_qrs(args.pop("signal"), args.pop("fs"), **args)


def test_stream_rejects_wrong_lead_count_and_use_after_close() -> None:
    det = QrsDetector(250.0, 2)
    with pytest.raises(EcgValueError, match="chunk"):
        det.feed(np.zeros((100, 3)))
    det.close()
    with pytest.raises(EcgValueError, match="closed"):
        det.feed(np.zeros((100, 2)))


# ---- real data: MIT-BIH Arrhythmia and Noise Stress Test ------------------------------------------
def _score_record(path: Path) -> tuple:
    rec = wfdb.rdrecord(str(path))
    ann = wfdb.rdann(str(path), "atr")
    beats = detect_qrs(rec.p_signal, rec.fs)
    return score_detections(beats, reference_beats(ann), rec.fs), beats, rec


def test_mitdb_pooled_f1_all_leads(shared_data: Path) -> None:
    scores = {name: _score_record(shared_data / "ecg" / "mitdb" / name)[0] for name in MITDB_RECORDS}
    pooled = pool_scores(scores.values())
    assert pooled.f1 >= 0.996, {k: v.to_dict() for k, v in scores.items()}
    for name in ("102", "104", "107"):  # paced records
        assert scores[name].sensitivity >= 0.99, name


@pytest.mark.parametrize(("record", "floor"), [("118e24", 0.998), ("118e12", 0.985)])
def test_noise_stress_f1(shared_data: Path, record: str, floor: float) -> None:
    score, _, _ = _score_record(shared_data / "ecg" / "nstdb" / record)
    assert score.f1 >= floor, score.to_dict()


def test_noise_stress_0db_does_not_invent_beats(shared_data: Path) -> None:
    score, beats, _ = _score_record(shared_data / "ecg" / "nstdb" / "118e00")
    assert beats.size <= 1.3 * (score.tp + score.fn)


@pytest.mark.parametrize("fs", [100.0, 250.0, 500.0, 1000.0, 2000.0])
def test_resampled_mitdb_record(shared_data: Path, fs: float) -> None:
    path = shared_data / "ecg" / "mitdb" / "119"
    rec = wfdb.rdrecord(str(path), sampto=int(360 * 300))
    ref = reference_beats(wfdb.rdann(str(path), "atr", sampto=int(360 * 300)))
    x = sps.resample_poly(rec.p_signal, int(fs), 360, axis=0)
    beats = detect_qrs(x, fs)
    assert _f1(beats, np.round(ref * fs / 360.0).astype(np.int64), fs) >= 0.998


def test_real_record_with_a_disconnected_and_an_inverted_lead(shared_data: Path) -> None:
    path = shared_data / "ecg" / "mitdb" / "100"
    rec = wfdb.rdrecord(str(path), sampto=360 * 600)
    ref = reference_beats(wfdb.rdann(str(path), "atr", sampto=360 * 600))
    x = rec.p_signal.copy()
    x[:, 0] *= -1.0
    x[360 * 200 :, 1] = np.nan  # lead unplugged after 200 s
    assert _f1(detect_qrs(x, rec.fs), ref, rec.fs) >= 0.998
