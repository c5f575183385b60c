"""De-identification for exports (second opinion, research): DICOM PS3.15 Annex E Basic Profile.

The attribute actions are data: ``deid_basic_profile.csv`` (packaged next to this module) transcribes the
commonly present rows of PS3.15 Table E.1-1, column "Basic Prof.". On top of the table:

* private attributes (odd groups) are removed, at every sequence depth (the profile's default without the
  Retain Safe Private option);
* UIDs (action ``U``) are replaced by ``2.25.<n>`` UIDs (PS3.5 B.2, UUID-derived) where ``n`` is the first 128 bits of
  HMAC-SHA256(export key, original UID): the same input UID maps to the same output UID in every file exported
  with that key (so a study stays a study, references stay resolvable) and cannot be reversed without the key;
* Patient Identity Removed (0012,0062) = ``YES``, De-identification Method (0012,0063) and De-identification Method
  Code Sequence (0012,0064) = (113100, DCM, "Basic Application Confidentiality Profile") are set;
* burned-in annotation is *flagged*, not cleaned: ``"yes"`` when Burned In Annotation (0028,0301) is ``YES``,
  ``"likely"`` for modalities and SOP classes that usually carry it (ultrasound, endoscopy, secondary capture,
  ...), else ``"no"``. The profile's Clean Pixel Data option is not claimed.

Action ``C`` (clean) is applied as ``Z``: free text is emptied rather than edited, the conservative reading.
The input dataset and file are never modified.

References
----------
DICOM PS3.15 Annex E (Attribute Confidentiality Profiles), Table E.1-1 and E.1-1a; PS3.16 CID 7050
(De-identification Method); PS3.5 B.2 (UUID derived UIDs).
"""

from __future__ import annotations

import copy
import csv
import enum
import functools
import hashlib
import hmac
import io
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag, Tag

from .errors import DicomFormatError, ImagingValueError
from .read import DicomSource, read_dataset

__all__ = [
    "Action",
    "ProfileRule",
    "DeidProfile",
    "BurnedIn",
    "DeidReport",
    "UidMapper",
    "basic_profile",
    "burned_in_risk",
    "deidentify",
    "deidentify_file",
]

log = logging.getLogger(__name__)

BurnedIn = Literal["yes", "likely", "no"]

_PROFILE_FILE = "deid_basic_profile.csv"
_METHOD = "PS3.15 E.1 Basic Application Confidentiality Profile"
#: Modalities whose images usually carry burned-in text (patient name, dates) in the pixels.
_BURNED_IN_MODALITIES = frozenset({"US", "ES", "XC", "GM", "SM", "OP", "DOC", "IVUS"})
#: SOP class UID prefixes with a high burned-in risk: secondary capture family, encapsulated documents.
_BURNED_IN_SOP_PREFIXES = ("1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.104")


class Action(enum.Enum):
    """PS3.15 Table E.1-1a action codes (resolved to one)."""

    DUMMY = "D"
    ZERO = "Z"
    REMOVE = "X"
    KEEP = "K"
    CLEAN = "C"
    UID = "U"


def _resolve(code: str) -> Action:
    """Pick one action from a combined code: D over Z over X keeps Type 1/2 attributes valid; U* → U."""
    parts = [p.rstrip("*") for p in code.strip().upper().split("/")]
    for pick in ("U", "D", "Z", "K", "C", "X"):
        if pick in parts:
            return Action(pick)
    raise ImagingValueError(f"unknown de-identification action code {code!r}")


@dataclass(frozen=True, slots=True)
class ProfileRule:
    """One row of the profile table: a tag (with ``x`` wildcard nibbles), its keyword and action."""

    group: str
    element: str
    keyword: str
    code: str
    action: Action

    def matches(self, tag: BaseTag) -> bool:
        """True when ``tag`` fits this row's group/element pattern."""
        text = f"{tag.group:04X}{tag.element:04X}"
        pattern = (self.group + self.element).upper()
        return all(p == "X" or p == t for p, t in zip(pattern, text))


@dataclass(frozen=True, slots=True)
class DeidProfile:
    """A parsed profile table: exact tags and wildcard rows."""

    exact: dict[int, ProfileRule]
    patterns: tuple[ProfileRule, ...]

    def rule_for(self, tag: BaseTag) -> ProfileRule | None:
        """The row governing ``tag`` (exact match first), or None when the profile keeps it."""
        rule = self.exact.get(int(tag))
        if rule is not None:
            return rule
        for row in self.patterns:
            if row.matches(tag):
                return row
        return None


