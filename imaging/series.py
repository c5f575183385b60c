"""Grouping DICOM instances into studies and series, and ordering the slices of a series.

Study → Series → Instance follows the DICOM information model (PS3.3 A.1.2): a study is keyed by Study Instance
UID (0020,000D), a series by Series Instance UID (0020,000E), an instance by SOP Instance UID (0008,0018).
Slices are ordered along the slice normal: the cross product of the row and column direction cosines of Image
Orientation (Patient) (0020,0037), onto which Image Position (Patient) (0020,0032) is projected (PS3.3
C.7.6.2.1.1); when positions or a common orientation are missing, Instance Number (0020,0013) orders them.
Grouping reads headers only; pixel data is read again when needed (:meth:`Instance.load`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from .errors import DicomFormatError, ImagingValueError
from .read import DicomSource, iter_dicom_sources

__all__ = ["Instance", "Series", "Study", "RequestInfo", "group_studies", "order_instances", "slice_normal"]

log = logging.getLogger(__name__)

#: Two orientations closer than this (max abs difference of direction cosines) count as the same.
_ORIENTATION_TOL = 1e-3


def _text(ds: Dataset, keyword: str) -> str | None:
    value = ds.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _floats(ds: Dataset, keyword: str, n: int) -> tuple[float, ...] | None:
    value = ds.get(keyword)
    if value is None:
        return None
    try:
        values = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if len(values) != n or not all(np.isfinite(values)):
        return None
    return values


def _int(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first_frame_geometry(ds: Dataset) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """Position and orientation from the top level, else from the first frame's / shared functional groups."""
    position = _floats(ds, "ImagePositionPatient", 3)
    orientation = _floats(ds, "ImageOrientationPatient", 6)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    shared = ds.get("SharedFunctionalGroupsSequence")
    groups = [g for g in ((per_frame[0] if per_frame else None), (shared[0] if shared else None)) if g is not None]
    for group in groups:
        if position is None and group.get("PlanePositionSequence"):
            position = _floats(group.PlanePositionSequence[0], "ImagePositionPatient", 3)
        if orientation is None and group.get("PlaneOrientationSequence"):
            orientation = _floats(group.PlaneOrientationSequence[0], "ImageOrientationPatient", 6)
    return position, orientation


