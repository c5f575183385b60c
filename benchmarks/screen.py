"""Cost of :func:`ecg.screen` relative to :func:`ecg.detect_qrs` on the same records, in one run.

Run: ``python -m benchmarks.screen [--data DIR] [--repeat N]`` (writes ``benchmarks/results/screen.json``).

Inputs: the MIT-BIH records in ``../shared/data/ecg/mitdb`` (30 min, 2 leads, 360 Hz), the PTB record
(15 leads; the 12 standard ones are read) and a 30-record sample of CinC 2017 (single lead, 300 Hz),
each read once with :func:`ecg.read`. Each function is timed best-of-``repeat`` on every record
(:func:`benchmarks._common.time_best`); the figure is ``sum(screen) / sum(detect_qrs)`` per database,
i.e. what screening costs on top of QRS detection (target: at most 1.5, i.e. +50 %). ``screen`` includes
the QRS detection, the screening signal (:func:`ecg.preprocess.screening_signal`: masks, decimation to
>= 150 Hz, one causal 0.5-40 Hz pass), quality, beat classification (on the zero-phase screening signal),
rhythm analysis and (12-lead) intervals. A break-down of the stages is measured too, and "screening's own
stages" = screen - detect_qrs - screening signal - assess_quality (beat classification, rhythm,
intervals, priorities). The full-quality :func:`ecg.preprocess` (display / export; not called by
``screen``) is timed for comparison.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any


from benchmarks._common import SHARED_DATA, machine_info, time_best, write_result
from ecg import assess_quality, detect_qrs, preprocess, read
from ecg.beats import classify_beats
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "ecg")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    groups = _records(args.data)
    if not groups:
        print(f"no records under {args.data}")
        return 1
    # warm-up (Numba compilation / caches) outside the timings
    screen(groups[next(iter(groups))][0])
    result: dict[str, Any] = {"machine": machine_info(("wfdb",)), "databases": {}}
    for name, records in groups.items():
        t_qrs = t_screen = t_pre = t_quality = t_beats = t_full = 0.0
        for rec in records:
            t_qrs += time_best(lambda: detect_qrs(rec.signal, rec.fs), repeat=args.repeat, min_time_s=0.05)
            t_screen += time_best(lambda: screen(rec), repeat=args.repeat, min_time_s=0.05)
            pre = screening_signal(rec.signal, rec.fs)
            beats = detect_qrs(rec.signal, rec.fs)
            t_pre += time_best(
                lambda: zero_phase_screening(screening_signal(rec.signal, rec.fs)), repeat=args.repeat, min_time_s=0.05
            )
            t_full += time_best(lambda: preprocess(rec.signal, rec.fs), repeat=args.repeat, min_time_s=0.05)
            t_quality += time_best(
                lambda: assess_quality(rec.signal, rec.fs, beats=beats, preprocessed=pre), repeat=args.repeat, min_time_s=0.05
            )
            filt = zero_phase_screening(pre)
            step = int(round(rec.fs / pre.fs))
            t_beats += time_best(
                lambda: classify_beats(filt, rec.fs, beats, prefiltered=True, raw=rec.signal, decimation=step),
                repeat=args.repeat,
                min_time_s=0.05,
            )
        hours = sum(r.duration_s for r in records) / 3600.0
        entry = {
            "n_records": len(records),
            "hours": round(hours, 3),
            "detect_qrs_s": t_qrs,
            "screen_s": t_screen,
            "screen_over_detect_qrs": t_screen / t_qrs,
            "stages_s": {
                "screening_signal": t_pre,
                "assess_quality": t_quality,
                "classify_beats": t_beats,
                "full_preprocess_not_in_screen": t_full,
            },
            # what screening adds beyond the shared signal core (QRS detection, preprocessing, quality)
            "screening_own_s": t_screen - t_qrs - t_pre - t_quality,
            "screening_own_over_detect_qrs": (t_screen - t_qrs - t_pre - t_quality) / t_qrs,
            "screen_hours_per_s": hours / t_screen,
        }
        result["databases"][name] = entry
        print(
            f"{name:9s} {len(records):3d} records {hours:6.2f} h: detect_qrs {t_qrs:.3f} s, screen {t_screen:.3f} s, "
            f"ratio {t_screen / t_qrs:.2f} (target <= 1.50); screening signal {t_pre:.3f} s, quality {t_quality:.3f} s, "
            f"beats {t_beats:.3f} s (full preprocess, not in screen: {t_full:.3f} s); screening's own stages {t_screen - t_qrs - t_pre - t_quality:.3f} s "
            f"= {(t_screen - t_qrs - t_pre - t_quality) / t_qrs:.2f} x detect_qrs"
        )
    path = write_result("screen", result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
