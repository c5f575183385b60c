"""Runs of equal values in a 1-D array (a compiled helper shared by the quality grading and the rhythm rules)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["runs_of"]


@njit(cache=True)
def runs_of(values: np.ndarray, target: int) -> np.ndarray:
    """``(n_runs, 2)`` int64 ``[start, stop)`` of the runs of ``values == target`` (1-D), in order."""
    n = values.shape[0]
    out = np.empty((n // 2 + 1, 2), dtype=np.int64)
    n_runs = 0
    start = -1
    for i in range(n):
        if values[i] == target:
            if start < 0:
                start = i
        elif start >= 0:
            out[n_runs, 0] = start
            out[n_runs, 1] = i
            n_runs += 1
            start = -1
    if start >= 0:
        out[n_runs, 0] = start
        out[n_runs, 1] = n
        n_runs += 1
    return out[:n_runs]
