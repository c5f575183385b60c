"""Content-addressed artifact store in a local folder.

Layout::

    <store>/<sha[:2]>/<sha><suffix>      artifacts (compressed DICOM, PNG previews, result JSON),
                                         named by the SHA-256 of their own bytes
    <store>/rejected/<key>/<name>        a copy of each rejected input, with
    <store>/rejected/<key>/reason.txt    why it was rejected
    <store>/staging/<key>/<name>         members extracted from uploaded zip archives
    <store>/tmp/                         partial writes (temp + rename makes every write atomic)

Writes are idempotent: an artifact that exists already is not written again. Original inputs
are only ever read (copied into ``rejected/``), never moved, altered or deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StoreError

__all__ = ["ArtifactStore", "Artifact", "sha256_file", "sha256_bytes"]

log = logging.getLogger(__name__)

_BLOCK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Artifact:
    """An artifact in the store: its kind, SHA-256 and path relative to the store root."""

    kind: str
    sha256: str
    path: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready link (as stored on worklist items)."""
        return {"kind": self.kind, "sha256": self.sha256, "path": self.path}


class ArtifactStore:
    """A content-addressed folder of artifacts.

    Parameters
    ----------
    root
        The store folder (created when missing).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        try:
            for sub in ("tmp", "rejected", "staging"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot create the artifact store ({exc.strerror})") from exc

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (ArtifactStore, (str(self.root),))

    # ------------------------------------------------------------------ paths
    def relpath(self, sha: str, suffix: str) -> str:
        """``<sha[:2]>/<sha><suffix>``."""
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise StoreError(f"sha: expected 64 lowercase hex digits, got {sha!r}")
        return f"{sha[:2]}/{sha}{suffix}"

    def path(self, relpath: str) -> Path:
        """Absolute path of an artifact given its store-relative path."""
        return self.root / relpath

    def tmp_path(self, suffix: str = "") -> Path:
        """A fresh path inside the store for a write that is then renamed into place."""
        return self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"

    def staging_dir(self, key: str) -> Path:
        """Folder for the extracted members of the upload ``key``."""
        return self.root / "staging" / key

    # ------------------------------------------------------------------ writes
    def _install(self, tmp: Path, sha: str, suffix: str, kind: str) -> Artifact:
        rel = self.relpath(sha, suffix)
        dst = self.root / rel
        dst.parent.mkdir(exist_ok=True)
        if dst.exists():
            tmp.unlink(missing_ok=True)
        else:
            os.replace(tmp, dst)  # atomic on one filesystem
        return Artifact(kind, sha, rel)

    def put_bytes(self, data: bytes, *, suffix: str, kind: str) -> Artifact:
        """Store ``data``; returns its :class:`Artifact` (nothing written when it exists)."""
        sha = sha256_bytes(data)
        if (self.root / self.relpath(sha, suffix)).exists():
            return Artifact(kind, sha, self.relpath(sha, suffix))
        tmp = self.tmp_path(suffix)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{tmp}: cannot write artifact ({exc.strerror})") from exc
        return self._install(tmp, sha, suffix, kind)

    def put_file(self, src: str | Path, *, suffix: str, kind: str, move: bool = False) -> Artifact:
        """Store the file ``src``; ``move`` only for files the pipeline itself wrote under ``tmp/``."""
        src = Path(src)
        sha = sha256_file(src)
        if move:
            if not src.resolve().is_relative_to(self.root / "tmp"):
                raise StoreError(f"{src}: only files under {self.root / 'tmp'} may be moved into the store")
            return self._install(src, sha, suffix, kind)
        tmp = self.tmp_path(suffix)
        shutil.copyfile(src, tmp)
        return self._install(tmp, sha, suffix, kind)

    def put_json(self, obj: Any, *, kind: str, suffix: str = ".json") -> Artifact:
        """Store ``obj`` as canonical JSON (sorted keys), so equal results share one artifact."""
        data = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
        return self.put_bytes(data, suffix=suffix, kind=kind)

    def reject(self, src: str | Path, *, key: str, reason: str, display: str | None = None) -> Path:
        """Copy a rejected input (file or WFDB record files) to ``rejected/<key>/`` with ``reason.txt``.

        The original stays where it is, untouched. Idempotent.
        """
        folder = self.root / "rejected" / key
        folder.mkdir(parents=True, exist_ok=True)
        src = Path(src)
        if src.is_file():
            dst = folder / src.name
            if not dst.exists():
                tmp = self.tmp_path()
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
        text = f"input: {display or src}\nsha256: {key}\nreason: {reason}\n"
        tmp = self.tmp_path(".txt")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / "reason.txt")
        log.info("rejected %s: %s", display or src, reason)
        return folder
