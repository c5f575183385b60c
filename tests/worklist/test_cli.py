from __future__ import annotations

import json

from click.testing import CliRunner

from worklist import ItemEntry, Worklist
from worklist.cli import cli


def _seed(url: str) -> list[int]:
    wl = Worklist.open(url)
    ids = [
        i
        for i, _ in wl.upsert(
            [
                ItemEntry(natural_key="lab:1", specialty="laboratory", priority="routine", reasons=("lipid panel",), patient="P1"),
                ItemEntry(natural_key="ecg:1", specialty="cardiology", priority="stat", reasons=("VT run",), patient="P2"),
            ]
        )
    ]
    wl.dispose()
    return ids


def test_list_json_in_queue_order_and_lifecycle(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    lab_id, ecg_id = _seed(url)
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", url, "--json"])
    assert res.exit_code == 0, res.output
    items = json.loads(res.output)
    assert [i["id"] for i in items] == [ecg_id, lab_id]
    for key in ("id", "specialty", "priority", "reasons", "patient", "received_at", "due_at", "state"):
        assert key in items[0]
    res = runner.invoke(cli, ["--db", url, "--specialty", "laboratory"])
    assert "lipid panel" in res.output and "VT run" not in res.output

    assert runner.invoke(cli, ["--db", url, "claim", str(ecg_id), "--reader", "dr-x"]).exit_code == 0
    res = runner.invoke(cli, ["--db", url, "claim", str(ecg_id), "--reader", "dr-y"])
    assert res.exit_code != 0 and "dr-x" in res.output
    res = runner.invoke(cli, ["--db", url, "complete", str(lab_id), "--report", "ok"])
    assert res.exit_code != 0 and "scheduled" in res.output  # must be claimed first
    assert runner.invoke(cli, ["--db", url, "release", str(ecg_id)]).exit_code == 0
    assert runner.invoke(cli, ["--db", url, "claim", str(ecg_id), "--reader", "dr-y"]).exit_code == 0
    res = runner.invoke(cli, ["--db", url, "complete", str(ecg_id), "--report", "VT confirmed, called clinic", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["state"] == "completed"
    assert runner.invoke(cli, ["--db", url, "cancel", str(lab_id), "--reason", "duplicate"]).exit_code == 0
    assert json.loads(runner.invoke(cli, ["--db", url, "--json"]).output) == []
