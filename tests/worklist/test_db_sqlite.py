"""SQLite engine set-up under contention: runs opening a new database at the same moment must wait, not fail."""

from __future__ import annotations

import threading

from sqlalchemy import text

from worklist.db import open_engine, sqlite_url


def test_simultaneous_first_connections_to_a_new_database(tmp_path):
    """Two connections switching a new file to WAL at once both hold a shared lock and both want the
    exclusive one: SQLite answers one of them "database is locked" at once, without the busy handler
    (the deadlock rule). The switch is retried, so every run gets a WAL engine."""
    for round_ in range(15):
        url = sqlite_url(tmp_path / f"new{round_}.db")
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []
        engines = []

        def connect() -> None:
            barrier.wait()
            try:
                engine = open_engine(url, create=False)
                with engine.connect() as conn:
                    assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                engines.append(engine)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=connect) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for engine in engines:
            engine.dispose()
        assert errors == []
