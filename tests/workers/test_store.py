from __future__ import annotations

import hashlib
import os

import pytest

from workers.errors import StoreError
from workers.store import ArtifactStore, sha256_file


def test_content_addressed_and_idempotent(tmp_path):
    store = ArtifactStore(tmp_path / "s")
    a = store.put_bytes(b"hello", suffix=".txt", kind="note")
    sha = hashlib.sha256(b"hello").hexdigest()
    assert a.sha256 == sha and a.path == f"{sha[:2]}/{sha}.txt"
    assert store.path(a.path).read_bytes() == b"hello"
    mtime = os.stat(store.path(a.path)).st_mtime_ns
    assert store.put_bytes(b"hello", suffix=".txt", kind="note") == a
    assert os.stat(store.path(a.path)).st_mtime_ns == mtime  # not rewritten
    assert list((store.root / "tmp").iterdir()) == []  # no partial files left


def test_json_is_canonical(tmp_path):
    store = ArtifactStore(tmp_path)
    assert store.put_json({"b": 1, "a": [1, 2]}, kind="r") == store.put_json({"a": [1, 2], "b": 1}, kind="r")


def test_put_file_copies_and_moves_only_own_temp_files(tmp_path):
    store = ArtifactStore(tmp_path / "s")
    src = tmp_path / "in.dcm"
    src.write_bytes(b"DICM" * 100)
    art = store.put_file(src, suffix=".dcm", kind="dicom")
    assert src.exists() and art.sha256 == sha256_file(src)
    with pytest.raises(StoreError, match="only files under"):
        store.put_file(src, suffix=".dcm", kind="dicom", move=True)
    tmp = store.tmp_path(".dcm")
    tmp.write_bytes(b"x")
    moved = store.put_file(tmp, suffix=".dcm", kind="dicom", move=True)
    assert not tmp.exists() and store.path(moved.path).read_bytes() == b"x"


def test_reject_keeps_original_and_writes_reason(tmp_path):
    store = ArtifactStore(tmp_path / "s")
    src = tmp_path / "bad.hl7"
    src.write_bytes(b"MSH|garbage")
    folder = store.reject(src, key="k" * 64, reason="no PID segment", display="inbox/bad.hl7")
    assert src.read_bytes() == b"MSH|garbage"  # original untouched
    assert (folder / "bad.hl7").read_bytes() == b"MSH|garbage"
    assert "no PID segment" in (folder / "reason.txt").read_text()
    store.reject(src, key="k" * 64, reason="no PID segment")  # idempotent


def test_bad_sha_rejected(tmp_path):
    with pytest.raises(StoreError, match="64 lowercase hex"):
        ArtifactStore(tmp_path).relpath("../etc", ".x")
