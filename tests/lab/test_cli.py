"""`teletriage lab check`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lab.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, ["check", *args])


def test_json_lines_for_every_report(samples: Path) -> None:
    files = [str(samples / n) for n in ("lab_export.csv", "oru_critical_potassium.hl7", "fhir_bundle.json", "glucose_cgm.csv")]
    res = _run(*files, "--json")
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert len(lines) == 5
    k = next(d for d in lines if d["report"].endswith("oru_critical_potassium.hl7"))
    assert k["priority"] == "stat"
    assert k["patient"]["key"] == "urn:oid:2.16.840.1.113883.3.9999|P-1001"
    crit = next(f for f in k["findings"] if f["code"] == "CRITICAL_VALUE")
    assert crit == {**crit, "test": "2823-3 Potassium", "value": 6.9, "unit": "mmol/L", "limit": 6.2}
    assert any(f["code"] == "DELTA" for f in k["findings"])          # history from the CSV in the same call
    assert k["results"][1]["flag"] == "HH"
    a1c = next(d for d in lines if d["report"].endswith("fhir_bundle.json"))
    assert a1c["priority"] == "urgent"
    glucose = next(d for d in lines if d["report"].endswith("glucose_cgm.csv"))
    assert glucose["findings"][0]["code"] == "HYPOGLYCEMIA" and glucose["priority"] == "urgent"


def test_bad_file_gives_an_error_line_and_exit_1(samples: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.hl7"
    bad.write_text("MSH|^~\\&|LIS|C|||20260101||ORU^R01|M1|P|2.5\rPID|1||P1\rOBR|1\rOBX|1|NM|2823-3^K^LN||4,1|mmol/L\r")
    res = _run(str(bad), str(samples / "fhir_observation.json"), "--json")
    assert res.exit_code == 1
    first, second = (json.loads(line) for line in res.output.splitlines())
    assert first["report"] == str(bad) and "bad.hl7" in first["error"] and "OBX-5 '4,1'" in first["error"]
    assert second["priority"] == "stat"


def test_readable_table(samples: Path) -> None:
    res = _run(str(samples / "oru_batch.hl7"))
    assert res.exit_code == 0
    assert "STAT" in res.output and "Platelets 24 10*9/L critically low" in res.output


def test_config_overrides_limits(samples: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "teletriage.toml"
    cfg.write_text('[lab.institutions.CLINIC-11]\ncritical = { "41653-7" = { low = 1.5 } }\n')
    res = _run(str(samples / "fhir_observation.json"), "--json", "--config", str(cfg))
    assert json.loads(res.output)["priority"] == "urgent"      # 1.67 mmol/L is above this clinic's 1.5 limit
    cfg.write_text("[lab]\ncritcal = 1\n")
    res = _run(str(samples / "fhir_observation.json"), "--config", str(cfg))
    assert res.exit_code == 2 and "critcal" in res.output
