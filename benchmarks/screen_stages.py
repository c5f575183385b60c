"""Cost of the screening signal and quality stages relative to :func:`ecg.detect_qrs`, per stage.

Run: ``python -m benchmarks.screen_stages [--data DIR] [--repeat N] [--cinc N]``.

For the MIT-BIH records in ``../shared/data/ecg/mitdb`` (30 min, 2 leads, 360 Hz) and the first ``--cinc``
CinC 2017 records (single lead, 300 Hz), each stage is timed best-of-``repeat``
(:func:`benchmarks._common.time_best`) on every record:

* ``detect``   -- ``detect_qrs(signal, fs)`` at full rate (the reference, 1.00);
* ``forward``  -- ``screening_signal(signal, fs)`` (masks, boxcar decimation, causal pass);
* ``backward`` -- ``zero_phase_screening(pre)`` (the backward pass);
* ``quality``  -- ``assess_quality(signal, fs, beats=beats, preprocessed=pre)``;
* ``sig+q``    -- the sum of the three (target: at most 0.45 x ``detect``).

MIT-BIH figures are sums over the records; CinC figures are per-record means (ms). Nothing is written.

``--save-outputs FILE`` / ``--compare-outputs FILE`` instead store / compare (no timing) the stages' results
on every shared record (MIT-BIH, nstdb, CinC): masks, decimated causal and zero-phase signals, and
``SignalQuality.to_dict()`` and segment levels with and without beats -- to check that a speed-up changed
nothing beyond floating-point noise.
"""

from __future__ import annotations

import argparse
import logging
import pickle
from pathlib import Path

import numpy as np

from benchmarks._common import SHARED_DATA, time_best
from ecg import assess_quality, detect_qrs, read
from ecg.preprocess import screening_signal, zero_phase_screening


def _stages(rec, repeat: int, min_time_s: float) -> dict[str, float]:
    x, fs = rec.signal, rec.fs
    pre = screening_signal(x, fs)
    beats = detect_qrs(x, fs)
    t = {
        "detect": time_best(lambda: detect_qrs(x, fs), repeat=repeat, min_time_s=min_time_s),
        "forward": time_best(lambda: screening_signal(x, fs), repeat=repeat, min_time_s=min_time_s),
        "backward": time_best(lambda: zero_phase_screening(pre), repeat=repeat, min_time_s=min_time_s),
        "quality": time_best(
            lambda: assess_quality(x, fs, beats=beats, preprocessed=pre), repeat=repeat, min_time_s=min_time_s
        ),
    }
    t["sig+q"] = t["forward"] + t["backward"] + t["quality"]
    return t


def _outputs(data: Path) -> dict[str, dict]:
    paths = sorted((data / "mitdb").glob("*.hea")) + sorted((data / "nstdb").glob("*.hea"))
    paths += sorted((data / "cinc2017").glob("*.hea"))
    out = {}
    for path in paths:
        rec = read(path)
        pre = screening_signal(rec.signal, rec.fs)
        beats = detect_qrs(rec.signal, rec.fs)
        with_beats = assess_quality(rec.signal, rec.fs, beats=beats, preprocessed=pre)
        signal_only = assess_quality(rec.signal, rec.fs)
        out[path.stem] = {
            "masks": (pre.missing, pre.flat, pre.saturated),
            "causal": pre.signal,
            "zero_phase": zero_phase_screening(pre),
            "quality": (with_beats.to_dict(), signal_only.to_dict()),
            "segments": (with_beats.segment_levels, signal_only.segment_levels),
        }
    return out


def _compare(ref: dict[str, dict], new: dict[str, dict]) -> int:
    differences = 0
    max_abs = 0.0
    for name, a in ref.items():
        b = new[name]
        same = all(np.array_equal(x, y) for x, y in zip(a["masks"] + a["segments"], b["masks"] + b["segments"]))
        same &= a["quality"] == b["quality"]
        for key in ("causal", "zero_phase"):
            same &= bool(np.array_equal(np.isnan(a[key]), np.isnan(b[key])))
            if np.isfinite(a[key]).any():
                max_abs = max(max_abs, float(np.nanmax(np.abs(a[key] - b[key]))))
        if not same:
            differences += 1
            print(f"{name}: masks, NaN pattern or quality differ")
    print(f"{len(ref)} records, {differences} with different masks / quality, signals within {max_abs:.3g}")
    return 1 if differences or max_abs > 1e-12 else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "ecg")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cinc", type=int, default=30)
    parser.add_argument("--only", choices=("mitdb", "cinc2017"), default=None)
    parser.add_argument("--save-outputs", type=Path, default=None, metavar="FILE")
    parser.add_argument("--compare-outputs", type=Path, default=None, metavar="FILE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.save_outputs:
        with open(args.save_outputs, "wb") as fh:
            pickle.dump(_outputs(args.data), fh)
        return 0
    if args.compare_outputs:
        with open(args.compare_outputs, "rb") as fh:
            return _compare(pickle.load(fh), _outputs(args.data))
    groups = {
        "mitdb": sorted((args.data / "mitdb").glob("*.hea")),
        "cinc2017": sorted((args.data / "cinc2017").glob("*.hea"))[: args.cinc],
    }
    if args.only:
        groups = {args.only: groups[args.only]}
    for name, paths in groups.items():
        records = [read(p) for p in paths]
        if not records:
            continue
        _stages(records[0], 1, 0.0)  # warm-up (Numba caches)
        total: dict[str, float] = {}
        for rec in records:
            for key, value in _stages(rec, args.repeat, 0.02 if name == "cinc2017" else 0.0).items():
                total[key] = total.get(key, 0.0) + value
        scale, unit = (1.0, "s total") if name == "mitdb" else (1000.0 / len(records), "ms per record")
        print(f"{name} ({len(records)} records)")
        for key, value in total.items():
            print(f"  {key:9s} {value * scale:9.4f} {unit}  {value / total['detect']:5.2f}x detect_qrs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
