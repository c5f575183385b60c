"""`teletriage imaging preview` and `teletriage imaging deid`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pydicom
from click.testing import CliRunner
from PIL import Image

from imaging.cli import cli
from tests.imaging.test_series import make_ct_datasets, write_shuffled


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_preview_writes_pngs_one_line_per_series(tmp_path: Path) -> None:
    write_shuffled(make_ct_datasets(4), tmp_path / "in" / "a")
    write_shuffled(make_ct_datasets(3), tmp_path / "in" / "b")
    result = CliRunner().invoke(cli, ["preview", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                                      "--preset", "lung", "--size", "32"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert len(lines) == 2 and {line["instances"] for line in lines} == {3, 4}
    for line in lines:
        with Image.open(line["thumbnail"]) as img:
            assert img.size == (32, 32) and img.mode == "L"
        assert Path(line["display"]).is_file()


def test_preview_reports_bad_files_and_exits_1(tmp_path: Path) -> None:
    write_shuffled(make_ct_datasets(2), tmp_path / "in")
    (tmp_path / "in" / "broken.dcm").write_bytes(b"\x00" * 10)
    result = CliRunner().invoke(cli, ["preview", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = _lines(result.output)
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1 and errors[0]["input"].endswith("broken.dcm")
    assert any("thumbnail" in line for line in lines)


def test_preview_rejects_unknown_preset(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", str(tmp_path), "--out", str(tmp_path), "--preset", "lungs"])
    assert result.exit_code == 2 and "lungs" in result.output


def test_deid_keeps_a_study_together_and_never_touches_inputs(tmp_path: Path) -> None:
    write_shuffled(make_ct_datasets(3, PatientName="Doe^Jane"), tmp_path / "in")
    before = _digest(tmp_path / "in")
    args = ["deid", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--key", "s3cret"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert _digest(tmp_path / "in") == before
    lines = _lines(result.output)
    assert len(lines) == 3 and len({line["study_instance_uid"] for line in lines}) == 1
    for line in lines:
        out = pydicom.dcmread(line["output"])
        assert out.PatientName == "" and out.PatientIdentityRemoved == "YES"
        assert line["burned_in"] == "no"
    again = CliRunner().invoke(cli, [*args[:3], str(tmp_path / "out2"), "--key", "s3cret"])
    assert {x["sop_instance_uid"] for x in _lines(again.output)} == {x["sop_instance_uid"] for x in lines}


def test_deid_failure_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk.dcm").write_text("hello")
    result = CliRunner().invoke(cli, ["deid", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--key", "k"])
    assert result.exit_code == 1
    (line,) = _lines(result.output)
    assert line["input"].endswith("junk.dcm") and "junk.dcm" in line["error"]
