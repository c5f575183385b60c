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
    """The Numba window kernel reproduces the plain-NumPy reference of :func:`af_statistics` on every window."""
    from ecg import _rhythm_kernels as RK

    from .af_reference import af_statistics_reference

    rng = np.random.default_rng(seed)
    n = 120
    rr = np.where(rng.random(n) < 0.5, af_rr(n, 90, seed=seed % 1000), sinus_rr(n, 70, seed=seed % 997))
    clean = rng.random(n) >= p_bad
    pw = np.where(rng.random(n + 1) < 0.1, np.nan, rng.random(n + 1))
    starts = np.arange(0, n - w + 1, max(1, w // 4), dtype=np.int64)
    min_pairs = max(6, w // 3)
    table = RK.af_window_statistics(rr, clean, pw, starts, w, min_pairs)
    for s, row in zip(starts, table):
        ref = af_statistics_reference(rr[s : s + w], clean[s : s + w], pw[s : s + w + 1], min_pairs=min_pairs)
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


# ----------------------------------------------------------------- VT rate: mean cycle length of the run


def test_slow_ventricular_triplet_is_slow_vt():
    """A triplet whose beats end cycles of 0.517, 0.767 and 0.597 s (MIT-BIH 223 at 00:16:53, annotated VT) runs
    at 60 * 3 / 1.881 = 95.7 bpm by its mean cycle length (not the mean instantaneous rate, 98, nor its fastest
    cycle, 116 bpm): below the VT rate, above ``vt_slow_rate_bpm``: VT with detail "slow" (urgent, not stat)."""
    from ecg.screen import policy_key
    from ecg.settings import PolicyKey

    lab = labels_from("N" * 10 + "VVV" + "N" * 10)
    rr = np.full(lab.size - 1, 0.72)
    rr[9:12] = (0.517, 0.767, 0.597)
    rr[12] = 1.03
    found = ventricular_findings(seq_from_rr(rr, lab), S)
    (vt,) = [f for f in found if f.code is FindingCode.VT]
    assert vt.detail == "slow" and vt.values["rate_bpm"] == pytest.approx(60.0 * 3 / 1.881)
    assert policy_key(vt, S) is PolicyKey.VT_SLOW and S.priority_of(PolicyKey.VT_SLOW) == "urgent"
    # a centre that wants only runs above the VT rate
    only_fast = ScreeningSettings(vt_slow_rate_bpm=S.vt_rate_bpm)
    found = ventricular_findings(seq_from_rr(rr, lab), only_fast)
    assert not any(f.code is FindingCode.VT for f in found)
    (pvc,) = [f for f in found if f.code is FindingCode.PVC]
    assert pvc.values["n_slow_runs"] == 1 and pvc.values["n_runs"] == 1


def test_ventricular_run_below_the_slow_rate_is_not_vt():
    lab = labels_from("N" * 8 + "VVV" + "N" * 8)
    rr = np.full(lab.size - 1, 0.8)
    rr[7:10] = 0.70  # 85.7 bpm: idioventricular
    found = ventricular_findings(seq_from_rr(rr, lab), S)
    assert not any(f.code is FindingCode.VT for f in found)


@pytest.mark.parametrize("cycles", [(0.45, 0.50, 0.52), (0.59, 0.59, 0.59), (0.40, 0.35, 0.38, 0.36, 0.41)])
def test_vt_rate_value_is_beats_over_their_cycles(cycles):
    n = len(cycles)
    lab = labels_from("N" * 8 + "V" * n + "N" * 8)
    rr = np.full(lab.size - 1, 0.8)
    rr[7 : 7 + n] = cycles
    (vt,) = [f for f in ventricular_findings(seq_from_rr(rr, lab), S) if f.code is FindingCode.VT]
    assert vt.values["rate_bpm"] == pytest.approx(60.0 * n / sum(cycles))
    assert vt.values["n_beats"] == n


def test_vt_rate_without_readable_coupling_uses_the_runs_own_cycles():
    lab = labels_from("VVVV" + "N" * 8)
    rr = np.r_[0.5, 0.5, 0.55, np.full(8, 0.8)]
    (vt,) = [f for f in ventricular_findings(seq_from_rr(rr, lab), S) if f.code is FindingCode.VT]
    assert vt.values["rate_bpm"] == pytest.approx(60.0 * 3 / 1.55)


@pytest.mark.parametrize(("cycle_s", "is_vt"), [(0.605, False), (0.595, True)])
def test_vt_needs_a_mean_cycle_below_600_ms(cycle_s, is_vt):
    lab = labels_from("N" * 8 + "VVV" + "N" * 8)
    rr = np.full(lab.size - 1, 0.8)
    rr[7:10] = cycle_s  # 99.2 / 100.8 bpm
    found = ventricular_findings(seq_from_rr(rr, lab), S)
    assert any(f.code is FindingCode.VT and f.detail != "slow" for f in found) is is_vt
    slower = ScreeningSettings(vt_rate_bpm=95.0)
    assert any(f.code is FindingCode.VT and f.detail != "slow" for f in ventricular_findings(seq_from_rr(rr, lab), slower))


# ------------------------------------------------------------------ vectorised paths vs their references


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.floats(0.0, 0.9))
def test_rate_window_kernel_matches_numpy(seed, n_win, p_bad):
    from ecg import _rhythm_kernels as RK

    rng = np.random.default_rng(seed)
    rr = rng.uniform(0.3, 1.5, 200)
    ok = rng.random(200) >= p_bad
    lo = rng.integers(0, 200, n_win).astype(np.int64)
    hi = np.minimum(lo + rng.integers(0, 60, n_win), 200).astype(np.int64)
    table = RK.window_rate_statistics(rr, ok, lo, hi)
    for (a, b), row in zip(zip(lo, hi), table):
        sel = rr[a:b][ok[a:b]]
        assert row[2] == sel.size and row[1] == pytest.approx(sel.sum())
        if sel.size:
            assert row[0] == np.median(sel)
        else:
            assert np.isnan(row[0])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_af_decisions_match_is_af(seed):
    """``_af_decisions`` (all windows at once) gives :meth:`AfStatistics.is_af` of every row."""
    from ecg.af import AfStatistics, _af_decisions

    rng = np.random.default_rng(seed)
    n = 200
    table = np.column_stack([
        rng.uniform(0.0, 0.3, n), rng.uniform(0.0, 1.0, n), rng.integers(4, 40, n).astype(float),
        rng.uniform(40, 160, n), rng.uniform(0.0, 0.2, n), rng.uniform(-0.5, 1.0, n), rng.uniform(0.0, 1.0, n),
    ])
    table[rng.random(n) < 0.1, 4:] = np.nan
    table[rng.random(n) < 0.1, 5] = np.nan
    table[rng.random(n) < 0.05, 0] = np.nan
    got = _af_decisions(table, S)
    for row, g in zip(table, got):
        if not np.isfinite(row[0]):
            assert not g
            continue
        ref = AfStatistics(row[0], row[1], int(row[2]), row[3], row[4], row[5], row[6]).is_af(S)
        assert bool(g) == ref


def test_rate_findings_match_per_window_medians():
    """The long-record rate path equals a plain loop of ``np.median`` over each window."""
    rr = np.concatenate([sinus_rr(300, 72, seed=20), sinus_rr(200, 45, seed=21), sinus_rr(300, 72, seed=22)])
    lab = np.full(rr.size + 1, N, dtype=np.int8)
    lab[::17] = V
    seq = seq_from_rr(rr, lab)
    found = rate_findings(seq, S)
    (brady,) = [f for f in found if f.code is FindingCode.BRADY]
    ok = seq.interval_ok & (lab[:-1] == N) & (lab[1:] == N)
    mids = 0.5 * (seq.times_s[:-1] + seq.times_s[1:])
    win = S.rate_sustained_s
    starts = np.arange(0.0, seq.duration_s - win + win / 6, win / 6)
    slow = []
    for t0 in starts:
        sel = ok & (mids >= t0) & (mids < t0 + win)
        if rr[sel].sum() >= 0.4 * win and sel.sum() >= 3:
            slow.append(60.0 / np.median(rr[sel]))
    assert brady.values["rate_bpm"] == pytest.approx(min(slow))


# ------------------------------------------------------------------------- AF: evidence and baselines


def test_short_record_needs_enough_clean_pairs():
    seq = seq_from_rr(af_rr(9, 95, seed=30))  # 10 beats, 8 pairs: judged
    few = seq_from_rr(af_rr(7, 95, seed=30))  # 8 beats, 6 pairs: too few to judge
    assert af_findings(few, S) == []
    stats = af_statistics(seq.rr_s, np.ones(9, dtype=bool))
    assert stats is not None and (af_findings(seq, S) != []) == stats.is_af(S)


def test_short_record_judged_only_when_most_intervals_are_clean():
    rr = af_rr(40, 95, seed=31)
    lab = np.full(41, N, dtype=np.int8)
    lab[1::2] = V  # every other beat ectopic: no clean interval left
    assert af_findings(seq_from_rr(rr, lab), S) == []
    lab = np.full(41, N, dtype=np.int8)
    lab[13::2] = SV  # 11 clean intervals, then frequent ectopy: the clean minority does not speak for the record
    assert af_statistics(rr, np.r_[np.ones(12, dtype=bool), np.zeros(28, dtype=bool)]) is not None
    assert af_findings(seq_from_rr(rr, lab), S) == []
    assert af_findings(seq_from_rr(rr), S) != []


@pytest.mark.parametrize("rsa", [0.10, 0.15])
def test_long_sinus_arrhythmia_without_p_wave_evidence_is_not_af(rsa):
    """Respiratory RR modulation of +-10-15 % over 10 min, no P-wave information at all."""
    seq = seq_from_rr(sinus_rr(700, 70, rsa=rsa, seed=32))
    assert af_findings(seq, S) == []


def test_sinus_level_p_waves_veto_irregular_stretch_in_long_record():
    """An irregular stretch whose P waves stay at the record's own sinus level is not AF; the same
    stretch with fibrillatory (inconsistent) atrial activity is."""
    rng = np.random.default_rng(33)
    rr = np.concatenate([sinus_rr(600, 65, seed=34), af_rr(300, 75, cv=0.12, seed=35), sinus_rr(300, 65, seed=36)])
    # a lead with weak P waves: sinus-level consistency below af_p_wave_corr, so only the baseline can veto
    pw_level = np.clip(rng.normal(0.74, 0.12, rr.size + 1), -1, 1)
    assert np.median(pw_level) < S.af_p_wave_corr
    pw_fib = pw_level.copy()
    pw_fib[601:900] = rng.normal(0.3, 0.2, 299)
    assert af_findings(seq_from_rr(rr, p_wave_corr=pw_fib), S) != []
    assert af_findings(seq_from_rr(rr, p_wave_corr=pw_level), S) == []
    assert af_findings(seq_from_rr(rr), S) != []  # no P-wave information: RR irregularity decides


@pytest.mark.parametrize("long_record", [False, True])
def test_mild_irregularity_in_marginal_signal_is_not_af(long_record):
    """Mostly marginal signal: P-wave evidence is unreliable, so only a strong irregularity makes AF."""
    from ecg.af import _AF_STRONG

    n = 400 if long_record else 50
    mild = af_rr(n, 67, cv=0.07, seed=50)  # median |dRR| ~ 7 % of RR: past the AF thresholds, not far
    stats = af_statistics(mild, np.ones(n, dtype=bool))
    assert stats.is_af(S) and stats.irregularity(S) < _AF_STRONG
    strong = af_rr(n, 80, cv=0.25, seed=51)
    for rr, expected in ((mild, False), (strong, True)):
        t = 1.0 + np.concatenate([[0.0], np.cumsum(rr)])
        lab = np.full(t.size, N, dtype=np.int8)
        marginal = BeatSequence.build(t, lab, duration_s=t[-1] + 1, noisy=np.ones(t.size, dtype=bool))
        good = BeatSequence.build(t, lab, duration_s=t[-1] + 1, noisy=np.zeros(t.size, dtype=bool))
        assert (af_findings(marginal, S) != []) is expected
        assert af_findings(good, S) != []


# --------------------------------------------------------------- whole screening on synthetic ECGs


def test_synthetic_ecg_pause_of_three_seconds_is_stat():
    from ecg.screen import screen

    from .synthetic import synth_ecg

    rr = sinus_rr(40, 70, seed=40)
    rr[20] = 3.4
    s = screen(synth_ecg(rr, seed=40).record)
    (pause,) = s.of(FindingCode.PAUSE)
    assert pause.values["rr_s"] == pytest.approx(3.4, abs=0.02) and s.priority == "stat"
    rr[20] = 2.5
    s = screen(synth_ecg(rr, seed=40).record)
    assert s.of(FindingCode.PAUSE)[0].values["rr_s"] == pytest.approx(2.5, abs=0.02) and s.priority == "urgent"


@pytest.mark.parametrize(("rsa", "fs", "n_leads"), [(0.10, 360.0, 2), (0.15, 360.0, 2), (0.15, 300.0, 1)])
def test_synthetic_sinus_arrhythmia_is_not_af(rsa, fs, n_leads):
    from ecg.screen import screen

    from .synthetic import synth_ecg

    s = screen(synth_ecg(sinus_rr(60, 62, rsa=rsa, seed=41), fs=fs, n_leads=n_leads, seed=41).record)
    assert not s.has(FindingCode.AF) and s.priority == "routine"


@pytest.mark.parametrize("pattern", ["NV", "NNV"])
def test_synthetic_ventricular_bigeminy_trigeminy_are_not_af(pattern):
    from ecg.screen import screen

    from .synthetic import ectopic_pattern, synth_ecg

    s = screen(synth_ecg(np.full(60, 0.85), ectopic_pattern(61, pattern), seed=42).record)
    assert not s.has(FindingCode.AF)
    assert s.of(FindingCode.PVC)[0].detail == {"NV": "bigeminy", "NNV": "trigeminy"}[pattern]


def test_synthetic_atrial_bigeminy_with_p_waves_is_not_af():
    """Early sinus-like beats every other beat (long-short RR, P waves present): a pattern, not AF."""
    from ecg.screen import screen

    from .synthetic import synth_ecg

    rr = np.tile([1.05, 0.62], 30) + np.random.default_rng(43).normal(0, 0.006, 60)
    s = screen(synth_ecg(rr, seed=43).record)
    assert not s.has(FindingCode.AF)


def test_synthetic_af_is_found():
    from ecg.screen import screen

    from .synthetic import synth_ecg

    s = screen(synth_ecg(af_rr(60, 95, seed=44), atrial="f", seed=44).record)
    assert s.has(FindingCode.AF) and s.priority == "urgent"


_LABEL_STRINGS = st.lists(st.sampled_from([0, 0, 0, 1, 2, 2, 4]), max_size=60).map(lambda v: np.array(v, dtype=np.int8))


@settings(max_examples=300, deadline=None)
@given(_LABEL_STRINGS)
def test_repeating_pattern_matches_regular_expression(labels):
    """Bigeminy / trigeminy episodes are the matches of (NV){3,} / (NNV){3,} on the label string."""
    import re

    from ecg import _rhythm_kernels as RK

    text = "".join("NSVPQ"[v] for v in labels)
    for period, pattern in ((2, r"(?:NV){3,}"), (3, r"(?:NNV){3,}")):
        spans = [m.span() for m in re.finditer(pattern, text)]
        expected = (len(spans), sum((e - s) // period for s, e in spans))
        assert RK.repeating_pattern(labels, period, 0, 2, 3) == expected


@settings(max_examples=200, deadline=None)
@given(_LABEL_STRINGS, st.integers(0, 2**32 - 1))
def test_sequence_derived_values_match_numpy(labels, seed):
    """BeatSequence's one-pass derived values (sequence_intervals kernel) equal plain NumPy; replace() recomputes."""
    import dataclasses

    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.3, 2.5, labels.size))
    pw = np.where(rng.random(labels.size) < 0.2, np.nan, rng.uniform(0.0, 1.0, labels.size))
    seq = BeatSequence.build(
        t, labels, duration_s=float(t[-1]) + 1 if t.size else 1.0, unreadable_ranges=[(5.0, 9.0)], p_wave_corr=pw
    )
    for s in (seq, dataclasses.replace(seq, interval_ok=np.zeros_like(seq.interval_ok))):
        rr = np.diff(s.times_s)
        normal = s.labels == int(BeatClass.NORMAL)
        clean = s.interval_ok & normal[:-1] & normal[1:]
        np.testing.assert_array_equal(s.rr_s, rr)
        np.testing.assert_array_equal(s.clean, clean)
        assert s.n_readable == np.count_nonzero(s.interval_ok) and s.n_clean == np.count_nonzero(clean)
        assert s.clean_rr_sum_s == pytest.approx(rr[clean].sum(), abs=1e-12)
        assert (np.isnan(s.clean_rr_median_s) if not clean.any() else s.clean_rr_median_s == np.median(rr[clean]))
        assert s.longest_rr_s == (rr.max() if rr.size else -np.inf)
        assert s.longest_readable_rr_s == (rr[s.interval_ok].max() if s.interval_ok.any() else -np.inf)
        assert s.n_ventricular == np.count_nonzero(s.labels == int(BeatClass.VENTRICULAR))
        assert s.n_known == np.count_nonzero(s.labels != int(BeatClass.UNKNOWN))
        # the whole-record AF statistics: af_statistics with the short-record minimum of 8 clean pairs
        stats = af_statistics(rr, clean, pw, min_pairs=8) if pw.size else None
        if stats is None:
            assert not s.record_af[2] >= 8
        else:
            assert s.record_af[2] == stats.n_pairs
            np.testing.assert_array_equal(
                np.array(s.record_af)[[0, 1, 3, 4, 5, 6]],
                [stats.median_drr_ratio, stats.irregular_fraction, stats.mean_rate_bpm, stats.pattern_ratio,
                 stats.p_wave_corr, stats.turning_point_ratio],
            )


@settings(max_examples=200, deadline=None)
@given(_LABEL_STRINGS, st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_readable_intervals_match_numpy(labels, seed, n_ranges):
    """build()'s readable intervals (readable_sequence kernel) equal the NumPy rule: both beats known and no
    overlap with an unreadable range; the trusted _assemble gives the same sequence."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.3, 2.5, labels.size))
    # ranges that start and end on beats too (touching is not overlap)
    ends = np.concatenate([t, rng.uniform(0.0, 40.0, 4)]) if t.size else rng.uniform(0.0, 40.0, 4)
    ranges = [tuple(sorted(rng.choice(ends, 2))) for _ in range(n_ranges)]
    seq = BeatSequence.build(t, labels, duration_s=float(t[-1]) + 1 if t.size else 1.0, unreadable_ranges=ranges)
    known = labels != Q
    ok = known[:-1] & known[1:]
    for a, b in ranges:
        ok &= (t[:-1] >= b) | (t[1:] <= a)
    np.testing.assert_array_equal(seq.interval_ok, ok)
    from ecg import _rhythm_kernels as RK

    derived = RK.readable_sequence(
        seq.times_s, seq.labels, np.array(ranges, dtype=np.float64).reshape(-1, 2), np.full(t.size, np.nan), N, V, Q, 8
    )
    trusted = BeatSequence._assemble(seq.times_s, seq.labels, derived, seq.duration_s, (), None, None)
    for name in ("interval_ok", "rr_s", "clean"):
        np.testing.assert_array_equal(getattr(trusted, name), getattr(seq, name))
    for name in ("n_readable", "n_clean", "clean_rr_sum_s", "longest_rr_s", "longest_readable_rr_s", "n_ventricular",
                 "n_known", "duration_s", "leads", "p_wave_corr", "noisy"):
        assert getattr(trusted, name) == getattr(seq, name)
    assert trusted.clean_rr_median_s == seq.clean_rr_median_s or np.isnan(seq.clean_rr_median_s)
    np.testing.assert_array_equal(trusted.record_af, seq.record_af)


@settings(max_examples=300, deadline=None)
@given(_LABEL_STRINGS, st.integers(1, 5))
def test_ventricular_runs_match_numpy(labels, min_run):
    """The ventricular_runs kernel: runs of V of at least min_run beats, single beats, couplets, first and last V
    beat and the bigeminy / trigeminy counts equal their NumPy (and repeating_pattern) forms."""
    from ecg import _rhythm_kernels as RK

    is_v = np.r_[False, labels == V, False]
    edges = np.flatnonzero(np.diff(is_v.astype(np.int8)))
    starts, stops = edges[0::2], edges[1::2]
    length = stops - starts
    long_runs, n_single, n_couplets, first, last, n_big, big, n_tri, tri = RK.ventricular_runs(labels, N, V, min_run, 3)
    np.testing.assert_array_equal(long_runs, np.c_[starts, stops][length >= min_run].reshape(-1, 2))
    assert (n_single, n_couplets) == (np.count_nonzero(length == 1), np.count_nonzero(length == 2))
    assert (first, last) == ((starts[0], stops[-1] - 1) if starts.size else (-1, -1))
    assert (n_big, big) == RK.repeating_pattern(labels, 2, N, V, 3)
    assert (n_tri, tri) == RK.repeating_pattern(labels, 3, N, V, 3)
