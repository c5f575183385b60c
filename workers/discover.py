"""Discovery and routing of uploads: files, folders (recursive) and zip archives, routed by CONTENT.

Each file is offered to the domain sniffers in this order: ECG (``ecg.sniff``: WFDB, ECG waveform
DICOM, aECG, EDF, ...), imaging (``imaging.is_dicom``: any other DICOM), lab (``lab.sniff``: HL7 v2,
FHIR, CSV). A WFDB header is grouped with its signal files (``ecg.record_files``); what no sniffer
claims is rejected with the reason. File names and extensions are never trusted for routing.

Keys: every upload is keyed by the SHA-256 of its bytes; a multi-file ECG record by the SHA-256 over
its files' names and hashes. Clinic: the inbox layout ``INBOX/<clinic>/...`` when the input is a
folder; the data (DICOM InstitutionName, HL7 MSH-4) is used only when the layout gives none — the
inbox folder is tied to the clinic's upload account, a free-text field typed at a modality is not.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

import ecg
import imaging
import lab

from .store import ArtifactStore, sha256_file

__all__ = ["Kind", "Upload", "Rejection", "Discovery", "discover", "record_key"]

log = logging.getLogger(__name__)

MAX_ZIP_BYTES = 8 << 30  # refuse archives that would expand beyond 8 GiB (zip bombs)
MAX_ZIP_MEMBERS = 200_000


class Kind(str, Enum):
    """Which domain an upload goes to."""

    ECG = "ecg"
    IMAGING = "imaging"
    LAB = "lab"


@dataclass(frozen=True, slots=True)
class Upload:
    """One routed input.

    Attributes
    ----------
    kind
        Domain.
    key
        SHA-256 of the file's bytes (ECG multi-file record: over its files).
    files
        Readable local paths: the primary file first (a WFDB ``.hea`` then its signal files).
    display
        How to name it to people: the input path, ``archive.zip!member`` for zip members.
    clinic
        From the inbox layout, or ``None``.
    fmt
        What the sniffer said (``"wfdb"``, ``"dicom"``, ``"hl7v2"``, ...).
    """

    kind: Kind
    key: str
    files: tuple[Path, ...]
    display: str
    clinic: str | None
    fmt: str | None = None

    @property
    def primary(self) -> Path:
        """The file a reader is given."""
        return self.files[0]


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input no domain accepted (or that failed later), with the reason."""

    path: str
    key: str | None
    reason: str
    file: Path | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready."""
        return {"path": self.path, "key": self.key, "reason": self.reason}


@dataclass(slots=True)
class Discovery:
    """What :func:`discover` found."""

    uploads: list[Upload] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def by_kind(self, kind: Kind) -> list[Upload]:
        """Uploads of one kind."""
        return [u for u in self.uploads if u.kind is kind]


@dataclass(frozen=True, slots=True)
class _Candidate:
    path: Path
    display: str
    clinic: str | None


def record_key(files: Sequence[Path]) -> str:
    """SHA-256 over a multi-file record: names and content hashes, in order."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode("utf-8") + b"\0" + sha256_file(f).encode("ascii") + b"\n")
    return h.hexdigest()


def _hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in ("Thumbs.db", "desktop.ini")


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if not _hidden(p):
                yield p


def _clinic_of(path: Path, inbox: Path) -> str | None:
    rel = path.relative_to(inbox).parts
    return rel[0] if len(rel) > 1 else None


def _safe_member(name: str) -> PurePosixPath | None:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        return None
    return p


def _expand_zip(path: Path, display: str, clinic: str | None, store: ArtifactStore, rejected: list[Rejection]) -> list[_Candidate]:
    key = sha256_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_ZIP_MEMBERS or total > MAX_ZIP_BYTES:
                rejected.append(Rejection(display, key, f"zip archive too large to expand ({len(infos)} members, {total} bytes)", path))
                return []
            out_dir = store.staging_dir(key)
            out: list[_Candidate] = []
            for info in infos:
                member = _safe_member(info.filename)
                mdisplay = f"{display}!{info.filename}"
                if member is None:
                    rejected.append(Rejection(mdisplay, None, "zip member with an unsafe path (absolute or '..')", None))
                    continue
                if member.name.startswith(".") or "__MACOSX" in member.parts:
                    continue
                dst = out_dir.joinpath(*member.parts)
                if not dst.exists():  # staging is content-addressed by the archive: extract once
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    tmp = store.tmp_path()
                    with zf.open(info) as src, open(tmp, "wb") as fh:
                        while block := src.read(1 << 20):
                            fh.write(block)
                    os.replace(tmp, dst)
                mclinic = clinic
                if mclinic is None and len(member.parts) > 1:
                    mclinic = member.parts[0]
                out.append(_Candidate(dst, mdisplay, mclinic))
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        rejected.append(Rejection(display, key, f"damaged zip archive ({exc})", path))
        return []


