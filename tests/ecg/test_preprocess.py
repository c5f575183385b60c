"""ecg.preprocess: kernels against SciPy / plain-Python references, edge cases, invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from ecg import EcgValueError, PreprocessedEcg, preprocess, resample
from ecg._filter_kernels import fill_gaps_linear, sample_masks, sosfiltfilt_columns
from ecg.preprocess import design_filter

FS_GRID = (100.0, 128.0, 250.0, 360.0, 500.0, 1000.0, 2000.0)


# ---------------------------------------------------------------- plain-Python references
def ref_constant_runs(col: np.ndarray, min_run: int) -> np.ndarray:
    out = np.zeros(col.size, dtype=bool)
    i = 0
    for _, group in itertools.groupby(col.tolist(), key=lambda v: ("nan", i) if v != v else v):
        length = len(list(group))
        if length >= min_run and col[i] == col[i]:
            out[i : i + length] = True
        i += length
    return out


def ref_rail_runs(col: np.ndarray, low: float, high: float, min_run: int) -> np.ndarray:
    out = np.zeros(col.size, dtype=bool)
    for flags in (col >= high, col <= low):
        i = 0
        for value, group in itertools.groupby(flags.tolist()):
            length = len(list(group))
            if value and length >= min_run:
                out[i : i + length] = True
            i += length
    return out


def ref_fill(col: np.ndarray, bad: np.ndarray) -> np.ndarray:
    good = np.flatnonzero(~bad)
    if good.size == 0:
        return np.zeros_like(col)
    return np.interp(np.arange(col.size), good, col[good])


def ecg_like(fs: float, seconds: float, n_leads: int = 3, seed: int = 0) -> np.ndarray:
    """Spiky periodic waveform (Gaussian QRS-like pulses at 72 bpm) + baseline drift + mains + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    beat_t = np.arange(0.3, seconds, 60 / 72)
    qrs = np.zeros_like(t)
    for b in beat_t:
        qrs += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.3 * np.exp(-0.5 * ((t - b - 0.25) / 0.05) ** 2)
    cols = [qrs * (1 + 0.2 * j) + 0.4 * np.sin(2 * np.pi * 0.2 * t + j) + 0.1 * np.sin(2 * np.pi * 50 * t)
            + 0.01 * rng.standard_normal(t.size) for j in range(n_leads)]
    return np.stack(cols, axis=1)


# ---------------------------------------------------------------- kernels vs references
@pytest.mark.parametrize("fs", FS_GRID)
def test_sosfiltfilt_kernel_matches_scipy(fs: float) -> None:
    rng = np.random.default_rng(int(fs))
    x = rng.standard_normal((int(fs * 4) + 7, 3)).cumsum(axis=0)
    sos = design_filter(fs, 0.5, 40.0, 50.0)
    zi = sps.sosfilt_zi(sos)
    for padlen in (0, 3 * (2 * sos.shape[0] + 1), int(fs)):
        got = sosfiltfilt_columns(sos, zi, x, padlen)
        want = sps.sosfiltfilt(sos, x, axis=0, padlen=padlen)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())


@pytest.mark.parametrize("fs", FS_GRID)
def test_design_filter_notches_mains_and_passes_qrs_band(fs: float) -> None:
    sos = design_filter(fs, 0.5, 40.0, 50.0)
    freqs = [10.0, 50.0, 0.05]
    _, h = sps.sosfreqz(sos, worN=[f for f in freqs if f < fs / 2], fs=fs)
    gain_db = 2 * 20 * np.log10(np.abs(h) + 1e-300)  # forward + backward
    assert gain_db[0] > -1.0  # QRS band untouched
    if 50.0 < 0.98 * fs / 2:
        assert gain_db[1] < -40.0  # mains gone
    assert gain_db[-1] < -40.0 if len(h) == 3 else True  # 0.05 Hz drift gone


def test_design_filter_60hz_harmonics_within_nyquist() -> None:
    sos = design_filter(1000.0, 0.5, None, 60.0)
    _, h = sps.sosfreqz(sos, worN=[60.0, 120.0, 480.0, 30.0], fs=1000.0)
    gain_db = 2 * 20 * np.log10(np.abs(h) + 1e-300)
    assert (gain_db[:3] < -40.0).all()
    assert gain_db[3] > -1.0


