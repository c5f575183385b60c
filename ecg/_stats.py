"""Small statistics for the per-record Python glue (private).

``numpy.median`` costs about 7 us per call whatever the size (dispatch, NaN checks, partition set-up);
a compiled median of a few dozen RR intervals costs well under 1 us, which matters when a 30-s record is
screened in a fraction of a millisecond.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["median", "median_inplace"]


@njit(cache=True)
def _median(x: np.ndarray) -> float:  # pragma: no cover - compiled
    return np.median(x)


def median(x: np.ndarray) -> float:
    """Median of a non-empty 1-D float64 array (NaN when ``x`` holds a NaN), as ``numpy.median``."""
    return float(_median(np.ascontiguousarray(x, dtype=np.float64)))


@njit(cache=True)
def median_inplace(a: np.ndarray, n: int) -> float:  # pragma: no cover - compiled
    """Median of ``a[:n]`` (``n >= 1``, no NaN), as ``numpy.median``; reorders ``a[:n]``, allocates nothing.

    Quickselect (Hoare partition, middle pivot) for the lower middle; for even ``n`` the upper middle
    is the smallest value above it.
    """
    k = (n - 1) // 2
    lo = 0
    hi = n - 1
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    low = a[k]
    if n % 2 == 1:
        return low
    high = a[k + 1]
    for i in range(k + 2, n):
        if a[i] < high:
            high = a[i]
    return (low + high) / 2.0