@dataclass(frozen=True, slots=True)
class Instance:
    """One stored image (or other SOP instance) of a series.

    Attributes
    ----------
    sop_instance_uid, sop_class_uid
        SOP identifiers.
    label
        Where it came from: file path, ``archive.zip!member``, or ``<dataset>`` for an in-memory dataset.
    instance_number
        Instance Number (0020,0013), or None.
    position_mm
        Image Position (Patient) of the first frame, mm (LPS), or None.
    orientation
        Image Orientation (Patient): row then column direction cosines, or None.
    number_of_frames
        Frames in the pixel data (1 for single-frame).
    rows, columns
        Matrix size (0 when the instance has no image).
    pixel_spacing_mm
        (row spacing, column spacing) in mm from Pixel Spacing (0028,0030), or None.
    slice_thickness_mm
        Slice Thickness (0018,0050), mm, or None.
    photometric
        Photometric Interpretation.
    burned_in_annotation
        Burned In Annotation (0028,0301) as written (``"YES"``/``"NO"``) or None.
    image_type
        Image Type (0008,0008) values.
    source, dataset
        How to get the full dataset again (see :meth:`load`).
    """

    sop_instance_uid: str
    sop_class_uid: str
    label: str
    instance_number: int | None = None
    position_mm: tuple[float, float, float] | None = None
    orientation: tuple[float, float, float, float, float, float] | None = None
    number_of_frames: int = 1
    rows: int = 0
    columns: int = 0
    pixel_spacing_mm: tuple[float, float] | None = None
    slice_thickness_mm: float | None = None
    photometric: str | None = None
    burned_in_annotation: str | None = None
    image_type: tuple[str, ...] = ()
    source: DicomSource | None = field(default=None, compare=False, repr=False)
    dataset: Dataset | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dataset(cls, ds: Dataset, *, label: str, source: DicomSource | None = None) -> Instance:
        """Describe ``ds``; keeps a reference to ``ds`` only when there is no ``source`` to re-read."""
        position, orientation = _first_frame_geometry(ds)
        spacing = _floats(ds, "PixelSpacing", 2)
        if spacing is None:
            shared = ds.get("SharedFunctionalGroupsSequence")
            if shared and shared[0].get("PixelMeasuresSequence"):
                spacing = _floats(shared[0].PixelMeasuresSequence[0], "PixelSpacing", 2)
        thickness = ds.get("SliceThickness")
        image_type = ds.get("ImageType") or ()
        return cls(
            sop_instance_uid=str(ds.SOPInstanceUID),
            sop_class_uid=str(ds.get("SOPClassUID", "")),
            label=label,
            instance_number=_int(ds, "InstanceNumber"),
            position_mm=position,  # type: ignore[arg-type]
            orientation=orientation,  # type: ignore[arg-type]
            number_of_frames=max(1, _int(ds, "NumberOfFrames") or 1),
            rows=_int(ds, "Rows") or 0,
            columns=_int(ds, "Columns") or 0,
            pixel_spacing_mm=spacing,  # type: ignore[arg-type]
            slice_thickness_mm=float(thickness) if thickness not in (None, "") else None,
            photometric=_text(ds, "PhotometricInterpretation"),
            burned_in_annotation=(_text(ds, "BurnedInAnnotation") or "").upper() or None,
            image_type=tuple(str(v) for v in ([image_type] if isinstance(image_type, str) else image_type)),
            source=source,
            dataset=None if source is not None else ds,
        )

    @property
    def path(self) -> Path | None:
        """The file on disk (None for a zip member or an in-memory dataset)."""
        if self.source is None or self.source.member is not None:
            return None
        return self.source.path

    def load(self, *, stop_before_pixels: bool = False) -> Dataset:
        """The full dataset: the in-memory one, or read again from its file (validated by :mod:`imaging.read`)."""
        if self.dataset is not None:
            return self.dataset
        if self.source is None:
            raise ImagingValueError(f"{self.label}: instance has neither a dataset nor a source to read")
        return self.source.read(stop_before_pixels=stop_before_pixels)


@dataclass(frozen=True, slots=True)
class Series:
    """A series: its instances in slice order (see :func:`order_instances`)."""

    series_instance_uid: str
    modality: str | None
    instances: tuple[Instance, ...]
    series_number: int | None = None
    description: str | None = None
    body_part: str | None = None
    frame_of_reference_uid: str | None = None
    ordered_by: str = "instance_number"

    @property
    def n_instances(self) -> int:
        """Number of instances."""
        return len(self.instances)

    @property
    def n_frames(self) -> int:
        """Total frames over all instances."""
        return sum(i.number_of_frames for i in self.instances)

    def slice_positions_mm(self) -> np.ndarray | None:
        """Positions along the slice normal (mm), in series order; None when the series is not a stack."""
        if self.ordered_by != "position":
            return None
        normal = slice_normal(self.instances[0].orientation)  # type: ignore[arg-type]
        return np.array([float(np.dot(i.position_mm, normal)) for i in self.instances])  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What the order says about urgency, as found in the instances' headers (first non-empty value wins).

    Attributes
    ----------
    requested_procedure_priority
        (0040,1003): ``STAT``, ``HIGH``, ``ROUTINE``, ``MEDIUM``, ``LOW``.
    study_priority_id
        (0032,000C) (retired): ``HIGH``, ``MED``, ``LOW``.
    reasons
        Reason for the Requested Procedure (0040,1002), Reason for Study (0032,1030), Requested Procedure
        Description (0032,1060): distinct texts, top level and Request Attributes Sequence items.
    """

    requested_procedure_priority: str | None = None
    study_priority_id: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Study:
    """A study and its series (series ordered by Series Number, then UID)."""

    study_instance_uid: str
    series: tuple[Series, ...]
    patient_id: str | None = None
    issuer_of_patient_id: str | None = None
    accession_number: str | None = None
    study_datetime: datetime | None = None
    study_description: str | None = None
    institution_name: str | None = None
    referring_physician: str | None = None
    request: RequestInfo = RequestInfo()
    patient_ids: tuple[str, ...] = ()

    @property
    def modalities(self) -> tuple[str, ...]:
        """Distinct modalities of the series, in series order."""
        return tuple(dict.fromkeys(s.modality for s in self.series if s.modality))

    @property
    def modality(self) -> str | None:
        """The study's modalities joined by ``/`` (``"CT"``, ``"CT/SR"``), or None."""
        return "/".join(self.modalities) or None

    @property
    def n_instances(self) -> int:
        """Instances over all series."""
        return sum(s.n_instances for s in self.series)


