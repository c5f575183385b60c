"""``ecg.screen`` end to end on synthetic ECGs with known truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecg import EcgRecord
from ecg.errors import EcgValueError
from ecg.findings import Finding, FindingCode
from ecg.screen import Screening, policy_key, screen
from ecg.settings import PolicyKey, ScreeningSettings

from .synthetic import af_rr, ectopic_pattern, sinus_rr, synth_ecg


def _codes(s: Screening) -> set[FindingCode]:
    return set(s.codes())


def test_normal_sinus_rhythm_is_routine():
    s = screen(synth_ecg(sinus_rr(40, 72, rsa=0.05)).record)
    assert s.priority == "routine" and s.findings == ()
    assert s.reasons and "72 bpm" in s.reasons[0]
    assert s.heart_rate_bpm == pytest.approx(72, abs=2)
    assert s.quality.level.label == "good"
    assert s.beat_counts["normal"] == s.n_beats == 41


def test_af_is_urgent_with_reason():
    s = screen(synth_ecg(af_rr(50, 95, seed=2), atrial="f", seed=2).record)
    assert s.priority == "urgent" and FindingCode.AF in _codes(s)
    assert s.reasons[0].startswith("AF")


def test_vt_run_is_stat_with_rate_and_time():
    kinds = "N" * 15 + "V" * 7 + "N" * 19
    s = screen(synth_ecg(sinus_rr(40, 70, seed=5), kinds, prematurity=0.45, seed=5).record)
    assert s.priority == "stat"
    (vt,) = s.of(FindingCode.VT)
    assert vt.values["n_beats"] == 7 and vt.values["rate_bpm"] > 100
    assert s.reasons[0].startswith("VT run of 7 beats at ")
    assert s.reasons[0].endswith(", 00:00:" + f"{int(vt.start_s):02d}")


@pytest.mark.parametrize(
    ("rr_extra", "code", "priority"),
    [(2.5, FindingCode.PAUSE, "urgent"), (3.4, FindingCode.PAUSE, "stat"), (5.0, FindingCode.ASYSTOLE, "stat")],
)
def test_pause_and_asystole(rr_extra, code, priority):
    rr = np.r_[sinus_rr(15, 70, seed=6), rr_extra, sinus_rr(15, 70, seed=7)]
    s = screen(synth_ecg(rr, seed=6).record)
    assert code in _codes(s) and s.priority == priority
    f = s.of(code)[0]
    assert f.values["rr_s"] == pytest.approx(rr_extra, abs=0.05)


@pytest.mark.parametrize(
    ("bpm", "code", "priority"),
    [(35, FindingCode.EXTREME_BRADY, "stat"), (45, FindingCode.BRADY, "urgent"), (125, FindingCode.TACHY, "urgent"),
     (165, FindingCode.EXTREME_TACHY, "stat")],
)
def test_rate_findings(bpm, code, priority):
    s = screen(synth_ecg(sinus_rr(int(bpm * 0.6), bpm, seed=8), seed=8).record)
    assert _codes(s) == {code} and s.priority == priority


@pytest.mark.parametrize(("pattern", "detail", "priority"), [("NV", "bigeminy", "urgent"), ("NNNNNNNNNNNNNNNNNNNV", "isolated", "routine")])
def test_pvc_pattern_and_priority(pattern, detail, priority):
    s = screen(synth_ecg(sinus_rr(60, 70, seed=9), ectopic_pattern(61, pattern), seed=9).record)
    (pvc,) = s.of(FindingCode.PVC)
    assert pvc.detail == detail and s.priority == priority
    assert FindingCode.AF not in _codes(s)


def test_noise_is_unreadable_without_rhythm_findings():
    rng = np.random.default_rng(0)
    rec = EcgRecord(rng.normal(0, 1.0, (30 * 300, 1)), 300.0, ("ECG",))
    s = screen(rec)
    assert _codes(s) == {FindingCode.UNREADABLE}
    assert s.priority == "urgent" and s.heart_rate_bpm is None and s.beats is None
    assert "too poor to screen" in s.reasons[0]


def test_lead_off_is_reported():
    syn = synth_ecg(sinus_rr(30, 70), n_leads=2)
    sig = syn.record.signal.copy()
    sig[:, 1] = 0.0
    s = screen(EcgRecord(sig, syn.fs, syn.record.leads))
    (off,) = s.of(FindingCode.LEAD_OFF)
    assert off.leads == ("V5",)
    assert FindingCode.UNREADABLE not in _codes(s)


def test_prolonged_qtc_on_12_lead():
    long_qt = screen(synth_ecg(sinus_rr(12, 60), n_leads=12, fs=500.0, qt_s=0.56).record)
    normal = screen(synth_ecg(sinus_rr(12, 60), n_leads=12, fs=500.0, qt_s=0.38).record)
    assert FindingCode.QTC_PROLONGED in _codes(long_qt) and long_qt.priority == "urgent"
    assert FindingCode.QTC_PROLONGED not in _codes(normal) and normal.intervals is not None


def test_policy_override_changes_priority_not_findings():
    rec = synth_ecg(af_rr(50, 95, seed=2), atrial="f", seed=2).record
    custom = ScreeningSettings.from_mapping({"policy": {"AF": "stat"}})
    assert screen(rec, settings=custom).priority == "stat"
    assert screen(rec).priority == "urgent"


def test_to_dict_is_json_ready():
    s = screen(synth_ecg(sinus_rr(40, 70), ectopic_pattern(41, "NNNNV")).record)
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert d["priority"] == s.priority and d["quality"] == "good"
    assert d["findings"][0]["code"] == "PVC" and {"start_s", "end_s", "leads", "confidence"} <= set(d["findings"][0])


def test_empty_and_flat_records():
    flat = screen(EcgRecord(np.zeros((3000, 1)), 300.0, ("ECG",)))
    assert FindingCode.UNREADABLE in _codes(flat) or FindingCode.LEAD_OFF in _codes(flat)
    assert not ({FindingCode.ASYSTOLE, FindingCode.AF} & _codes(flat))
    tiny = screen(EcgRecord(np.zeros((0, 1)), 300.0, ("ECG",)))
    assert tiny.n_beats == 0 and not ({FindingCode.ASYSTOLE, FindingCode.AF} & _codes(tiny))


def test_nan_gap_gives_no_false_pause():
    syn = synth_ecg(sinus_rr(60, 70, seed=11), seed=11)
    sig = syn.record.signal.copy()
    sig[int(20 * syn.fs) : int(26 * syn.fs)] = np.nan
    s = screen(EcgRecord(sig, syn.fs, syn.record.leads))
    assert not ({FindingCode.PAUSE, FindingCode.ASYSTOLE} & _codes(s))


def test_input_validation():
    with pytest.raises(EcgValueError, match="record"):
        screen(np.zeros((100, 1)))  # type: ignore[arg-type]
    with pytest.raises(EcgValueError, match="settings"):
        screen(synth_ecg(sinus_rr(5, 60)).record, settings={"AF": "stat"})  # type: ignore[arg-type]


def test_policy_key_escalations():
    s = ScreeningSettings()
    assert policy_key(Finding(FindingCode.PAUSE, 1.0, 4.2, values={"rr_s": 3.2}), s) is PolicyKey.PAUSE_LONG
    assert policy_key(Finding(FindingCode.PAUSE, 1.0, 3.2, values={"rr_s": 2.2}), s) is PolicyKey.PAUSE
    assert policy_key(Finding(FindingCode.PVC, 1.0, 9.0, values={"burden": 0.2}), s) is PolicyKey.PVC_FREQUENT
    assert policy_key(Finding(FindingCode.PVC, 1.0, 9.0, values={"burden": 0.01}, detail="bigeminy"), s) is PolicyKey.PVC_FREQUENT
    assert policy_key(Finding(FindingCode.PVC, 1.0, 9.0, values={"burden": 0.01}), s) is PolicyKey.PVC


@pytest.mark.parametrize("gap_s", [8.0, 12.0])
def test_long_asystole_on_a_live_flat_line_is_found(gap_s):
    """A flat-but-live line is what asystole looks like, even where quality features call it noise."""
    rr = np.r_[sinus_rr(30, 70, seed=12), gap_s, sinus_rr(30, 70, seed=13)]
    s = screen(synth_ecg(rr, noise_mv=0.03, seed=12).record)
    (asys,) = s.of(FindingCode.ASYSTOLE)
    assert asys.values["rr_s"] == pytest.approx(gap_s, abs=0.05) and s.priority == "stat"


@pytest.mark.parametrize("noise_mv", [1.0, 3.0])
def test_noise_burst_gives_no_pause(noise_mv):
    """Missed beats in or after artefact are not pauses: the gap is not a quiet line."""
    syn = synth_ecg(sinus_rr(60, 70, seed=14), seed=14)
    sig = syn.record.signal.copy()
    a, b = int(20 * syn.fs), int(30 * syn.fs)
    sig[a:b] += np.random.default_rng(1).normal(0.0, noise_mv, (b - a, sig.shape[1]))
    s = screen(EcgRecord(sig, syn.fs, syn.record.leads))
    assert not ({FindingCode.PAUSE, FindingCode.ASYSTOLE, FindingCode.AF, FindingCode.VT} & _codes(s))


def test_quiet_lead_in_gives_no_false_vt_or_asystole():
    """Detections on a quiet stretch before the first beat are not beats (no VT, no stat)."""
    syn = synth_ecg(sinus_rr(20, 70, seed=15), lead_in_s=6.0, tail_s=6.0, noise_mv=0.02, seed=15)
    s = screen(syn.record)
    assert not ({FindingCode.VT, FindingCode.AF} & _codes(s))
    assert s.priority != "stat" or s.has(FindingCode.ASYSTOLE)


@pytest.mark.parametrize("fs", [250.0, 500.0, 1000.0])
def test_sampling_rates_of_the_screening_signal(fs):
    """screen() works on a decimated screening signal; beats, times and rates stay at the record's fs."""
    syn = synth_ecg(sinus_rr(30, 70, seed=6), ectopic_pattern(31, "NNNNNNV"), fs=fs, seed=6)
    s = screen(syn.record)
    assert s.fs == fs and s.beats.fs == fs and abs(s.n_beats - syn.beat_samples.size) <= 1
    assert s.beats.samples.max() < syn.record.signal.shape[0]  # beat indices at fs, not the decimated rate
    assert s.heart_rate_bpm == pytest.approx(70, abs=4)
    assert s.beat_counts["ventricular"] >= 3 and s.quality.level.label != "unreadable"