def ref_masks(x: np.ndarray, flat_run: int, rail_run: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = np.isnan(x)
    flat = np.zeros_like(missing)
    sat = np.zeros_like(missing)
    for j in range(x.shape[1]):
        col = x[:, j]
        if np.isnan(col).all() or np.nanmax(col) == np.nanmin(col):
            low, high = -np.inf, np.inf
        else:
            low, high = np.nanmin(col), np.nanmax(col)
        sat[:, j] = ref_rail_runs(col, low, high, rail_run)
        flat[:, j] = ref_constant_runs(col, flat_run) & ~sat[:, j]
    return missing, flat, sat


@pytest.mark.parametrize(("flat_run", "rail_run"), [(2, 3), (5, 3), (40, 10)])
def test_sample_masks_match_reference(flat_run: int, rail_run: int) -> None:
    rng = np.random.default_rng(flat_run)
    x = np.clip(np.round(rng.standard_normal((900, 5)) * 0.6), -1.0, 2.0)  # short and long runs, rails
    x[100:180, 1] = 0.3  # lead off mid-record
    x[300:310, 2] = np.nan
    x[:, 3] = 1.5  # constant lead: flat, not clipped
    x[:, 4] = np.nan  # no data
    got = sample_masks(x, flat_run, rail_run)
    for g, w in zip(got, ref_masks(x, flat_run, rail_run), strict=True):
        np.testing.assert_array_equal(g, w)
    assert got[1][:, 3].all() and not got[2][:, 3].any()


def test_fill_gaps_matches_numpy_interp() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 4))
    bad = rng.random((500, 4)) < 0.3
    bad[:20, 1] = True  # leading gap
    bad[-30:, 2] = True  # trailing gap
    bad[:, 3] = True  # nothing good
    got = fill_gaps_linear(x, bad)
    for j in range(4):
        np.testing.assert_allclose(got[:, j], ref_fill(x[:, j], bad[:, j]), atol=1e-12)


# ---------------------------------------------------------------- public function
@pytest.mark.parametrize("fs", FS_GRID)
def test_preprocess_equals_scipy_chain_on_clean_signal(fs: float) -> None:
    x = ecg_like(fs, 6.0)
    out = preprocess(x, fs)
    sos = design_filter(fs, 0.5, 40.0, 50.0)
    want = sps.sosfiltfilt(sos, x, axis=0, padlen=min(x.shape[0] - 1, max(3 * (2 * sos.shape[0] + 1), int(fs))))
    assert out.valid.all()
    np.testing.assert_allclose(out.signal, want, atol=1e-9)
    # baseline and mains are gone: the residual against the clean pulses is small
    assert np.abs(np.mean(out.signal[int(fs) : -int(fs)], axis=0)).max() < 0.05


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a.astype(np.float32),
        lambda a: a.astype(">f8"),
        lambda a: np.round(a * 200).astype(np.int16),
        lambda a: np.asfortranarray(a),
        lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    ],
    ids=["float32", "big-endian", "int16", "fortran", "strided"],
)
def test_preprocess_accepts_layouts_and_dtypes(convert) -> None:
    fs = 250.0
    x = ecg_like(fs, 5.0)
    y = convert(x)
    before = np.array(y, copy=True)
    got = preprocess(y, fs)
    want = preprocess(np.ascontiguousarray(np.asarray(y, dtype=np.float64)), fs)
    np.testing.assert_array_equal(got.signal, want.signal)
    np.testing.assert_array_equal(np.asarray(y), before)  # input untouched
    assert got.signal.dtype == np.float64 and got.signal.flags.c_contiguous


def test_preprocess_empty_and_tiny() -> None:
    out = preprocess(np.zeros((0, 12)), 500.0)
    assert out.signal.shape == (0, 12)
    assert out.valid_fraction().tolist() == [0.0] * 12
    one = preprocess(np.array([1.0]), 500.0)
    assert one.signal.shape == (1,) and np.isfinite(one.signal).all()


def test_preprocess_one_lead_keeps_1d() -> None:
    x = ecg_like(360.0, 5.0)[:, 0]
    out = preprocess(x, 360.0)
    assert out.signal.shape == x.shape and out.missing.shape == x.shape and out.n_leads == 1
    assert out.signal_2d().shape == (x.size, 1)


