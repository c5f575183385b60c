"""12-lead intervals: synthetic truth, the DICOM 12-lead ECG shipped with pydicom, PTB s0010_re."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecg.errors import EcgValueError
from ecg.intervals import Intervals, measure_intervals

from .synthetic import STANDARD_12, sinus_rr, synth_ecg


@pytest.mark.parametrize(("qt_s", "hr"), [(0.36, 60), (0.40, 75), (0.52, 60)])
def test_synthetic_qt_and_qtc(qt_s, hr):
    syn = synth_ecg(sinus_rr(12, hr, jitter_s=0.0), n_leads=12, fs=500.0, qt_s=qt_s, seed=1)
    iv = measure_intervals(syn.record.signal, syn.fs, syn.beat_samples, leads=syn.record.leads)
    assert iv is not None and iv.reliable
    assert iv.qt_ms == pytest.approx(qt_s * 1000, abs=25)
    rr_s = 60.0 / hr
    assert iv.qtc_bazett_ms == pytest.approx(iv.qt_ms / np.sqrt(rr_s), rel=1e-6)
    assert iv.qtc_fridericia_ms == pytest.approx(iv.qt_ms / np.cbrt(rr_s), rel=1e-6)
    assert iv.heart_rate_bpm == pytest.approx(hr, abs=1)
    assert 50 <= iv.qrs_ms <= 110
    assert iv.pr_ms is not None and 100 <= iv.pr_ms <= 220
    assert iv.axis_deg is not None and 0 <= iv.axis_deg <= 90  # leads built with a normal axis


def test_af_has_no_pr():
    from .synthetic import af_rr

    syn = synth_ecg(af_rr(12, 80, seed=3), n_leads=12, fs=500.0, atrial="f", seed=3)
    iv = measure_intervals(syn.record.signal, syn.fs, syn.beat_samples, leads=syn.record.leads)
    assert iv is not None
    assert iv.pr_ms is None


def test_dicom_waveform_ecg():
    pydicom_data = pytest.importorskip("pydicom.data")
    from ecg import detect_qrs, read

    rec = read(pydicom_data.get_testdata_file("waveform_ecg.dcm"))
    assert rec.n_leads == 12
    iv = measure_intervals(rec.signal, rec.fs, detect_qrs(rec.signal, rec.fs), leads=rec.leads)
    assert iv is not None and iv.reliable
    assert 50 <= iv.heart_rate_bpm <= 80
    assert 60 <= iv.qrs_ms <= 120
    assert 320 <= iv.qt_ms <= 440
    assert 340 <= iv.qtc_bazett_ms <= 460
    assert iv.pr_ms is not None and 100 <= iv.pr_ms <= 220
    assert iv.axis_deg is not None and -30 <= iv.axis_deg <= 90
    assert json.loads(json.dumps(iv.to_dict()))["leads"] == list(STANDARD_12)


def test_ptb_s0010(shared_data):
    from ecg import detect_qrs, read

    hea = shared_data / "ecg" / "ptb" / "s0010_re.hea"
    if not hea.exists():
        pytest.skip("ptb/s0010_re not available")
    rec = read(hea)
    iv = measure_intervals(rec.signal, rec.fs, detect_qrs(rec.signal, rec.fs), leads=rec.leads)
    assert iv is not None and iv.reliable and iv.n_beats >= 20
    assert 70 <= iv.heart_rate_bpm <= 95
    assert 80 <= iv.qrs_ms <= 160
    assert 350 <= iv.qt_ms <= 520


def test_too_few_beats_and_bad_input():
    syn = synth_ecg(sinus_rr(12, 60), n_leads=12, fs=500.0)
    assert measure_intervals(syn.record.signal, syn.fs, syn.beat_samples[:2], leads=syn.record.leads) is None
    with pytest.raises(EcgValueError, match="fs"):
        measure_intervals(syn.record.signal, 50.0, syn.beat_samples)
    with pytest.raises(EcgValueError, match="leads"):
        measure_intervals(syn.record.signal, syn.fs, syn.beat_samples, leads=("I",))
    with pytest.raises(EcgValueError, match="formula"):
        Intervals(60, 1000, None, 90, 400, 400, 400, None, 5, ("I",), True).qtc_ms("hodges")


def test_interval_kernels_match_numpy():
    from ecg import _interval_kernels as IK

    rng = np.random.default_rng(5)
    x = rng.normal(size=(700, 3))
    starts = np.array([3, 50, 51, 200, 411, 600], dtype=np.int64)
    w = 90
    for m in (1, 2, 5, 6):
        stack = np.stack([x[s : s + w] for s in starts[:m]])
        got = IK.median_of_rows(x.reshape(-1), starts[:m] * 3, w * 3).reshape(w, 3)
        np.testing.assert_array_equal(got, np.median(stack, axis=0))
    stack = np.stack([x[s : s + w] for s in starts])
    vel = np.pad(np.abs(np.diff(stack, axis=1)).sum(axis=2), ((0, 0), (0, 1)))
    np.testing.assert_allclose(IK.spatial_velocity(x, starts, w), vel, atol=1e-12)
    y = x.copy()
    y[10, 1] = np.nan
    y[650:, 2] = np.nan
    share, box = IK.finite_share_and_box(y, 697, 4)
    np.testing.assert_allclose(share, np.isfinite(y).mean(axis=0), atol=1e-15)
    want = y[:696].reshape(174, 4, 3).mean(axis=1)
    np.testing.assert_allclose(box, want, atol=1e-12)
    assert np.isnan(box[2, 1]) and np.isnan(box[163, 2]) and np.isfinite(box[161, 2])


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    return x if n <= 1 else np.convolve(x, np.ones(n) / n, mode="same")


def _t_end(beat: np.ndarray, fs: float, qrs_off: int, stop: int, baseline: float) -> tuple[float | None, float]:
    """Tangent-method T end (sample index) of one lead's median beat and the T amplitude (mV)."""
    a = qrs_off + int(round(0.08 * fs))
    if stop - a < int(0.1 * fs):
        return None, 0.0
    seg = _smooth(beat[a:stop] - baseline, max(1, int(round(0.02 * fs))))
    p = int(np.argmax(np.abs(seg)))
    amp = float(seg[p])
    if abs(amp) < 0.1 or p >= seg.size - 3:
        return None, abs(amp)
    d = np.gradient(seg)
    stop_k = min(seg.size, p + int(round(0.15 * fs)))
    tail = d[p:stop_k] * -np.sign(amp)  # slope back towards the baseline, within 150 ms of the T peak
    k = p + int(np.argmax(tail))
    slope = d[k]
    if slope == 0 or np.sign(slope) == np.sign(amp):
        return None, abs(amp)
    t_end = k - seg[k] / slope  # where the tangent meets the baseline (0)
    if not (k <= t_end < seg.size + 0.1 * fs):
        return None, abs(amp)
    return float(a + t_end), abs(amp)



