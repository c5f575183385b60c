"""`teletriage ecg ...` subcommands."""

from __future__ import annotations

import click

__all__ = ["cli"]


@click.group(name="ecg")
def cli() -> None:
    """ECG screening commands."""