def test_flat_lead_is_masked_not_propagated() -> None:
    fs = 500.0
    x = ecg_like(fs, 6.0, n_leads=3)
    x[:, 1] = 0.0  # lead off for the whole record
    x[1000:2000, 2] = x[1000, 2]  # lead 2 off for 2 s
    out = preprocess(x, fs)
    assert out.flat[:, 1].all() and np.isnan(out.signal[:, 1]).all()
    assert out.flat[1000:2000, 2].all() and not out.flat[:900, 2].any()
    # the jump into and out of the flat stretch does not ring into the valid signal
    ref = preprocess(ecg_like(fs, 6.0, n_leads=3), fs).signal[:, 2]
    assert np.nanmax(np.abs(out.signal[:800, 2] - ref[:800])) < 0.05
    assert np.isfinite(out.signal[:, 0]).all()


def test_nan_gaps_are_bridged_and_remasked() -> None:
    fs = 360.0
    x = ecg_like(fs, 8.0, n_leads=2)
    x[700:900, 0] = np.nan
    x[:50, 1] = np.nan
    out = preprocess(x, fs)
    assert np.array_equal(np.isnan(out.signal), np.isnan(x))
    assert np.array_equal(out.missing, np.isnan(x))
    ref = preprocess(ecg_like(fs, 8.0, n_leads=2), fs).signal
    far = np.r_[0:500, 1200:x.shape[0]]
    # the gap does not spread through the IIR state: far from it the output is unchanged
    assert np.abs(out.signal[far, 0] - ref[far, 0]).max() < 0.05


def test_all_nan_lead() -> None:
    x = ecg_like(250.0, 4.0, n_leads=2)
    x[:, 0] = np.nan
    out = preprocess(x, 250.0)
    assert np.isnan(out.signal[:, 0]).all() and np.isfinite(out.signal[:, 1]).all()
    assert out.valid_fraction()[0] == 0.0


def test_saturated_lead_is_masked() -> None:
    fs = 500.0
    x = ecg_like(fs, 6.0, n_leads=2)
    rail = 0.8
    x[:, 0] = np.clip(x[:, 0], -10.0, rail)  # QRS tops clipped at the ADC rail
    out = preprocess(x, fs)
    assert out.saturated[:, 0].sum() > 0
    np.testing.assert_array_equal(out.saturated[:, 0], ref_rail_runs(x[:, 0], -np.inf, rail, int(round(0.015 * fs))))
    assert not out.saturated[:, 1].any()
    assert np.isnan(out.signal[out.saturated]).all()


def test_powerline_60hz_option() -> None:
    fs = 500.0
    t = np.arange(int(5 * fs)) / fs
    x = np.sin(2 * np.pi * 60 * t) + np.sin(2 * np.pi * 5 * t)
    out = preprocess(x, fs, powerline_hz=60.0, lowpass_hz=150.0)
    mid = slice(int(2 * fs), int(3 * fs))  # away from the edge transients
    np.testing.assert_allclose(out.signal[mid], np.sin(2 * np.pi * 5 * t)[mid], atol=0.02)
    kept = preprocess(x, fs, powerline_hz=50.0, lowpass_hz=150.0)
    assert np.abs(kept.signal[mid] - np.sin(2 * np.pi * 5 * t)[mid]).max() > 0.5


def test_resample_matches_resample_poly_and_masks_gaps() -> None:
    fs = 360.0
    x = ecg_like(fs, 5.0, n_leads=2)
    got = resample(x, fs, 250.0)
    np.testing.assert_allclose(got, sps.resample_poly(x, 25, 36, axis=0))
    x[100:200, 0] = np.nan
    with_gap = resample(x, fs, 250.0)
    assert np.isnan(with_gap[70:138, 0]).all() and np.isfinite(with_gap[:, 1]).all()
    assert np.isfinite(with_gap[:60, 0]).all() and np.isfinite(with_gap[150:, 0]).all()
    assert resample(x[:, 1], fs, 250.0).ndim == 1


