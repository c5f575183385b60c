"""Beat classification: Numba kernels against plain-Python references, synthetic truth, real MIT-BIH beats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ecg import _beat_kernels as K
from ecg._stats import center_columns, sort_columns
from ecg.beats import BeatClass, classify_beats
from ecg.errors import EcgValueError

from .synthetic import ectopic_pattern, sinus_rr, synth_ecg

# ------------------------------------------------------------------ plain-Python references of the kernels


def ref_corr(beat: np.ndarray, template: np.ndarray, lag: int, core: int) -> float:
    n = template.size - 2 * core
    a0 = beat[core + lag : core + lag + n]
    b0 = template[core : core + n]
    a = a0 - a0.mean()
    b = b0 - b0.mean()
    da, db = (a * a).sum(), (b * b).sum()
    if da <= 1e-12 * (beat * beat).sum() or db <= 1e-12 * (b0 * b0).sum() or da <= 0 or db <= 0:
        return 0.0  # constant segment (variance below 1e-12 of the whole beat's energy)
    return float((a * b).sum() / np.sqrt(da * db))


def ref_aligned(beats: np.ndarray, template: np.ndarray, max_lag: int) -> tuple[list[float], list[int]]:
    corr, lags = [], []
    for beat in beats:
        best, best_lag = -2.0, 0
        for lag in range(-max_lag, max_lag + 1):
            c = ref_corr(beat, template, lag, max_lag)
            if c > best:
                best, best_lag = c, lag
        corr.append(best)
        lags.append(best_lag)
    return corr, lags


def ref_cluster(beats: np.ndarray, threshold: float, max_lag: int, max_templates: int):
    n_beats, n = beats.shape
    templates: list[np.ndarray] = []
    counts: list[int] = []
    labels = []
    last = -1
    for beat in beats:
        best, best_j, best_lag = -2.0, -1, 0
        if last >= 0:  # the previous beat's template first
            for lag in range(-max_lag, max_lag + 1):
                c = ref_corr(beat, templates[last], lag, max_lag)
                if c > best:
                    best, best_j, best_lag = c, last, lag
        if best < threshold:
            for j in range(len(templates)):
                if j == last:
                    continue
                for lag in range(-max_lag, max_lag + 1):
                    c = ref_corr(beat, templates[j], lag, max_lag)
                    if c > best:
                        best, best_j, best_lag = c, j, lag
        if best >= threshold or (len(templates) == max_templates and best_j >= 0):
            counts[best_j] += 1
            w = 1.0 / min(counts[best_j], 32)
            t = templates[best_j]
            for i in range(max_lag, n - max_lag):
                t[i] += w * (beat[i + best_lag] - t[i])
            labels.append(best_j)
            last = best_j
        else:
            templates.append(beat.copy())
            counts.append(1)
            labels.append(len(templates) - 1)
            last = len(templates) - 1
    return np.array(labels), np.array(counts), np.array(templates)


def ref_extent(energy: np.ndarray, center: int, frac: float, max_gap: int):
    on, off = [], []
    for row in energy:
        lo, hi = max(center - max_gap, 0), min(center + max_gap + 1, row.size)
        p = lo + int(np.argmax(row[lo:hi]))
        thr = frac * row[p]
        last = p
        for i in range(p - 1, -1, -1):
            if row[i] >= thr:
                last = i
            elif last - i > max_gap:
                break
        on.append(last)
        last = p
        for i in range(p + 1, row.size):
            if row[i] >= thr:
                last = i
            elif i - last > max_gap:
                break
        off.append(last)
    return np.array(on), np.array(off)


def ref_sharp(x: np.ndarray, min_mv: float, ratio: float) -> np.ndarray:
    out = np.zeros(max(x.shape[0] - 2, 0), dtype=bool)
    for i in range(x.shape[0] - 2):
        for j in range(x.shape[1]):
            a = x[i + 1, j] - x[i, j]
            b = x[i + 2, j] - x[i + 1, j]
            d2 = abs(b - a)
            if d2 > min_mv and d2 > ratio * (abs(a) + abs(b)):
                out[i] = True
                break
    return out


# ECG amplitudes in mV: zero, or at least 1 nV (far below any ECG ADC's resolution); sub-nanovolt values
# only probe floating-point underflow, where a constant-segment verdict is the only meaningful answer.
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False).map(lambda v: v if abs(v) >= 1e-6 else 0.0)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 60), st.integers(1, 3)), elements=finite),
       st.lists(st.integers(-10, 70), max_size=12), st.integers(0, 6), st.integers(1, 6))
def test_beat_windows_match_padded_indexing(x, centers, pre, post):
    centers = np.array(centers, dtype=np.int64)
    n, n_leads = x.shape
    want = np.zeros((centers.size, n_leads * (pre + post)))
    for k, c in enumerate(centers):
        for lead in range(n_leads):
            for t in range(pre + post):
                if 0 <= c - pre + t < n:
                    want[k, lead * (pre + post) + t] = x[c - pre + t, lead]
    np.testing.assert_array_equal(K.beat_windows(x, centers, pre, post), want)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 12), st.integers(0, 2**31 - 1))
def test_center_columns_matches_one_column_at_a_time(rows, cols, seed):
    a = np.random.default_rng(seed).normal(0.0, 3.0, (rows, cols))
    want = a.copy()
    means_want = np.empty(cols)
    for j in range(cols):  # each column's sum in row order, as a plain loop
        total = 0.0
        for i in range(rows):
            total += a[i, j]
        means_want[j] = total / rows
        want[:, j] -= means_want[j]
    means = np.full(cols + 2, 7.0)  # longer than needed: the tail stays untouched
    center_columns(a, means)
    np.testing.assert_array_equal(a, want)
    np.testing.assert_array_equal(means[:cols], means_want)
    np.testing.assert_array_equal(means[cols:], 7.0)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=finite), st.integers(0, 9))
def test_running_median_matches_numpy(x, half):
    padded = np.pad(x, half, mode="edge")
    want = np.array([np.median(padded[i : i + 2 * half + 1]) for i in range(x.size)])
    np.testing.assert_array_equal(K.running_median(x, half), want)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (6, 24), elements=finite), arrays(np.float64, 24, elements=finite), st.integers(1, 4))
def test_aligned_correlation_matches_reference(beats, template, max_lag):
    corr, lags = K.aligned_correlation(beats, template, max_lag)
    rc, rl = ref_aligned(beats, template, max_lag)
    np.testing.assert_allclose(corr, rc, atol=1e-9)
    assert np.all(corr <= 1.0 + 1e-9) and np.all(corr >= -1.0 - 1e-9)
    # the returned lag is where the returned correlation is reached (ties may pick another lag)
    for beat, c, lag in zip(beats, corr, lags):
        assert abs(lag) <= max_lag
        assert abs(ref_corr(beat, template, int(lag), max_lag) - c) < 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 70), st.integers(12, 30), st.integers(1, 5))
def test_lag_roots_match_numpy(seed, n_beats, n, max_lag):
    rng = np.random.default_rng(seed)
    beats = rng.normal(size=(n_beats, n))
    beats[::3, 2:] = 0.7  # constant parts (their correlation is 0): a zero root
    m = n - 2 * max_lag
    want = np.zeros((2 * max_lag + 1, n_beats))
    for k, beat in enumerate(beats):
        for l in range(2 * max_lag + 1):
            part = beat[l : l + m]
            da = ((part - part.mean()) ** 2).sum()
            want[l, k] = np.sqrt(da) if da > 1e-9 * (beat * beat).sum() else 0.0
    # squares compared: the prefix sums' cancellation error scales with the beat's energy, not the part's
    tol = 1e-10 * (beats * beats).sum(axis=1).max()
    np.testing.assert_allclose(K.lag_roots(beats, max_lag) ** 2, want**2, rtol=1e-9, atol=tol)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.3, 0.99), st.integers(1, 3), st.integers(1, 5))
def test_cluster_beats_matches_reference(seed, threshold, max_lag, max_templates):
    # generic (tie-free) beats: a few shapes plus noise, so lag and template ties do not occur
    rng = np.random.default_rng(seed)
    shapes = rng.normal(size=(3, 20))
    noise = rng.choice([0.02, 0.3])  # near-identical and varied beats
    beats = shapes[rng.integers(0, 3, 12)] + noise * rng.normal(size=(12, 20))
    labels, counts, templates = K.cluster_beats(beats, threshold, max_lag, max_templates)
    r_labels, r_counts, r_templates = ref_cluster(beats, threshold, max_lag, max_templates)
    np.testing.assert_array_equal(labels, r_labels)
    np.testing.assert_array_equal(counts, r_counts)
    np.testing.assert_allclose(templates, r_templates, atol=1e-9)
    assert counts.sum() == beats.shape[0]
    assert counts.size <= max_templates


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (5, 40), elements=st.floats(0, 3)), st.integers(5, 35), st.floats(0.05, 0.9), st.integers(1, 6))
def test_qrs_extent_matches_reference(energy, center, frac, gap):
    on, off = K.qrs_extent(energy, center, frac, gap)
    r_on, r_off = ref_extent(energy, center, frac, gap)
    np.testing.assert_array_equal(on, r_on)
    np.testing.assert_array_equal(off, r_off)
    assert np.all(on <= off)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (50, 2), elements=st.floats(-2, 2)))
def test_sharp_deflections_matches_reference(x):
    np.testing.assert_array_equal(K.sharp_deflections(x, 0.25, 0.8), ref_sharp(x, 0.25, 0.8))


def test_kernels_on_empty_input():
    empty = np.zeros((0, 10))
    labels, counts, templates = K.cluster_beats(empty, 0.9, 2, 4)
    assert labels.size == 0 and counts.size == 0 and templates.shape == (0, 10)
    assert K.sharp_deflections(np.zeros((2, 1)), 0.25, 0.8).size == 0


# --------------------------------------------------------------------------------- classification


def _score(classes, truth_samples, truth_kinds, fs, tol_s=0.15):
    """Ventricular Se and +P of ``classes`` against the synthetic truth."""
    v_true = truth_samples[np.array(list(truth_kinds)) == "V"]
    v_det = classes.samples[classes.labels == BeatClass.VENTRICULAR]
    tp = sum(np.any(np.abs(v_det - s) <= tol_s * fs) for s in v_true)
    fp = sum(not np.any(np.abs(v_true - d) <= tol_s * fs) for d in v_det)
    return tp / max(v_true.size, 1), tp / max(tp + fp, 1)


@pytest.mark.parametrize("pattern", ["NNNNNNNNV", "NNV", "NV", "NNNNVV"])
def test_synthetic_ventricular_beats_are_found(pattern):
    syn = synth_ecg(sinus_rr(80, 70, seed=3), ectopic_pattern(81, pattern), seed=3)
    classes = classify_beats(syn.record.signal, syn.fs, syn.beat_samples, leads=syn.record.leads)
    se, ppv = _score(classes, syn.beat_samples, syn.beat_kinds, syn.fs)
    assert se >= 0.95 and ppv >= 0.95, (pattern, classes.symbols)
    # the dominant rhythm stays normal, even in bigeminy where both kinds are equally many
    normal = classes.labels[np.array(list(syn.beat_kinds)) == "N"]
    assert np.mean(normal == BeatClass.NORMAL) >= 0.9
    assert classes.qrs_width_s[classes.labels == BeatClass.VENTRICULAR].min() > classes.dominant_width_s


def test_normal_rhythm_has_no_ventricular_beats():
    syn = synth_ecg(sinus_rr(60, 75, rsa=0.05, seed=1), seed=1)
    classes = classify_beats(syn.record.signal, syn.fs, syn.beat_samples)
    assert classes.count(BeatClass.VENTRICULAR) == 0
    assert classes.symbols.count("N") >= 58
    assert np.nanmedian(classes.p_wave_corr) > 0.9  # P waves repeat beat to beat


def test_af_has_inconsistent_p_waves():
    from .synthetic import af_rr

    syn = synth_ecg(af_rr(60, 90, seed=2), atrial="f", seed=2)
    classes = classify_beats(syn.record.signal, syn.fs, syn.beat_samples)
    assert np.nanmedian(classes.p_wave_corr) < 0.8


def test_unreadable_beats_are_unknown():
    syn = synth_ecg(sinus_rr(30, 70))
    mask = np.zeros(31, dtype=bool)
    mask[10:15] = True
    classes = classify_beats(syn.record.signal, syn.fs, syn.beat_samples, unreadable=mask)
    assert np.all(classes.labels[10:15] == BeatClass.UNKNOWN)
    assert classes.symbols[10:15] == "QQQQQ"


def test_layout_and_byte_order_do_not_change_the_result():
    syn = synth_ecg(sinus_rr(40, 70, seed=4), ectopic_pattern(41, "NNNV"), seed=4)
    base = classify_beats(syn.record.signal, syn.fs, syn.beat_samples)
    fortran = np.asfortranarray(syn.record.signal)
    big = syn.record.signal.astype(">f8")
    strided = np.repeat(syn.record.signal, 2, axis=1)[:, ::2]
    for variant in (fortran, big, strided):
        other = classify_beats(variant, syn.fs, syn.beat_samples)
        np.testing.assert_array_equal(other.labels, base.labels)
    one_lead = classify_beats(syn.record.signal[:, 0], syn.fs, syn.beat_samples)
    assert one_lead.n_beats == base.n_beats and one_lead.leads == ("0",)


def test_nan_stretch_is_tolerated():
    syn = synth_ecg(sinus_rr(40, 70))
    sig = syn.record.signal.copy()
    sig[2000:4000] = np.nan
    classes = classify_beats(sig, syn.fs, syn.beat_samples)
    assert classes.n_beats == 41
    assert np.all(np.isfinite(classes.correlation))


def test_empty_and_single_beat():
    sig = np.zeros((3600, 2))
    empty = classify_beats(sig, 360.0, np.zeros(0, dtype=np.int64))
    assert empty.n_beats == 0 and empty.symbols == ""
    flat = classify_beats(sig, 360.0, np.array([1800]))
    assert flat.n_beats == 1 and flat.labels[0] == BeatClass.UNKNOWN  # no QRS on a flat line
    syn = synth_ecg(sinus_rr(1, 60))
    one = classify_beats(syn.record.signal, syn.fs, syn.beat_samples[:1])
    assert one.n_beats == 1 and one.labels[0] == BeatClass.NORMAL


def test_median_networks_give_the_middle_rows():
    """The pruned networks leave the middle row(s) of every column as a full sort does."""
    rng = np.random.default_rng(5)
    for m in range(1, K._MEDIAN_NET_AT.shape[0] - 1):
        x = rng.normal(size=(m, 7))
        x[:, 0] = 1.0  # ties
        x[:, 1] = np.round(x[:, 1])
        y = x.copy()
        sort_columns(y, K._MEDIAN_NETS[K._MEDIAN_NET_AT[m] : K._MEDIAN_NET_AT[m + 1]], 0, 7)
        rows = [m // 2] if m % 2 else [m // 2 - 1, m // 2]
        np.testing.assert_array_equal(y[rows], np.sort(x, axis=0)[rows])


@pytest.mark.parametrize("pattern", ["NNNNNNNNV", "NNV"])
def test_decimated_screening_signal_classifies_like_the_raw_path(pattern):
    """screen()'s path: the zero-phase screening signal at fs / d, beats and raw signal at fs."""
    from ecg.preprocess import screening_signal

    syn = synth_ecg(sinus_rr(80, 70, seed=3), ectopic_pattern(81, pattern), seed=3)
    pre = screening_signal(syn.record.signal, syn.fs, zero_phase=True)
    d = int(round(syn.fs / pre.fs))
    classes = classify_beats(
        pre.signal_2d(), syn.fs, syn.beat_samples, leads=syn.record.leads, prefiltered=True,
        raw=syn.record.signal, decimation=d,
    )
    assert classes.fs == syn.fs and np.array_equal(classes.samples, syn.beat_samples)
    se, ppv = _score(classes, syn.beat_samples, syn.beat_kinds, syn.fs)
    assert se >= 0.95 and ppv >= 0.95, (pattern, classes.symbols)


