"""`teletriage imaging ...` subcommands."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from tqdm import tqdm

from .batch import compress_paths
from .deid import deidentify_file
from .errors import DicomFormatError, ImagingError
from .preview import make_previews
from .read import iter_dicom_sources
from .series import group_studies
from .settings import ImagingSettings
from .windows import WINDOW_PRESETS

__all__ = ["cli"]


@click.group(name="imaging")
def cli() -> None:
    """DICOM compression, previews and de-identification."""


def _json_line(record: dict[str, object]) -> None:
    click.echo(json.dumps(record, default=str))


@cli.command(name="preview")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PNG files (created if needed).")
@click.option("--preset", type=click.Choice(sorted(WINDOW_PRESETS)), default=None,
              help="Window preset for grayscale images (default: the image's own window, else the modality default).")
@click.option("--size", "size_px", type=click.IntRange(8, 4096), default=None,
              help="Longest side of the thumbnail in px (default from settings: 256).")
def preview_command(inputs: tuple[Path, ...], out_dir: Path, preset: str | None, size_px: int | None) -> None:
    """Write an 8-bit PNG display image and thumbnail of the key slice of every series in INPUTS.

    INPUTS are DICOM files, folders or zip archives. One JSON line per series (or per unreadable file);
    exit status 1 when anything failed.
    """
    settings = ImagingSettings()
    errors: list[DicomFormatError] = []
    studies = group_studies(inputs, errors=errors)
    failed = bool(errors)
    for err in errors:
        _json_line({"input": err.path, "error": err.problem})
    for study in studies:
        for series in study.series:
            record: dict[str, object] = {
                "study_instance_uid": study.study_instance_uid,
                "series_instance_uid": series.series_instance_uid,
                "modality": series.modality,
                "instances": series.n_instances,
            }
            try:
                paths = make_previews(series, out_dir, size_px=size_px, window=preset, settings=settings)
                record.update(display=str(paths[0]), thumbnail=str(paths[1]))
            except ImagingError as exc:
                failed = True
                record.update(input=series.instances[0].label if series.instances else None, error=str(exc))
            _json_line(record)
    if failed:
        sys.exit(1)


@cli.command(name="deid")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the de-identified copies (<new SOP Instance UID>.dcm); inputs are never modified.")
@click.option("--key", envvar="TELETRIAGE_DEID_KEY", default=None,
              help="Export key (or $TELETRIAGE_DEID_KEY): the same key gives the same new UIDs. "
                   "Default: a random key for this run.")
@click.option("--pseudonym", default=None, help="Patient Name and Patient ID of the export (default: emptied).")
def deid_command(inputs: tuple[Path, ...], out_dir: Path, key: str | None, pseudonym: str | None) -> None:
    """De-identify DICOM INPUTS (files, folders, zips) with the PS3.15 Basic Profile into --out.

    One JSON line per file, burned-in annotation flagged ("yes" / "likely"); exit status 1 when a file failed.
    """
    if not key:
        key = secrets.token_hex(32)
        click.echo("no --key given: using a random export key; UIDs will differ from any other export", err=True)
    failed = False
    for source in iter_dicom_sources(inputs):
        try:
            report = deidentify_file(source, out_dir, key=key, pseudonym=pseudonym)
            _json_line(report.to_dict())
        except (ImagingError, OSError) as exc:
            failed = True
            _json_line({"input": source.label, "error": str(exc)})
    if failed:
        sys.exit(1)


@cli.command(name="compress")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the compressed copies (same file names; folder / zip layout kept).")
@click.option("--syntax", type=click.Choice(["auto", "htj2k", "jpegls", "jpeg2k", "rle"]), default=None,
              help="Lossless transfer syntax (default from settings: auto = smallest within the speed budget).")
@click.option("--jobs", type=click.IntRange(1, None), default=None, help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs (inputs are never overwritten).")
def compress_command(
    inputs: tuple[Path, ...], out_dir: Path, syntax: str | None, jobs: int | None, overwrite: bool
) -> None:
    """Losslessly compress DICOM INPUTS (files, folders, zips) into --out, every output verified bit for bit.

    One JSON line per file: input, output, transfer syntax, bytes in / out, lossless_verified; or an error naming
    the file. Exit status 1 when any file failed.
    """
    failed = False
    outcomes = compress_paths(inputs, out_dir, syntax=syntax, settings=ImagingSettings(), jobs=jobs,
                              overwrite=overwrite)
    # progress on stderr for people at a terminal; stdout stays one JSON line per file
    for outcome in tqdm(outcomes, desc="compress", unit="file", disable=not sys.stderr.isatty()):
        failed |= "error" in (record := outcome.to_dict())
        _json_line(record)
    if failed:
        sys.exit(1)