def _parse_profile(text: str, *, source: str) -> DeidProfile:
    exact: dict[int, ProfileRule] = {}
    patterns: list[ProfileRule] = []
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for n, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        try:
            rule = ProfileRule(row["group"].strip(), row["element"].strip(), row["keyword"].strip(),
                               row["action"].strip(), _resolve(row["action"]))
        except (KeyError, AttributeError) as exc:
            raise ImagingValueError(f"{source}: malformed row {n}: {row}") from exc
        if "X" in (rule.group + rule.element).upper():
            patterns.append(rule)
        else:
            exact[int(Tag(int(rule.group, 16), int(rule.element, 16)))] = rule
    return DeidProfile(exact, tuple(patterns))


@functools.cache
def basic_profile() -> DeidProfile:
    """The packaged Basic Application Level Confidentiality Profile table (read once)."""
    text = resources.files(__package__).joinpath(_PROFILE_FILE).read_text(encoding="utf-8")
    return _parse_profile(text, source=_PROFILE_FILE)


class UidMapper:
    """Deterministic, keyed UID replacement: ``2.25.<first 128 bits of HMAC-SHA256(key, uid)>``.

    The same key maps the same UID to the same new UID (consistent across files and runs of one export); a
    different key gives unrelated UIDs. Without the key the mapping cannot be reversed or recomputed.
    """

    def __init__(self, key: bytes | str) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if not raw:
            raise ImagingValueError("de-identification key must be non-empty")
        self._key = raw

    def __call__(self, uid: str) -> str:
        """The replacement of ``uid`` (whitespace and trailing NUL padding ignored)."""
        clean = str(uid).strip().rstrip("\x00")
        digest = hmac.new(self._key, clean.encode("ascii", "replace"), hashlib.sha256).digest()
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"


_DUMMY_BY_VR: dict[str, Any] = {
    "DA": "19000101", "TM": "000000", "DT": "19000101000000", "PN": "ANONYMIZED", "LO": "ANONYMIZED",
    "SH": "ANONYMIZED", "CS": "ANONYMIZED", "ST": "ANONYMIZED", "LT": "ANONYMIZED", "UT": "ANONYMIZED",
    "UC": "ANONYMIZED", "AE": "ANONYMIZED", "AS": "000Y", "IS": "0", "DS": "0", "UR": "", "US": 0, "SS": 0,
    "UL": 0, "SL": 0, "UV": 0, "SV": 0, "FL": 0.0, "FD": 0.0, "OB": b"\x00\x00", "OW": b"\x00\x00",
}


def burned_in_risk(ds: Dataset) -> tuple[BurnedIn, str]:
    """Whether the pixels may show identifying text: ``("yes"|"likely"|"no", why)``."""
    return _burned_in(
        str(ds.get("BurnedInAnnotation", "") or ""),
        str(ds.get("Modality", "") or ""),
        str(ds.get("SOPClassUID", "") or ""),
    )


def _burned_in(declared: str, modality: str, sop_class: str) -> tuple[BurnedIn, str]:
    declared = declared.strip().upper()
    modality = modality.strip().upper()
    if declared == "YES":
        return "yes", "Burned In Annotation (0028,0301) is YES"
    if modality in _BURNED_IN_MODALITIES:
        return "likely", f"modality {modality} usually carries burned-in text (declared {declared or 'nothing'})"
    if sop_class.startswith(_BURNED_IN_SOP_PREFIXES):
        return "likely", f"SOP class {sop_class} (secondary capture / document) often carries burned-in text"
    return "no", "no burned-in annotation declared or expected"


@dataclass(frozen=True, slots=True)
class DeidReport:
    """What de-identification did to one instance (no original identifiers in it).

    Attributes
    ----------
    source, output
        Input label and output file (None for in-memory use).
    sop_instance_uid, study_instance_uid, series_instance_uid
        The *new* UIDs.
    burned_in, burned_in_reason
        Burned-in annotation flag (see :func:`burned_in_risk`).
    private_removed
        Private elements removed (all depths).
    actions
        Count of elements per applied action code.
    """

    source: str
    output: str | None
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    burned_in: BurnedIn
    burned_in_reason: str
    private_removed: int
    actions: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "source": self.source,
            "output": self.output,
            "sop_instance_uid": self.sop_instance_uid,
            "study_instance_uid": self.study_instance_uid,
            "series_instance_uid": self.series_instance_uid,
            "burned_in": self.burned_in,
            "burned_in_reason": self.burned_in_reason,
            "private_removed": self.private_removed,
            "actions": dict(self.actions),
        }


