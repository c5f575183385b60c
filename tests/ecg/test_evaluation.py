"""Tests of beat-by-beat scoring (:mod:`ecg.evaluation`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from hypothesis import given, settings
from hypothesis import strategies as st

from ecg import DetectionScore, EcgValueError, pool_scores, reference_beats, score_detections
from ecg.evaluation import BEAT_SYMBOLS

FS = 360.0  # 150 ms = 54 samples


def test_perfect_detection() -> None:
    ref = np.array([100, 400, 700, 1000])
    score = score_detections(ref, ref, FS)
    assert (score.tp, score.fp, score.fn) == (4, 0, 0)
    assert score.sensitivity == score.positive_predictivity == score.f1 == 1.0


def test_tolerance_edges() -> None:
    ref = np.array([1000])
    assert score_detections([1054], ref, FS).tp == 1  # exactly 150 ms
    assert score_detections([946], ref, FS).tp == 1
    assert score_detections([1055], ref, FS) == DetectionScore(0, 1, 1)
    assert score_detections([1020], ref, FS, tolerance_s=0.05).tp == 0


def test_matching_is_one_to_one() -> None:
    # Two detections near one beat: one TP, one FP.
    assert score_detections([995, 1010], [1000], FS) == DetectionScore(1, 1, 0)
    # One detection between two close beats: one TP, one FN.
    assert score_detections([1000], [980, 1030], FS) == DetectionScore(1, 0, 1)


def test_matching_prefers_the_closer_pair() -> None:
    # Detection 1040 is within reach of both beats; the closest-first rule gives the 1000-beat to 1005
    # and lets 1040 take the 1080-beat, so every beat is matched.
    assert score_detections([1005, 1040], [1000, 1080], FS) == DetectionScore(2, 0, 0)


def test_rates_by_hand() -> None:
    score = DetectionScore(tp=90, fp=10, fn=5)
    assert score.sensitivity == pytest.approx(90 / 95)
    assert score.positive_predictivity == pytest.approx(0.9)
    assert score.f1 == pytest.approx(180 / 195)
    d = score.to_dict()
    assert d["tp"] == 90 and d["f1"] == pytest.approx(180 / 195)


def test_empty_inputs() -> None:
    assert score_detections([], [], FS) == DetectionScore(0, 0, 0)
    assert score_detections([], [], FS).f1 == 1.0
    assert score_detections([1, 2], [], FS) == DetectionScore(0, 2, 0)
    assert score_detections([], [5], FS) == DetectionScore(0, 0, 1)
    assert np.isnan(DetectionScore(0, 0, 3).positive_predictivity)


def test_unsorted_and_float_indices_are_accepted() -> None:
    assert score_detections(np.array([700.0, 100.0]), [100, 700], FS).tp == 2


@pytest.mark.parametrize(
    ("det", "ref", "fs", "kw", "match"),
    [
        ([[1, 2]], [1], FS, {}, "detected"),
        ([1], [-5], FS, {}, "reference"),
        ([1.5], [1], FS, {}, "detected"),
        ([1], [1], 0.0, {}, "fs"),
        ([1], [1], FS, {"tolerance_s": -1.0}, "tolerance_s"),
    ],
)
def test_invalid_arguments(det, ref, fs, kw, match) -> None:
    with pytest.raises(EcgValueError, match=match):
        score_detections(det, ref, fs, **kw)


def test_pooling_sums_counts() -> None:
    pooled = pool_scores([DetectionScore(10, 1, 2), DetectionScore(5, 0, 1)])
    assert pooled == DetectionScore(15, 1, 3)
    assert pool_scores([]) == DetectionScore(0, 0, 0)


def test_reference_beats_keeps_only_beat_symbols() -> None:
    ann = wfdb.Annotation(
        record_name="x",
        extension="atr",
        sample=np.array([10, 20, 30, 40, 50, 60, 70]),
        symbol=["+", "N", "V", "~", "/", "|", "Q"],
        aux_note=["(N", "", "", "", "", "", ""],
    )
    np.testing.assert_array_equal(reference_beats(ann), [20, 30, 50, 70])
    assert {"N", "V", "/", "f", "Q", "?"} <= BEAT_SYMBOLS and "+" not in BEAT_SYMBOLS
    with pytest.raises(EcgValueError, match="annotation"):
        reference_beats(object())


def test_reference_beats_on_mitdb(shared_data: Path) -> None:
    ann = wfdb.rdann(str(shared_data / "ecg" / "mitdb" / "100"), "atr")
    beats = reference_beats(ann)
    assert beats.size == 2273  # MIT-BIH record 100: 2273 beats (Moody & Mark 2001)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 5000), max_size=40, unique=True),
    st.lists(st.integers(0, 5000), max_size=40, unique=True),
)
def test_count_invariants(det: list[int], ref: list[int]) -> None:
    score = score_detections(det, ref, FS)
    assert score.tp + score.fp == len(det)
    assert score.tp + score.fn == len(ref)
    swapped = score_detections(ref, det, FS)
    assert swapped.tp == score.tp and swapped.fp == score.fn
    assert score_detections(ref, ref, FS).f1 == 1.0