def slice_normal(orientation: Sequence[float]) -> np.ndarray:
    """Unit slice normal: row cosines × column cosines (PS3.3 C.7.6.2.1.1)."""
    o = np.asarray(orientation, dtype=np.float64)
    if o.shape != (6,) or not np.all(np.isfinite(o)):
        raise ImagingValueError(f"orientation must be 6 finite direction cosines, got {orientation!r}")
    normal = np.cross(o[:3], o[3:])
    norm = float(np.linalg.norm(normal))
    if norm < 1e-6:
        raise ImagingValueError(f"orientation row and column cosines are parallel: {orientation!r}")
    return normal / norm


def _number_key(inst: Instance) -> tuple[int, int, str]:
    n = inst.instance_number
    return (0 if n is not None else 1, n if n is not None else 0, inst.sop_instance_uid)


def order_instances(instances: Iterable[Instance]) -> tuple[tuple[Instance, ...], str]:
    """Order instances along the slice normal; fall back to Instance Number.

    Returns
    -------
    (instances, ordered_by)
        ``ordered_by`` is ``"position"`` when every instance has a position and they share one orientation,
        else ``"instance_number"``. Ties in position keep Instance Number order.
    """
    items = sorted(instances, key=_number_key)
    if len(items) < 2:
        return tuple(items), "position" if items and _has_geometry(items[0]) else "instance_number"
    if not all(_has_geometry(i) for i in items):
        return tuple(items), "instance_number"
    first = np.asarray(items[0].orientation)
    if any(np.max(np.abs(np.asarray(i.orientation) - first)) > _ORIENTATION_TOL for i in items):
        log.info("series mixes orientations; ordering by Instance Number")
        return tuple(items), "instance_number"
    try:
        normal = slice_normal(first)  # type: ignore[arg-type]
    except ImagingValueError:
        return tuple(items), "instance_number"
    along = [float(np.dot(np.asarray(i.position_mm), normal)) for i in items]
    order = sorted(range(len(items)), key=lambda k: (along[k], k))
    return tuple(items[k] for k in order), "position"


def _has_geometry(inst: Instance) -> bool:
    return inst.position_mm is not None and inst.orientation is not None


def _parse_datetime(da: str | None, tm: str | None) -> datetime | None:
    if not da:
        return None
    try:
        day = date(int(da[0:4]), int(da[4:6]), int(da[6:8]))
    except (ValueError, IndexError):
        return None
    t = time()
    if tm:
        digits = tm.split(".")[0]
        try:
            t = time(int(digits[0:2] or 0), int(digits[2:4] or 0), int(digits[4:6] or 0))
        except ValueError:
            t = time()
    return datetime.combine(day, t)


_REASON_KEYWORDS = ("ReasonForTheRequestedProcedure", "ReasonForStudy", "RequestedProcedureDescription")


def _request_info(headers: Sequence[Dataset]) -> RequestInfo:
    rpp: str | None = None
    spi: str | None = None
    reasons: dict[str, None] = {}
    for ds in headers:
        sources = [ds, *(ds.get("RequestAttributesSequence") or [])]
        for src in sources:
            rpp = rpp or (_text(src, "RequestedProcedurePriority") or "").upper() or None
            spi = spi or (_text(src, "StudyPriorityID") or "").upper() or None
            for kw in _REASON_KEYWORDS:
                text = _text(src, kw)
                if text:
                    reasons[text] = None
    return RequestInfo(rpp, spi, tuple(reasons))


