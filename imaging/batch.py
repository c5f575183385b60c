"""Compressing a whole upload (files, folders, zips) on all cores, one result per file.

Inputs are cut into batches of consecutive files (the files of a series are usually adjacent); each batch runs in a
worker process of a :class:`concurrent.futures.ProcessPoolExecutor` with its own :class:`~imaging.auto.AutoChooser`,
and at most ``2 x jobs`` batches are in flight (bounded memory whatever the upload size). The parent passes the
``auto`` winners fixed by finished batches on to the batches it submits next, so a large series is sampled a few
times, not once per batch.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .auto import AutoChooser, SeriesKey
from .codecs import TransferSyntax
from .errors import ImagingError
from .read import DicomSource, iter_dicom_sources
from .settings import ImagingSettings
from .transcode import CompressionResult, compress_source

__all__ = ["CompressionFailure", "compress_files", "compress_paths", "output_path"]

log = logging.getLogger(__name__)

#: Largest zip member read into memory (a guard against zip bombs; DICOM files beyond it are not expected).
MAX_MEMBER_BYTES = 4 << 30


@dataclass(frozen=True, slots=True)
class CompressionFailure:
    """A file of a batch that could not be compressed: its label and the error naming it."""

    input: str
    error: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the CLI prints one per line)."""
        return {"input": self.input, "error": self.error, "error_type": self.kind}


def compress_files(
    pairs: Iterable[tuple[DicomSource, Path]],
    *,
    syntax: str | TransferSyntax | None = None,
    settings: ImagingSettings | None = None,
    decided: dict[SeriesKey, TransferSyntax] | None = None,
    overwrite: bool = False,
) -> tuple[list[CompressionResult | CompressionFailure], dict[SeriesKey, TransferSyntax]]:
    """Compress a batch sharing one :class:`AutoChooser`; one result or failure per input, never raising for one.

    ``decided`` passes in ``auto`` winners already fixed elsewhere; the chooser's decisions are returned so that a
    parent process can pass them on to later batches. Everything returned pickles (for process pools).
    """
    settings = settings or ImagingSettings()
    chooser = AutoChooser.from_settings(settings)
    if decided:
        chooser.merge(decided)
    results: list[CompressionResult | CompressionFailure] = []
    archives: dict[Path, zipfile.ZipFile] = {}  # each archive opened once per batch, not once per member
    try:
        for source, dst in pairs:
            results.append(_one(source, dst, archives, syntax=syntax, settings=settings, chooser=chooser,
                                overwrite=overwrite))
    finally:
        for archive in archives.values():
            archive.close()
    return results, dict(chooser.decided)


def _one(
    source: DicomSource,
    dst: Path,
    archives: dict[Path, zipfile.ZipFile],
    **options: Any,
) -> CompressionResult | CompressionFailure:
    try:
        data = None
        if source.member is not None:
            if source.path not in archives:
                archives[source.path] = zipfile.ZipFile(source.path)
            size = archives[source.path].getinfo(source.member).file_size
            if size > MAX_MEMBER_BYTES:
                message = f"{source.label}: zip member of {size} bytes exceeds {MAX_MEMBER_BYTES}"
                return CompressionFailure(source.label, message, "ZipMemberTooLarge")
            data = archives[source.path].read(source.member)
        return compress_source(source, dst, data=data, **options)
    except ImagingError as exc:
        return CompressionFailure(source.label, str(exc), type(exc).__name__)
    except (OSError, zipfile.BadZipFile) as exc:
        return CompressionFailure(source.label, f"{source.label}: cannot be read or written: {exc}", "OSError")
    except Exception as exc:  # noqa: BLE001 - a library bug on one odd file must not stop the batch
        log.exception("%s: unexpected failure", source.label)
        message = f"{source.label}: unexpected {type(exc).__name__}: {exc}"
        return CompressionFailure(source.label, message, type(exc).__name__)


def output_path(source: DicomSource, out_dir: Path) -> Path:
    """Where ``source``'s compressed copy goes: ``out_dir`` / its path relative to the folder or zip it came from.

    Zip members go under a folder named after the archive (``upload.zip!CT/1.dcm`` -> ``out/upload/CT/1.dcm``).
    Relative paths never escape ``out_dir`` (``..`` parts of a malicious zip member are dropped).
    """
    parts = [p for p in Path(source.relative or source.path.name).parts if p not in ("..", ".", "/", "")]
    return out_dir.joinpath(*parts) if parts else out_dir / source.path.name


@dataclass(frozen=True, slots=True)
class _Batch:
    pairs: tuple[tuple[DicomSource, Path], ...]


def _batches(pairs: Iterable[tuple[DicomSource, Path]], size: int) -> Iterator[_Batch]:
    chunk: list[tuple[DicomSource, Path]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) >= size:
            yield _Batch(tuple(chunk))
            chunk = []
    if chunk:
        yield _Batch(tuple(chunk))


def compress_paths(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    syntax: str | TransferSyntax | None = None,
    settings: ImagingSettings | None = None,
    jobs: int | None = None,
    batch_size: int = 16,
    overwrite: bool = False,
) -> Iterator[CompressionResult | CompressionFailure]:
    """Compress every DICOM file under ``inputs`` into ``out_dir``; yields one outcome per file, in input order.

    Parameters
    ----------
    inputs
        Files, folders (recursive) and zip archives.
    out_dir
        Output root; each output keeps its input's name and relative layout (see :func:`output_path`).
    syntax, settings
        As :func:`imaging.compress_dataset`.
    jobs
        Worker processes (default: all cores); 1 runs in this process.
    batch_size
        Files per task sent to a worker.
    overwrite
        Replace existing outputs (inputs are never overwritten).
    """
    settings = settings or ImagingSettings()
    out_root = Path(out_dir)
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs: expected >= 1, got {jobs}")
    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    pairs = ((source, output_path(source, out_root)) for source in iter_dicom_sources(inputs))
    decided: dict[SeriesKey, TransferSyntax] = {}
    options: dict[str, Any] = {"syntax": syntax, "settings": settings, "overwrite": overwrite}
    if jobs == 1:
        for batch in _batches(pairs, batch_size):
            results, new = compress_files(batch.pairs, decided=decided, **options)
            decided.update(new)
            yield from results
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[tuple[list[CompressionResult | CompressionFailure], dict[SeriesKey, TransferSyntax]]]]
        pending = deque()
        for batch in _batches(pairs, batch_size):
            if len(pending) >= 2 * jobs:
                yield from _collect(pending.popleft(), decided)
            pending.append(pool.submit(compress_files, batch.pairs, decided=dict(decided), **options))
        while pending:
            yield from _collect(pending.popleft(), decided)


def _collect(
    future: Future[tuple[list[CompressionResult | CompressionFailure], dict[SeriesKey, TransferSyntax]]],
    decided: dict[SeriesKey, TransferSyntax],
) -> list[CompressionResult | CompressionFailure]:
    results, new = future.result()
    for key, syntax in new.items():
        decided.setdefault(key, syntax)
    return results
