"""The WFDB Numba kernels against plain-Python references and wfdb-python's own encoder/decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import wfdb
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ecg
from ecg.io import _wfdb_kernels


def decode_212_reference(raw: bytes, n_values: int) -> list[int]:
    """Format 212 by the letter of signal(5), one sample at a time."""
    out = []
    for i in range(n_values):
        pair, second = divmod(i, 2)
        b0, b1 = raw[3 * pair], raw[3 * pair + 1]
        if second == 0:
            v = b0 | ((b1 & 0x0F) << 8)
        else:
            v = raw[3 * pair + 2] | ((b1 >> 4) << 8)
        out.append(v - 4096 if v >= 2048 else v)
    return out


def encode_212_reference(values: list[int]) -> bytes:
    out = bytearray()
    for i in range(0, len(values), 2):
        a = values[i] & 0xFFF
        if i + 1 < len(values):
            b = values[i + 1] & 0xFFF
            out += bytes([a & 0xFF, (a >> 8) | ((b >> 8) << 4), b & 0xFF])
        else:
            out += bytes([a & 0xFF, a >> 8])
    return bytes(out)


def to_physical_reference(digital, invalid, gain, baseline, factor):
    rows = []
    for row in digital:
        rows.append([float("nan") if d == invalid else (d - b) / g * f
                     for d, g, b, f in zip(row, gain, baseline, factor, strict=True)])
    return np.array(rows, dtype=np.float64).reshape(len(digital), len(gain))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2048, 2047), min_size=0, max_size=41))
def test_decode_212_roundtrip(values: list[int]) -> None:
    raw = encode_212_reference(values)
    assert decode_212_reference(raw, len(values)) == values
    got = _wfdb_kernels.decode_212(np.frombuffer(raw, dtype=np.uint8), len(values))
    assert got.dtype == np.int32
    assert got.tolist() == values


@settings(max_examples=30, deadline=None)
@given(arrays(np.uint8, st.integers(3, 60).map(lambda n: n - n % 3)))
def test_decode_212_matches_reference_on_any_bytes(raw: np.ndarray) -> None:
    n = raw.size // 3 * 2
    got = _wfdb_kernels.decode_212(raw, n)
    assert got.tolist() == decode_212_reference(raw.tobytes(), n)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int32, st.tuples(st.integers(0, 12), st.integers(1, 3)), elements=st.integers(-40000, 40000)),
    st.floats(0.5, 5000), st.integers(-500, 500),
)
def test_to_physical_matches_reference(digital: np.ndarray, gain: float, base: int) -> None:
    k = digital.shape[1]
    gains = np.full(k, gain)
    baselines = np.full(k, float(base))
    factors = np.array([1.0, 1e-3, 1e3][:k])
    out = np.full((digital.shape[0], k + 1), -7.0)
    _wfdb_kernels.to_physical(np.ascontiguousarray(digital), -32768, gains, baselines, factors, out, 1)
    ref = to_physical_reference(digital.tolist(), -32768, gains, baselines, factors)
    np.testing.assert_allclose(out[:, 1:], ref, rtol=1e-12, equal_nan=True)
    assert np.all(out[:, 0] == -7.0)  # columns outside the target are untouched


def test_reader_matches_wfdb_writer(tmp_path: Path) -> None:
    """Records wfdb-python writes (formats 16, 80, 24, 32) read back to its own physical values."""
    rng = np.random.default_rng(7)
    d = rng.integers(-2000, 2000, size=(1001, 3)).astype(np.int64)
    for fmt in ("16", "80", "24", "32"):
        dd = d // 20 if fmt == "80" else d
        wfdb.wrsamp(
            f"r{fmt}", fs=500, units=["mV", "uV", "mV"], sig_name=["I", "II", "V1"], d_signal=dd,
            fmt=[fmt] * 3, adc_gain=[200.0, 0.25, 400.0], baseline=[0, 10, -3], write_dir=str(tmp_path),
        )
        rec = ecg.read(tmp_path / f"r{fmt}.hea")
        ref = wfdb.rdrecord(str(tmp_path / f"r{fmt}"))
        expected = ref.p_signal * np.array([1.0, 1e-3, 1.0])
        np.testing.assert_allclose(rec.signal, expected, rtol=1e-12, atol=1e-12, err_msg=f"format {fmt}")
        assert rec.leads == ("I", "II", "V1")


def test_formats_wfdb_reads_but_does_not_write(tmp_path: Path) -> None:
    """Formats 212 (odd sample count), 61 and 160 written by hand, read by us and by ``wfdb.rdrecord``."""
    rng = np.random.default_rng(3)
    d = rng.integers(-2047, 2048, size=(501, 3))
    payloads = {
        "212": encode_212_reference(d.ravel().tolist()),
        "61": d.astype(">i2").tobytes(),
        "160": (d + 32768).astype("<u2").tobytes(),
    }
    for fmt, payload in payloads.items():
        (tmp_path / f"f{fmt}.dat").write_bytes(payload)
        lines = [f"f{fmt} 3 250 501"] + [f"f{fmt}.dat {fmt} 200(5)/mV 12 0 0 0 0 {n}" for n in ("I", "II", "III")]
        (tmp_path / f"f{fmt}.hea").write_text("\n".join(lines) + "\n")
        rec = ecg.read(tmp_path / f"f{fmt}")
        ref = wfdb.rdrecord(str(tmp_path / f"f{fmt}"))
        np.testing.assert_allclose(rec.signal, ref.p_signal, rtol=1e-12, atol=1e-12, err_msg=f"format {fmt}")
        np.testing.assert_allclose(rec.signal, (d - 5) / 200.0, rtol=1e-12)
