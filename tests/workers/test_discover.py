from __future__ import annotations

import hashlib
import zipfile

from pydicom.data import get_testdata_file

from workers.demo import DEMO_DATA, build_demo_inbox
from workers.discover import Kind, discover, record_key
from workers.store import ArtifactStore

from .conftest import make_ecg_inbox


def _tree_hashes(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_routes_by_content_not_by_name(tmp_path):
    inbox = tmp_path / "inbox" / "clinic-x"
    inbox.mkdir(parents=True)
    (inbox / "looks_like_image.dcm").write_bytes((DEMO_DATA / "lab" / "routine_lipids.hl7").read_bytes())
    (inbox / "ecg.bin").write_bytes(open(get_testdata_file("waveform_ecg.dcm"), "rb").read())
    (inbox / "ct.txt").write_bytes(open(get_testdata_file("CT_small.dcm"), "rb").read())
    (inbox / "readme.md").write_text("hello")
    found = discover([tmp_path / "inbox"], store=ArtifactStore(tmp_path / "store"))
    kinds = {u.primary.name: u.kind for u in found.uploads}
    assert kinds == {"looks_like_image.dcm": Kind.LAB, "ecg.bin": Kind.ECG, "ct.txt": Kind.IMAGING}
    assert {u.clinic for u in found.uploads} == {"clinic-x"}
    assert [r.path.endswith("readme.md") for r in found.rejected] == [True]
    assert "unrecognised content" in found.rejected[0].reason


def test_wfdb_companions_grouped_and_keyed_over_files(tmp_path):
    make_ecg_inbox(tmp_path / "inbox", 2)
    found = discover([tmp_path / "inbox"], store=ArtifactStore(tmp_path / "store"))
    assert not found.rejected
    ecgs = found.by_kind(Kind.ECG)
    assert [tuple(f.suffix for f in u.files) for u in ecgs] == [(".hea", ".dat")] * 2
    assert ecgs[0].key == record_key(ecgs[0].files) != ecgs[1].key


def test_orphan_signal_file_rejected(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "lost.dat").write_bytes((DEMO_DATA / "ecg" / "demo_sinus.dat").read_bytes())
    found = discover([tmp_path / "in"], store=ArtifactStore(tmp_path / "store"))
    assert not found.uploads and "without its .hea" in found.rejected[0].reason


def test_zip_members_discovered_and_keyed_by_their_bytes(tmp_path):
    ct = get_testdata_file("CT_small.dcm")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ct, "site-9/study/ct.dcm")
        zf.writestr("../escape.hl7", "MSH|")
    found = discover([archive], store=ArtifactStore(tmp_path / "store"))
    (u,) = found.uploads
    assert u.kind is Kind.IMAGING and u.display.endswith("upload.zip!site-9/study/ct.dcm")
    assert u.key == hashlib.sha256(open(ct, "rb").read()).hexdigest()
    assert u.clinic == "site-9"
    assert any("unsafe path" in r.reason for r in found.rejected)


def test_damaged_zip_and_missing_path_rejected(tmp_path):
    bad = tmp_path / "bad.zip"
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("a.txt", "x" * 1000)
    bad.write_bytes(good.read_bytes()[:-30])
    found = discover([bad, tmp_path / "missing"], store=ArtifactStore(tmp_path / "store"))
    reasons = " | ".join(r.reason for r in found.rejected)
    assert "no such file" in reasons and ("damaged zip" in reasons or "unrecognised" in reasons)


def test_discovery_never_alters_inputs(tmp_path):
    inbox = build_demo_inbox(tmp_path / "inbox")
    before = _tree_hashes(inbox)
    discover([inbox], store=ArtifactStore(tmp_path / "store"))
    assert _tree_hashes(inbox) == before
