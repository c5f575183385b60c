"""The `teletriage` console command: assembles each package's subcommands and adds `run` and `demo`.

Exit status of ``run`` and ``demo``: 0 every input processed, 1 some inputs rejected (listed, kept
in ``<store>/rejected/``), 2 the run failed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from ecg.cli import cli as ecg_cli
from imaging.cli import cli as imaging_cli
from lab.cli import cli as lab_cli
from worklist.cli import cli as worklist_cli

__all__ = ["main"]

DEFAULT_STORE = "teletriage-store"


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """teletriage: pre-screen clinic uploads (ECG, imaging, lab) into triaged worklists."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


main.add_command(ecg_cli)
main.add_command(imaging_cli)
main.add_command(lab_cli)
main.add_command(worklist_cli)


def _print_summary(summary: object) -> None:
    d = summary.to_dict()  # type: ignore[attr-defined]
    click.echo(f"processed {d['processed']} inputs ({', '.join(f'{k} {v}' for k, v in sorted(d['inputs_by_kind'].items())) or 'none'}), "
               f"skipped {d['skipped']} already processed, in {d['elapsed_s']:.1f} s")
    items = d["items"]
    click.echo(f"worklist items: {items['created']} new, {items['updated']} updated, {items['total_in_worklist']} in total")
    for kind, counts in items["by_kind"].items():
        parts = ", ".join(f"{p} {counts[p]}" for p in ("stat", "urgent", "routine") if counts.get(p))
        click.echo(f"  {kind:<11} {parts}")
    if d["rejected"]:
        click.echo(f"rejected {len(d['rejected'])} inputs (copies and reasons in {d['store']}/rejected/):")
        for r in d["rejected"]:
            click.echo(f"  {r['path']}\n      {r['reason']}")
    if d["error"]:
        click.echo(f"RUN FAILED: {d['error']}", err=True)
    click.echo(f"store: {d['store']}\ndb:    {d['db']}")


def _load(config: str | None):  # noqa: ANN202
    from .errors import ConfigError
    from .settings import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.command()
@click.argument("inbox", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--ray-address", default=None, help="Join this Ray cluster (default: start Ray locally in-process).")
@click.option("--db", default=None, help="Worklist database URL (default sqlite:///<store>/worklist.db; postgresql+psycopg://... for PostgreSQL).")
@click.option("--store", "store_dir", default=DEFAULT_STORE, show_default=True, type=click.Path(path_type=Path), help="Artifact store folder.")
@click.option("--config", default=None, type=click.Path(dir_okay=False), help="Settings TOML ([ecg] [imaging] [lab] [worklist] [pipeline]).")
@click.option("--num-cpus", default=None, type=int, help="CPUs for a local Ray (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
def run(inbox: tuple[Path, ...], ray_address: str | None, db: str | None, store_dir: Path, config: str | None,
        num_cpus: int | None, as_json: bool) -> None:
    """Screen everything under INBOX (files, folders, zip archives) into the triaged worklist.

    Exit status: 0 all inputs processed, 1 some rejected, 2 the run failed.
    """
    from .run import run_pipeline

    settings = _load(config)
    summary = run_pipeline(list(inbox), store_dir=store_dir, settings=settings, db_url=db, ray_address=ray_address,
                           num_cpus=num_cpus, progress=None if not as_json else False)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        _print_summary(summary)
    sys.exit(summary.exit_code)


@main.command()
@click.option("--out", "out_dir", default="demo-out", show_default=True, type=click.Path(path_type=Path), help="Where the demo inbox, store and database go.")
@click.option("--num-cpus", default=None, type=int, help="CPUs for the local Ray (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary and worklist as JSON.")
def demo(out_dir: Path, num_cpus: int | None, as_json: bool) -> None:
    """Build a demo inbox (ECGs, DICOM, lab reports, one corrupt file of each), run the main job on
    local Ray and SQLite into OUT, and print the triaged worklist."""
    from worklist import Worklist
    from worklist.cli import format_table

    from .demo import build_demo_inbox
    from .run import run_pipeline
    from .settings import Settings

    inbox = build_demo_inbox(out_dir / "inbox")
    store = out_dir / "store"
    summary = run_pipeline([inbox], store_dir=store, settings=Settings.defaults(), num_cpus=num_cpus,
                           progress=None if not as_json else False)
    wl = Worklist.open(summary.db)
    items = wl.queue()
    wl.dispose()
    if as_json:
        click.echo(json.dumps({"run": summary.to_dict(), "worklist": [i.to_dict() for i in items]}, indent=2))
    else:
        click.echo(f"demo inbox: {inbox}")
        _print_summary(summary)
        click.echo("\nTRIAGED WORKLIST (most urgent first)\n")
        click.echo(format_table(items))
        click.echo(f"\nnext: teletriage worklist --db {summary.db} claim <ID> --reader <you>")
    # in the demo, the corrupt inputs are planted: rejecting them is the expected outcome
    sys.exit(2 if summary.error else 0)


if __name__ == "__main__":  # pragma: no cover - `python -m workers.cli` is the console script's twin
    main()
