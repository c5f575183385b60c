"""`teletriage ecg ...` subcommands.

``teletriage ecg screen PATH... [--json] [--settings FILE]``

Exit status: 0 when every record was screened, 1 when at least one could not be read or
screened (its line carries ``"error"``; the others are still screened), 2 for usage errors.
"""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from .errors import EcgError
from .io import read, sniff
from .screen import Screening, screen
from .settings import PRIORITY_RANK, ScreeningSettings

__all__ = ["cli", "find_records"]

log = logging.getLogger(__name__)


@click.group(name="ecg")
def cli() -> None:
    """ECG screening commands."""


def find_records(paths: tuple[Path, ...]) -> Iterator[Path]:
    """Record files named by ``paths``: a file is taken as given; a folder is searched recursively and
    only files :func:`ecg.sniff` recognises as the primary file of a record are kept (a WFDB ``.hea``,
    not its ``.dat``). Each record is yielded once, in sorted order per folder."""
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            for f in sorted(q for q in p.rglob("*") if q.is_file()):
                try:
                    fmt = sniff(f)
                except (EcgError, OSError) as exc:  # unreadable file inside a folder: skip it
                    log.debug("skipping %s: %s", f, exc)
                    continue
                if fmt is not None and f.resolve() not in seen:
                    seen.add(f.resolve())
                    yield f
        elif p.resolve() not in seen:
            seen.add(p.resolve())
            yield p


def _json_line(path: Path, s: Screening) -> dict[str, Any]:
    d = s.to_dict()
    return {"record": str(path), **d}


def _load_settings(path: Path | None) -> ScreeningSettings:
    if path is None:
        return ScreeningSettings()
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--settings") from None
    try:
        return ScreeningSettings.from_mapping(table.get("ecg", {}))
    except EcgError as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--settings") from None


def _table(rows: list[tuple[Path, Screening | None, str | None]]) -> str:
    """Readable table, most urgent first, failures last."""

    def key(row: tuple[Path, Screening | None, str | None]) -> tuple[int, str]:
        _, s, _ = row
        return (PRIORITY_RANK[s.priority] if s is not None else 3, str(row[0]))

    lines = [f"{'PRIORITY':8}  {'HR':>4}  {'QUALITY':10}  RECORD / REASONS"]
    for path, s, err in sorted(rows, key=key):
        if s is None:
            lines.append(f"{'ERROR':8}  {'-':>4}  {'-':10}  {path}")
            lines.append(f"{'':28}  {err}")
            continue
        hr = f"{s.heart_rate_bpm:.0f}" if s.heart_rate_bpm is not None else "-"
        lines.append(f"{s.priority.upper():8}  {hr:>4}  {s.quality.level.label:10}  {path}")
        lines.extend(f"{'':28}  - {r}" for r in s.reasons)
    return "\n".join(lines)


@cli.command(name="screen")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record per line (JSON Lines).")
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML file whose [ecg] table overrides thresholds and the priority policy.",
)
def screen_command(paths: tuple[Path, ...], as_json: bool, settings_path: Path | None) -> None:
    """Screen ECG records for arrhythmias and list them most urgent first.

    PATHS are record files (for WFDB, the .hea) or folders searched recursively; files that are not
    ECG records are skipped. Exit status: 0 all screened, 1 if any record failed (reported, run goes on).
    """
    settings = _load_settings(settings_path)
    records = list(find_records(paths))
    rows: list[tuple[Path, Screening | None, str | None]] = []
    failed = 0
    progress = tqdm(records, desc="screening", unit="record", file=sys.stderr, disable=not sys.stderr.isatty())
    for path in progress:
        try:
            result = screen(read(path), settings=settings)
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the batch
            log.debug("screening %s failed", path, exc_info=True)
            msg = str(exc) if isinstance(exc, EcgError) else f"{type(exc).__name__}: {exc}"
            rows.append((path, None, msg))
            failed += 1
            if as_json:
                click.echo(json.dumps({"record": str(path), "error": msg}))
            continue
        rows.append((path, result, None))
        if as_json:
            click.echo(json.dumps(_json_line(path, result), allow_nan=False, default=_json_default))
    if not as_json:
        click.echo(_table(rows) if rows else "no ECG records found")
    if failed:
        sys.exit(1)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
