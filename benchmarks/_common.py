"""Helpers shared by the benchmarks: machine description, robust timing, result files."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["machine_info", "time_best", "write_result", "SHARED_DATA", "RESULTS_DIR"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TELETRIAGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def machine_info(packages: tuple[str, ...] = ()) -> dict[str, Any]:
    """CPU, core count, Python and package versions, so a figure can be read with its context."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "scipy", "numba", *packages):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
    }


def time_best(fn: Callable[[], Any], *, repeat: int = 5, min_time_s: float = 0.2) -> float:
    """Best-of-``repeat`` wall time of ``fn()`` in seconds; each repeat loops until ``min_time_s``.

    The minimum is the least noisy estimator on a shared machine (other load only adds time).
    """
    best = np.inf
    for _ in range(repeat):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time_s:
                break
        best = min(best, elapsed / n)
    return float(best)


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` (with machine info) and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path
