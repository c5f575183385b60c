"""ecg.assess_quality: kernels against plain-Python references, synthetic cases, real records."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ecg import EcgValueError, QualityLevel, SignalQuality, assess_quality, preprocess, read
from ecg import _quality_kernels as qk
from ecg._runs import runs_of
from tests.ecg.test_preprocess import ecg_like


# ---------------------------------------------------------------- plain-Python references
def ref_window_features(
    y: np.ndarray, missing, flat, saturated, win: int, hop: int, n_windows: int, stride: int, smooth: int
) -> np.ndarray:
    out = np.full((n_windows, y.shape[1], qk.N_FEATURES), np.nan)
    for k in range(n_windows):
        sl = slice(k * hop, min(k * hop + win, y.shape[0]))
        for j in range(y.shape[1]):
            seg, m, f, s = y[sl, j], missing[sl, j], flat[sl, j], saturated[sl, j]
            bad = m | f | s | np.isnan(seg)
            out[k, j, qk.F_MASKED] = bad.mean()
            out[k, j, qk.F_FLAT] = f.mean()
            out[k, j, qk.F_SATURATED] = s.mean()
            good = seg[~bad]
            if good.size < 8:
                continue
            out[k, j, qk.F_PTP] = np.ptp(good)
            out[k, j, qk.F_KURTOSIS] = stats.kurtosis(good, fisher=False)
            means = [seg[i - smooth + 1 : i + 1].mean() for i in range(smooth - 1, seg.size)]
            means = [m for m in means if not np.isnan(m)]
            if means:
                out[k, j, qk.F_BASELINE] = np.ptp(means)
            slopes = np.diff(seg[::stride]) ** 2
            slopes = slopes[~np.isnan(slopes)]
            if slopes.size >= 8 and slopes.sum() > 0:
                top = np.sort(slopes)[::-1][: max(1, int(0.1 * slopes.size))]
                out[k, j, qk.F_SLOPE_CONC] = top.sum() / slopes.sum()
    return out


def ref_template_corr(y: np.ndarray, beats: np.ndarray, half: int, win: int, hop: int, n_windows: int) -> np.ndarray:
    out = np.full((n_windows, y.shape[1]), np.nan)
    for k in range(n_windows):
        start, stop = k * hop, min(k * hop + win, y.shape[0])
        for j in range(y.shape[1]):
            segs = [y[b - half : b + half, j] for b in beats
                    if start <= b < stop and b - half >= 0 and b + half <= y.shape[0]]
            segs = [s for s in segs if not np.isnan(s).any()]
            if len(segs) < 3:
                continue
            template = np.mean(segs, axis=0)
            out[k, j] = np.median([np.corrcoef(s, template)[0, 1] for s in segs])
    return out


@pytest.mark.parametrize(
    ("fs", "stride", "win_s", "hop_s"),
    [
        (250.0, 1, 4.0, 2.0), (1000.0, 4, 4.0, 2.0), (360.0, 1, 4.0, 2.0),  # per-segment path
        (250.0, 1, 4.0, 1.0), (180.0, 1, 6.0, 2.0),  # per-segment, 4 and 3 segments a window
        (250.0, 1, 3.0, 2.0), (1000.0, 3, 4.0, 2.0), (250.0, 1, 0.4, 0.2),  # window by window
    ],
)
def test_window_features_match_reference(fs: float, stride: int, win_s: float, hop_s: float) -> None:
    x = ecg_like(fs, 12.0, n_leads=3)
    x[int(2 * fs) : int(2.8 * fs), 1] = np.nan
    x[int(6 * fs) : int(7.2 * fs), 2] = 0.0
    x[int(9 * fs) : int(9.1 * fs), 0] = np.nan
    pre = preprocess(x, fs)
    win, hop = int(win_s * fs), int(hop_s * fs)
    n_windows = int(np.ceil((x.shape[0] - win) / hop)) + 1
    args = (pre.signal, pre.missing, pre.flat, pre.saturated, win, hop, n_windows, stride, int(0.3 * fs))
    got = qk.window_features(*args)
    np.testing.assert_allclose(got, ref_window_features(*args), rtol=1e-9, atol=1e-12)


def test_template_correlation_matches_reference() -> None:
    fs = 360.0
    x = ecg_like(fs, 10.0, n_leads=2, seed=3)
    x[:, 1] += np.random.default_rng(0).standard_normal(x.shape[0]) * 0.3
    pre = preprocess(x, fs)
    beats = np.round((np.arange(0.3, 10.0, 60 / 72)) * fs).astype(np.int64)
    args = (pre.signal, beats, 36, 1440, 720, 5)
    got = qk.template_correlation(*args)
    np.testing.assert_allclose(got, ref_template_corr(*args), atol=1e-9)
    assert np.isnan(got[-1]).all()  # the last window holds fewer than 3 beats
    assert (got[:-1, 0] > 0.99).all() and (got[:-1, 1] < got[:-1, 0]).all()


# ---------------------------------------------------------------- synthetic cases
def test_clean_synthetic_is_good() -> None:
    q = assess_quality(ecg_like(500.0, 20.0, n_leads=12), 500.0)
    assert isinstance(q, SignalQuality)
    assert q.level is QualityLevel.GOOD and q.readable_fraction == 1.0
    assert q.unreadable_ranges == () and not any(q.lead_off)
    assert q.to_dict()["level"] == "good"


def test_lead_off_among_good_leads() -> None:
    fs = 500.0
    x = ecg_like(fs, 20.0, n_leads=3)
    x[:, 1] = 0.0  # electrode disconnected: a flat line
    x[:, 2] = 0.002 * np.random.default_rng(1).standard_normal(x.shape[0])  # amplifier noise only
    q = assess_quality(x, fs)
    assert q.lead_off == (False, True, True)
    assert q.lead_levels[0] is QualityLevel.GOOD
    assert q.lead_levels[1] is QualityLevel.UNREADABLE and q.lead_levels[2] is QualityLevel.UNREADABLE
    assert q.lead_off_ranges[1] == ((0.0, 20.0),)
    assert q.level is QualityLevel.GOOD and q.readable_fraction == 1.0


def test_clipped_signal() -> None:
    fs = 360.0
    x = ecg_like(fs, 20.0, n_leads=1)[:, 0]
    mild = assess_quality(np.clip(x, -5.0, 1.2), fs)  # only the R peaks touch the rail
    assert mild.saturated_fraction[0] > 0 and mild.level is not QualityLevel.UNREADABLE
    pinned = x.copy()
    pinned[int(6 * fs) : int(14 * fs)] += 4.0  # a baseline jump drives the ADC into its rail for 8 s
    q = assess_quality(np.clip(pinned, -5.0, 3.0), fs)
    assert 0.3 < q.saturated_fraction[0] < 0.5
    assert len(q.unreadable_ranges) == 1
    start, end = q.unreadable_ranges[0]
    assert 4.0 <= start <= 8.0 and 12.0 <= end <= 16.0


def test_noise_burst_is_located() -> None:
    fs = 250.0
    rng = np.random.default_rng(5)
    x = ecg_like(fs, 40.0, n_leads=2)
    burst = slice(int(14 * fs), int(26 * fs))
    x[burst] += 2.0 * np.cumsum(rng.standard_normal((burst.stop - burst.start, 2)), axis=0) / 10
    x[burst] += 1.0 * rng.standard_normal((burst.stop - burst.start, 2))
    q = assess_quality(x, fs)
    assert len(q.unreadable_ranges) == 1
    start, end = q.unreadable_ranges[0]
    assert 12.0 <= start <= 16.0 and 24.0 <= end <= 28.0
    assert q.level is not QualityLevel.UNREADABLE
    mask = q.readable_mask(fs, x.shape[0])
    assert not mask[int(18 * fs) : int(22 * fs)].any() and mask[: int(10 * fs)].all()


def test_baseline_jump_is_located() -> None:
    fs = 500.0
    x = ecg_like(fs, 40.0, n_leads=1)[:, 0]
    x[int(21 * fs) :] += 3.0  # electrode shifts: a 3-mV step in the baseline at 21 s
    q = assess_quality(x, fs)
    assert q.unreadable_ranges == ((20.0, 22.0),)
    assert q.level is QualityLevel.GOOD  # one 2-s artefact does not spoil a 40-s record


@pytest.mark.parametrize(("snr_db", "readable"), [(30.0, True), (0.0, False)])
def test_muscle_noise(snr_db: float, readable: bool) -> None:
    """20-100 Hz noise (EMG-like) at an SNR defined as in the MIT-BIH noise stress test database."""
    from scipy import signal as sps

    fs = 500.0
    x = ecg_like(fs, 30.0, n_leads=1)[:, 0]
    b, a = sps.butter(4, [20.0, 100.0], btype="bandpass", fs=fs)
    emg = sps.lfilter(b, a, np.random.default_rng(4).standard_normal(x.size))
    qrs_ptp = 1.2
    emg *= qrs_ptp / (np.sqrt(8) * 10 ** (snr_db / 20)) / emg.std()
    q = assess_quality(x + emg, fs)
    assert (q.level is not QualityLevel.UNREADABLE) is readable


def test_gaussian_noise_is_unreadable() -> None:
    x = np.random.default_rng(0).standard_normal((5000, 2))
    q = assess_quality(x, 250.0)
    assert q.level is QualityLevel.UNREADABLE and q.readable_fraction < 0.1


def test_beats_refine_verdict() -> None:
    fs = 250.0
    x = ecg_like(fs, 30.0, n_leads=1)[:, 0]
    true_beats = np.round(np.arange(0.3, 30.0, 60 / 72) * fs).astype(np.int64)
    with_beats = assess_quality(x, fs, beats=true_beats)
    assert with_beats.level is QualityLevel.GOOD
    rng = np.random.default_rng(2)
    random_beats = np.sort(rng.choice(x.size, size=true_beats.size, replace=False))
    worse = assess_quality(x, fs, beats=random_beats)
    assert worse.segment_levels.sum() < with_beats.segment_levels.sum()


@pytest.mark.parametrize("n", [0, 1, 100, 999])
def test_short_and_empty_records(n: int) -> None:
    x = ecg_like(250.0, 4.0, n_leads=2)[:n]
    q = assess_quality(x, 250.0)
    assert len(q.lead_levels) == 2 and 0.0 <= q.readable_fraction <= 1.0
    if n == 0:
        assert q.level is QualityLevel.UNREADABLE


def test_nan_lead_and_preprocessed_reuse() -> None:
    from ecg.preprocess import screening_signal

    fs = 500.0
    x = ecg_like(fs, 10.0, n_leads=2)
    x[:, 1] = np.nan
    pre = screening_signal(x, fs)
    q1 = assess_quality(x, fs, preprocessed=pre)
    q2 = assess_quality(x, fs)
    assert q1.to_dict() == q2.to_dict()
    full = assess_quality(x, fs, preprocessed=preprocess(x, fs))  # the full-rate preprocessing is accepted too
    assert full.level is QualityLevel.GOOD and full.lead_levels == q1.lead_levels
    assert q1.lead_levels[1] is QualityLevel.UNREADABLE and not q1.lead_off[1]
    with pytest.raises(EcgValueError, match="preprocessed"):
        assess_quality(x[:100], fs, preprocessed=pre)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40).map(
    lambda v: [round(x, 1) for x in v]))  # rounding: many ties
def test_median_and_select_match_numpy(values: list[float]) -> None:
    arr = np.array(values)
    assert qk._median(arr.copy(), arr.size) == np.median(arr)
    for r in range(arr.size):
        work = arr.copy()
        got = qk._select(work, arr.size, r)
        assert got == np.sort(arr)[r] and work[r] == got
        assert (work[:r] <= got).all() and (work[r:] >= got).all() and sorted(work) == sorted(arr)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=1, max_size=600),
    share=st.floats(0.01, 1.0),
)
def test_top_sum_matches_sorting(values: list[float], share: float) -> None:
    arr = np.array(values)
    k = max(1, min(arr.size, int(share * arr.size)))
    got = qk._top_sum(arr, arr.size, k, np.empty(arr.size))
    assert got == pytest.approx(np.sort(arr)[::-1][:k].sum(), rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_beats=st.integers(0, 12), half=st.integers(2, 9))
def test_beat_segments_match_numpy(seed: int, n_beats: int, half: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(120)
    x[rng.integers(0, 120, 2)] = np.nan
    beats = np.sort(rng.integers(0, 120, n_beats)).astype(np.int64)
    dev = np.empty((2 * half, n_beats))
    s_sss = np.empty(n_beats)
    usable = np.empty(n_beats, dtype=np.bool_)
    qk._beat_segments(x, beats, half, dev, s_sss, usable)
    for j, b in enumerate(beats):
        seg = x[b - half : b + half] if b >= half else np.empty(0)
        ok = seg.size == 2 * half and not np.isnan(seg).any()
        assert usable[j] == ok
        if ok:
            np.testing.assert_allclose(dev[:, j], seg - seg.mean(), rtol=1e-12, atol=1e-12)
            assert s_sss[j] == pytest.approx(((seg - seg.mean()) ** 2).sum(), rel=1e-12, abs=1e-12)


def test_quiet_live_line_is_readable_but_a_flat_one_is_lead_off() -> None:
    """Asystole is a quiet, live line: readable; a disconnected electrode is exactly flat: lead off."""
    fs = 360.0
    rng = np.random.default_rng(3)
    x = ecg_like(fs, 40.0, n_leads=1)[:, 0]
    gap = slice(int(14 * fs), int(24 * fs))
    quiet, flat = x.copy(), x.copy()
    quiet[gap] = quiet[gap.start] + 0.01 * rng.standard_normal(gap.stop - gap.start)
    flat[gap] = 0.0
    q_quiet, q_flat = assess_quality(quiet, fs), assess_quality(flat, fs)
    assert q_quiet.unreadable_ranges == () and q_quiet.lead_off_ranges == ((),)
    assert q_quiet.level is not QualityLevel.UNREADABLE
    assert len(q_flat.unreadable_ranges) == 1 and len(q_flat.lead_off_ranges[0]) == 1
    start, end = q_flat.lead_off_ranges[0][0]
    assert 14.0 <= start <= 16.0 and 22.0 <= end <= 24.0


def test_consistent_beats_confirm_a_marginal_record() -> None:
    """Coarse fibrillatory-like waves make every window 'acceptable'; consistent beats keep it readable."""
    fs = 300.0
    rng = np.random.default_rng(7)
    t = np.arange(int(30 * fs)) / fs
    beats_s = np.cumsum(rng.uniform(0.45, 0.95, 60))
    beats_s = beats_s[beats_s < 29.5]
    x = np.zeros_like(t)
    for b in beats_s:
        x += 0.6 * np.exp(-0.5 * ((t - b) / 0.012) ** 2)
    x += 0.12 * np.sin(2 * np.pi * 6.3 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))  # f waves
    x += 0.02 * rng.standard_normal(t.size)
    beats = np.round(beats_s * fs).astype(np.int64)
    without = assess_quality(x, fs, confirm_template_corr=2.0, beats=beats)  # confirmation disabled
    with_beats = assess_quality(x, fs, beats=beats)
    assert with_beats.readable_fraction == without.readable_fraction
    assert with_beats.level >= without.level and with_beats.level is not QualityLevel.UNREADABLE


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"step_s": 5.0}, "step_s"), ({"beats": np.array([1.5])}, "beats"), ({"beats": np.array([10**9])}, "beats")],
)
def test_bad_options(kwargs: dict, match: str) -> None:
    with pytest.raises(EcgValueError, match=match):
        assess_quality(np.zeros((1000, 1)), 250.0, **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=3000),
    n_leads=st.integers(min_value=1, max_value=3),
    fs=st.sampled_from([100.0, 250.0, 500.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_quality_invariants(n: int, n_leads: int, fs: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = ecg_like(fs, n / fs + 1.0, n_leads=n_leads, seed=seed % 1000)[:n]
    x[rng.random(x.shape) < 0.05] = np.nan
    q = assess_quality(x, fs)
    assert 0.0 <= q.readable_fraction <= 1.0 and len(q.lead_levels) == n_leads
    step = round(q.step_s * fs)  # whole decimated samples: 2 s, or within a few ms of it
    assert abs(q.step_s - 2.0) < 0.02 and q.segment_levels.shape == (int(np.ceil(n / step)), n_leads)
    for ranges in (q.unreadable_ranges, *q.lead_unreadable_ranges, *q.lead_off_ranges):
        flat = [t for r in ranges for t in r]
        assert flat == sorted(flat) and all(0.0 <= t <= q.duration_s + 1e-9 for t in flat)
    # the record is readable wherever some lead is
    assert q.readable_fraction >= max(q.lead_readable_fraction, default=0.0) - 1e-9
    assert q.readable_mask(fs, n).shape == (n,)


# ---------------------------------------------------------------- real records
def _nstdb_noisy_mask(n: int, fs: float) -> np.ndarray:
    """nstdb: noise in 2-min blocks from minute 5, alternating with 2-min clean blocks."""
    minutes = np.arange(n) / fs / 60.0
    return (minutes >= 5.0) & (((minutes - 5.0) % 4.0) < 2.0)


def test_mitdb_clean_records_readable(shared_data: Path) -> None:
    for name in ("100", "106", "119", "223"):
        rec = read(shared_data / "ecg" / "mitdb" / f"{name}.hea")
        q = assess_quality(rec.signal, rec.fs)
        assert q.readable_fraction >= 0.95, name
        assert q.level is not QualityLevel.UNREADABLE and not any(q.lead_off)


def test_nstdb_noise_stress(shared_data: Path) -> None:
    clean = read(shared_data / "ecg" / "nstdb" / "118e24.hea")
    assert assess_quality(clean.signal, clean.fs).readable_fraction >= 0.95
    rec = read(shared_data / "ecg" / "nstdb" / "118e00.hea")
    q = assess_quality(rec.signal, rec.fs)
    mask = q.readable_mask(rec.fs, rec.n_samples)
    noisy = _nstdb_noisy_mask(mask.size, rec.fs)
    assert 1.0 - mask[noisy].mean() >= 0.7  # most noisy minutes unreadable
    assert mask[~noisy].mean() >= 0.9  # clean minutes stay readable


def test_cinc2017_noisy_vs_normal(shared_data: Path) -> None:
    folder = shared_data / "ecg" / "cinc2017"
    with open(folder / "REFERENCE.csv", encoding="utf-8") as fh:
        labels = dict(csv.reader(fh))
    verdicts: dict[str, list[bool]] = {"N": [], "~": []}
    for name, label in labels.items():
        if label not in verdicts:
            continue
        rec = read(folder / f"{name}.hea")
        verdicts[label].append(assess_quality(rec.signal, rec.fs).unreadable)
    assert np.mean(verdicts["~"]) >= 0.6
    assert np.mean(verdicts["N"]) <= 0.05


def test_nstdb_with_detected_beats(shared_data: Path) -> None:
    """The template refinement must not rescue electrode-motion noise at 0 dB."""
    from ecg import detect_qrs

    rec = read(shared_data / "ecg" / "nstdb" / "118e00.hea")
    q = assess_quality(rec.signal, rec.fs, beats=detect_qrs(rec.signal, rec.fs))
    mask = q.readable_mask(rec.fs, rec.n_samples)
    noisy = _nstdb_noisy_mask(mask.size, rec.fs)
    assert 1.0 - mask[noisy].mean() >= 0.6
    assert mask[~noisy].mean() >= 0.9


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 700),
    n_leads=st.integers(1, 3),
    hop=st.integers(20, 120),
    q=st.integers(1, 3),
    smooth=st.integers(1, 21),
    gaps=st.lists(st.tuples(st.integers(0, 700), st.integers(1, 60), st.integers(0, 2), st.integers(0, 3)),
                  max_size=5),
    seed=st.integers(0, 2**16),
)
def test_window_features_per_segment_equals_window_by_window(
    n: int, n_leads: int, hop: int, q: int, smooth: int, gaps: list, seed: int
) -> None:
    """Per-segment partial results combined per window equal a scan of every window (floating-point noise)."""
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.standard_normal((n, n_leads)), axis=0) * 0.1 + 3.0  # an offset the shifts must cancel
    masks = [np.zeros((n, n_leads), dtype=bool) for _ in range(3)]
    for start, length, lead, kind in gaps:  # kind 0-2: a mask (NaN in y, as preprocessing leaves it); 3: NaN only
        sl = slice(start, start + length)
        if kind < 3:
            masks[kind][sl, lead % n_leads] = True
        y[sl, lead % n_leads] = np.nan
    win = q * hop
    n_windows = max(1, -(-max(n - win, 0) // hop) + 1) if n else 0
    args = (np.ascontiguousarray(y), *masks, win, hop, n_windows, 1, smooth)
    got = qk._window_features_segments(*args)
    want = qk._window_features_direct(*args)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(want, ref_window_features(*args), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ wrapper helpers and screen's entry point
def _fields(q: SignalQuality) -> tuple:
    return (q.level, q.lead_levels, q.readable_fraction, q.lead_readable_fraction, q.unreadable_ranges,
            q.lead_unreadable_ranges, q.lead_off, q.lead_off_ranges, q.saturated_fraction, q.segment_levels.tobytes(),
            q.segment_levels.dtype, q.step_s, q.duration_s)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=40), st.integers(0, 3))
def test_runs_of_matches_numpy(values: list[int], target: int) -> None:
    arr = np.array(values, dtype=np.int8)
    flags = np.concatenate([[False], arr == target, [False]])
    edges = np.flatnonzero(np.diff(flags.astype(np.int8)))
    assert runs_of(arr, target).tolist() == np.stack([edges[::2], edges[1::2]], axis=1).tolist()
    assert runs_of(arr == target, 1).tolist() == runs_of(arr, target).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 60), max_size=30), st.integers(1, 4))
def test_beats_at_rate_only_passes_sorted_in_range_beats(values: list[int], d: int) -> None:
    arr = np.array(values, dtype=np.int64)
    out, ok = qk.beats_at_rate(arr, 50, d)
    valid = arr.size == 0 or (bool(np.all(np.diff(arr) >= 0)) and arr[0] >= 0 and arr[-1] < 50)
    assert ok == valid
    if ok:
        assert out.tolist() == (arr // d).tolist()


@pytest.mark.parametrize("beats", [
    np.array([900, 100, 500, 1300], dtype=np.int64),  # unsorted: sorted copy
    np.array([100, 500, 500, 900], dtype=np.int32),  # other dtype, a repeat
    [100, 500, 900],  # a list
])
def test_beats_in_any_order_or_type_grade_alike(beats) -> None:
    fs = 250.0
    x = ecg_like(fs, 8.0, n_leads=1)
    ref = assess_quality(x, fs, beats=np.sort(np.asarray(beats)).astype(np.int64))
    assert _fields(assess_quality(x, fs, beats=beats)) == _fields(ref)


@pytest.mark.parametrize("fs", [250.0, 300.0, 360.0, 500.0])
def test_screening_quality_equals_assess_quality(fs: float) -> None:
    """screen()'s trusted entry point gives the very result of the public call (and its errors)."""
    from ecg.preprocess import screening_signal
    from ecg.quality import _screening_quality

    x = ecg_like(fs, 31.0, n_leads=2)
    x[int(10 * fs) : int(16 * fs), 1] = 0.0  # lead off on one lead: ranges to list
    x[int(20 * fs) : int(23 * fs)] += np.random.default_rng(1).normal(0, 2.0, (int(3 * fs), 2))
    pre = screening_signal(x, fs)
    beats = np.round(np.arange(0.3, 30.5, 0.8) * fs).astype(np.int64)
    public = assess_quality(x, fs, beats=beats, preprocessed=pre)
    assert _fields(_screening_quality(pre, x.shape[0], fs, beats)) == _fields(public)
    with pytest.raises(EcgValueError, match="beats"):
        _screening_quality(pre, x.shape[0], fs, np.array([-1, 5], dtype=np.int64))
