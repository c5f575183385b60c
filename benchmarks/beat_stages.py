"""Stage timings of :func:`ecg.beats.classify_beats` and :func:`ecg.intervals.measure_intervals`.

Run: ``python -m benchmarks.beat_stages [--data DIR] [--repeat N] [--profile]``.

Every figure is a best-of-``repeat`` wall time (:func:`benchmarks._common.time_best`) summed over the
records of a database, printed next to its ratio to :func:`ecg.detect_qrs` on the same records, measured
in the same run (the machine is shared: compare ratios, not seconds). Inputs, read once with
:func:`ecg.read`:

* MIT-BIH (``ecg/mitdb``, 10 records, 30 min, 2 leads, 360 Hz) and a 30-record sample of CinC 2017
  (``ecg/cinc2017``, single lead, 300 Hz): ``classify_beats`` as :func:`ecg.screen` calls it
  (zero-phase screening signal, ``prefiltered=True``, ``raw=``, ``decimation=``), and the time per record;
* PTB ``s0010_re`` (12 standard leads, 1000 Hz): ``measure_intervals`` as ``screen`` calls it.

``--profile`` prints the top of a cProfile of each call on top of the timings.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from pathlib import Path
from typing import Any

from benchmarks._common import SHARED_DATA, time_best
from ecg import detect_qrs, read
from ecg.beats import classify_beats
from ecg.intervals import measure_intervals
from ecg.preprocess import screening_signal, zero_phase_screening


def _beat_args(rec: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    pre = screening_signal(rec.signal, rec.fs)
    beats = detect_qrs(rec.signal, rec.fs)
    step = int(round(rec.fs / pre.fs))
    filt = zero_phase_screening(pre)
    return (filt, rec.fs, beats), dict(leads=rec.leads, prefiltered=True, raw=rec.signal, decimation=step)


def _profile(fn: Any, n: int = 20, top: int = 18) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    return s.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "ecg")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    groups = {
        "mitdb": [read(p) for p in sorted((args.data / "mitdb").glob("*.hea"))],
        "cinc2017": [read(p) for p in sorted((args.data / "cinc2017").glob("*.hea"))[:30]],
    }
    ptb = [read(p) for p in sorted((args.data / "ptb").glob("*.hea"))]
    for name, recs in groups.items():
        if not recs:
            continue
        t_qrs = t_beats = 0.0
        for rec in recs:
            a, kw = _beat_args(rec)
            classify_beats(*a, **kw)  # warm-up (Numba caches)
            t_qrs += time_best(lambda: detect_qrs(rec.signal, rec.fs), repeat=args.repeat, min_time_s=0.05)
            t_beats += time_best(lambda: classify_beats(*a, **kw), repeat=args.repeat, min_time_s=0.05)
        print(
            f"{name:9s} detect_qrs {t_qrs * 1e3:8.2f} ms  classify_beats {t_beats * 1e3:8.2f} ms "
            f"= {t_beats / t_qrs:.3f}x  ({t_beats / len(recs) * 1e3:.3f} ms/record, {len(recs)} records)"
        )
        if args.profile:
            a, kw = _beat_args(recs[0])
            print(_profile(lambda: classify_beats(*a, **kw)))
    for rec in ptb:
        beats = detect_qrs(rec.signal, rec.fs)
        a, kw = _beat_args(rec)
        labels = classify_beats(*a, **kw).labels
        run = lambda: measure_intervals(rec.signal, rec.fs, beats, leads=rec.leads, labels=labels)  # noqa: E731
        iv = run()
        t_qrs = time_best(lambda: detect_qrs(rec.signal, rec.fs), repeat=args.repeat, min_time_s=0.05)
        t_iv = time_best(run, repeat=args.repeat, min_time_s=0.05)
        print(
            f"ptb       detect_qrs {t_qrs * 1e3:8.2f} ms  measure_intervals {t_iv * 1e3:8.2f} ms = {t_iv / t_qrs:.3f}x  "
            f"(QRS {iv.qrs_ms:.1f} QT {iv.qt_ms:.1f} PR {iv.pr_ms} axis {iv.axis_deg:.1f})"
        )
        if args.profile:
            print(_profile(run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
