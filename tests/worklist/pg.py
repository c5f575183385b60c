"""A throwaway PostgreSQL server from the installed binaries (initdb / pg_ctl), for tests.

Runs as a non-root user when the tests run as root (PostgreSQL refuses root), listens on a unix
socket in a temporary directory only (``listen_addresses = ''``), and is removed afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["find_pg_bin", "postgres_server"]


def find_pg_bin() -> Path | None:
    """Folder holding ``initdb`` and ``pg_ctl``, or ``None``."""
    candidates = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", name, "--"]
        return [shutil.which("su") or "su", name, "-s", "/bin/sh", "-c"]  # pragma: no cover
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a ``postgresql+psycopg`` URL to database ``postgres`` via its socket."""
    bindir = find_pg_bin()
    if bindir is None:
        raise FileNotFoundError("initdb / pg_ctl not found")
    tmp = Path(tempfile.mkdtemp(prefix="teletriage-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    prefix = _as_user()
    if prefix:
        user = prefix[2]
        pw = pwd.getpwnam(user)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
        os.chmod(tmp, 0o700)
    else:
        user = pwd.getpwuid(os.getuid()).pw_name
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8"],
        check=True,
        capture_output=True,
        env=env,
    )
    opts = f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -c max_connections=60"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "-t", "60", "start"],
        check=True,
        capture_output=True,
        env=env,
    )
    try:
        # root may connect through a socket the postgres user owns (the socket dir is 0700 though:
        # open it to others for the test's own processes).
        os.chmod(tmp, 0o755)
        yield f"postgresql+psycopg://{user}@/postgres?host={sock}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            env=env,
        )
        shutil.rmtree(tmp, ignore_errors=True)