def _candidates(inputs: Iterable[str | Path], store: ArtifactStore, rejected: list[Rejection]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            files = [(p, _clinic_of(p, root)) for p in _walk(root)]
        elif root.is_file():
            files = [(root, None)]
        else:
            rejected.append(Rejection(str(root), None, "no such file or folder", None))
            continue
        for p, clinic in files:
            if zipfile.is_zipfile(p) and not imaging.is_dicom(p):
                out.extend(_expand_zip(p, str(p), clinic, store, rejected))
            else:
                out.append(_Candidate(p, str(p), clinic))
    return out


def _sniffer(module: object, name: str) -> Callable[[Path], str | None]:
    fn = getattr(module, name)
    return fn  # type: ignore[no-any-return]


def _sniff(fn: Callable[[Path], str | None], cand: _Candidate, rejected: list[Rejection]) -> str | None | bool:
    """The sniffer's answer; ``False`` when the file cannot be read (rejected); a sniffer that raises on
    content it does not understand is taken as a "no" (logged), so one sniffer bug cannot stop discovery."""
    try:
        return fn(cand.path)
    except OSError as exc:
        rejected.append(Rejection(cand.display, None, f"cannot read file ({exc.strerror})", None))
        return False
    except Exception as exc:  # noqa: BLE001
        log.warning("%s: sniffer %s raised %s: %s (taken as not its format)", cand.display, getattr(fn, "__module__", "?"), type(exc).__name__, exc)
        return None


def discover(inputs: Iterable[str | Path], *, store: ArtifactStore) -> Discovery:
    """Find, route, group and key every upload under ``inputs``.

    Parameters
    ----------
    inputs
        Files, folders (walked recursively; hidden files skipped) and zip archives.
    store
        Where zip members are extracted (``<store>/staging``).
    """
    found = Discovery()
    cands = _candidates(inputs, store, found.rejected)
    ecg_sniff = _sniffer(ecg, "sniff")
    lab_sniff = _sniffer(lab, "sniff")
    claimed: set[Path] = set()
    unknown: list[_Candidate] = []
    rest: list[_Candidate] = []
    # pass 1: ECG records, and the companion files they claim (never offered to other sniffers)
    for cand in cands:
        fmt = _sniff(ecg_sniff, cand, found.rejected)
        if fmt is False:
            continue
        if fmt is None:
            rest.append(cand)
            continue
        try:
            files = tuple(Path(f) for f in ecg.record_files(cand.path))
        except ecg.EcgError as exc:
            found.rejected.append(Rejection(cand.display, sha256_file(cand.path), str(exc), cand.path))
            continue
        claimed.update(f.resolve() for f in files[1:])
        key = record_key(files) if len(files) > 1 else sha256_file(cand.path)
        found.uploads.append(Upload(Kind.ECG, key, files, cand.display, cand.clinic, fmt))
    # pass 2: DICOM, then lab formats
    for cand in rest:
        if cand.path.resolve() in claimed:
            continue
        try:
            is_dicom = imaging.is_dicom(cand.path)
        except OSError as exc:
            found.rejected.append(Rejection(cand.display, None, f"cannot read file ({exc.strerror})", None))
            continue
        if is_dicom:
            found.uploads.append(Upload(Kind.IMAGING, sha256_file(cand.path), (cand.path,), cand.display, cand.clinic, "dicom"))
            continue
        fmt = _sniff(lab_sniff, cand, found.rejected)
        if fmt is False:
            continue
        if fmt is not None:
            found.uploads.append(Upload(Kind.LAB, sha256_file(cand.path), (cand.path,), cand.display, cand.clinic, fmt))
        else:
            unknown.append(cand)

    ecg_stems = {(u.primary.parent.resolve(), u.primary.stem) for u in found.uploads if u.kind is Kind.ECG}
    for cand in unknown:
        resolved = cand.path.resolve()
        if resolved in claimed:
            continue  # a companion (WFDB signal file) of a record routed above
        if (resolved.parent, cand.path.stem) in ecg_stems:
            log.debug("%s: kept with its WFDB record (annotation / companion file)", cand.display)
            continue
        reason = "unrecognised content: not an ECG, DICOM or lab format teletriage reads"
        if cand.path.suffix.lower() == ".dat":
            reason = "WFDB signal file without its .hea header"
        found.rejected.append(Rejection(cand.display, sha256_file(cand.path), reason, cand.path))
    log.info("discovered %d uploads, %d rejected", len(found.uploads), len(found.rejected))
    return found
