"""A scaled month of uploads through the whole pipeline: throughput per kind, Ray overhead, scaling, the month.

    python -m benchmarks.month                 # 1/1000 of a month (100 ECGs, 3,000 images, 765 lab reports)
    python -m benchmarks.month --scale 0.0002  # quicker look

The month (from the centre's figures): 112,000 ECGs, 3,000,000 images, 765,000 lab reports; the issue's
mix rounds ECGs to 100,000 — both are extrapolated and reported.

How the inputs are made (in a temporary folder, deterministic seeds)
--------------------------------------------------------------------
* ECGs: 12-lead, 10 s, 500 Hz resting ECGs (the common tele-ECG), WFDB format 16. Ten base records are
  simulated with neurokit2 (``ecg_simulate(method="multileads")``, 55-110 bpm); each input is a base
  record with its own amplitude scale and 20 uV Gaussian noise; every tenth has a 9-beat wide-complex
  run at 180 bpm spliced into lead II-derived leads (a VT run).
* Images: CT studies of 100 slices of 512 x 512 x 16 bit: the WG-04 ``CT1`` image from ``../shared/data``
  (or pydicom's 128 x 128 ``CT_small`` tiled to 512 x 512 when absent) with per-slice Gaussian noise
  (sigma 2-20 HU, so every slice compresses differently), new Study/Series/SOP Instance UIDs, Instance
  Number and Image Position (Patient) per slice.
* Lab reports: one HL7 v2.5.1 ORU^R01 per file, a basic metabolic panel (K, Na, glucose, creatinine) for
  one of 300 patients (so delta and duplicate rules see histories), about 3 % with a critical value.

What is measured (same machine, same run)
-----------------------------------------
* ``direct``: the per-input processing functions (``workers.jobs.run_*_batch``: read, screen/compress/
  assess, artifact writes) called serially in this process, no Ray, no database (after an untimed warm-up, best of 3 passes;
  for images best of 2 over the first 1,000);
* ``pipeline``: ``workers.run.run_pipeline`` on local Ray with 1 and with 2 worker CPUs (discovery and
  hashing, batching, Ray scheduling, artifact store, worklist DB commits), on an already started Ray
  with warmed-up workers (long-lived workers, as in production);
* the driver's own time (discovery with SHA-256 of every input, worklist DB commits), which runs
  beside the workers on the same 2 cores;
* Ray/pipeline overhead per item = pipeline with 1 worker / items - direct; scaling efficiency =
  t(1 worker) / (2 x t(2 workers)); the month = sum over kinds of month count / throughput with 2 workers.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ._common import SHARED_DATA, machine_info, write_result

log = logging.getLogger("benchmarks.month")

MONTH = {"ecg": 100_000, "imaging": 3_000_000, "lab": 765_000}
MONTH_CENTRE_ECG = 112_000
SLICES_PER_STUDY = 100
FS_ECG = 500


# --------------------------------------------------------------------------------------------- inputs
def _vt_run(n_beats: int, hr: float, fs: float) -> np.ndarray:
    rr = int(round(60 / hr * fs))
    t = np.arange(rr) / fs
    return np.tile(1.5 * np.exp(-0.5 * ((t - 0.08) / 0.03) ** 2) - 0.6 * np.exp(-0.5 * ((t - 0.23) / 0.05) ** 2), n_beats)


def make_ecgs(folder: Path, n: int) -> None:
    import neurokit2 as nk
    import wfdb

    rng = np.random.default_rng(1)
    bases = []
    for k in range(min(n, 10)):
        df = nk.ecg_simulate(duration=10, sampling_rate=FS_ECG, heart_rate=55 + 6 * k, method="multileads", random_state=k)
        bases.append((df.to_numpy(dtype=np.float64), list(df.columns)))
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sig, leads = bases[i % len(bases)]
        sig = sig * rng.uniform(0.7, 1.3) + rng.normal(0, 0.02, sig.shape)
        if i % 10 == 9:
            run = _vt_run(9, 180, FS_ECG)
            a = 4 * FS_ECG
            sig = sig.copy()
            sig[a : a + run.size, :] = run[:, None] * np.linspace(0.4, 1.0, sig.shape[1])[None, :]
        wfdb.wrsamp(f"ecg{i:06d}", fs=FS_ECG, units=["mV"] * len(leads), sig_name=leads, p_signal=sig,
                    fmt=["16"] * len(leads), write_dir=str(folder))


def _ct_source() -> tuple[Any, str]:
    import pydicom
    from pydicom.data import get_testdata_file

    wg04 = SHARED_DATA / "imaging" / "wg04" / "CT1_UNC.dcm"
    if wg04.exists():
        return pydicom.dcmread(wg04), "WG-04 CT1 (512x512)"
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    arr = np.tile(ds.pixel_array, (4, 4))
    ds.Rows, ds.Columns = arr.shape
    ds.PixelData = arr.astype(ds.pixel_array.dtype).tobytes()
    return ds, "pydicom CT_small tiled to 512x512"


def make_images(folder: Path, n: int) -> str:
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    base, what = _ct_source()
    base.decompress() if base.file_meta.TransferSyntaxUID.is_compressed else None
    pixels = base.pixel_array.astype(np.int32)
    info = np.iinfo(base.pixel_array.dtype)
    rng = np.random.default_rng(2)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        study, k = divmod(i, SLICES_PER_STUDY)
        if k == 0:
            study_uid, series_uid = generate_uid(), generate_uid()
            sigma = rng.uniform(2, 20)
        ds = base.copy()
        noisy = np.clip(pixels + rng.normal(0, sigma, pixels.shape).round().astype(np.int32), info.min, info.max)
        ds.PixelData = noisy.astype(base.pixel_array.dtype).tobytes()
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.PatientID = f"BENCH-{study:05d}"
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(k) * 2.5]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = 2.5
        ds.save_as(folder / f"s{study:04d}_{k:03d}.dcm", enforce_file_format=True)
    return what


_PANEL = (("2823-3", "Potassium", "mmol/L", 4.2, 0.5, 6.9), ("2951-2", "Sodium", "mmol/L", 140, 3, 116),
          ("2345-7", "Glucose", "mg/dL", 95, 15, 35), ("2160-0", "Creatinine", "mg/dL", 0.9, 0.2, 7.5))


def make_labs(folder: Path, n: int) -> None:
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        patient = int(rng.integers(300))
        day, minute = divmod(i * 37, 24 * 60)
        ts = f"202601{1 + day % 28:02d}{minute // 60:02d}{minute % 60:02d}00"
        obx = []
        for j, (loinc, name, unit, mean, sd, critical) in enumerate(_PANEL, start=1):
            value = critical if rng.random() < 0.008 else max(mean + rng.normal(0, sd), 0.1)
            obx.append(f"OBX|{j}|NM|{loinc}^{name}^LN||{value:.4g}|{unit}|||||F|||{ts}")
        msg = [
            f"MSH|^~\\&|LIS|CLINIC-{i % 92:02d}|TELETRIAGE|HIC|{ts}||ORU^R01|BENCH-{i:07d}|P|2.5.1",
            f"PID|1||P{patient:05d}^^^CITY-MPI^MR||DOE^J||19600101|F",
            f"OBR|1|ORD-{i:07d}|LAB-{i:07d}|24320-4^Basic metabolic panel^LN|||{ts}",
            *obx,
        ]
        (folder / f"lab{i:06d}.hl7").write_bytes(("\r".join(msg) + "\r").encode("ascii"))


# -------------------------------------------------------------------------------------------- measure
def _process(kind: str, uploads: list[Any], settings: Any, store: Any) -> None:
    from workers.jobs import run_ecg_batch, run_imaging_batch, run_lab_batch

    if kind == "ecg":
        run_ecg_batch(uploads, settings, store)
    elif kind == "lab":
        run_lab_batch(uploads, settings, store, None)
    else:
        for s in range(0, len(uploads), SLICES_PER_STUDY):
            run_imaging_batch(uploads[s : s + SLICES_PER_STUDY], settings, store)


def _direct(kind: str, folder: Path, work: Path, *, limit: int | None = None, repeat: int = 2) -> float:
    """Serial, in-process: the same per-input functions the Ray tasks run, no Ray and no database.

    Seconds per item, best of ``repeat`` passes over the first ``limit`` inputs after an untimed warm-up
    (the minimum is the least disturbed by other load on a shared machine)."""
    from workers.discover import discover
    from workers.settings import Settings
    from workers.store import ArtifactStore

    uploads = sorted(discover([folder], store=ArtifactStore(work / "discover")).uploads, key=lambda u: u.display)[:limit]
    settings = Settings.defaults()
    _process(kind, uploads[:2], settings, ArtifactStore(work / f"direct-{kind}-warm"))  # imports, JIT caches
    best = float("inf")
    for r in range(repeat):
        store = ArtifactStore(work / f"direct-{kind}-{r}")
        t0 = time.perf_counter()
        _process(kind, uploads, settings, store)
        best = min(best, (time.perf_counter() - t0) / len(uploads))
        shutil.rmtree(store.root, ignore_errors=True)
    return best


def _pipeline(folder: Path, work: Path, tag: str) -> tuple[float, Any]:
    from workers.run import run_pipeline

    summary = run_pipeline([folder], store_dir=work / f"store-{tag}", progress=False)
    if summary.error or summary.rejected:
        raise RuntimeError(f"benchmark run {tag} failed: {summary.error or summary.rejected[:3]}")
    return summary.elapsed_s, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.001, help="fraction of a month to run (default 1/1000)")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one, removed)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import ray

    load_start = os.getloadavg()  # the machine is shared: other load lowers every figure, scaling most
    counts = {k: max(int(round(v * args.scale)), 2) for k, v in MONTH.items()}
    counts["imaging"] = max(SLICES_PER_STUDY, counts["imaging"] // SLICES_PER_STUDY * SLICES_PER_STUDY)
    work = args.work or Path(tempfile.mkdtemp(prefix="teletriage-month-"))
    inboxes = {k: work / "inbox" / k for k in MONTH}
    t = time.perf_counter()
    make_ecgs(inboxes["ecg"] / "clinic-ecg", counts["ecg"])
    image_source = make_images(inboxes["imaging"] / "clinic-img", counts["imaging"])
    make_labs(inboxes["lab"] / "clinic-lab", counts["lab"])
    warm = work / "inbox" / "warmup"
    make_ecgs(warm / "w", 2), make_images(warm / "w", 2), make_labs(warm / "w", 2)
    print(f"inputs made in {time.perf_counter() - t:.0f} s: {counts} ({image_source})")

    limits = {"ecg": None, "lab": None, "imaging": min(counts["imaging"], 10 * SLICES_PER_STUDY)}
    direct = {k: _direct(k, inboxes[k], work, limit=limits[k], repeat=2 if k == "imaging" else 3) for k in MONTH}  # s/item
    print("direct (serial, no Ray):", {k: f"{v * 1e3:.1f} ms/item" for k, v in direct.items()})
    pipeline: dict[int, dict[str, float]] = {}
    driver: dict[int, dict[str, float]] = {}  # discovery + DB commits in the driver process
    for workers in (1, 2):
        ray.init(num_cpus=workers, include_dashboard=False, object_store_memory=200 << 20, logging_level="WARNING")
        try:
            _pipeline(warm, work, f"warm{workers}")  # start and warm the workers (imports, JIT caches)
            for k in MONTH:
                elapsed, summary = _pipeline(inboxes[k], work, f"{k}{workers}")
                pipeline.setdefault(workers, {})[k] = elapsed
                driver.setdefault(workers, {})[k] = summary.discover_s + summary.commit_s
        finally:
            ray.shutdown()
        print(f"pipeline, {workers} worker(s):", {k: f"{counts[k] / v:.1f} items/s" for k, v in pipeline[workers].items()})

    per_kind = {}
    month_s = 0.0
    month_1_s = sum(MONTH[k] / (counts[k] / pipeline[1][k]) for k in MONTH)
    for k in MONTH:
        rate2 = counts[k] / pipeline[2][k]
        per_kind[k] = {
            "items": counts[k],
            "direct_ms_per_item": 1e3 * direct[k],
            "direct_items_measured": limits[k] or counts[k],
            "pipeline_1_worker_s": pipeline[1][k],
            "pipeline_2_workers_s": pipeline[2][k],
            "throughput_1_worker_per_s": counts[k] / pipeline[1][k],
            "throughput_2_workers_per_s": rate2,
            "overhead_ms_per_item": 1e3 * (pipeline[1][k] / counts[k] - direct[k]),
            "driver_ms_per_item_1_worker": 1e3 * driver[1][k] / counts[k],
            "driver_ms_per_item_2_workers": 1e3 * driver[2][k] / counts[k],
            "driver_share_2_workers": driver[2][k] / pipeline[2][k],
            "scaling_efficiency_2_workers": pipeline[1][k] / (2 * pipeline[2][k]),
            "month_items": MONTH[k],
            "month_hours_2_workers": MONTH[k] / rate2 / 3600,
        }
        month_s += MONTH[k] / rate2
    bottleneck = max(per_kind, key=lambda k: per_kind[k]["month_hours_2_workers"])
    extra_ecg_h = (MONTH_CENTRE_ECG - MONTH["ecg"]) / per_kind["ecg"]["throughput_2_workers_per_s"] / 3600
    result = {
        "machine": machine_info(("ray", "pydicom", "imagecodecs", "SQLAlchemy")),
        "scale": args.scale,
        "inputs": {"counts": counts, "image_source": image_source, "how": __doc__.split("How the inputs are made")[1].split("What is measured")[0].strip()},
        "per_kind": per_kind,
        "month_hours_2_workers": month_s / 3600,
        "month_hours_1_worker": month_1_s / 3600,
        "load_average_1_5_15_min": {"start": load_start, "end": os.getloadavg()},
        "month_hours_2_workers_with_112k_ecgs": month_s / 3600 + extra_ecg_h,
        "fits_in_24_hours": month_s / 3600 < 24,
        "bottleneck": bottleneck,
        "bottleneck_share": per_kind[bottleneck]["month_hours_2_workers"] / (month_s / 3600),
    }
    path = write_result("month", result)
    for k, v in per_kind.items():
        print(f"{k:8s} {v['throughput_2_workers_per_s']:8.1f}/s (2 workers)  overhead {v['overhead_ms_per_item']:6.2f} ms/item  "
              f"efficiency {v['scaling_efficiency_2_workers']:.2f}  driver {100 * v['driver_share_2_workers']:.0f}%  "
              f"month {v['month_hours_2_workers']:.2f} h")
    print(f"whole month on this machine: {month_s / 3600:.1f} h with 2 workers, {month_1_s / 3600:.1f} h with 1 — "
          f"bottleneck: {bottleneck}; load average {load_start} -> {os.getloadavg()}; written {path}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    main()