@pytest.mark.parametrize("fs", [250.0, 500.0, 1000.0])
def test_tangent_t_ends_match_the_reference(fs):
    from ecg import _interval_kernels as IK

    rng = np.random.default_rng(int(fs))
    n = int(0.9 * fs)
    t = np.arange(n) / fs
    leads = []
    for amp in (0.4, -0.3, 0.05, 0.8, 0.0, 0.25):
        beat = amp * np.exp(-0.5 * ((t - 0.45) / 0.05) ** 2) + 0.01 * rng.normal(size=n)
        leads.append(beat)
    med = np.ascontiguousarray(np.stack(leads, axis=1))
    baselines = med[int(0.05 * fs)].copy()
    for q_off in (int(0.1 * fs), int(0.2 * fs), n - int(0.12 * fs), n - 2):
        got_t, got_a = IK.tangent_t_ends(
            med, baselines, q_off, int(round(0.08 * fs)), int(0.1 * fs), max(1, int(round(0.02 * fs))),
            int(round(0.15 * fs)), 0.1 * fs,
        )
        for j in range(med.shape[1]):
            want_t, want_a = _t_end(med[:, j], fs, q_off, n, float(baselines[j]))
            assert got_a[j] == pytest.approx(want_a, abs=1e-12)
            if want_t is None:
                assert np.isnan(got_t[j])
            else:
                assert got_t[j] == pytest.approx(want_t, abs=1e-9)


def test_prefiltered_screening_signal_gives_the_same_intervals(shared_data):
    from ecg import detect_qrs, read
    from ecg.preprocess import screening_signal, zero_phase_screening

    hea = shared_data / "ecg" / "ptb" / "s0010_re.hea"
    if not hea.exists():
        pytest.skip("ptb/s0010_re not available")
    rec = read(hea)
    beats = detect_qrs(rec.signal, rec.fs)
    ref = measure_intervals(rec.signal, rec.fs, beats, leads=rec.leads)
    pre = screening_signal(rec.signal, rec.fs, lowpass_hz=100.0)
    dec = int(round(rec.fs / pre.fs))
    iv = measure_intervals(
        rec.signal, rec.fs, beats, leads=rec.leads, prefiltered=zero_phase_screening(pre, lowpass_hz=100.0), decimation=dec
    )
    assert iv is not None and iv.reliable and iv.n_beats == ref.n_beats
    assert abs(iv.qrs_ms - ref.qrs_ms) <= 4 and abs(iv.qt_ms - ref.qt_ms) <= 4 and abs(iv.pr_ms - ref.pr_ms) <= 4
    assert abs(iv.axis_deg - ref.axis_deg) <= 3
    with pytest.raises(EcgValueError, match="prefiltered"):
        measure_intervals(rec.signal, rec.fs, beats, leads=rec.leads, prefiltered=np.zeros((10, 12)), decimation=dec)
    with pytest.raises(EcgValueError, match="decimation"):
        measure_intervals(rec.signal, rec.fs, beats, leads=rec.leads, decimation=2)


@pytest.mark.parametrize("q", [0.0, 10.0, 33.3, 50.0, 75.0, 100.0])
def test_percentile_matches_numpy(q):
    from ecg.intervals import _percentile

    rng = np.random.default_rng(int(q * 10))
    for n in (1, 2, 3, 7, 12, 1100):
        for a in (rng.normal(size=n), np.round(rng.normal(size=n), 1)):
            assert _percentile(a, q) == np.percentile(a, q)
