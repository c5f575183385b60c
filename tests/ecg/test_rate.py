"""ecg.rr_intervals / ecg.heart_rate: plain-Python references, edge cases, real annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from hypothesis import given, settings
from hypothesis import strategies as st

from ecg import EcgValueError, HeartRate, heart_rate, rr_intervals

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ")


def test_rr_intervals_seconds() -> None:
    np.testing.assert_allclose(rr_intervals([0, 250, 550], 250.0), [1.0, 1.2])
    assert rr_intervals([], 250.0).shape == (0,)
    assert rr_intervals(np.array([7], dtype=np.uint32), 250.0).shape == (0,)


@pytest.mark.parametrize("beats", [[], [100]])
def test_fewer_than_two_beats_is_nan_not_error(beats: list[int]) -> None:
    hr = heart_rate(beats, 360.0, window_s=10.0)
    assert isinstance(hr, HeartRate)
    assert np.isnan(hr.bpm) and hr.n_rr == 0 and hr.series_bpm.size == 0
    assert hr.to_dict() == {"bpm": None, "n_rr": 0}


def test_regular_rhythm() -> None:
    fs = 500.0
    beats = np.arange(20) * 400  # 0.8 s -> 75 bpm
    hr = heart_rate(beats, fs)
    assert hr.bpm == pytest.approx(75.0) and hr.n_rr == 19
    np.testing.assert_allclose(hr.series_bpm, 75.0)
    np.testing.assert_allclose(hr.times_s, beats[1:] / fs)


def test_median_resists_a_missed_and_an_extra_beat() -> None:
    fs = 250.0
    beats = list(np.arange(30) * 250)  # 60 bpm
    beats.remove(2500)  # missed beat -> one 2-s interval
    beats.append(5125)  # extra detection on a T wave
    hr = heart_rate(sorted(beats), fs)
    assert hr.bpm == pytest.approx(60.0)


def test_exclude_ranges_and_implausible_rr() -> None:
    fs = 100.0
    beats = np.r_[np.arange(0, 1000, 100), np.arange(1000, 2000, 50), 1960]  # 60 bpm, then 120 bpm, a 0.1-s RR
    hr = heart_rate(beats, fs, exclude=[(10.0, 30.0)])
    assert hr.bpm == pytest.approx(60.0) and hr.n_rr == 10  # 9 RR before 1000, one ending at 10 s
    hr_all = heart_rate(beats, fs)
    assert np.isnan(hr_all.series_bpm[-1])  # 0.1 s RR (600 bpm) is a detection error
    assert hr_all.n_rr == beats.size - 2


def test_windowed_series_matches_reference() -> None:
    rng = np.random.default_rng(0)
    fs = 360.0
    rr = rng.uniform(0.4, 1.2, size=200)
    beats = np.round(np.cumsum(rr) * fs).astype(np.int64)
    hr = heart_rate(beats, fs, window_s=10.0)
    rr_s = np.diff(beats) / fs
    ends = beats[1:] / fs
    want = [60.0 / np.median(rr_s[(ends > t - 10.0) & (ends <= t)]) for t in ends]
    np.testing.assert_allclose(hr.series_bpm, want)


@pytest.mark.parametrize(
    ("beats", "kwargs", "match"),
    [
        ([[1, 2]], {}, "beats"),
        ([1.5, 2.5], {}, "integer"),
        ([5, 3], {}, "increasing"),
        ([1, 2], {"window_s": 0.0}, "window_s"),
        ([1, 2], {"exclude": [(1.0,)]}, "exclude"),
        ([1, 2], {"min_rr_s": 3.0, "max_rr_s": 2.0}, "min_rr_s"),
    ],
)
def test_bad_input(beats, kwargs: dict, match: str) -> None:
    with pytest.raises(EcgValueError, match=match):
        heart_rate(np.asarray(beats), 250.0, **kwargs)
    with pytest.raises(EcgValueError, match="fs"):
        rr_intervals([1, 2], -1.0)


@settings(max_examples=50, deadline=None)
@given(
    rr=st.lists(st.integers(min_value=60, max_value=1500), min_size=1, max_size=80),
    fs=st.sampled_from([100.0, 250.0, 360.0, 1000.0]),
)
def test_rate_invariants(rr: list[int], fs: float) -> None:
    beats = np.cumsum([10, *rr])
    hr = heart_rate(beats, fs, min_rr_s=0.0, max_rr_s=100.0)
    assert hr.series_bpm.shape == (len(rr),)
    # the median-based rate lies within the range of the instantaneous rates
    assert hr.series_bpm.min() - 1e-9 <= hr.bpm <= hr.series_bpm.max() + 1e-9
    # doubling the sampling rate (same sample indices) doubles the rate
    assert heart_rate(beats, 2 * fs, min_rr_s=0.0, max_rr_s=100.0).bpm == pytest.approx(2 * hr.bpm)


def test_mitdb_reference_beats(shared_data: Path) -> None:
    ann = wfdb.rdann(str(shared_data / "ecg" / "mitdb" / "100"), "atr")  # reference annotations
    beats = np.array([s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in BEAT_SYMBOLS])
    hr = heart_rate(beats, ann.fs)
    # record 100: 2273 beats in 30:06 min, sinus rhythm about 75 bpm
    assert 70.0 < hr.bpm < 80.0
    assert hr.n_rr == beats.size - 1


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 80), st.integers(0, 3))
def test_median_rate_bpm_equals_heart_rate(seed, n_beats, n_ranges):
    from ecg.rate import median_rate_bpm

    rng = np.random.default_rng(seed)
    fs = 250.0
    beats = np.cumsum(rng.integers(40, 400, n_beats)).astype(np.int64)
    ranges = [tuple(sorted(rng.uniform(0.0, 100.0, 2))) for _ in range(n_ranges)]
    expected = heart_rate(beats, fs, exclude=ranges).bpm
    got = median_rate_bpm(beats / fs, exclude=ranges)
    assert (np.isnan(got) and np.isnan(expected)) or got == expected
    # the (k, 2) array form of the ranges (ecg.screen's) gives the same value
    as_array = median_rate_bpm(beats / fs, exclude=np.array(ranges, dtype=np.float64).reshape(-1, 2))
    assert (np.isnan(as_array) and np.isnan(got)) or as_array == got


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=80), st.integers(0, 5))
def test_private_inplace_median_matches_numpy(values, n_ties):
    from ecg._stats import median_inplace

    x = np.array(values + values[:n_ties], dtype=np.float64)  # with repeated values too
    buf = np.concatenate([x, [np.inf]])  # only the first n are looked at
    assert median_inplace(buf, x.size) == np.median(x)