def test_small_false_detections_are_unknown():
    """Detections on T waves or baseline (a fraction of the QRS amplitude) are not beats to classify."""
    syn = synth_ecg(sinus_rr(30, 60, seed=5), seed=5)
    t_waves = syn.beat_samples[:-1] + int(0.3 * syn.fs)  # the T-wave peaks
    beats = np.sort(np.concatenate([syn.beat_samples, t_waves]))
    classes = classify_beats(syn.record.signal, syn.fs, beats)
    is_t = np.isin(beats, t_waves)
    assert np.all(classes.labels[is_t] == BeatClass.UNKNOWN)
    assert np.mean(classes.labels[~is_t] == BeatClass.NORMAL) >= 0.9


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"signal": np.zeros((10, 2, 2))}, "signal"),
        ({"fs": 10.0}, "fs"),
        ({"fs": float("nan")}, "fs"),
        ({"beats": np.array([5.5, 7.0])}, "beats"),
        ({"beats": np.array([50, 40])}, "beats"),
        ({"beats": np.array([99999])}, "beats"),
        ({"leads": ("I",)}, "leads"),
        ({"unreadable": np.zeros(5, dtype=bool)}, "unreadable"),
        ({"noisy": np.zeros(5, dtype=bool)}, "noisy"),
        ({"usable_leads": np.ones(3, dtype=bool)}, "usable_leads"),
        ({"raw": np.zeros((10, 2))}, "raw"),
        ({"decimation": 2}, "decimation"),
        ({"decimation": 0, "prefiltered": True}, "decimation"),
        ({"decimation": 2, "prefiltered": True}, "raw"),
        ({"signal": np.array([["a", "b"]] * 400)}, "signal"),
    ],
)
def test_invalid_input_names_the_parameter(kwargs, match):
    args = {"signal": np.zeros((3600, 2)), "fs": 360.0, "beats": np.array([100, 500, 900])}
    args.update(kwargs)
    sig, fs, beats = args.pop("signal"), args.pop("fs"), args.pop("beats")
    with pytest.raises(EcgValueError, match=match):
        classify_beats(sig, fs, beats, **args)


