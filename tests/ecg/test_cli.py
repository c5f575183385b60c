"""``teletriage ecg screen``: folders, JSON lines, readable table, failures and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import wfdb
from click.testing import CliRunner

from ecg.cli import cli

from .synthetic import af_rr, sinus_rr, synth_ecg


def _write_wfdb(folder: Path, name: str, syn) -> Path:
    rec = syn.record
    wfdb.wrsamp(
        name, fs=int(rec.fs), units=["mV"] * rec.n_leads, sig_name=list(rec.leads), p_signal=rec.signal,
        fmt=["16"] * rec.n_leads, adc_gain=[1000.0] * rec.n_leads, baseline=[0] * rec.n_leads, write_dir=str(folder),
    )
    return folder / f"{name}.hea"


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    sub = tmp_path / "clinic" / "day1"
    sub.mkdir(parents=True)
    _write_wfdb(sub, "normal", synth_ecg(sinus_rr(40, 70, seed=1), seed=1))
    _write_wfdb(sub, "af", synth_ecg(af_rr(50, 95, seed=2), atrial="f", seed=2))
    kinds = "N" * 15 + "V" * 7 + "N" * 19
    _write_wfdb(tmp_path / "clinic", "vt", synth_ecg(sinus_rr(40, 70, seed=5), kinds, prematurity=0.45, seed=5))
    (tmp_path / "clinic" / "notes.txt").write_text("not an ECG\n")
    (tmp_path / "clinic" / "photo.bin").write_bytes(b"\x00\x01" * 100)
    return tmp_path / "clinic"


def test_folder_json_lines(inbox: Path):
    result = CliRunner().invoke(cli, ["screen", "--json", str(inbox)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    by_name = {Path(d["record"]).stem: d for d in lines}
    assert set(by_name) == {"normal", "af", "vt"}  # the .txt / .bin / .dat files were skipped
    assert by_name["vt"]["priority"] == "stat" and by_name["vt"]["findings"][0]["code"] == "VT"
    assert by_name["af"]["priority"] == "urgent"
    assert by_name["normal"]["priority"] == "routine" and by_name["normal"]["findings"] == []
    for d in lines:
        assert {"record", "priority", "quality", "heart_rate_bpm", "findings", "reasons"} <= set(d)


def test_table_is_most_urgent_first(inbox: Path):
    result = CliRunner().invoke(cli, ["screen", str(inbox)])
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.output.splitlines()[1:] if not line.startswith(" ")]
    assert rows == ["STAT", "URGENT", "ROUTINE"]
    assert "VT run of 7 beats" in result.output


def test_bad_record_gives_error_line_and_exit_1(inbox: Path, tmp_path: Path):
    broken = tmp_path / "broken.hea"
    broken.write_text("broken 1 300 9000\nbroken.dat 16 1000 16 0 0 0 0 ECG\n")
    normal = inbox / "day1" / "normal.hea"
    result = CliRunner().invoke(cli, ["screen", "--json", str(broken), str(normal)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["record"] == str(broken) and "broken" in lines[0]["error"]
    assert lines[1]["priority"] == "routine"  # the run went on


def test_settings_file_overrides_policy(inbox: Path, tmp_path: Path):
    toml = tmp_path / "centre.toml"
    toml.write_text('[ecg.policy]\nAF = "stat"\n')
    af = inbox / "day1" / "af.hea"
    result = CliRunner().invoke(cli, ["screen", "--json", "--settings", str(toml), str(af)])
    assert result.exit_code == 0 and json.loads(result.output)["priority"] == "stat"
    bad = tmp_path / "bad.toml"
    bad.write_text("[ecg]\npause_stat = 3\n")
    result = CliRunner().invoke(cli, ["screen", "--settings", str(bad), str(af)])
    assert result.exit_code == 2 and "pause_stat" in result.output


def test_empty_folder(tmp_path: Path):
    result = CliRunner().invoke(cli, ["screen", str(tmp_path)])
    assert result.exit_code == 0 and "no ECG records found" in result.output
