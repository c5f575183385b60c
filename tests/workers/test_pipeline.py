"""The main job end to end on local Ray: the mixed inbox, re-runs, a killed worker, PostgreSQL, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import lab
from worklist import Worklist
from worklist.models import ItemRow, ProcessedInputRow
from workers.cli import main
from workers.demo import build_demo_inbox
from workers.run import EXIT_REJECTED, run_pipeline
from workers.settings import Settings

from .conftest import make_ecg_inbox

pytestmark = pytest.mark.usefixtures("ray_local")

PLANTED_BAD = {"truncated_ecg.hea", "truncated_ct_slice.dcm", "no_patient.hl7", "notes.docx"}


def _hashes(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _expected_items(inbox: Path) -> Counter:
    """Independent count of what the worklist must hold: one item per ECG record, per study, per lab report."""
    ecg = len([p for p in (inbox / "clinic-north" / "ecg").iterdir() if p.suffix in (".hea", ".zip")])
    n_lab = 0
    for folder in (inbox / "clinic-north" / "lab", inbox / "clinic-south" / "lab"):
        for f in folder.iterdir():
            n_lab += len(lab.read(f))
    return Counter({"cardiology": ecg, "radiology": 2, "laboratory": n_lab})  # CT study (3 slices) + MR study


def _items_by_specialty(db_url: str) -> Counter:
    wl = Worklist.open(db_url)
    with wl.session() as s:
        rows = s.execute(select(ItemRow.specialty, func.count()).group_by(ItemRow.specialty)).all()
        dup = s.execute(select(ItemRow.natural_key).group_by(ItemRow.natural_key).having(func.count() > 1)).all()
    wl.dispose()
    assert dup == []
    return Counter(dict(rows))


def _check_mixed_inbox(tmp_path: Path, db_url: str | None) -> None:
    inbox = build_demo_inbox(tmp_path / "inbox")
    before = _hashes(inbox)
    store = tmp_path / "store"
    first = run_pipeline([inbox], store_dir=store, db_url=db_url, progress=False)
    assert first.error is None
    assert first.exit_code == EXIT_REJECTED
    rejected = {Path(r["path"]).name: r["reason"] for r in first.rejected}
    assert set(rejected) == PLANTED_BAD
    assert "truncated" in rejected["truncated_ecg.hea"] or "samples" in rejected["truncated_ecg.hea"]
    assert "truncated pixel data" in rejected["truncated_ct_slice.dcm"]
    assert "PID" in rejected["no_patient.hl7"]
    assert "unrecognised" in rejected["notes.docx"]
    assert {r["status"] for r in first.rejected} == {"rejected"}  # bad inputs, final (not "failed")
    kept = {p.parent.name: p for p in (store / "rejected").glob("*/reason.txt")}
    assert len(kept) == len(PLANTED_BAD)
    assert all("reason:" in p.read_text() for p in kept.values())

    url = first.db
    expected = _expected_items(inbox)
    assert _items_by_specialty(url) == expected
    assert first.items_created == sum(expected.values())

    second = run_pipeline([inbox], store_dir=store, db_url=db_url, progress=False)
    assert second.error is None and second.processed == 0 and second.items_created == 0 and second.items_updated == 0
    assert second.tasks == 0  # nothing submitted to Ray
    assert {Path(r["path"]).name for r in second.rejected} == PLANTED_BAD  # still reported, not re-processed
    assert _items_by_specialty(url) == expected
    assert _hashes(inbox) == before  # originals never altered or deleted


def test_mixed_inbox_sqlite(tmp_path):
    _check_mixed_inbox(tmp_path, None)


@pytest.mark.postgres
def test_mixed_inbox_postgresql(tmp_path, pg_database):
    _check_mixed_inbox(tmp_path, pg_database)


def _ray_task_pids(name: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if cmd.startswith(f"ray::{name}".encode()):
            pids.append(int(entry))
    return pids


def test_killed_worker_loses_and_duplicates_nothing(tmp_path):
    n = 24
    inbox = make_ecg_inbox(tmp_path / "inbox", n)
    # small batches, no Ray-level retry: the driver's own resubmission must recover the lost batch
    settings = Settings.from_mapping({"pipeline": {"ecg_batch": 2, "task_retries": 0, "resubmits": 2}})
    killed: list[int] = []
    done = threading.Event()

    def killer() -> None:
        while not done.is_set() and not killed:
            for pid in _ray_task_pids("run_ecg_batch"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.002)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        summary = run_pipeline([inbox], store_dir=tmp_path / "store", settings=settings, progress=False)
    finally:
        done.set()
        thread.join()
    assert killed, "the test did not manage to kill a worker mid-task"
    assert summary.error is None and summary.rejected == []
    assert summary.resubmitted >= 1
    assert summary.processed == n
    assert _items_by_specialty(summary.db) == Counter({"cardiology": n})
    wl = Worklist.open(summary.db)
    with wl.session() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedInputRow).where(ProcessedInputRow.status == "ok")) == n
    wl.dispose()


def test_interrupted_run_finishes_the_rest(tmp_path):
    """A run that stopped after part of the inbox (here: ran on a part of it), run again on all of it,
    processes exactly the rest; items are neither lost nor duplicated."""
    inbox = make_ecg_inbox(tmp_path / "inbox", 10)
    files = sorted((inbox / "clinic-a").glob("*.hea"))[:4]
    partial = run_pipeline(files, store_dir=tmp_path / "store", progress=False)
    assert partial.processed == 4
    full = run_pipeline([inbox], store_dir=tmp_path / "store", progress=False)
    assert (full.processed, full.skipped, full.items_created) == (6, 4, 6)
    assert _items_by_specialty(full.db) == Counter({"cardiology": 10})


def test_cli_run_json_and_exit_status(tmp_path):
    inbox = make_ecg_inbox(tmp_path / "inbox", 3)
    runner = CliRunner()
    res = runner.invoke(main, ["run", str(inbox), "--store", str(tmp_path / "s"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["processed"] == 3 and out["rejected"] == [] and out["items"]["created"] == 3
    (inbox / "clinic-a" / "junk.bin").write_bytes(b"\x00garbage" * 10)
    res = runner.invoke(main, ["run", str(inbox), "--store", str(tmp_path / "s"), "--json"])
    out = json.loads(res.output)
    assert res.exit_code == 1 and out["processed"] == 0 and out["skipped"] == 3
    assert [r["path"].endswith("junk.bin") for r in out["rejected"]] == [True]
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("[ecg]\nno_such_key = 1\n")
    res = runner.invoke(main, ["run", str(inbox), "--store", str(tmp_path / "s"), "--config", str(bad_cfg)])
    assert res.exit_code == 2 and "no_such_key" in res.output


def test_cli_demo_prints_triaged_worklist(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "demo"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    items = out["worklist"]
    ranks = [("stat", "urgent", "routine").index(i["effective_priority"]) for i in items]
    assert ranks == sorted(ranks) and ranks[0] == 0
    reasons = " ".join(r for i in items for r in i["reasons"])
    assert "VT run" in reasons and "Potassium" in reasons
    assert {i["specialty"] for i in items} == {"cardiology", "radiology", "laboratory"}


def _ok_inputs(db_url: str) -> int:
    wl = Worklist.open(db_url)
    with wl.session() as s:
        n = s.scalar(select(func.count()).select_from(ProcessedInputRow).where(ProcessedInputRow.status == "ok")) or 0
    wl.dispose()
    return int(n)


def test_killed_driver_rerun_finishes_the_rest(tmp_path):
    """`teletriage run` (joining this module's Ray cluster) is SIGKILLed after its first commits; running
    it again processes exactly the rest: nothing lost, nothing duplicated."""
    import subprocess
    import sys

    import ray

    n = 40
    inbox = make_ecg_inbox(tmp_path / "inbox", n)
    cfg = tmp_path / "slow.toml"
    cfg.write_text("[pipeline]\necg_batch = 1\nmax_in_flight_per_cpu = 1\n")
    store = tmp_path / "store"
    db_url = f"sqlite:///{store / 'worklist.db'}"
    address = ray.get_runtime_context().gcs_address
    cmd = [sys.executable, "-m", "workers.cli", "run", str(inbox), "--store", str(store), "--config", str(cfg),
           "--ray-address", address, "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        done_before = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if (store / "worklist.db").exists():
                try:
                    done_before = _ok_inputs(db_url)
                except Exception:  # noqa: BLE001 - schema not created yet
                    done_before = 0
                if done_before >= 3:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    done_before = _ok_inputs(db_url)
    assert 3 <= done_before < n
    rerun = run_pipeline([inbox], store_dir=store, progress=False)
    assert rerun.error is None and rerun.rejected == []
    assert rerun.skipped == done_before and rerun.processed == n - done_before
    assert _items_by_specialty(rerun.db) == Counter({"cardiology": n})
    assert _ok_inputs(rerun.db) == n


def test_input_that_keeps_killing_its_worker_is_set_aside_then_retried(tmp_path):
    """Every ECG task is killed: batches are resubmitted, split, then their inputs set aside as "failed"
    (the run still ends); the next run, with healthy workers, processes exactly those."""
    n = 4
    inbox = make_ecg_inbox(tmp_path / "inbox", n)
    settings = Settings.from_mapping({"pipeline": {"ecg_batch": 2, "task_retries": 0, "resubmits": 0}})
    done = threading.Event()
    killed: list[int] = []

    def killer() -> None:
        while not done.is_set():
            for pid in _ray_task_pids("run_ecg_batch"):
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.001)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        first = run_pipeline([inbox], store_dir=tmp_path / "store", settings=settings, progress=False)
    finally:
        done.set()
        thread.join()
    assert killed and first.error is None
    failed = [r for r in first.rejected if r["status"] == "failed"]
    assert failed, "no input was set aside although every task was killed"
    assert all("crashed its worker" in r["reason"] for r in failed)
    assert first.processed + len(failed) == n
    assert first.exit_code == EXIT_REJECTED

    second = run_pipeline([inbox], store_dir=tmp_path / "store", progress=False)
    assert second.rejected == [] and second.processed == len(failed) and second.skipped == n - len(failed)
    assert _items_by_specialty(second.db) == Counter({"cardiology": n})


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_concurrent_runs_on_one_inbox_duplicate_nothing(tmp_path, request, backend):
    n = 12
    inbox = make_ecg_inbox(tmp_path / "inbox", n)
    db_url = request.getfixturevalue("pg_database") if backend == "postgres" else None
    if db_url:  # a fresh database of the module's server
        from sqlalchemy import create_engine, text

        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS concurrent_runs WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE concurrent_runs"))
        admin.dispose()
        db_url = db_url.replace("/postgres?", "/concurrent_runs?")
        Worklist.open(db_url).dispose()  # schema first, so the two runs do not race on CREATE TABLE
    settings = Settings.from_mapping({"pipeline": {"ecg_batch": 2}})
    results = []

    def one_run() -> None:
        results.append(run_pipeline([inbox], store_dir=tmp_path / "store", db_url=db_url, settings=settings, progress=False))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.error for r in results] == [None, None]
    assert sum(r.items_created for r in results) == n
    assert _items_by_specialty(results[0].db) == Counter({"cardiology": n})
