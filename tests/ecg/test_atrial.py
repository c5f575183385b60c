"""Atrial-activity evidence (:mod:`ecg.atrial`): the f-wave kernel against a plain reference, edge cases,
synthetic f waves vs P waves, and real MIT-BIH stretches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from ecg import _atrial_kernels as AK
from ecg.atrial import AtrialSignal, _band_sos, atrial_signal, f_wave_fraction
from ecg.errors import EcgValueError
from ecg.preprocess import screening_signal, zero_phase_screening
from ecg.settings import ScreeningSettings

from .synthetic import af_rr, sinus_rr, synth_ecg

F = ScreeningSettings().af_f_wave_fraction


def _reference_f_wave_power(x, beats, template_beat, interval_ok, pre, post, skip_before, skip_after, sos):
    """Plain numpy/scipy version of :func:`ecg._atrial_kernels.f_wave_power`."""
    n = x.size
    wins = [x[b - pre : b + post] for k, b in enumerate(beats)
            if template_beat[k] and b - pre >= 0 and b + post <= n and np.all(np.isfinite(x[b - pre : b + post]))]
    out = np.full(5, np.nan)
    out[3] = len(wins)
    if not wins or beats.size < 2:
        out[2] = 0
        return out
    tmpl = np.mean(wins, axis=0)
    qrs = tmpl[max(pre - skip_before, 0) : pre + skip_after]
    out[4] = np.ptp(qrs) if qrs.size else np.nan
    u = np.zeros(beats[-1] - beats[0])
    counted = np.zeros(u.size, dtype=bool)
    for k in range(beats.size - 1):
        k0, k1 = beats[k], beats[k + 1]
        if not interval_ok[k]:
            continue
        for s in range(k0 + skip_after, min(k1 - skip_before, n)):
            if not np.isfinite(x[s]):
                continue
            d1, d2 = s - k0, k1 - s
            if d2 <= pre:
                u[s - beats[0]] = x[s] - tmpl[pre - d2]
            elif d1 < post:
                u[s - beats[0]] = x[s] - tmpl[pre + d1]
            else:
                u[s - beats[0]] = x[s]
            counted[s - beats[0]] = True
    y = sps.sosfilt(sos, u)
    out[2] = counted.sum()
    if counted.any():
        out[0] = np.mean(y[counted] ** 2)
        out[1] = np.mean(u[counted] ** 2)
    return out


def _screening(x: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    pre = screening_signal(x, fs)
    return zero_phase_screening(pre), pre.fs


def _synthetic_fraction(rr, atrial: str, *, fs: float = 300.0, n_leads: int = 1, seed: int = 0) -> float:
    e = synth_ecg(rr, fs=fs, n_leads=n_leads, atrial=atrial, seed=seed)
    filt, fs_s = _screening(e.record.signal, fs)
    dec = int(round(fs / fs_s))
    return f_wave_fraction(atrial_signal(filt, fs_s, e.beat_samples // dec, leads=e.record.leads))


# ------------------------------------------------------------------------------ kernel vs reference


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3), st.floats(0.0, 0.3), st.booleans())
def test_f_wave_kernel_matches_reference(seed, p_bad_interval, p_not_template, with_nan):
    rng = np.random.default_rng(seed)
    fs = 150.0
    rr = rng.uniform(0.35, 1.4, rng.integers(2, 30))
    beats = (fs * (0.3 + np.concatenate([[0.0], np.cumsum(rr)]))).astype(np.int64)
    n = int(beats[-1] + rng.integers(1, 60))
    x = rng.normal(0.0, 0.05, n)
    x[beats] += 1.0
    if with_nan:
        a = rng.integers(0, n - 10)
        x[a : a + rng.integers(1, 40)] = np.nan
    tb = rng.random(beats.size) >= p_not_template
    iv = rng.random(beats.size - 1) >= p_bad_interval
    args = (38, 68, 9, 12, np.array(_band_sos(fs)))  # a writable copy: scipy.signal.sosfilt needs one
    got = AK.f_wave_power(x, beats, tb, iv, *args)
    ref = _reference_f_wave_power(x, beats, tb, iv, *args)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-15, equal_nan=True)


# ------------------------------------------------------------------------------------ edge cases


def test_too_few_beats_or_residual_gives_nan():
    x = np.random.default_rng(0).normal(0, 0.05, 3000)
    assert np.isnan(f_wave_fraction(atrial_signal(x, 150.0, np.zeros(0, dtype=np.int64))))
    assert np.isnan(f_wave_fraction(atrial_signal(x, 150.0, np.array([500]))))
    assert np.isnan(f_wave_fraction(atrial_signal(x, 150.0, np.array([500, 620, 740]))))  # 3 template beats, < 2 s


def test_flat_signal_gives_nan():
    beats = np.arange(100, 2900, 120)
    assert np.isnan(f_wave_fraction(atrial_signal(np.zeros(3000), 150.0, beats)))


def test_nan_stretch_does_not_count():
    rr = af_rr(40, 90, seed=3)
    e = synth_ecg(rr, fs=300.0, n_leads=1, atrial="f", seed=3)
    filt, fs_s = _screening(e.record.signal, 300.0)
    beats = e.beat_samples // 2
    clean = f_wave_fraction(atrial_signal(filt, fs_s, beats))
    holed = filt.copy()
    holed[1000:1300] = np.nan
    with_hole = f_wave_fraction(atrial_signal(holed, fs_s, beats))
    assert np.isfinite(with_hole) and abs(with_hole - clean) < 0.1


def test_dtype_byte_order_layout_and_scale_do_not_matter():
    e = synth_ecg(af_rr(40, 90, seed=4), fs=360.0, n_leads=2, atrial="f", seed=4)
    filt, fs_s = _screening(e.record.signal, 360.0)
    beats = e.beat_samples // int(round(360.0 / fs_s))
    ref = f_wave_fraction(atrial_signal(filt, fs_s, beats, leads=("MLII", "V5")))
    fortran = np.asfortranarray(filt)  # columns contiguous, rows not
    assert f_wave_fraction(atrial_signal(fortran, fs_s, beats, leads=("MLII", "V5"))) == pytest.approx(ref, rel=1e-12)
    big = filt.astype(">f8")
    assert f_wave_fraction(atrial_signal(big, fs_s, beats, leads=("MLII", "V5"))) == pytest.approx(ref, rel=1e-12)
    f32 = f_wave_fraction(atrial_signal(filt.astype(np.float32), fs_s, beats.astype(np.int32), leads=("MLII", "V5")))
    assert f32 == pytest.approx(ref, rel=1e-4)
    assert f_wave_fraction(atrial_signal(3.0 * filt, fs_s, beats, leads=("MLII", "V5"))) == pytest.approx(ref, rel=1e-9)
    one = f_wave_fraction(atrial_signal(filt[:, 0], fs_s, beats))  # 1-D: one lead
    assert one == pytest.approx(ref, rel=1e-12)


def test_lead_choice():
    x = np.zeros((1000, 3))
    beats = np.array([100, 300])
    assert atrial_signal(x, 150.0, beats, leads=("V1", "II", "V5")).lead == "II"
    assert atrial_signal(x, 150.0, beats, leads=("V1", "II", "V5"), usable=[True, False, True]).lead == "V1"
    assert atrial_signal(x, 150.0, beats, leads=("A", "B", "C"), usable=[False, True, True]).lead == "B"
    assert atrial_signal(x, 150.0, beats, leads=("A", "B", "C"), usable=[False, False, False]).lead == "A"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"signal": np.zeros((10, 0))}, "signal"),
        ({"signal": np.array(["a"] * 10)}, "signal"),
        ({"fs": 40.0}, "fs"),
        ({"fs": float("nan")}, "fs"),
        ({"fs": True}, "fs"),
        ({"beats": np.array([5.0, 8.0])}, "beats"),
        ({"beats": np.array([8, 5])}, "beats"),
        ({"beats": np.array([5, 5])}, "beats"),
        ({"beats": np.array([-1, 5])}, "beats"),
        ({"beats": np.array([5, 1000])}, "beats"),
        ({"leads": ("I", "II")}, "leads"),
        ({"usable": [True, False]}, "usable"),
    ],
)
def test_atrial_signal_validation(kwargs, match):
    args = {"signal": np.zeros(1000), "fs": 150.0, "beats": np.array([100, 300])} | kwargs
    sig, fs, beats = args.pop("signal"), args.pop("fs"), args.pop("beats")
    with pytest.raises(EcgValueError, match=match):
        atrial_signal(sig, fs, beats, **args)


def test_f_wave_fraction_validation():
    a = atrial_signal(np.zeros(1000), 150.0, np.array([100, 300, 500]))
    with pytest.raises(EcgValueError, match="atrial"):
        f_wave_fraction("not a signal")  # type: ignore[arg-type]
    with pytest.raises(EcgValueError, match="template_beat"):
        f_wave_fraction(a, np.ones(2, dtype=bool))
    with pytest.raises(EcgValueError, match="interval_ok"):
        f_wave_fraction(a, None, np.ones(3, dtype=bool))
    assert isinstance(a, AtrialSignal) and a.signal.dtype == np.float64 and a.signal.dtype.isnative


def test_atrial_signal_is_a_view_of_native_float64_input():
    x = np.zeros((1000, 2))
    a = atrial_signal(x, 150.0, np.array([100, 300]), leads=("I", "II"))
    assert a.lead == "II" and np.shares_memory(a.signal, x)


# --------------------------------------------------------------------------- synthetic f vs P waves


@pytest.mark.parametrize(("fs", "n_leads"), [(300.0, 1), (360.0, 2), (500.0, 12)])
@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_f_waves_score_high_p_waves_low(fs, n_leads, seed):
    rr_af = af_rr(40, 95, seed=seed)
    assert _synthetic_fraction(rr_af, "f", fs=fs, n_leads=n_leads, seed=seed) >= 1.5 * F
    rr_sinus = sinus_rr(40, 70, rsa=0.05, seed=seed)
    assert _synthetic_fraction(rr_sinus, "p", fs=fs, n_leads=n_leads, seed=seed) < 0.75 * F


# ------------------------------------------------------------------------------------ real records


def _mitdb_fraction(shared_data, name: str, t0: float, t1: float) -> float:
    from ecg.io.wfdb_format import read_wfdb
    from ecg.qrs import detect_qrs

    rec = read_wfdb(shared_data / "ecg" / "mitdb" / f"{name}.hea")
    x = rec.signal[int(t0 * rec.fs) : int(t1 * rec.fs)]
    filt, fs_s = _screening(x, rec.fs)
    return f_wave_fraction(atrial_signal(filt, fs_s, detect_qrs(filt, fs_s), leads=rec.leads))


@pytest.mark.parametrize(("t0", "t1"), [(1200.0, 1260.0), (1400.0, 1460.0), (1600.0, 1660.0)])
def test_mitdb_202_atrial_fibrillation_has_f_waves(shared_data, t0, t1):
    assert _mitdb_fraction(shared_data, "202", t0, t1) >= 1.25 * F


@pytest.mark.parametrize(("name", "t0", "t1"), [("202", 100.0, 160.0), ("100", 0.0, 60.0), ("119", 0.0, 60.0), ("108", 900.0, 960.0)])
def test_mitdb_sinus_rhythm_has_no_f_waves(shared_data, name, t0, t1):
    assert _mitdb_fraction(shared_data, name, t0, t1) < F
