"""DICOM reading and grouping, normalization, verified lossless compression, previews, de-identification.

A pure library: it never imports :mod:`ray`, :mod:`workers` or :mod:`worklist`.
"""

from .auto import AutoChooser
from .batch import CompressionFailure, compress_paths
from .codecs import PixelFormat, TransferSyntax
from .errors import (
    DicomFormatError,
    ImagingError,
    ImagingValueError,
    LosslessVerificationError,
    UnsupportedPixelFormatError,
)
from .read import DicomSource, is_dicom, iter_dicom_files, iter_dicom_sources, read_dataset, read_dataset_bytes
from .settings import ImagingSettings
from .transcode import CompressionResult, CompressionStats, compress_dataset, compress_file
from .deid import DeidReport, UidMapper, basic_profile, burned_in_risk, deidentify, deidentify_file
from .normalize import display_frame, frame_window, modality_frame, modality_frames, number_of_frames, stored_frame
from .preview import KeyImage, key_image, make_previews
from .result import FindingCode, ImagingFinding, ImagingResult, assess_study
from .series import Instance, RequestInfo, Series, Study, group_studies, order_instances
from .volume import reorient, resample_volume, to_volume
from .windows import WINDOW_PRESETS, VoiFunction, Window, apply_window, get_window

__all__ = [
    "DeidReport",
    "FindingCode",
    "ImagingFinding",
    "ImagingResult",
    "Instance",
    "KeyImage",
    "RequestInfo",
    "Series",
    "Study",
    "UidMapper",
    "VoiFunction",
    "WINDOW_PRESETS",
    "Window",
    "apply_window",
    "assess_study",
    "basic_profile",
    "burned_in_risk",
    "deidentify",
    "deidentify_file",
    "display_frame",
    "frame_window",
    "get_window",
    "group_studies",
    "key_image",
    "make_previews",
    "modality_frame",
    "modality_frames",
    "number_of_frames",
    "order_instances",
    "reorient",
    "resample_volume",
    "stored_frame",
    "to_volume",
    "DicomSource",
    "ImagingSettings",
    "is_dicom",
    "iter_dicom_files",
    "iter_dicom_sources",
    "read_dataset",
    "read_dataset_bytes",
    "DicomFormatError",
    "ImagingError",
    "ImagingValueError",
    "LosslessVerificationError",
    "UnsupportedPixelFormatError",
    "AutoChooser",
    "CompressionFailure",
    "CompressionResult",
    "CompressionStats",
    "PixelFormat",
    "TransferSyntax",
    "compress_dataset",
    "compress_file",
    "compress_paths",
]
