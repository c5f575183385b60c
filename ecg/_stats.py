"""Order statistics shared by the ECG kernels and the per-record Python glue (private).

:func:`select` and :func:`median_inplace` are for Numba kernels (signal quality, rhythm windows, the beat
sequence of a record): exact, in place, no allocation.
:func:`merge_network` / :func:`sort_columns` sort many short columns at once through one data-independent
comparator network (Batcher's odd-even merge sort): P-wave medians of the beat classifier, median beats of
the interval measurement. :func:`center_columns` takes the mean out of many short columns at once (beat windows
as columns, in the quality and beat kernels).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["center_columns", "median_inplace", "median_sorted", "merge_network", "select", "sort_columns", "sort_rows"]


@njit(cache=True)
def _partition(a: np.ndarray, lo: int, hi: int, pivot: float, or_equal: bool) -> int:  # pragma: no cover
    """Branchless Lomuto partition of ``a[lo:hi]``: values ``< pivot`` (``<= pivot`` when ``or_equal``) first;
    return where the rest starts. No data-dependent branch, so random data costs no mispredictions."""
    seg = a[lo:hi]  # (indexed by loop counters from 0: no wrap-around tests)
    j = 0
    if or_equal:
        for i in range(seg.shape[0]):
            x = seg[i]
            seg[i] = seg[j]
            seg[j] = x
            j += x <= pivot
    else:
        for i in range(seg.shape[0]):
            x = seg[i]
            seg[i] = seg[j]
            seg[j] = x
            j += x < pivot
    return lo + j


@njit(cache=True)
def select(a: np.ndarray, n: int, r: int) -> float:
    """Rearrange ``a[:n]`` in place so that ``a[r]`` is the value of rank ``r`` (ascending), ``a[:r]`` the
    smaller or equal ones and ``a[r:]`` the larger or equal ones; return ``a[r]``.

    Quickselect (Hoare, CACM 4:321, 1961) with a median-of-three pivot and a three-way split (below /
    equal to / above the pivot, two branchless Lomuto passes), so runs of equal values cannot make it
    quadratic.
    """
    lo = 0
    hi = n
    while hi - lo > 1:
        x0 = a[lo]
        x1 = a[(lo + hi) >> 1]
        x2 = a[hi - 1]
        pivot = max(min(x0, x1), min(max(x0, x1), x2))
        j = _partition(a, lo, hi, pivot, False)
        if r < j:
            hi = j
            continue
        e = _partition(a, j, hi, pivot, True)
        if r < e:
            return a[r]
        lo = e
    return a[r]


@njit(cache=True)
def median_inplace(a: np.ndarray, n: int) -> float:
    """Median of ``a[:n]`` (``n >= 1``, no NaN; rearranges it, allocates nothing), as :func:`numpy.median`:
    the mean of the two middle values for an even ``n``."""
    r = n // 2
    upper = select(a, n, r)
    if n % 2:
        return upper
    lower = a[0]
    for i in range(1, r):  # the largest of the r smaller values
        lower = max(lower, a[i])
    return (lower + upper) / 2


@njit(cache=True)
def median_sorted(v: np.ndarray) -> float:
    """Median of a sorted 1-D array (mean of the two middle values for an even size, as NumPy)."""
    m = v.shape[0]
    h = m // 2
    if m % 2:
        return v[h]
    return (v[h - 1] + v[h]) / 2.0


@njit(cache=True)
def merge_network(m: int) -> np.ndarray:
    """Comparators ``(n, 2)`` (low index first) of Batcher's odd-even merge sort of ``m`` values."""
    pairs = np.empty((max(m * m, 1), 2), dtype=np.int64)
    n = 0
    p = 1
    while p < m:
        k = p
        while k >= 1:
            j = k % p
            while j + k < m:
                for i in range(min(k, m - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs[n, 0] = i + j
                        pairs[n, 1] = i + j + k
                        n += 1
                j += 2 * k
            k //= 2
        p *= 2
    return pairs[:n].copy()


@njit(cache=True)
def sort_columns(buf: np.ndarray, pairs: np.ndarray, c0: int, c1: int) -> None:
    """Sort the columns ``c0:c1`` of ``buf`` in place through the comparators ``pairs`` (:func:`merge_network`
    of the number of rows to sort). The comparators do not depend on the data, so each one runs over all
    columns at once (contiguous, branch-free, vectorised): much faster than one sort per column."""
    for q in range(pairs.shape[0]):
        a = buf[pairs[q, 0]]
        b = buf[pairs[q, 1]]
        for c in range(c0, c1):
            u = a[c]
            v = b[c]
            a[c] = u if u <= v else v
            b[c] = v if u <= v else u


@njit(cache=True)
def sort_rows(buf: np.ndarray, m: int) -> None:
    """Sort every column of ``buf[:m]`` in place (:func:`sort_columns` with Batcher's network)."""
    sort_columns(buf, merge_network(m), 0, buf.shape[1])


@njit(cache=True)
def center_columns(a: np.ndarray, means: np.ndarray) -> None:
    """Subtract from every column of the 2-D ``a`` its mean, in place, the means left in ``means[: a.shape[1]]``.

    The columns advance side by side, row by row (contiguous, vectorised), each column's sum still in row order:
    the same values as centring one column at a time.
    """
    rows, cols = a.shape
    means[:cols] = 0.0
    for i in range(rows):
        r = a[i]
        for j in range(cols):
            means[j] += r[j]
    for j in range(cols):
        means[j] /= rows
    for i in range(rows):
        r = a[i]
        for j in range(cols):
            r[j] -= means[j]
