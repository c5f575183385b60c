"""Fixtures for the pipeline tests: one local Ray per test module, inboxes built from shipped data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.demo import DEMO_DATA


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """One small local Ray instance for the whole module (2 CPUs, 100 MB object store)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 << 20, logging_level="WARNING", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def make_ecg_inbox(folder: Path, n: int, *, clinic: str = "clinic-a") -> Path:
    """``n`` distinct WFDB records (the shipped demo ECGs under new record names) in ``folder/<clinic>/``."""
    out = folder / clinic
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted((DEMO_DATA / "ecg").glob("*.hea"))
    for k in range(n):
        src = sources[k % len(sources)]
        name = f"rec{k:03d}"
        header = src.read_text(encoding="ascii").replace(src.stem, name)
        (out / f"{name}.hea").write_text(header, encoding="ascii")
        shutil.copyfile(src.with_suffix(".dat"), out / f"{name}.dat")
    return folder


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL server's database URL (skips when no server binaries are installed)."""
    from tests.worklist.pg import find_pg_bin, postgres_server

    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb/pg_ctl) not installed")
    with postgres_server() as url:
        yield url