def test_mitdb_119_bigeminy_ventricular_beats(shared_data):
    """Reference beat positions of MIT-BIH 119 (bigeminy / trigeminy): V beats Se and +P >= 0.95."""
    wfdb = pytest.importorskip("wfdb")
    base = shared_data / "ecg" / "mitdb" / "119"
    if not base.with_suffix(".hea").exists():
        pytest.skip("mitdb/119 not available")
    rec = wfdb.rdrecord(str(base))
    ann = wfdb.rdann(str(base), "atr")
    sym = np.array(ann.symbol)
    beat = np.isin(sym, list("NLRBAaJSVrFejnE/fQ?"))
    samples, kinds = ann.sample[beat], "".join(sym[beat])
    classes = classify_beats(rec.p_signal, rec.fs, samples, leads=tuple(rec.sig_name))
    is_v = np.array([k in "VE" for k in kinds])
    pred_v = classes.labels == BeatClass.VENTRICULAR
    se = np.sum(is_v & pred_v) / is_v.sum()
    ppv = np.sum(is_v & pred_v) / pred_v.sum()
    assert se >= 0.95 and ppv >= 0.95


# --------------------------------------------------------------------------------- fused-kernel pieces


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.just(80), st.integers(1, 3)),
              elements=st.floats(-2, 2) | st.just(np.nan)),
       st.lists(st.integers(0, 79), min_size=1, max_size=8, unique=True), st.booleans())