def _apply(ds: Dataset, profile: DeidProfile, uids: UidMapper, counts: Counter[str]) -> None:
    for elem in list(ds):
        tag = elem.tag
        if tag.is_private:
            del ds[tag]
            counts["private"] += 1
            continue
        rule = profile.rule_for(tag)
        action = rule.action if rule is not None else Action.KEEP
        if action is Action.KEEP or (action is Action.UID and elem.VR == "SQ"):
            if elem.VR == "SQ":
                for item in elem.value or []:
                    _apply(item, profile, uids, counts)
            continue
        counts[action.value] += 1
        if action is Action.REMOVE:
            del ds[tag]
        elif action is Action.UID:
            _replace_uids(elem, uids)
        elif action is Action.ZERO or action is Action.CLEAN:
            ds[tag] = DataElement(tag, elem.VR, DicomSequence() if elem.VR == "SQ" else None)
        elif action is Action.DUMMY:
            ds[tag] = DataElement(tag, elem.VR, DicomSequence() if elem.VR == "SQ" else _DUMMY_BY_VR.get(elem.VR, ""))


def _replace_uids(elem: DataElement, uids: UidMapper) -> None:
    if elem.value in (None, ""):
        return
    if elem.VM > 1:
        elem.value = [uids(v) for v in elem.value]
    else:
        elem.value = uids(elem.value)


def deidentify(
    ds: Dataset,
    *,
    key: bytes | str,
    pseudonym: str | None = None,
    profile: DeidProfile | None = None,
    source: str = "<dataset>",
) -> tuple[Dataset, DeidReport]:
    """Return a de-identified copy of ``ds`` and a report; ``ds`` itself is left untouched.

    Parameters
    ----------
    ds
        The dataset (with or without pixel data).
    key
        The export key: one key per export keeps UIDs consistent across its files.
    pseudonym
        If given, Patient Name and Patient ID are set to it (a dummy value the recipient can link cases by)
        instead of being emptied.
    profile
        Defaults to :func:`basic_profile`.
    source
        Label used in the report.
    """
    out = copy.deepcopy(ds)
    return out, _deidentify_in_place(out, key=key, pseudonym=pseudonym, profile=profile, source=source)


def _deidentify_in_place(
    ds: Dataset, *, key: bytes | str, pseudonym: str | None, profile: DeidProfile | None, source: str
) -> DeidReport:
    uids = UidMapper(key)
    burned, why = burned_in_risk(ds)
    counts: Counter[str] = Counter()
    _apply(ds, profile or basic_profile(), uids, counts)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        if "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID") or uids(meta.MediaStorageSOPInstanceUID)
        if "SourceApplicationEntityTitle" in meta:
            del meta.SourceApplicationEntityTitle
    if pseudonym is not None:
        if not pseudonym.strip() or len(pseudonym) > 64:
            raise ImagingValueError(f"pseudonym must be 1-64 characters, got {pseudonym!r}")
        ds.PatientName = pseudonym
        ds.PatientID = pseudonym
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = _METHOD
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = DicomSequence([code])
    if burned == "yes" or burned == "likely":
        log.warning("%s: burned-in annotation %s (%s): pixels are not cleaned", source, burned, why)
    return DeidReport(
        source=source,
        output=None,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        study_instance_uid=str(ds.get("StudyInstanceUID", "")),
        series_instance_uid=str(ds.get("SeriesInstanceUID", "")),
        burned_in=burned,
        burned_in_reason=why,
        private_removed=counts.pop("private", 0),
        actions=dict(sorted(counts.items())),
    )


def deidentify_file(
    path: str | os.PathLike[str] | DicomSource,
    out_dir: str | os.PathLike[str],
    *,
    key: bytes | str,
    pseudonym: str | None = None,
    profile: DeidProfile | None = None,
) -> DeidReport:
    """De-identify one file (or zip member) into ``out_dir/<new SOP Instance UID>.dcm``; the input is only read.

    Raises
    ------
    DicomFormatError
        The input is not readable DICOM (names the file), or the output would overwrite the input.
    """
    if isinstance(path, DicomSource):
        src, label, ds = path.path, path.label, path.read()
    else:
        src = Path(path)
        label, ds = str(src), read_dataset(src)
    report = _deidentify_in_place(ds, key=key, pseudonym=pseudonym, profile=profile, source=label)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{report.sop_instance_uid or 'instance'}.dcm"
    if target.exists() and target.resolve() == src.resolve():
        raise DicomFormatError(src, "output would overwrite the input file")
    ds.save_as(target, enforce_file_format=True)
    return DeidReport(**{**_fields(report), "output": str(target)})


def _fields(report: DeidReport) -> dict[str, Any]:
    return {name: getattr(report, name) for name in DeidReport.__dataclass_fields__}