def test_preprocess_target_fs() -> None:
    x = ecg_like(1000.0, 5.0, n_leads=12)
    out = preprocess(x, 1000.0, target_fs=250.0)
    assert out.fs == 250.0 and out.signal.shape == (1250, 12) and out.valid.all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"signal": np.ones((10, 2, 2))}, "signal"),
        ({"signal": np.array(["a", "b"])}, "signal"),
        ({"signal": np.array([1.0, np.inf])}, "finite"),
        ({"signal": np.array([[1.0, 2.0], [np.inf, 0.0]] * 50)}, "finite"),  # (2-D C-contiguous float64 too)
        ({"signal": np.ones((10, 0))}, "at least one lead"),
        ({"fs": 0.0}, "fs"),
        ({"fs": float("nan")}, "fs"),
        ({"highpass_hz": 300.0}, "highpass_hz"),
        ({"lowpass_hz": 0.2}, "lowpass_hz"),
        ({"powerline_hz": -50.0}, "powerline_hz"),
        ({"flat_min_s": 0.0}, "flat_min_s"),
        ({"target_fs": -1.0}, "target_fs"),
    ],
)
def test_preprocess_rejects_bad_input(kwargs: dict, match: str) -> None:
    args = {"signal": np.ones((100, 2)), "fs": 250.0} | kwargs
    with pytest.raises(EcgValueError, match=match):
        preprocess(args.pop("signal"), args.pop("fs"), **args)


# ---------------------------------------------------------------- hypothesis invariants
finite_cols = st.integers(min_value=1, max_value=3)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=400),
    n_leads=finite_cols,
    fs=st.sampled_from(FS_GRID),
    seed=st.integers(0, 2**31 - 1),
    gap=st.tuples(st.integers(0, 400), st.integers(0, 60)),
)
def test_shape_and_nan_invariants(n: int, n_leads: int, fs: float, seed: int, gap: tuple[int, int]) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_leads))
    x[gap[0] : gap[0] + gap[1], 0] = np.nan
    out = preprocess(x, fs)
    assert isinstance(out, PreprocessedEcg)
    assert out.signal.shape == x.shape
    # NaN exactly where a sample is masked; masked samples include every input NaN
    np.testing.assert_array_equal(np.isnan(out.signal), ~out.valid)
    assert not (np.isnan(x) & out.valid).any()


@settings(max_examples=20, deadline=None)
@given(
    a=st.floats(-5, 5, allow_nan=False),
    b=st.floats(-5, 5, allow_nan=False),
    fs=st.sampled_from(FS_GRID),
    seed=st.integers(0, 2**31 - 1),
)
def test_filter_is_linear(a: float, b: float, fs: float, seed: int) -> None:
    assume(abs(a) + abs(b) > 1e-3)  # an all-zero signal is "flat" (masked), not a filter output
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(fs * 2), 2))
    y = rng.standard_normal((int(fs * 2), 2))
    fx, fy, fxy = (preprocess(v, fs).signal for v in (x, y, a * x + b * y))
    np.testing.assert_allclose(fxy, a * fx + b * fy, atol=1e-8 * (1 + abs(a) + abs(b)))


def test_all_filters_off_is_identity_on_valid_samples() -> None:
    x = ecg_like(360.0, 4.0, n_leads=2)
    x[100:150, 0] = np.nan
    out = preprocess(x, 360.0, highpass_hz=None, lowpass_hz=None, powerline_hz=None)
    np.testing.assert_array_equal(out.signal, x)


