"""Beat-by-beat scoring of QRS detections against reference annotations.

The matching follows ANSI/AAMI EC57 (and the MIT-BIH convention used by ``bxb``): a detection
matches a reference beat when the two lie within a tolerance window (150 ms by default), each
beat matches at most once, and sensitivity, positive predictivity and F1 are computed from the
true positive, false positive and false negative counts, pooled over beats (not averaged over
records) when several records are scored together.

References
----------
ANSI/AAMI EC57:2012, *Testing and reporting performance results of cardiac rhythm and ST segment
measurement algorithms*.
Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 (2001).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EcgValueError

__all__ = ["BEAT_SYMBOLS", "DetectionScore", "pool_scores", "reference_beats", "score_detections"]

#: Annotation symbols that mark a heartbeat in PhysioNet annotation files (``wfdb.rdann``).
BEAT_SYMBOLS: frozenset[str] = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())


@dataclass(frozen=True, slots=True)
class DetectionScore:
    """True/false positive and false negative counts of one (or pooled) scoring.

    Attributes
    ----------
    tp, fp, fn
        Matched detections, unmatched detections, unmatched reference beats.
    """

    tp: int
    fp: int
    fn: int

    @property
    def sensitivity(self) -> float:
        """Se = TP / (TP + FN); ``nan`` without reference beats."""
        den = self.tp + self.fn
        return self.tp / den if den else float("nan")

    @property
    def positive_predictivity(self) -> float:
        """+P = TP / (TP + FP); ``nan`` without detections."""
        den = self.tp + self.fp
        return self.tp / den if den else float("nan")

    @property
    def f1(self) -> float:
        """F1 = 2 TP / (2 TP + FP + FN); 1.0 when there was nothing to find and nothing found."""
        den = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / den if den else 1.0

    def __add__(self, other: DetectionScore) -> DetectionScore:
        if not isinstance(other, DetectionScore):
            return NotImplemented
        return DetectionScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view with the counts and the three rates."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "sensitivity": self.sensitivity,
            "positive_predictivity": self.positive_predictivity,
            "f1": self.f1,
        }


def _as_sample_indices(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise EcgValueError(f"{name}: expected a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)):
            raise EcgValueError(f"{name}: expected integer sample indices, got dtype {arr.dtype}")
        if np.any(arr != np.round(arr)):
            raise EcgValueError(f"{name}: expected integer sample indices, got fractional values")
    out = np.sort(arr.astype(np.int64))
    if out[0] < 0:
        raise EcgValueError(f"{name}: expected non-negative sample indices, got {int(out[0])}")
    return out


def score_detections(
    detected: Any,
    reference: Any,
    fs: float,
    *,
    tolerance_s: float = 0.150,
) -> DetectionScore:
    """Match detections to reference beats one to one within ``tolerance_s`` and count.

    Parameters
    ----------
    detected
        Detected beat positions (sample indices).
    reference
        Reference beat positions (sample indices), e.g. from :func:`reference_beats`.
    fs
        Sampling rate in Hz (of both index arrays).
    tolerance_s
        Largest distance in seconds for a match (AAMI EC57: 150 ms).

    Returns
    -------
    DetectionScore
        TP, FP, FN and the derived Se, +P and F1.

    Notes
    -----
    Candidate pairs within the window are matched closest first (greedy on distance), which is
    optimal whenever beats are further apart than twice the tolerance and otherwise resolves
    ties in favour of the nearer pair, as ``bxb`` does.
    """
    if not np.isfinite(fs) or fs <= 0:
        raise EcgValueError(f"fs: expected a positive sampling rate in Hz, got {fs!r}")
    if not np.isfinite(tolerance_s) or tolerance_s < 0:
        raise EcgValueError(f"tolerance_s: expected a non-negative time in seconds, got {tolerance_s!r}")
    det = _as_sample_indices(detected, "detected")
    ref = _as_sample_indices(reference, "reference")
    if det.size == 0 or ref.size == 0:
        return DetectionScore(0, int(det.size), int(ref.size))
    tol = tolerance_s * fs
    # All (reference, detection) pairs within the window: each reference has a small contiguous
    # range of detections, found with two binary searches.
    lo = np.searchsorted(det, ref - tol, side="left")
    hi = np.searchsorted(det, ref + tol, side="right")
    counts = hi - lo
    ref_idx = np.repeat(np.arange(ref.size), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    det_idx = starts + np.arange(ref_idx.size)
    dist = np.abs(det[det_idx] - ref[ref_idx])
    order = np.lexsort((ref_idx, dist))
    used_ref = np.zeros(ref.size, dtype=bool)
    used_det = np.zeros(det.size, dtype=bool)
    tp = 0
    for k in order.tolist():
        r, d = ref_idx[k], det_idx[k]
        if not used_ref[r] and not used_det[d]:
            used_ref[r] = used_det[d] = True
            tp += 1
    return DetectionScore(tp, int(det.size) - tp, int(ref.size) - tp)


def pool_scores(scores: Iterable[DetectionScore]) -> DetectionScore:
    """Sum counts over records (gross statistics, AAMI EC57), so every beat weighs the same."""
    total = DetectionScore(0, 0, 0)
    for score in scores:
        total = total + score
    return total


def reference_beats(annotation: Any) -> np.ndarray:
    """Sample indices of the beat annotations in a ``wfdb.Annotation`` (or any object with
    ``sample`` and ``symbol``), dropping rhythm, noise and comment annotations.

    Parameters
    ----------
    annotation
        A ``wfdb.Annotation`` as returned by ``wfdb.rdann(..., "atr")``.

    Returns
    -------
    numpy.ndarray
        Sorted int64 sample indices of beats (symbols in :data:`BEAT_SYMBOLS`).
    """
    try:
        samples = np.asarray(annotation.sample, dtype=np.int64)
        symbols = list(annotation.symbol)
    except AttributeError:
        raise EcgValueError(
            f"annotation: expected an object with 'sample' and 'symbol' (wfdb.Annotation), got {type(annotation).__name__}"
        ) from None
    if samples.shape != (len(symbols),):
        raise EcgValueError(
            f"annotation: 'sample' ({samples.shape}) and 'symbol' ({len(symbols)}) differ in length"
        )
    keep = np.fromiter((s in BEAT_SYMBOLS for s in symbols), dtype=bool, count=len(symbols))
    return np.sort(samples[keep])