def test_disconnected_lead_and_gap_do_not_hide_the_rhythm():
    """An exactly flat lead is reported off; a NaN gap in the other lead is skipped; the rhythm is read."""
    syn = synth_ecg(sinus_rr(40, 72, seed=8), n_leads=3, seed=8)
    sig = syn.record.signal.copy()
    sig[:, 2] = 0.25  # electrode off: a constant line
    sig[int(10 * syn.fs) : int(11 * syn.fs), 1] = np.nan
    record = EcgRecord(sig, syn.fs, syn.record.leads, syn.record.metadata)
    s = screen(record)
    assert s.quality.lead_off == (False, False, True)
    assert FindingCode.LEAD_OFF in _codes(s) and s.heart_rate_bpm == pytest.approx(72, abs=3)
    assert s.beat_counts["normal"] >= 38


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 3), st.integers(0, 3), st.integers(1, 4))
def test_screen_beat_kernels_match_numpy(seed, n_beats, n_leads, n_ranges, decimation):
    """screen's per-beat set-up kernels (beat positions, unreadable / marginal flags) equal their NumPy form."""
    from ecg import _screen_kernels as SK

    rng = np.random.default_rng(seed)
    fs, n_samples, step_s = 300.0, 9000, 1.0
    qrs = np.sort(rng.choice(n_samples // decimation + 5, n_beats, replace=False)).astype(np.int64)
    beats, times = SK.beat_positions(qrs, decimation, n_samples - 1, fs)
    expected = np.minimum(qrs * decimation + decimation // 2, n_samples - 1)
    np.testing.assert_array_equal(beats, expected)
    np.testing.assert_array_equal(times, expected / fs)
    ranges = np.array([sorted(rng.uniform(0.0, 32.0, 2)) for _ in range(n_ranges)]).reshape(-1, 2)
    for n_seg in (0, 30):
        levels = rng.integers(0, 4, (n_seg, n_leads)).astype(np.int8)
        unreadable, noisy = SK.beat_flags(times, ranges, levels, 2, step_s)
        ref = np.zeros(times.size, dtype=bool)
        for a, b in ranges:
            ref[np.searchsorted(times, a) : np.searchsorted(times, b)] = True
        np.testing.assert_array_equal(unreadable, ref)
        if n_seg:
            seg = np.minimum((times * (1.0 / step_s)).astype(np.int64), n_seg - 1)
            np.testing.assert_array_equal(noisy, levels.max(axis=1)[seg] < 2)
        else:
            assert not noisy.any() and noisy.shape == times.shape


def test_screening_built_through_its_slots_has_every_field_in_place():
    """screen() builds its result with Screening._of (positional, through the slots): each field holds its own value."""
    import dataclasses

    from ecg.beats import BeatClassification
    from ecg.quality import SignalQuality

    syn = synth_ecg(sinus_rr(30, 70, seed=3), ectopic_pattern(31, "NNNNNNNNNV"), fs=360.0, n_leads=2, seed=3)
    s = screen(syn.record)
    rebuilt = Screening(**{f.name: getattr(s, f.name) for f in dataclasses.fields(Screening)})
    assert rebuilt.to_dict() == s.to_dict()
    assert isinstance(s.record_id, str) and s.priority in ("stat", "urgent", "routine")
    assert s.reasons and all(isinstance(r, str) for r in s.reasons)
    assert all(isinstance(f, Finding) for f in s.findings) and isinstance(s.quality, SignalQuality)
    assert s.heart_rate_bpm == pytest.approx(70, abs=4) and s.fs == 360.0 and s.leads == syn.record.leads
    assert s.duration_s == pytest.approx(syn.record.duration_s) and s.n_beats == s.beats.samples.size
    assert isinstance(s.beats, BeatClassification) and sum(s.beat_counts.values()) == s.n_beats
    assert s.beat_counts["ventricular"] >= 2 and s.intervals is None
