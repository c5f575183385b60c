"""`teletriage lab ...` subcommands."""

from __future__ import annotations

import click

__all__ = ["cli"]


@click.group(name="lab")
def cli() -> None:
    """Lab report checks."""
