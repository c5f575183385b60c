"""`teletriage imaging ...` subcommands."""

from __future__ import annotations

import click

__all__ = ["cli"]


@click.group(name="imaging")
def cli() -> None:
    """DICOM compression, previews and de-identification."""
