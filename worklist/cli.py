"""`teletriage worklist ...` subcommands."""

from __future__ import annotations

import click

__all__ = ["cli"]


@click.group(name="worklist")
def cli() -> None:
    """The triaged worklist."""