def test_pacer_spikes_match_the_whole_record_scan(x, beats, zero_nan):
    idx = np.array(sorted(beats), dtype=np.int64)
    sharp = ref_sharp(np.where(np.isfinite(x), x, 0.0) if zero_nan else x, 0.25, 0.8)  # (NaN compares False)
    cs = np.concatenate([[0], np.cumsum(sharp)])
    lo = np.clip(idx - 20, 0, sharp.size)
    hi = np.clip(idx - 2, 0, sharp.size)
    np.testing.assert_array_equal(K.pacer_spikes(x, idx, 20, 2, zero_nan, 0.25, 0.8), (cs[hi] - cs[lo]) > 0)


def test_sort_rows_sorts_every_column():
    from ecg._stats import sort_rows

    rng = np.random.default_rng(3)
    for m in (1, 2, 3, 17, 32, 33):
        x = rng.normal(size=(m + 2, 5))
        y = x.copy()
        sort_rows(y, m)
        np.testing.assert_array_equal(y[:m], np.sort(x[:m], axis=0))
        np.testing.assert_array_equal(y[m:], x[m:])


@pytest.mark.parametrize(("block", "n_beats"), [(32, 80), (32, 21), (32, 4), (6, 80), (40, 80), (40, 35)])
def test_p_wave_consistency_matches_numpy(block, n_beats):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 2))
    x[100:140] = np.nan
    centers = np.arange(40, 2990, 37, dtype=np.int64)[:n_beats]
    a, b = 50, 16
    seg = np.zeros((centers.size, 2, a - b))
    for k, c in enumerate(centers):
        for t in range(a - b):
            if 0 <= c - a + t < x.shape[0]:
                seg[k, :, t] = np.nan_to_num(x[c - a + t], nan=0.0)
    ramp = np.linspace(-1.0, 1.0, a - b)
    seg = seg - seg.mean(axis=2, keepdims=True)
    seg = (seg - np.sum(seg * ramp, axis=2, keepdims=True) / np.sum(ramp * ramp) * ramp).reshape(centers.size, -1)
    n_full = centers.size // block
    local = np.empty_like(seg)
    for g in range(n_full):
        local[g * block : (g + 1) * block] = np.median(seg[g * block : (g + 1) * block], axis=0)
    local[n_full * block :] = np.median(seg[max(centers.size - block, 0) :], axis=0)
    local -= local.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):  # all-zero windows before the record start: 0 / 0, NaN as the kernel gives
        want = np.sum(seg * local, axis=1) / np.sqrt(np.sum(seg * seg, axis=1) * np.sum(local * local, axis=1))
    want[centers - a < 0] = np.nan
    got = K.p_wave_consistency(x, 1, x.shape[0], np.arange(2, dtype=np.int64), centers, a, b, block // 2)
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("pattern", ["NNNNNNNNV", "NNV"])
def test_screening_entry_point_equals_classify_beats(pattern):
    """screen()'s trusted entry point gives the very result of the public call (and its errors)."""
    from ecg.beats import _classify_screening
    from ecg.preprocess import screening_signal

    syn = synth_ecg(sinus_rr(80, 70, seed=3), ectopic_pattern(81, pattern), seed=3)
    sig = syn.record.signal
    pre = screening_signal(sig, syn.fs, zero_phase=True)
    d = int(round(syn.fs / pre.fs))
    rng = np.random.default_rng(4)
    n = syn.beat_samples.size
    usable = np.ones(sig.shape[1], dtype=bool)
    unreadable, noisy = rng.random(n) < 0.1, rng.random(n) < 0.3
    args = (pre.signal_2d(), syn.fs, syn.beat_samples)
    public = classify_beats(*args, leads=syn.record.leads, usable_leads=usable, unreadable=unreadable, noisy=noisy,
                            prefiltered=True, raw=sig, decimation=d)
    trusted = _classify_screening(*args, syn.record.leads, usable, unreadable, noisy, sig, d)
    for name in ("samples", "labels", "correlation", "qrs_width_s", "amplitude_ratio", "prematurity", "p_wave_corr",
                 "cluster"):
        a, b = getattr(public, name), getattr(trusted, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    assert (public.dominant, public.dominant_width_s, public.fs, public.leads) == (
        trusted.dominant, trusted.dominant_width_s, trusted.fs, trusted.leads)
    empty = _classify_screening(pre.signal_2d(), syn.fs, np.zeros(0, dtype=np.int64), syn.record.leads, usable,
                                np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), sig, d)
    assert empty.n_beats == 0 and empty.leads == ()
    with pytest.raises(EcgValueError, match="beats"):
        _classify_screening(*args[:2], syn.beat_samples[::-1].copy(), syn.record.leads, usable, unreadable, noisy,
                            sig, d)