# ---------------------------------------------------------------- screening signal (one causal pass, decimated)
def ref_screening(
    x: np.ndarray, fs: float, flat_run: int, rail_run: int, lowpass_hz: float | None = 40.0,
    powerline_hz: float | None = 50.0,
) -> tuple[np.ndarray, ...]:
    """Plain-Python screening_signal: reference masks, block means, scipy.sosfilt restarted after gaps."""
    from ecg.preprocess import _screening_filter, screening_decimation

    d = screening_decimation(fs)
    n, n_leads = x.shape
    m = -(-n // d)
    sos, zi = (a.copy() for a in _screening_filter(fs / d, 0.5, lowpass_hz, powerline_hz))
    out = [np.full((m, n_leads), np.nan)] + [np.zeros((m, n_leads), dtype=bool) for _ in range(3)]
    for j in range(n_leads):
        col = x[:, j]
        finite = col[~np.isnan(col)]
        lo, hi = (finite.min(), finite.max()) if finite.size and finite.max() > finite.min() else (-np.inf, np.inf)
        sat = ref_rail_runs(col, lo, hi, rail_run)
        flat = ref_constant_runs(col, flat_run) & ~sat
        for mask, k in ((np.isnan(col), 1), (flat, 2), (sat, 3)):
            out[k][:, j] = np.pad(mask, (0, m * d - n)).reshape(m, d).any(axis=1)
        out[2][:, j] &= ~out[3][:, j]
        bad = out[1][:, j] | out[2][:, j] | out[3][:, j]
        means = np.array([col[k * d : (k + 1) * d].mean() for k in range(m)])
        k = 0
        while k < m:
            if bad[k]:
                k += 1
                continue
            stop = k
            while stop < m and not bad[stop]:
                stop += 1
            seg = means[k:stop]
            out[0][k:stop, j] = sps.sosfilt(sos, seg, zi=zi * seg[0])[0]
            k = stop
    return tuple(out)


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0, 1000.0])
def test_screening_signal_matches_reference(fs: float) -> None:
    from ecg.preprocess import SCREENING_MIN_FS, screening_decimation, screening_signal

    x = ecg_like(fs, 6.0, n_leads=2)
    x[int(1.0 * fs) : int(1.5 * fs), 0] = np.nan
    x[int(2.0 * fs) : int(2.6 * fs), 1] = 0.7  # flat (lead off) run
    x[int(3.0 * fs) : int(3.1 * fs), 0] = np.nanmax(x[:, 0]) + 1.0  # pinned at the rail
    got = screening_signal(x, fs)
    d = screening_decimation(fs)
    assert got.fs == fs / d and fs / d >= SCREENING_MIN_FS and got.signal.shape == (-(-x.shape[0] // d), 2)
    want = ref_screening(x, fs, int(round(0.25 * fs)), max(3, int(round(0.015 * fs))))
    for a, b in zip((got.missing, got.flat, got.saturated), want[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got.signal, want[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("fs", "lowpass_hz", "powerline_hz", "n_sections"),
    [(360.0, 40.0, None, 3), (360.0, None, None, 1), (299.0, 80.0, 50.0, 5), (250.0, 50.0, 50.0, 4), (200.0, 40.0, 50.0, 4)],
)
def test_screening_signal_any_cascade_length_matches_reference(
    fs: float, lowpass_hz: float | None, powerline_hz: float | None, n_sections: int
) -> None:
    """Cascades shorter than four sections run padded with identity sections, longer ones on the generic path."""
    from ecg.preprocess import _screening_filter, screening_decimation, screening_signal

    d = screening_decimation(fs)
    assert _screening_filter(fs / d, 0.5, lowpass_hz, powerline_hz)[0].shape[0] == n_sections
    x = ecg_like(fs, 6.0, n_leads=3, seed=2)
    x[int(1.0 * fs) : int(1.5 * fs), 0] = np.nan
    x[int(2.0 * fs) : int(2.6 * fs), 1] = -0.3  # flat (lead off) run
    x[int(3.0 * fs) : int(3.1 * fs), 2] = np.nanmin(x[:, 2]) - 1.0  # pinned at the lower rail
    got = screening_signal(x, fs, lowpass_hz=lowpass_hz, powerline_hz=powerline_hz)
    want = ref_screening(x, fs, int(round(0.25 * fs)), max(3, int(round(0.015 * fs))), lowpass_hz, powerline_hz)
    for a, b in zip((got.missing, got.flat, got.saturated), want[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got.signal, want[0], rtol=1e-9, atol=1e-9)


def test_screening_fast_and_general_paths_agree_bit_for_bit() -> None:
    """The fused four-section kernel and the general mask-then-filter path run the same operations: appending
    an identity section (exact) moves a cascade onto the general path without changing a bit."""
    from ecg._filter_kernels import backward_pass, screening_pass
    from ecg.preprocess import _screening_filter

    fs = 360.0
    x = ecg_like(fs, 8.0, n_leads=3, seed=5)
    x[700:760, 0] = np.nan
    x[1200:1300, 1] = 0.2
    x[2000:2010, 2] = np.nanmax(x[:, 2]) + 0.5  # clipped: the fast path filters this lead again
    sos, zi = _screening_filter(fs / 2, 0.5, 40.0, 50.0)
    assert sos.shape[0] == 4
    sos5 = np.vstack([sos, [[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]]])
    zi5 = np.vstack([zi, [[0.0, 0.0]]])
    fast = screening_pass(x, 2, sos, zi, 90, 5)
    general = screening_pass(x, 2, sos5, zi5, 90, 5)
    for a, b in zip(fast, general, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(backward_pass(fast[0], sos, zi), backward_pass(fast[0], sos5, zi5))


@pytest.mark.parametrize(("lowpass_hz", "powerline_hz"), [(40.0, 50.0), (40.0, None), (80.0, 50.0)])
def test_backward_pass_matches_scipy_per_run(lowpass_hz: float, powerline_hz: float | None) -> None:
    """The backward pass: scipy.sosfilt over each reversed run of finite rows, started in its steady state."""
    from ecg._filter_kernels import backward_pass
    from ecg.preprocess import _screening_filter

    sos, zi = (a.copy() for a in _screening_filter(299.0, 0.5, lowpass_hz, powerline_hz))
    y = ecg_like(299.0, 5.0, n_leads=2, seed=4)
    y[100:130, 0] = np.nan
    y[-1, 1] = np.nan
    y[500, 1] = np.nan
    got = backward_pass(np.ascontiguousarray(y), sos, zi)
    want = np.full_like(y, np.nan)
    for j in range(y.shape[1]):
        rev = y[::-1, j]
        k = 0
        while k < rev.size:
            if np.isnan(rev[k]):
                k += 1
                continue
            stop = k
            while stop < rev.size and not np.isnan(rev[stop]):
                stop += 1
            want[::-1, j][k:stop] = sps.sosfilt(sos, rev[k:stop], zi=zi * rev[k])[0]
            k = stop
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert backward_pass(np.zeros((0, 2)), sos, zi).shape == (0, 2)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 900),
    n_leads=st.integers(1, 3),
    fs=st.sampled_from([250.0, 360.0, 500.0, 1000.0]),
    events=st.lists(st.tuples(st.integers(0, 900), st.integers(1, 150), st.integers(0, 2), st.integers(0, 3)),
                    max_size=6),
    seed=st.integers(0, 2**16),
)
def test_screening_signal_random_gaps_match_reference(
    n: int, n_leads: int, fs: float, events: list, seed: int
) -> None:
    """Random NaN gaps, flat runs and runs at either rail, anywhere (block edges, record ends)."""
    from ecg.preprocess import screening_signal

    rng = np.random.default_rng(seed)
    x = np.round(np.cumsum(rng.standard_normal((n, n_leads)), axis=0), 1)  # coarse: short equal runs happen
    for start, length, lead, kind in events:
        sl, j = slice(start, start + length), lead % n_leads
        if kind == 0:
            x[sl, j] = np.nan
        elif kind == 1:
            x[sl, j] = 0.25
        elif kind == 2:
            x[sl, j] = np.nanmax(x[:, j], initial=0.0) + 1.0
        else:
            x[sl, j] = np.nanmin(x[:, j], initial=0.0) - 1.0
    got = screening_signal(x, fs)
    want = ref_screening(x, fs, int(round(0.25 * fs)), max(3, int(round(0.015 * fs))))
    for a, b in zip((got.missing, got.flat, got.saturated), want[1:], strict=True):
        np.testing.assert_array_equal(a.reshape(b.shape), b)
    np.testing.assert_allclose(got.signal.reshape(want[0].shape), want[0], rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 600),
    fs=st.sampled_from([250.0, 360.0, 500.0, 1000.0]),
    flat_min_s=st.floats(0.001, 0.05),
    saturation_min_s=st.floats(0.001, 0.05),
    levels=st.integers(2, 6),
    seed=st.integers(0, 2**16),
)
def test_screening_signal_short_runs_match_reference(
    n: int, fs: float, flat_min_s: float, saturation_min_s: float, levels: int, seed: int
) -> None:
    """Few distinct values and short minimum runs: equal runs of every length end anywhere in a block, flat runs
    shorter or longer than clipped ones, several in one block."""
    from ecg.preprocess import screening_signal

    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, (n, 2)).astype(np.float64) * 0.1
    x[rng.random((n, 2)) < 0.02] = np.nan
    got = screening_signal(x, fs, flat_min_s=flat_min_s, saturation_min_s=saturation_min_s)
    want = ref_screening(x, fs, max(2, int(round(flat_min_s * fs))), max(3, int(round(saturation_min_s * fs))))
    for a, b in zip((got.missing, got.flat, got.saturated), want[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got.signal, want[0], rtol=1e-9, atol=1e-9)


def test_screening_passes_is_pass_then_backward() -> None:
    """screening_passes (one kernel call, as screen uses it through _screening_both) returns exactly what
    screening_pass and backward_pass return one after the other."""
    from ecg._filter_kernels import backward_pass, screening_pass, screening_passes
    from ecg.preprocess import _screening_both, _screening_filter, screening_signal, zero_phase_screening

    fs = 360.0
    x = ecg_like(fs, 8.0, n_leads=3, seed=7)
    x[700:760, 0] = np.nan
    x[1200:1300, 1] = 0.2
    x[2000:2010, 2] = np.nanmax(x[:, 2]) + 0.5
    sos, zi = _screening_filter(fs / 3, 0.5, 40.0, 50.0)
    got = screening_passes(x, 3, sos, zi, 90, 5)
    want = screening_pass(x, 3, sos, zi, 90, 5)
    assert len(got) == len(want) + 1
    for a, b in zip(got, (*want, backward_pass(want[0], sos, zi)), strict=True):
        np.testing.assert_array_equal(a, b)
    pre, filt = _screening_both(x, fs)
    ref = screening_signal(x, fs)
    for a, b in zip((pre.signal, pre.missing, pre.flat, pre.saturated, filt),
                    (ref.signal, ref.missing, ref.flat, ref.saturated, zero_phase_screening(ref)), strict=True):
        np.testing.assert_array_equal(a, b)
    assert pre.fs == ref.fs


def test_screening_zero_phase_matches_scipy_sosfiltfilt_shape() -> None:
    """Forward-backward at the decimated rate: no delay at the QRS, unlike the causal pass."""
    from ecg.preprocess import screening_signal, zero_phase_screening

    fs = 1000.0
    x = ecg_like(fs, 8.0, n_leads=1)[:, 0]
    causal = screening_signal(x, fs)
    both = screening_signal(x, fs, zero_phase=True)
    np.testing.assert_allclose(zero_phase_screening(causal)[:, 0], both.signal)
    peak_true = int(round((0.3 + 5 * 60 / 72) * causal.fs))
    seg = slice(peak_true - 20, peak_true + 20)
    assert abs(int(np.argmax(both.signal[seg])) - 20) <= 1
    assert int(np.argmax(causal.signal[seg])) - 20 >= 1  # the causal low-pass delays the R peak


def test_screening_signal_edge_cases() -> None:
    from ecg.preprocess import screening_decimation, screening_signal

    assert [screening_decimation(f) for f in (100.0, 250.0, 300.0, 360.0, 500.0, 1000.0, 257.0, 200.0)] == [1, 2, 2, 3, 4, 8, 1, 1]
    empty = screening_signal(np.zeros((0, 3)), 500.0)
    assert empty.signal.shape == (0, 3)
    one = screening_signal(np.arange(7.0), 360.0)
    assert one.signal.shape == (3,) and one.fs == 120.0
    dead = screening_signal(np.full((3600, 2), np.nan), 360.0)
    assert dead.missing.all() and np.isnan(dead.signal).all()
    big_endian = ecg_like(360.0, 3.0, n_leads=2).astype(">f4")[::-1]
    np.testing.assert_allclose(
        screening_signal(big_endian, 360.0).signal,
        screening_signal(np.ascontiguousarray(big_endian, dtype=np.float64), 360.0).signal,
    )
    with pytest.raises(EcgValueError, match="flat_min_s"):
        screening_signal(np.zeros(100), 360.0, flat_min_s=0.0)
    for bad in (np.inf, -np.inf):
        x = ecg_like(360.0, 2.0, n_leads=2)
        x[100, 1] = bad
        with pytest.raises(EcgValueError, match="infinities"):
            screening_signal(x, 360.0)
    with pytest.raises(EcgValueError, match="dtype"):
        screening_signal(np.array(["a", "b"]), 360.0)
    with pytest.raises(EcgValueError, match="shape"):
        screening_signal(np.zeros((4, 3, 2)), 360.0)
    x = ecg_like(360.0, 2.0, n_leads=2)
    x[10:20, 0] = np.nan
    before = x.copy()
    screening_signal(x, 360.0)  # a native float64 input is read in place, never modified
    np.testing.assert_array_equal(x, before)
