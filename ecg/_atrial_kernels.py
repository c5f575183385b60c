"""Numba kernels of the atrial-activity features (private; inputs are validated by :mod:`ecg.atrial`).

:func:`f_wave_power` is one pass over the signal between the first and the last beat; its plain-Python
reference is ``tests/ecg/test_atrial.py::_reference_f_wave_power``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["f_wave_power"]


@numba.njit(cache=True)
def f_wave_power(
    x: np.ndarray,
    beats: np.ndarray,
    template_beat: np.ndarray,
    interval_ok: np.ndarray,
    pre: int,
    post: int,
    skip_before: int,
    skip_after: int,
    sos: np.ndarray,
) -> np.ndarray:
    """QRST-cancelled residual of ``x`` between beats and its power in a band.

    1. Template: the mean of the windows ``x[b - pre : b + post]`` of the beats flagged in
       ``template_beat`` that lie wholly inside ``x`` and hold no NaN.
    2. Residual, on the samples of each interval ``k`` with ``interval_ok[k]`` from
       ``beats[k] + skip_after`` to ``beats[k + 1] - skip_before`` (the QRS complexes left out):
       ``x`` less the template's P-wave part aligned on the *next* beat where that beat is at most
       ``pre`` samples away, else less its ST-T part aligned on the *previous* beat where that one is
       less than ``post`` samples away, else ``x`` itself. NaN samples do not count.
    3. The residual (zero where it does not count) runs through the biquad cascade ``sos``
       (``(n_sections, 6)``, scipy layout, ``a0 = 1``) from the first to the last beat.

    Returns ``[band power, residual power, counted samples, template beats, template QRS peak-to-peak]``;
    the powers are means over the counted samples (NaN when none count or no template beat exists).
    """
    out = np.full(5, np.nan)
    n = x.size
    nb = beats.size
    width = pre + post
    tmpl = np.zeros(width)
    n_t = 0
    for k in range(nb):
        b = beats[k]
        if not template_beat[k] or b - pre < 0 or b + post > n:
            continue
        finite = True
        for j in range(width):
            if np.isnan(x[b - pre + j]):
                finite = False
                break
        if not finite:
            continue
        for j in range(width):
            tmpl[j] += x[b - pre + j]
        n_t += 1
    out[3] = n_t
    if n_t == 0 or nb < 2:
        out[2] = 0.0
        return out
    for j in range(width):
        tmpl[j] /= n_t
    lo = min(max(pre - skip_before, 0), width)
    hi = min(pre + skip_after, width)
    qmax = -np.inf
    qmin = np.inf
    for j in range(lo, hi):
        qmax = max(qmax, tmpl[j])
        qmin = min(qmin, tmpl[j])
    out[4] = qmax - qmin if hi > lo else np.nan
    n_sec = sos.shape[0]
    z1 = np.zeros(n_sec)
    z2 = np.zeros(n_sec)
    p_band = 0.0
    p_all = 0.0
    count = 0
    for k in range(nb - 1):
        k0 = beats[k]
        k1 = beats[k + 1]
        s_lo = k0 + skip_after
        s_hi = k1 - skip_before
        for s in range(k0, k1):
            u = 0.0
            counted = False
            if interval_ok[k] and s >= s_lo and s < s_hi and s < n:
                v = x[s]
                if not np.isnan(v):
                    d2 = k1 - s
                    d1 = s - k0
                    if d2 <= pre:
                        u = v - tmpl[pre - d2]
                    elif d1 < post:
                        u = v - tmpl[pre + d1]
                    else:
                        u = v
                    counted = True
            y = u
            for i in range(n_sec):  # transposed direct form II
                yi = sos[i, 0] * y + z1[i]
                z1[i] = sos[i, 1] * y - sos[i, 4] * yi + z2[i]
                z2[i] = sos[i, 2] * y - sos[i, 5] * yi
                y = yi
            if counted:
                p_band += y * y
                p_all += u * u
                count += 1
    out[2] = count
    if count > 0:
        out[0] = p_band / count
        out[1] = p_all / count
    return out
