"""The DB-backed lab history drives lab's delta rule across runs (results of an earlier run are seen)."""

from __future__ import annotations

from pathlib import Path

import lab
from worklist import DbLabHistory, open_engine, record_lab_results, session_factory
from workers.process import process_lab
from workers.discover import discover
from workers.settings import Settings
from workers.store import ArtifactStore


def _msg(control: str, order: str, ts: str, potassium: float) -> bytes:
    segs = [
        f"MSH|^~\\&|LIS|CLINIC-W|TELETRIAGE|HIC|{ts}||ORU^R01|{control}|P|2.5.1",
        "PID|1||P-77^^^CITY-MPI^MR||DOE^J||19600101|F",
        f"OBR|1|{order}|F-{order}|24320-4^Basic metabolic panel^LN|||{ts}",
        f"OBX|1|NM|2823-3^Potassium^LN||{potassium}|mmol/L|3.5-5.1||||F|||{ts}",
    ]
    return ("\r".join(segs) + "\r").encode()


def _run(path: Path, store: ArtifactStore, url: str):
    (upload,) = discover([path], store=store).uploads
    engine = open_engine(url)
    result = process_lab(upload, settings=Settings.defaults(), store=store, history=DbLabHistory(engine))
    with session_factory(engine).begin() as s:  # what the driver's commit does
        record_lab_results(s, result.lab_results)
    engine.dispose()
    return result


def test_delta_rule_sees_results_of_an_earlier_run(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    first, second = tmp_path / "first.hl7", tmp_path / "second.hl7"
    first.write_bytes(_msg("M1", "O1", "20260301080000", 3.9))
    second.write_bytes(_msg("M2", "O2", "20260302080000", 5.4))

    alone = lab.assess(lab.read(second)[0], history=None)  # without history: no delta finding possible
    assert not any("delta" in str(f.code).lower() for f in alone.findings)

    r1 = _run(first, store, url)
    assert r1.outcomes[0].status == "ok" and len(r1.lab_results) == 1
    r2 = _run(second, store, url)
    (entry,) = r2.entries
    codes = {str(f["code"]).lower() for f in entry.findings}
    assert any("delta" in c for c in codes), entry.findings
    assert any("3.9" in r or "1.5" in r for r in entry.reasons)