def _read_header(item: Any) -> list[tuple[Dataset, str, DicomSource | None]]:
    if isinstance(item, DicomSource):
        return [(item.read(stop_before_pixels=True), item.label, item)]
    if isinstance(item, Dataset):
        if not item.get("SOPInstanceUID") or not item.get("StudyInstanceUID") or not item.get("SeriesInstanceUID"):
            raise DicomFormatError("<dataset>", "missing SOP/Study/Series Instance UID")
        label = str(getattr(item, "filename", "") or "<dataset>")
        return [(item, label, None)]
    if isinstance(item, (str, os.PathLike)):
        return [_read_header(source)[0] for source in iter_dicom_sources([Path(item)])]
    raise ImagingValueError(f"group_studies: expected pydicom Datasets or paths, got {type(item).__name__}")


def group_studies(
    datasets_or_paths: Iterable[Dataset | DicomSource | str | os.PathLike[str]],
    *,
    errors: list[DicomFormatError] | None = None,
) -> list[Study]:
    """Group instances into studies and series, slices in order.

    Parameters
    ----------
    datasets_or_paths
        pydicom Datasets (kept in memory), :class:`~imaging.read.DicomSource` objects and/or paths to files,
        folders or zip archives (headers read with :func:`imaging.read.read_dataset`; pixels re-read on demand).
    errors
        When given, files that fail to read are appended to it and skipped instead of raising.

    Returns
    -------
    list[Study]
        Studies ordered by study date/time then UID; series by Series Number then UID.

    Raises
    ------
    DicomFormatError
        A file is not readable DICOM or lacks its UIDs (the error names the file).
    """
    by_study: dict[str, dict[str, list[tuple[Dataset, Instance]]]] = {}
    seen: set[str] = set()
    for item in _expand(datasets_or_paths):
        try:
            headers = _read_header(item)
        except DicomFormatError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        for ds, label, source in headers:
            inst = Instance.from_dataset(ds, label=label, source=source)
            if inst.sop_instance_uid in seen:
                log.warning("%s: duplicate SOP Instance UID %s, skipped", label, inst.sop_instance_uid)
                continue
            seen.add(inst.sop_instance_uid)
            series = by_study.setdefault(str(ds.StudyInstanceUID), {})
            series.setdefault(str(ds.SeriesInstanceUID), []).append((ds, inst))
    studies = [_build_study(uid, series) for uid, series in by_study.items()]
    studies.sort(key=lambda s: (s.study_datetime or datetime.max, s.study_instance_uid))
    return studies


def _expand(items: Iterable[Any]) -> Iterable[Any]:
    """Paths become their DicomSources (so one bad file in a folder can be skipped on its own)."""
    for item in items:
        if isinstance(item, (str, os.PathLike)):
            yield from iter_dicom_sources([Path(item)])
        else:
            yield item


def _build_study(uid: str, series_map: dict[str, list[tuple[Dataset, Instance]]]) -> Study:
    all_headers = [ds for members in series_map.values() for ds, _ in members]
    first = all_headers[0]
    series_list = []
    for series_uid, members in series_map.items():
        head = members[0][0]
        ordered, how = order_instances(inst for _, inst in members)
        series_list.append(
            Series(
                series_instance_uid=series_uid,
                modality=_text(head, "Modality"),
                instances=ordered,
                series_number=_int(head, "SeriesNumber"),
                description=_text(head, "SeriesDescription"),
                body_part=_text(head, "BodyPartExamined"),
                frame_of_reference_uid=_text(head, "FrameOfReferenceUID"),
                ordered_by=how,
            )
        )
    series_list.sort(key=lambda s: (s.series_number is None, s.series_number or 0, s.series_instance_uid))
    patient_ids = tuple(dict.fromkeys(p for p in (_text(ds, "PatientID") for ds in all_headers) if p))
    return Study(
        study_instance_uid=uid,
        series=tuple(series_list),
        patient_id=patient_ids[0] if patient_ids else None,
        issuer_of_patient_id=_text(first, "IssuerOfPatientID"),
        accession_number=_text(first, "AccessionNumber"),
        study_datetime=_parse_datetime(_text(first, "StudyDate"), _text(first, "StudyTime")),
        study_description=_text(first, "StudyDescription"),
        institution_name=_text(first, "InstitutionName"),
        referring_physician=_text(first, "ReferringPhysicianName"),
        request=_request_info(all_headers),
        patient_ids=patient_ids,
    )
