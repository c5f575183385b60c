"""Cost of :func:`ecg.screen` relative to :func:`ecg.detect_qrs` on the same records, in one run.

Run: ``python -m benchmarks.screen [--data DIR] [--repeat N] [--only DB]`` (writes ``benchmarks/results/screen.json``
when every database is measured).

Inputs: the MIT-BIH records in ``../shared/data/ecg/mitdb`` (30 min, 2 leads, 360 Hz), the PTB record
(15 leads; the 12 standard ones are read) and a 30-record sample of CinC 2017 (single lead, 300 Hz),
each read once with :func:`ecg.read`. Each function is timed best-of-``repeat`` on every record
(:func:`benchmarks._common.time_best`); the figure is ``sum(screen) / sum(detect_qrs)`` per database,
where ``detect_qrs`` runs on the record as read (full rate) -- what screening costs on top of QRS
detection (target: at most 1.5, i.e. +50 %). ``screen`` includes everything: the screening signal
(:func:`ecg.preprocess.screening_signal` and its backward pass: masks, decimation to >= 120 Hz,
zero-phase 0.5-40 Hz), its own QRS detection on that signal, quality, beat classification, rhythm
analysis, (12-lead) intervals and the priorities. The stages are timed one by one too
("rest" = screen minus the timed stages: rhythm, findings, priorities, Python glue, and each stage's slowdown
when it runs after the others), and once one after the other without the rhythm analysis and result objects
("stages_in_sequence": what ``screen`` would cost if those were free). The full-quality
:func:`ecg.preprocess` (display / export; not called by ``screen``) is timed for comparison.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import SHARED_DATA, machine_info, time_best, write_result
from ecg import assess_quality, detect_qrs, preprocess, read
from ecg.beats import classify_beats
from ecg.intervals import measure_intervals
from ecg.preprocess import screening_signal, zero_phase_screening
from ecg.screen import screen

log = logging.getLogger("benchmarks.screen")


def _records(data: Path) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {"mitdb": [], "ptb": [], "cinc2017": []}
    for hea in sorted((data / "mitdb").glob("*.hea")):
        groups["mitdb"].append(read(hea))
    for hea in sorted((data / "ptb").glob("*.hea")):
        groups["ptb"].append(read(hea))
    for hea in sorted((data / "cinc2017").glob("*.hea"))[:30]:
        groups["cinc2017"].append(read(hea))
    return {k: v for k, v in groups.items() if v}


def _stages_in_sequence(rec: Any) -> None:
    """The compiled stages of ``screen`` one after the other, as it runs them, without the rhythm analysis and
    the result objects: what ``screen`` would cost if those were free."""
    sig, fs = rec.signal, rec.fs
    pre = screening_signal(sig, fs)
    filt = zero_phase_screening(pre)
    step = int(round(fs / pre.fs))
    beats = np.minimum(detect_qrs(filt, pre.fs) * step + step // 2, sig.shape[0] - 1)
    assess_quality(sig, fs, beats=beats, preprocessed=pre)
    labels = classify_beats(filt, fs, beats, prefiltered=True, raw=sig, decimation=step).labels
    if rec.n_leads >= 3 and beats.size >= 3:
        measure_intervals(sig, fs, beats, leads=rec.leads, labels=labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "ecg")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", choices=("mitdb", "ptb", "cinc2017"), action="append",
        help="measure only this database (repeatable); nothing is written then",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    groups = _records(args.data)
    if args.only:
        groups = {k: v for k, v in groups.items() if k in args.only}
    if not groups:
        print(f"no records under {args.data}")
        return 1
    # warm-up (Numba compilation / caches) outside the timings
    screen(groups[next(iter(groups))][0])
    result: dict[str, Any] = {"machine": machine_info(("wfdb",)), "databases": {}}
    for name, records in groups.items():
        t: dict[str, float] = dict.fromkeys(
            ("detect_qrs", "screen", "screening_signal", "detect_qrs_screening", "assess_quality", "classify_beats",
             "measure_intervals", "stages_in_sequence", "full_preprocess_not_in_screen"), 0.0)
        for rec in records:
            sig, fs = rec.signal, rec.fs

            def timed(key: str, fn: Any) -> None:
                t[key] += time_best(fn, repeat=args.repeat, min_time_s=0.05)

            timed("detect_qrs", lambda: detect_qrs(sig, fs))
            timed("screen", lambda: screen(rec))
            timed("screening_signal", lambda: zero_phase_screening(screening_signal(sig, fs)))
            pre = screening_signal(sig, fs)
            filt = zero_phase_screening(pre)
            step = int(round(fs / pre.fs))
            timed("detect_qrs_screening", lambda: detect_qrs(filt, pre.fs))
            beats = np.minimum(detect_qrs(filt, pre.fs) * step + step // 2, sig.shape[0] - 1)
            timed("assess_quality", lambda: assess_quality(sig, fs, beats=beats, preprocessed=pre))
            timed("classify_beats",
                  lambda: classify_beats(filt, fs, beats, prefiltered=True, raw=sig, decimation=step))
            if rec.n_leads >= 3 and beats.size >= 3:
                timed("measure_intervals", lambda: measure_intervals(sig, fs, beats, leads=rec.leads))
            timed("stages_in_sequence", lambda: _stages_in_sequence(rec))
            timed("full_preprocess_not_in_screen", lambda: preprocess(sig, fs))
        hours = sum(r.duration_s for r in records) / 3600.0
        staged = sum(t[k] for k in ("screening_signal", "detect_qrs_screening", "assess_quality", "classify_beats",
                                    "measure_intervals"))
        q = t["detect_qrs"]
        entry = {
            "n_records": len(records),
            "hours": round(hours, 3),
            "detect_qrs_s": q,
            "screen_s": t["screen"],
            "screen_over_detect_qrs": t["screen"] / q,
            "stages_s": {k: v for k, v in t.items() if k not in ("detect_qrs", "screen")},
            "stages_over_detect_qrs": {k: v / q for k, v in t.items() if k not in ("detect_qrs", "screen")},
            "rest_s": t["screen"] - staged,
            "rest_over_detect_qrs": (t["screen"] - staged) / q,
            "screen_hours_per_s": hours / t["screen"],
        }
        result["databases"][name] = entry
        stages = ", ".join(f"{k} {v:.2f}" for k, v in entry["stages_over_detect_qrs"].items())
        print(
            f"{name:9s} {len(records):3d} records {hours:6.2f} h: detect_qrs {q:.4f} s, screen {t['screen']:.4f} s, "
            f"ratio {t['screen'] / q:.2f} (target <= 1.50)\n          stages / detect_qrs: {stages}, "
            f"rest {entry['rest_over_detect_qrs']:.2f}"
        )
    if not args.only:
        print(f"wrote {write_result('screen', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
