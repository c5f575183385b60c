"""AF decisions with atrial-activity (f-wave) evidence: rules, laziness, synthetic and real records."""

from __future__ import annotations

import csv
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecg.af as af_module
from ecg.af import AfStatistics, _needs_atrial_evidence, af_findings, af_statistics
from ecg.atrial import atrial_signal
from ecg.errors import EcgValueError
from ecg.findings import FindingCode
from ecg.record import EcgMetadata, EcgRecord
from ecg.rhythm import BeatSequence
from ecg.screen import screen
from ecg.settings import ScreeningSettings

from .synthetic import af_rr, sinus_rr, synth_ecg

screen_module = importlib.import_module("ecg.screen")  # (ecg.screen the attribute is the function)

S = ScreeningSettings()
F = S.af_f_wave_fraction


def stats(irr: float = 3.0, *, pw: float = float("nan"), f: float = float("nan"), pattern: float = 0.2,
          tpr: float = 0.67, n_pairs: int = 30) -> AfStatistics:
    """Statistics with a given irregularity (both measures at ``irr`` x their thresholds)."""
    return AfStatistics(
        median_drr_ratio=irr * S.af_drr_ratio, irregular_fraction=min(irr * S.af_irregular_fraction, 1.0) if irr < 5 else 1.0,
        n_pairs=n_pairs, mean_rate_bpm=90.0, pattern_ratio=pattern, p_wave_corr=pw, turning_point_ratio=tpr,
        f_wave_fraction=f,
    )


# ---------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # clear AF without P waves does not depend on f waves
        ({"irr": 3.0, "pw": 0.3}, True),
        ({"irr": 3.0, "pw": 0.3, "f": 0.01}, True),
        # a repeating pattern with P waves is vetoed, unless f waves are present (the PR window's
        # consistency then comes from the previous T wave at the short cycle)
        ({"irr": 4.9, "pw": 0.9, "pattern": 0.01}, False),
        ({"irr": 4.9, "pw": 0.9, "pattern": 0.01, "f": 0.15}, False),
        ({"irr": 4.9, "pw": 0.9, "pattern": 0.01, "f": F}, True),
        ({"irr": 4.9, "pw": 0.96, "pattern": 0.01, "f": 0.4}, False),  # P waves beyond doubt
        # P waves present and no f waves: not AF even on a strong irregularity
        ({"irr": 3.0, "pw": 0.86}, True),
        ({"irr": 3.0, "pw": 0.86, "f": 0.12}, True),
        ({"irr": 3.0, "pw": 0.86, "f": 0.5 * F - 1e-3}, False),
        # moderate irregularity: AF only with f waves and without P waves
        ({"irr": 0.8, "pw": 0.5}, False),
        ({"irr": 0.8, "pw": 0.5, "f": F}, True),
        ({"irr": 0.8, "pw": 0.9, "f": 0.5}, False),
        ({"irr": 0.6, "pw": 0.5, "f": 0.5}, False),
        ({"irr": 0.8, "f": F}, True),  # P-wave evidence unknown
        # smooth RR (few turning points) is never AF
        ({"irr": 0.8, "pw": 0.5, "f": 0.5, "tpr": 0.3}, False),
        ({"irr": 3.0, "pw": 0.5, "f": 0.5, "tpr": 0.3}, False),
    ],
)
def test_is_af_rules_with_f_wave_evidence(kwargs, expected):
    assert stats(**kwargs).is_af(S) is expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"irr": 3.0, "pw": 0.3}, False),  # clear AF
        ({"irr": 3.0}, False),
        ({"irr": 0.3, "pw": 0.3}, False),  # clearly regular
        ({"irr": 0.8, "pw": 0.3}, True),  # moderate, no P waves
        ({"irr": 0.8, "pw": 0.9}, False),  # moderate with P waves: f waves could not make it AF
        ({"irr": 3.0, "pw": 0.9}, True),  # irregular with P waves
        ({"irr": 3.0, "pw": 0.9, "tpr": 0.3}, False),  # smooth
    ],
)
def test_needs_atrial_evidence_only_when_undecided(kwargs, expected):
    s = stats(**kwargs)
    assert s.needs_atrial_evidence(S) is expected
    if not expected:  # f waves cannot change the verdict where they are not asked for
        assert {stats(**kwargs, f=f).is_af(S) for f in (0.0, 0.5 * F, F, 0.9)} == {s.is_af(S)}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_needs_atrial_evidence_matches_method(seed):
    rng = np.random.default_rng(seed)
    n = 50
    table = np.column_stack([
        rng.uniform(0.0, 0.2, n), rng.uniform(0.0, 1.0, n), rng.integers(6, 33, n), rng.uniform(40, 150, n),
        rng.uniform(0.0, 0.2, n), np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0.0, 1.0, n)),
        np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0.2, 1.0, n)),
    ])
    got = _needs_atrial_evidence(table, S)
    for row, g in zip(table, got):
        ref = AfStatistics(row[0], row[1], int(row[2]), row[3], row[4], row[5], row[6]).needs_atrial_evidence(S)
        assert bool(g) is ref


