"""Database engines: SQLite (default; WAL, busy timeout, ``BEGIN IMMEDIATE``) or PostgreSQL by URL."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .errors import WorklistError
from .models import Base

__all__ = ["open_engine", "session_factory", "sqlite_url"]

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 60_000


def sqlite_url(path: str | Path) -> str:
    """``sqlite:///`` URL of a database file."""
    return f"sqlite:///{Path(path).resolve()}"


def _ensure_wal(cur: Any) -> None:
    """Put the database in WAL mode (persistent in the file) unless it already is.

    Switching the journal mode needs an exclusive lock, and SQLite answers "database is locked" at once,
    without the busy handler, when another connection -- e.g. a second run starting on a new database --
    holds the file at that moment. So the mode is read first (no lock) and the switch is retried until
    the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(2 * delay, 0.5)


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    # pysqlite's implicit transactions start lazily and deferred; a deferred transaction that reads
    # then writes can fail at once with SQLITE_BUSY. Beginning every transaction IMMEDIATE takes the
    # write lock up front and lets busy_timeout do the waiting (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _ensure_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cur.execute("PRAGMA query_only = ON")
        cur.close()

    # readers (e.g. lab history lookups in Ray tasks) take no write lock: in WAL mode they never
    # block the writer nor wait for it
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def open_engine(url: str, *, create: bool = True, read_only: bool = False, **kwargs: Any) -> Engine:
    """Engine for ``url`` with the schema created (idempotently) when ``create``.

    Parameters
    ----------
    url
        ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``; a plain path is taken as
        a SQLite file.
    create
        Create missing tables.
    read_only
        A reader's engine: on SQLite, deferred transactions and ``PRAGMA query_only`` (no write lock).
    """
    if "://" not in url:
        url = sqlite_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise WorklistError(f"db: not a database URL: {url!r} ({exc})") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine, read_only=read_only)
    elif backend == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    else:
        raise WorklistError(f"db: unsupported backend {backend!r} in {url!r} (use sqlite or postgresql)")
    if create and not read_only:
        Base.metadata.create_all(engine)
    log.debug("opened %s database %s", backend, parsed.render_as_string(hide_password=True))
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit."""
    return sessionmaker(engine, expire_on_commit=False)
