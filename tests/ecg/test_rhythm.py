"""Rhythm analysis on beat sequences with known truth (no signal needed) and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecg.beats import BeatClass
from ecg.errors import EcgValueError
from ecg.findings import FindingCode
from ecg.rhythm import (
    BeatSequence,
    af_findings,
    af_statistics,
    heart_rate_bpm,
    pause_findings,
    rate_findings,
    ventricular_findings,
)
from ecg.settings import ScreeningSettings

from .synthetic import af_rr, sinus_rr

S = ScreeningSettings()
N, V, SV, Q = int(BeatClass.NORMAL), int(BeatClass.VENTRICULAR), int(BeatClass.SUPRAVENTRICULAR), int(BeatClass.UNKNOWN)


def seq_from_rr(rr, labels=None, *, unreadable=(), p_wave_corr=None, lead_in=1.0, tail=1.0) -> BeatSequence:
    t = lead_in + np.concatenate([[0.0], np.cumsum(rr)])
    lab = np.full(t.size, N, dtype=np.int8) if labels is None else np.asarray(labels, dtype=np.int8)
    return BeatSequence.build(t, lab, duration_s=t[-1] + tail, unreadable_ranges=unreadable, p_wave_corr=p_wave_corr)


def labels_from(pattern: str) -> np.ndarray:
    return np.array([{"N": N, "V": V, "S": SV, "Q": Q}[c] for c in pattern], dtype=np.int8)


# ------------------------------------------------------------------------------------------------ AF


def test_af_short_record_is_found():
    seq = seq_from_rr(af_rr(50, 95, seed=1))
    found = af_findings(seq, S)
    assert [f.code for f in found] == [FindingCode.AF]
    f = found[0]
    assert f.start_s == pytest.approx(seq.times_s[0]) and f.end_s == pytest.approx(seq.times_s[-1])
    assert 80 < f.values["rate_bpm"] < 110 and 0.5 <= f.confidence <= 1.0


@pytest.mark.parametrize("rsa", [0.0, 0.05, 0.1])
def test_sinus_rhythm_and_sinus_arrhythmia_are_not_af(rsa):
    seq = seq_from_rr(sinus_rr(60, 65, rsa=rsa, seed=2), p_wave_corr=np.full(61, 0.97))
    assert af_findings(seq, S) == []


def test_strong_sinus_arrhythmia_with_p_waves_is_not_af():
    rr = sinus_rr(60, 60, rsa=0.2, seed=3)
    with_p = seq_from_rr(rr, p_wave_corr=np.full(61, 0.9))
    assert af_findings(with_p, S) == []


@pytest.mark.parametrize("pattern", ["NV", "NNV", "NNNV"])
def test_bigeminy_and_trigeminy_are_not_af(pattern):
    n = 90
    lab = labels_from((pattern * n)[: n + 1])
    rr = np.where(lab[1:] == V, 0.55, 1.0)  # premature ectopic, then compensatory pause
    rr = np.where(np.r_[False, lab[1:-1] == V], 1.25, rr)
    seq = seq_from_rr(rr, lab)
    assert af_findings(seq, S) == []


def test_regular_group_beating_with_p_waves_is_not_af():
    rr = np.tile([0.8, 1.3], 25)  # 3:2 block-like alternation
    seq = seq_from_rr(rr, p_wave_corr=np.full(51, 0.9))
    assert af_findings(seq, S) == []


def test_af_episode_in_long_record():
    rng_rr = np.concatenate([sinus_rr(300, 70, seed=4), af_rr(400, 100, seed=5), sinus_rr(300, 70, seed=6)])
    seq = seq_from_rr(rng_rr)
    found = af_findings(seq, S)
    assert len(found) == 1
    t_af0 = 1.0 + rng_rr[:300].sum()
    t_af1 = t_af0 + rng_rr[300:700].sum()
    f = found[0]
    overlap = min(f.end_s, t_af1) - max(f.start_s, t_af0)
    assert overlap >= 0.9 * (t_af1 - t_af0)
    assert f.duration_s <= 1.2 * (t_af1 - t_af0)


def test_no_af_from_unreadable_stretch():
    rr = af_rr(60, 90, seed=7)
    seq = seq_from_rr(rr, unreadable=[(0.0, 1000.0)])
    assert af_findings(seq, S) == []
    assert heart_rate_bpm(seq) is None


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.5, 2.0))
def test_af_statistics_do_not_depend_on_time_scale(seed, scale):
    rr = af_rr(40, 90, seed=seed)
    ok = np.ones(rr.size, dtype=bool)
    a, b = af_statistics(rr, ok), af_statistics(rr * scale, ok)
    assert a is not None and b is not None
    assert a.median_drr_ratio == pytest.approx(b.median_drr_ratio, rel=1e-9)
    assert a.irregular_fraction == pytest.approx(b.irregular_fraction)
    assert a.turning_point_ratio == pytest.approx(b.turning_point_ratio)
    assert 0.0 <= a.irregular_fraction <= 1.0


def test_af_statistics_needs_clean_pairs():
    rr = af_rr(10, 90)
    assert af_statistics(rr, np.zeros(10, dtype=bool)) is None
    assert af_statistics(rr[:3], np.ones(3, dtype=bool)) is None


# ---------------------------------------------------------------------------------------------- rate


@pytest.mark.parametrize(
    ("bpm", "code"),
    [(35, FindingCode.EXTREME_BRADY), (45, FindingCode.BRADY), (75, None), (120, FindingCode.TACHY), (170, FindingCode.EXTREME_TACHY)],
)
def test_rate_classes_short_record(bpm, code):
    seq = seq_from_rr(sinus_rr(int(bpm / 2), bpm, seed=8))
    codes = [f.code for f in rate_findings(seq, S)]
    assert codes == ([] if code is None else [code])


def test_rate_episode_in_long_record():
    rr = np.concatenate([sinus_rr(200, 70, seed=9), sinus_rr(150, 130, seed=10), sinus_rr(200, 70, seed=11)])
    seq = seq_from_rr(rr)
    found = rate_findings(seq, S)
    assert [f.code for f in found] == [FindingCode.TACHY]
    t0 = 1.0 + rr[:200].sum()
    t1 = t0 + rr[200:350].sum()
    assert found[0].start_s >= t0 - S.rate_sustained_s and found[0].end_s <= t1 + S.rate_sustained_s
    assert found[0].values["rate_bpm"] == pytest.approx(130, abs=5)


def test_bigeminy_is_not_tachycardia():
    lab = labels_from(("NV" * 60)[:101])
    rr = np.where(lab[1:] == V, 0.45, 0.9)
    assert rate_findings(seq_from_rr(rr, lab), S) == []


# ------------------------------------------------------------------------------------ pause / asystole


def test_pause_longest_is_evidence_and_asystole_separate():
    rr = sinus_rr(40, 70, seed=12)
    rr[10], rr[20], rr[30] = 2.2, 2.9, 4.5
    found = pause_findings(seq_from_rr(rr), S)
    by_code = {f.code: f for f in found}
    assert by_code[FindingCode.PAUSE].values["rr_s"] == pytest.approx(2.9)
    assert by_code[FindingCode.PAUSE].values["n_pauses"] == 2
    assert by_code[FindingCode.ASYSTOLE].values["rr_s"] == pytest.approx(4.5)


def test_pause_inside_unreadable_stretch_is_not_reported():
    rr = sinus_rr(20, 70, seed=13)
    rr[10] = 3.5
    t10 = 1.0 + rr[:10].sum()
    assert pause_findings(seq_from_rr(rr, unreadable=[(t10 + 1.0, t10 + 2.0)]), S) == []
    assert len(pause_findings(seq_from_rr(rr), S)) == 1


# ------------------------------------------------------------------------------- ventricular ectopy


def test_vt_run_rate_and_count():
    pattern = "N" * 10 + "V" * 7 + "N" * 10
    lab = labels_from(pattern)
    rr = np.full(lab.size - 1, 0.85)
    rr[9:16] = 0.33  # 7 ventricular beats at ~180 bpm
    found = ventricular_findings(seq_from_rr(rr, lab), S)
    vt = [f for f in found if f.code is FindingCode.VT]
    assert len(vt) == 1 and vt[0].values["n_beats"] == 7
    assert vt[0].values["rate_bpm"] == pytest.approx(180, abs=5)
    assert vt[0].detail == "non-sustained"


def test_slow_ventricular_run_is_not_vt():
    lab = labels_from("N" * 10 + "VVVV" + "N" * 10)
    rr = np.full(lab.size - 1, 0.9)  # idioventricular rhythm ~67 bpm
    found = ventricular_findings(seq_from_rr(rr, lab), S)
    assert not any(f.code is FindingCode.VT for f in found)
    assert [f for f in found if f.code is FindingCode.PVC][0].values["n_slow_runs"] == 1


@pytest.mark.parametrize(
    ("pattern", "detail"),
    [("NNNNNNNNNV" * 6, "isolated"), ("NNNNNNNNVV" * 6, "couplets"), ("NV" * 20, "bigeminy"), ("NNV" * 15, "trigeminy")],
)
def test_pvc_patterns(pattern, detail):
    lab = labels_from(pattern)
    found = ventricular_findings(seq_from_rr(np.full(lab.size - 1, 0.8), lab), S)
    pvc = [f for f in found if f.code is FindingCode.PVC]
    assert len(pvc) == 1 and pvc[0].detail == detail
    assert pvc[0].values["burden"] == pytest.approx(pattern.count("V") / len(pattern))


def test_no_beats_no_findings():
    seq = BeatSequence.build(np.zeros(0), np.zeros(0, dtype=np.int8), duration_s=10.0)
    for fn in (af_findings, rate_findings, pause_findings, ventricular_findings):
        assert fn(seq, S) == []


def test_beat_sequence_validation():
    with pytest.raises(EcgValueError, match="times_s"):
        BeatSequence.build(np.array([1.0, 0.5]), np.zeros(2, dtype=np.int8), duration_s=2.0)
    with pytest.raises(EcgValueError, match="times_s/labels"):
        BeatSequence.build(np.array([1.0, 2.0]), np.zeros(3, dtype=np.int8), duration_s=3.0)
    with pytest.raises(EcgValueError, match="p_wave_corr"):
        BeatSequence.build(np.array([1.0, 2.0]), np.zeros(2, dtype=np.int8), duration_s=3.0, p_wave_corr=np.zeros(3))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(8, 40), st.floats(0.0, 0.5))
def test_af_window_kernel_matches_af_statistics(seed, w, p_bad):
    """The Numba window kernel reproduces the plain-Python :func:`af_statistics` on every window."""
    from ecg import _rhythm_kernels as RK

    rng = np.random.default_rng(seed)
    n = 120
    rr = np.where(rng.random(n) < 0.5, af_rr(n, 90, seed=seed % 1000), sinus_rr(n, 70, seed=seed % 997))
    clean = rng.random(n) >= p_bad
    pw = np.where(rng.random(n + 1) < 0.1, np.nan, rng.random(n + 1))
    starts = np.arange(0, n - w + 1, max(1, w // 4), dtype=np.int64)
    min_pairs = max(6, w // 3)
    table = RK.af_window_statistics(rr, clean, pw, starts, w, min_pairs)
    for s, row in zip(starts, table):
        ref = af_statistics(rr[s : s + w], clean[s : s + w], pw[s : s + w + 1], min_pairs=min_pairs)
        if ref is None:
            assert np.isnan(row[0])
            continue
        expected = [ref.median_drr_ratio, ref.irregular_fraction, ref.n_pairs, ref.mean_rate_bpm,
                    ref.pattern_ratio, ref.p_wave_corr, ref.turning_point_ratio]
        np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_short_ventricular_run_in_marginal_signal_is_not_vt():
    lab = labels_from("N" * 10 + "VVV" + "N" * 10)
    rr = np.full(lab.size - 1, 0.85)
    rr[9:12] = 0.35
    noisy = np.zeros(lab.size, dtype=bool)
    clean_seq = seq_from_rr(rr, lab)
    t = clean_seq.times_s
    noisy_seq = BeatSequence.build(t, lab, duration_s=t[-1] + 1, noisy=np.where(lab == V, True, noisy))
    assert any(f.code is FindingCode.VT for f in ventricular_findings(clean_seq, S))
    found = ventricular_findings(noisy_seq, S)
    assert not any(f.code is FindingCode.VT for f in found)
    assert [f for f in found if f.code is FindingCode.PVC][0].values["n_runs_in_noise"] == 1
    with pytest.raises(EcgValueError, match="noisy"):
        BeatSequence.build(t, lab, duration_s=30.0, noisy=np.zeros(3, dtype=bool))
