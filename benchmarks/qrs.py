"""QRS detection: accuracy and speed of ``ecg.detect_qrs`` against sleepecg, wfdb XQRS and neurokit2.

Run with ``python -m benchmarks.qrs`` (needs ``../shared/data``; a few minutes on 2 cores).

What it measures, all in one process so the ratios compare like with like:

* F1 (pooled over all beats, +-150 ms, one-to-one) on the shared MIT-BIH records and the noise
  stress records: ``detect_qrs`` on ALL leads, and every peer on the first lead.
* Time per 30-min record: ``detect_qrs`` on both leads and on one lead, ``sleepecg``'s C backend
  on one lead (best of several runs, JIT compilation excluded); XQRS and neurokit2 once per record
  (they take seconds). Ratios are ``peer time / detect_qrs time``.
* JIT compile time of the kernels, measured in a fresh interpreter with an empty Numba cache.
* Throughput and peak memory on a 24-hour, 2-lead, 500 Hz Holter-like record (MIT-BIH 100
  resampled to 500 Hz and tiled 48 times, float32): ``tracemalloc`` peak of the detector's own
  allocations (the input excluded) and the process's RSS growth during the call.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import wfdb
from scipy import signal as sps

from benchmarks._common import SHARED_DATA, machine_info, time_best, write_result
from ecg import detect_qrs, pool_scores, reference_beats, score_detections

log = logging.getLogger("benchmarks.qrs")

MITDB = ("100", "102", "104", "106", "107", "108", "118", "119", "202", "223")
NSTDB = ("118e24", "118e12", "118e00")


def _load(path: Path) -> tuple[np.ndarray, float, np.ndarray]:
    rec = wfdb.rdrecord(str(path))
    ann = wfdb.rdann(str(path), "atr")
    return np.ascontiguousarray(rec.p_signal), float(rec.fs), reference_beats(ann)


def _peers() -> dict[str, Any]:
    """Peer detectors on one lead: name -> callable(signal_1d, fs) -> beat indices."""
    import neurokit2 as nk
    import sleepecg
    from wfdb import processing

    def xqrs(sig: np.ndarray, fs: float) -> np.ndarray:
        det = processing.XQRS(sig=sig, fs=fs)
        det.detect(verbose=False)
        return np.asarray(det.qrs_inds, dtype=np.int64)

    def neurokit(sig: np.ndarray, fs: float) -> np.ndarray:
        _, info = nk.ecg_peaks(sig, sampling_rate=int(round(fs)))
        return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)

    def sleep(sig: np.ndarray, fs: float) -> np.ndarray:
        return np.asarray(sleepecg.detect_heartbeats(sig, fs, backend="c"), dtype=np.int64)

    return {"sleepecg_c": sleep, "xqrs": xqrs, "neurokit2": neurokit}


def _compile_time_s() -> float:
    """Seconds of the first ``detect_qrs`` call in a fresh interpreter with an empty Numba cache."""
    code = (
        "import time, numpy as np\n"
        "t0 = time.perf_counter(); import ecg.qrs as q; t1 = time.perf_counter()\n"
        "x = np.random.default_rng(0).standard_normal((5000, 2))\n"
        "t2 = time.perf_counter(); q.detect_qrs(x, 250.0); t3 = time.perf_counter()\n"
        "t4 = time.perf_counter(); q.detect_qrs(x, 250.0); t5 = time.perf_counter()\n"
        "print((t3 - t2) - (t5 - t4))\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _holter(path: Path, hours: float = 24.0, fs: float = 500.0) -> dict[str, Any]:
    sig, fs0, _ = _load(path)
    base = sps.resample_poly(sig, int(fs), int(fs0), axis=0).astype(np.float32)
    n = int(hours * 3600 * fs)
    holter = np.resize(base, (n, 2))  # tiles the 30-min record to 24 h (float32, in memory)
    detect_qrs(holter[:5000], fs)
    rss0 = _rss_mb()
    tracemalloc.start()
    beats = detect_qrs(holter, fs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = _rss_mb()
    elapsed = time_best(lambda: detect_qrs(holter, fs), repeat=3, min_time_s=0.0)  # untraced
    return {
        "how": "MIT-BIH 100 (MLII, V5) resampled to 500 Hz, tiled to 24 h, float32 array in memory",
        "n_samples": n,
        "n_leads": 2,
        "fs": fs,
        "seconds": elapsed,
        "samples_per_s": n / elapsed,
        "beats": int(beats.size),
        "input_mb": holter.nbytes / 2**20,
        "tracemalloc_peak_mb": peak / 2**20,
        "rss_growth_mb": rss1 - rss0,
    }


def _rss_mb() -> float:
    """Current resident set size in MiB (Linux ``/proc``; peak RSS where unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> dict[str, Any]:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    mitdb = {name: _load(SHARED_DATA / "ecg" / "mitdb" / name) for name in MITDB}
    nstdb = {name: _load(SHARED_DATA / "ecg" / "nstdb" / name) for name in NSTDB}
    peers = _peers()
    detect_qrs(mitdb["100"][0][:5000], 360.0)  # JIT (from cache) outside the timings
    detect_qrs(mitdb["100"][0][:5000].astype(np.float32), 360.0)  # float32 specialisation (Holter)
    peers["sleepecg_c"](mitdb["100"][0][:5000, 0].copy(), 360.0)

    per_record: dict[str, Any] = {}
    scores: dict[str, list] = {k: [] for k in ("detect_qrs_all_leads", "detect_qrs_lead0", *peers)}
    times: dict[str, float] = {k: 0.0 for k in scores}
    n_samples = 0
    for name, (sig, fs, ref) in mitdb.items():
        lead0 = np.ascontiguousarray(sig[:, 0])
        n_samples += sig.shape[0]
        row: dict[str, Any] = {}
        runs = {
            "detect_qrs_all_leads": (lambda s=sig, f=fs: detect_qrs(s, f), True),
            "detect_qrs_lead0": (lambda s=lead0, f=fs: detect_qrs(s, f), True),
            "sleepecg_c": (lambda s=lead0, f=fs: peers["sleepecg_c"](s, f), True),
            "xqrs": (lambda s=lead0, f=fs: peers["xqrs"](s, f), False),
            "neurokit2": (lambda s=lead0, f=fs: peers["neurokit2"](s, f), False),
        }
        for key, (fn, repeat) in runs.items():
            t0 = time.perf_counter()
            beats = fn()
            once = time.perf_counter() - t0
            elapsed = time_best(fn, repeat=5, min_time_s=0.1) if repeat else once
            score = score_detections(beats, ref, fs)
            scores[key].append(score)
            times[key] += elapsed
            row[key] = {"seconds": elapsed, **score.to_dict()}
        per_record[name] = row
        log.info(
            "%s: F1 all-leads %.4f (%.1f ms) | sleepecg %.4f (%.1f ms) | xqrs %.4f | nk %.4f",
            name, row["detect_qrs_all_leads"]["f1"], 1e3 * row["detect_qrs_all_leads"]["seconds"],
            row["sleepecg_c"]["f1"], 1e3 * row["sleepecg_c"]["seconds"], row["xqrs"]["f1"], row["neurokit2"]["f1"],
        )
    n_records = len(mitdb)
    summary = {}
    for key in scores:
        pooled = pool_scores(scores[key])
        leads = 2 if key == "detect_qrs_all_leads" else 1
        summary[key] = {
            "leads": leads,
            **pooled.to_dict(),
            "seconds_total": times[key],
            "samples_per_s": n_samples / times[key],
            "lead_samples_per_s": leads * n_samples / times[key],
            "records_per_s": n_records / times[key],
            "time_vs_detect_qrs_all_leads": times[key] / times["detect_qrs_all_leads"],
        }
    noise = {}
    for name, (sig, fs, ref) in nstdb.items():
        beats = detect_qrs(sig, fs)
        noise[name] = {"beats_detected": int(beats.size), **score_detections(beats, ref, fs).to_dict()}
        log.info("%s: F1 %.4f (%d beats for %d reference)", name, noise[name]["f1"], beats.size, ref.size)
    compile_s = _compile_time_s()
    holter = _holter(SHARED_DATA / "ecg" / "mitdb" / "100")
    ratio = times["sleepecg_c"] / times["detect_qrs_all_leads"]
    result = {
        "machine": machine_info(("wfdb", "sleepecg", "neurokit2")),
        "notes": (
            "Single thread. detect_qrs gets both leads; every peer gets lead 0. Times are per the 10 shared "
            "MIT-BIH records (30 min, 360 Hz): best of 5 for detect_qrs and sleepecg, one run for XQRS and "
            "neurokit2. JIT compile time excluded from the timings and reported separately."
        ),
        "mitdb_records": list(MITDB),
        "mitdb_pooled": summary,
        "mitdb_per_record": per_record,
        "nstdb": noise,
        "sleepecg_one_lead_time_over_detect_qrs_two_leads": ratio,
        "jit_compile_s": compile_s,
        "holter_24h": holter,
    }
    path = write_result("qrs", result)
    for key, row in summary.items():
        log.info(
            "%-22s leads=%d F1=%.4f Se=%.4f +P=%.4f  %.2f records/s  %.3g samples/s  time x%.2f",
            key, row["leads"], row["f1"], row["sensitivity"], row["positive_predictivity"],
            row["records_per_s"], row["samples_per_s"], row["time_vs_detect_qrs_all_leads"],
        )
    log.info("sleepecg (1 lead) time / detect_qrs (2 leads) time: %.2f", ratio)
    log.info("JIT compile: %.1f s", compile_s)
    log.info(
        "24 h x 2 leads @ 500 Hz: %.1f s (%.3g samples/s), detector allocations peak %.1f MB "
        "(input %.0f MB), RSS growth %.0f MB",
        holter["seconds"], holter["samples_per_s"], holter["tracemalloc_peak_mb"], holter["input_mb"],
        holter["rss_growth_mb"],
    )
    log.info("wrote %s", path)
    return result


if __name__ == "__main__":
    main()
