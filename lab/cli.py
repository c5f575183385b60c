"""`teletriage lab ...` subcommands."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click

from .assess import LabAssessment, assess_many
from .errors import LabError
from .glucose import GlucoseAssessment, assess_glucose, read_glucose
from .io import read, sniff
from .model import LabReport
from .settings import LabSettings

__all__ = ["cli"]


@click.group(name="lab")
def cli() -> None:
    """Lab report checks."""


def _settings(config: Path | None) -> LabSettings:
    if config is None:
        return LabSettings()
    try:
        table = tomllib.loads(config.read_text(encoding="utf-8")).get("lab", {})
        return LabSettings.from_mapping(table)
    except (OSError, tomllib.TOMLDecodeError, LabError) as exc:
        raise click.BadParameter(f"{config}: {exc}", param_hint="--config") from None


def _table(a: LabAssessment | GlucoseAssessment) -> str:
    lines = []
    if isinstance(a, GlucoseAssessment):
        m = a.metrics
        who = a.series.patient.key if a.series.patient else "-"
        lines.append(f"{a.series.source}  patient {who}  glucose {m.n_readings} readings  {a.priority.upper()}")
        lines.append(f"  TIR {m.tir_percent:.0f}%  TBR<3.9 {m.tbr_percent:.1f}%  <3.0 {m.tbr_very_low_percent:.1f}%  "
                     f"TAR>10 {m.tar_percent:.0f}%  >13.9 {m.tar_very_high_percent:.0f}%  mean {m.mean_mmol_l:.1f} mmol/L  "
                     f"CV {m.cv_percent:.0f}%  GMI {m.gmi_percent:.1f}%  coverage {m.coverage_percent:.0f}%"
                     f"{'' if m.valid else '  (not valid)'}")
    else:
        r = a.report
        when = r.specimen_time.strftime("%Y-%m-%d %H:%M") if r.specimen_time else "-"
        lines.append(f"{r.source}  patient {r.patient.key}  {r.institution or '-'}  order {r.order.placer or r.order.filler or '-'}"
                     f"  {when}  {a.priority.upper()}")
        for res in a.results:
            v = res.result
            si = "" if res.value_si is None or v.unit == res.unit_si else f" = {res.value_si:.4g} {res.unit_si}"
            shown = f"{v.comparator}{v.value:g} {v.unit}" if v.value is not None else v.text
            lines.append(f"    {v.loinc:<9} {res.test_name[:28]:<28} {shown}{si}  {res.flag or '-'}"
                         f"{'  (sender: ' + v.flag + ')' if res.flag_mismatch else ''}")
    lines.extend(f"  ! {reason}" for reason in a.reasons)
    return "\n".join(lines)


@cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report per line.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="teletriage settings TOML; its [lab] table overrides limits.")
@click.option("--validate-fhir", is_flag=True, help="Also validate FHIR files with fhir.resources (slow).")
@click.option("--glucose", is_flag=True, help="Read every file as glucose self-monitoring readings (CSV or FHIR).")
def check(files: tuple[Path, ...], as_json: bool, config: Path | None, validate_fhir: bool, glucose: bool) -> None:
    """Check lab FILES (HL7 v2 ORU, FHIR JSON, CSV export, glucose CSV): flags, critical values, deltas,
    duplicate tests. Earlier reports in the call are history for later ones. Exit status 1 if any file failed."""
    settings = _settings(config)
    per_file: list[tuple[Path, list[LabReport] | GlucoseAssessment | str]] = []
    for path in files:
        try:
            if sniff(path) == "glucose-csv" or glucose:
                per_file.append((path, assess_glucose(read_glucose(path), settings=settings)))
            else:
                per_file.append((path, read(path, validate_fhir=validate_fhir)))
        except LabError as exc:
            per_file.append((path, str(exc)))
    reports = [r for _, item in per_file if isinstance(item, list) for r in item]
    assessed = {id(a.report): a for a in assess_many(reports, settings=settings)}
    failed = False
    for path, item in per_file:
        if isinstance(item, str):
            failed = True
            if as_json:
                click.echo(json.dumps({"report": str(path), "error": item}))
            else:
                click.echo(f"{path}  ERROR  {item}")
            continue
        outputs: list[Any] = [item] if isinstance(item, GlucoseAssessment) else [assessed[id(r)] for r in item]
        for a in outputs:
            click.echo(json.dumps(a.to_dict()) if as_json else _table(a))
    if failed:
        raise SystemExit(1)
