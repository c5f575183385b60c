"""The `teletriage` console command: assembles each package's subcommands."""

from __future__ import annotations

import logging

import click

from ecg.cli import cli as ecg_cli
from imaging.cli import cli as imaging_cli
from lab.cli import cli as lab_cli
from worklist.cli import cli as worklist_cli

__all__ = ["main"]


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