# ----------------------------------------------------------------------------- af_findings wiring


def _seq_and_atrial(rec, beats_at_record_rate):
    from ecg.preprocess import screening_signal, zero_phase_screening

    pre = screening_signal(rec.signal, rec.fs)
    filt = zero_phase_screening(pre)
    dec = int(round(rec.fs / pre.fs))
    t = beats_at_record_rate / rec.fs
    seq = BeatSequence.build(t, np.zeros(t.size, dtype=np.int8), duration_s=rec.duration_s, leads=rec.leads)
    return seq, atrial_signal(filt, pre.fs, beats_at_record_rate // dec, leads=rec.leads)


def test_atrial_must_have_the_beats_of_seq():
    e = synth_ecg(af_rr(30, 90, seed=1), fs=300.0, n_leads=1, atrial="f", seed=1)
    seq, atrial = _seq_and_atrial(e.record, e.beat_samples)
    short = atrial_signal(atrial.signal, atrial.fs, atrial.beats[:-1])
    with pytest.raises(EcgValueError, match="atrial"):
        af_findings(seq, S, atrial=short)
    with pytest.raises(EcgValueError, match="atrial"):
        af_findings(seq, S, atrial="signal")  # type: ignore[arg-type]


@pytest.mark.parametrize(("rr", "atrial"), [(af_rr(45, 95, seed=2), "f"), (sinus_rr(45, 70, seed=2), "p")])
def test_clear_verdicts_do_not_compute_the_f_wave_evidence(monkeypatch, rr, atrial):
    calls = []
    real = af_module.f_wave_fraction
    monkeypatch.setattr(af_module, "f_wave_fraction", lambda *a, **k: calls.append(1) or real(*a, **k))
    e = synth_ecg(rr, fs=300.0, n_leads=1, atrial=atrial, seed=2)
    seq, sig = _seq_and_atrial(e.record, e.beat_samples)
    found = af_findings(seq, S, atrial=sig)
    assert bool(found) is (atrial == "f")
    assert calls == []


def test_moderate_irregularity_with_f_waves_is_af_with_p_waves_is_not():
    """RR irregular at 0.7-1 x the thresholds: the RR evidence alone says no; f waves make it AF."""
    rr = af_rr(45, 80, cv=0.05, seed=2)
    irr = af_statistics(rr, np.ones(rr.size, dtype=bool)).irregularity(S)
    assert S.af_moderate_irregularity <= irr < 1.0
    with_f = synth_ecg(rr, fs=300.0, n_leads=1, atrial="f", seed=2)
    seq, sig = _seq_and_atrial(with_f.record, with_f.beat_samples)
    assert af_findings(seq, S) == []
    found = af_findings(seq, S, atrial=sig)
    assert [f.code for f in found] == [FindingCode.AF] and found[0].values["f_wave_fraction"] >= F
    assert screen(with_f.record).has(FindingCode.AF)
    with_p = synth_ecg(rr, fs=300.0, n_leads=1, atrial="p", seed=2)
    assert not screen(with_p.record).has(FindingCode.AF)


@pytest.mark.parametrize("atrial", ["f", "p"])
def test_alternating_rr_is_af_only_with_f_waves(atrial):
    """A long-short RR alternation (bigeminal pattern) is AF with f waves (CinC A00438), not with P waves."""
    rr = np.tile([0.95, 0.6], 15) + np.random.default_rng(0).normal(0.0, 0.01, 30)
    e = synth_ecg(rr, fs=300.0, n_leads=1, atrial=atrial, seed=1)
    assert screen(e.record).has(FindingCode.AF) is (atrial == "f")


@pytest.mark.parametrize("hr_std", [1.0, 6.0])
def test_neurokit_sinus_rhythm_with_p_waves_is_not_af(hr_std):
    nk = pytest.importorskip("neurokit2")
    x = nk.ecg_simulate(duration=40, sampling_rate=300, heart_rate=75, heart_rate_std=hr_std, method="ecgsyn",
                        random_state=1)
    rec = EcgRecord(np.asarray(x, dtype=np.float64)[:, None], 300.0, ("II",),
                    EcgMetadata(record_id="nk", source_format="synthetic"))
    assert not screen(rec).has(FindingCode.AF)


def _joined(parts, fs: float = 360.0) -> EcgRecord:
    """One record from synthetic stretches ``(rr, atrial)`` laid end to end."""
    sig = np.concatenate([
        synth_ecg(rr, fs=fs, n_leads=2, atrial=a, seed=k, lead_in_s=0.5, tail_s=0.3).record.signal
        for k, (rr, a) in enumerate(parts)
    ])
    return EcgRecord(sig, fs, ("MLII", "V5"), EcgMetadata(record_id="joined", source_format="synthetic"))


@pytest.mark.parametrize("middle", ["f", "p"])
def test_long_record_moderate_af_episode_needs_f_waves(monkeypatch, middle):
    """Sinus with P waves / moderately irregular rhythm / sinus: AF over the middle stretch only when it has
    f waves, and mostly thanks to the f-wave evidence (the RR and P-wave evidence alone find under 60 % of it)."""
    sinus_a, sinus_b, mid = sinus_rr(150, 70, seed=11), sinus_rr(150, 70, seed=12), af_rr(150, 80, cv=0.055, seed=2)
    rec = _joined([(sinus_a, "p"), (mid, middle), (sinus_b, "p")])
    assert rec.duration_s > S.short_record_s
    t0 = 0.5 + sinus_a.sum() + 0.3
    t1 = t0 + 0.5 + mid.sum()
    found = screen(rec).of(FindingCode.AF)
    covered = sum(max(0.0, min(f.end_s, t1) - max(f.start_s, t0)) for f in found)
    if middle == "p":
        assert found == ()
        return
    assert covered >= 0.8 * (t1 - t0) and sum(f.duration_s for f in found) <= 1.2 * (t1 - t0)
    real = screen_module.af_findings
    monkeypatch.setattr(screen_module, "af_findings", lambda seq, settings, atrial=None: real(seq, settings))
    plain = screen(rec).of(FindingCode.AF)
    assert sum(max(0.0, min(f.end_s, t1) - max(f.start_s, t0)) for f in plain) < 0.6 * (t1 - t0)


# ------------------------------------------------------------------------------------ real records


def _cinc(shared_data, name):
    from ecg.io.wfdb_format import read_wfdb

    folder = shared_data / "ecg" / "cinc2017"
    with open(folder / "REFERENCE.csv", newline="", encoding="utf-8") as fh:
        label = dict((r[0], r[1]) for r in csv.reader(fh) if len(r) >= 2)[name]
    return read_wfdb(folder / f"{name}.hea"), label


def test_cinc_alternating_rr_with_f_waves_is_af(shared_data):
    rec, label = _cinc(shared_data, "A00438")
    s = screen(rec)
    assert label == "A" and s.has(FindingCode.AF)
    assert s.of(FindingCode.AF)[0].values["f_wave_fraction"] >= F


def test_cinc_irregular_rhythm_with_p_waves_and_no_f_waves_is_not_af(shared_data):
    rec, label = _cinc(shared_data, "A00192")
    assert label == "O" and not screen(rec).has(FindingCode.AF)


@pytest.mark.parametrize("name", ["A00004", "A00100", "A00225"])
def test_cinc_clear_af_stays_af(shared_data, name):
    rec, label = _cinc(shared_data, name)
    assert label == "A" and screen(rec).has(FindingCode.AF)


@pytest.mark.parametrize("name", ["100", "106", "108", "118", "119"])
def test_mitdb_no_af_segments_with_atrial_evidence(shared_data, name):
    """Ten-minute stretches of the MIT-BIH records without AF (bigeminy, sinus arrhythmia, ectopy) get none."""
    from ecg.io.wfdb_format import read_wfdb

    rec = read_wfdb(shared_data / "ecg" / "mitdb" / f"{name}.hea")
    n = int(600 * rec.fs)
    part = EcgRecord(rec.signal[:n], rec.fs, rec.leads, EcgMetadata(record_id=name, source_format="wfdb"))
    assert not screen(part).has(FindingCode.AF)


def test_mitdb_202_af_stretch_found(shared_data):
    from ecg.io.wfdb_format import read_wfdb

    rec = read_wfdb(shared_data / "ecg" / "mitdb" / "202.hea")
    a, b = int(1100 * rec.fs), int(1620 * rec.fs)
    part = EcgRecord(rec.signal[a:b], rec.fs, rec.leads, EcgMetadata(record_id="202", source_format="wfdb"))
    found = screen(part).of(FindingCode.AF)
    # (AFIB 1142.6-1157.8 and 1176.3-1291.6, 1301.9-1527.2, then (AFL to 1575.1: 1100 s is t = 0 here)
    covered = sum(max(0.0, min(f.end_s, 427.2) - max(f.start_s, 76.3)) for f in found)
    assert covered >= 0.9 * (427.2 - 76.3)


@pytest.mark.parametrize("name", ["af_f_wave_fraction", "af_moderate_irregularity"])
@pytest.mark.parametrize("value", [0.0, -0.1, 1.5, float("nan")])
def test_atrial_thresholds_are_fractions(name, value):
    with pytest.raises(EcgValueError, match=name):
        ScreeningSettings(**{name: value})
    assert ScreeningSettings.from_mapping({name: 0.5}).to_dict()[name] == 0.5


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 70), st.floats(0.0, 0.6), st.booleans())
def test_af_statistics_equal_the_numpy_reference(seed, n, p_bad, with_p):
    """:func:`af_statistics` (the window kernel over one window) equals the NumPy reference (or both None)."""
    from .af_reference import af_statistics_reference

    rng = np.random.default_rng(seed)
    rr = rng.uniform(0.4, 1.2, n)
    ok = rng.random(n) >= p_bad
    pw = np.where(rng.random(n + 1) < 0.2, np.nan, rng.uniform(0.0, 1.0, n + 1)) if with_p else None
    ref = af_statistics_reference(rr, ok, pw, min_pairs=6)
    got = af_statistics(rr, ok, pw, min_pairs=6)
    if ref is None:
        assert got is None
        return
    for name in ("median_drr_ratio", "irregular_fraction", "n_pairs", "mean_rate_bpm", "pattern_ratio",
                 "p_wave_corr", "turning_point_ratio"):
        a, b = getattr(ref, name), getattr(got, name)
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15), name
