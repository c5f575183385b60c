"""Fixtures: a worklist database on SQLite and, when the binaries exist, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .pg import find_pg_bin, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a throwaway PostgreSQL server (skips when no server binaries are installed)."""
    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb/pg_ctl) not installed")
    with postgres_server() as url:
        yield url


_counter = {"n": 0}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'worklist.db'}"
        return
    base = request.getfixturevalue("pg_server")
    from sqlalchemy import create_engine, text

    _counter["n"] += 1
    name = f"t{_counter['n']}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.replace("/postgres?", f"/{name}?")
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
