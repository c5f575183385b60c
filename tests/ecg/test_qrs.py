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
def _reference_features(x: np.ndarray, sos: np.ndarray, fs: float, mwi: int, zi: np.ndarray) -> np.ndarray:
    """Plain scipy/numpy version of ``features_kernel``: hold NaN, band-pass, derivative, square, MWI."""
    out = np.zeros_like(x, dtype=np.float64)
    for lead in range(x.shape[1]):
        col = x[:, lead].astype(np.float64)
        finite = np.isfinite(col)
        held = col.copy()
        hold = col[finite][0] if finite.any() else 0.0
        for i in range(len(col)):  # straightforward sample-and-hold
            if finite[i]:
                hold = col[i]
            held[i] = hold
        y, _ = sps.sosfilt(sos, held, zi=zi[lead])
        d = np.concatenate([[0.0], np.diff(y)]) * fs
        e = d * d
        m = np.convolve(e, np.ones(mwi) / mwi)[: len(e)]
        out[:, lead] = np.maximum(m, 0.0)
    return out


@pytest.mark.parametrize("fs", [100.0, 360.0, 2000.0])
def test_features_kernel_matches_scipy_reference(fs: float) -> None:
    rng = np.random.default_rng(1)
    n = int(3 * fs)
    x = np.ascontiguousarray(rng.standard_normal((n, 2)).cumsum(axis=0) * 0.05)
    x[n // 3 : n // 3 + 17, 1] = np.nan
    sos = np.ascontiguousarray(sps.butter(2, [5.0, 20.0], btype="bandpass", fs=fs, output="sos"))
    mwi = int(round(0.15 * fs))
    zi = rng.standard_normal((2, sos.shape[0], 2)) * 0.01
    got = np.zeros_like(x)
    K.features_kernel(x, sos, fs, mwi, zi.copy(), got)
    want = _reference_features(x, sos, fs, mwi, zi)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * want.max())


def test_detect_kernel_compiled_matches_python_semantics() -> None:
    """The compiled state machine equals the same code run by the Python interpreter."""
    fs = 250.0
    sig, _ = synthetic_ecg(fs, 20.0, seed=3)
    x = np.ascontiguousarray(np.c_[sig, -0.5 * sig + 0.05 * np.random.default_rng(4).standard_normal(sig.size)])
    results = []
    for fn in (K.detect_kernel, K.detect_kernel.py_func):
        det = QrsDetector(fs, 2)
        det._learn(x[: det._learn_n])
        out = np.empty(1000, dtype=np.int64)
        k = fn(
            x, det._sos, det._p_i, det._p_f, det._zi, det._st_f, det._st_i, det._lead_f, det._mwi_buf,
            det._ring_c, det._ring_e, det._ring_m, det._rr, det._sb, np.empty(x.shape), np.empty(x.shape), out, True,
        )
        results.append((out[:k].copy(), det._st_f.copy(), det._lead_f.copy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)


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
        ({"signal": np.zeros((2, 5000))}, "signal"),  # looks fine: 2 samples of 5000 leads -> too many leads
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
