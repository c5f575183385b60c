"""The in-memory ECG record every reader produces and every analysis consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from .errors import EcgValueError

__all__ = ["EcgMetadata", "EcgRecord"]


@dataclass(frozen=True, slots=True)
class EcgMetadata:
    """Who, when and how a record was acquired.

    Attributes
    ----------
    record_id
        The record's name in its source (WFDB record name, DICOM SOP Instance UID, file stem).
    patient_id
        Patient identifier as sent by the clinic, or ``None`` when the file has none.
    acquired_at
        Acquisition start (naive local time as the device wrote it, or aware when the file says the zone).
    device
        Acquisition device / manufacturer and model, when given.
    source_format
        One of ``"wfdb"``, ``"dicom"``, ``"aecg"``, ``"edf"``, ``"csv"``.
    source_path
        The file the record was read from (for WFDB, the ``.hea``).
    extra
        Format-specific fields worth keeping (comments, units as sent, ...); JSON-ready values only.
    """

    record_id: str = ""
    patient_id: str | None = None
    acquired_at: datetime | None = None
    device: str | None = None
    source_format: str = ""
    source_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "record_id": self.record_id,
            "patient_id": self.patient_id,
            "acquired_at": self.acquired_at.isoformat() if self.acquired_at else None,
            "device": self.device,
            "source_format": self.source_format,
            "source_path": self.source_path,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True, slots=True, eq=False)
class EcgRecord:
    """A multi-lead ECG in physical units.

    Attributes
    ----------
    signal
        ``(n_samples, n_leads)`` float64 array in millivolts (mV). Missing samples are NaN.
    fs
        Sampling rate in Hz.
    leads
        Lead names, one per column (``"I"``, ``"II"``, ``"V1"``, ``"MLII"``, ...).
    metadata
        :class:`EcgMetadata`.
    """

    signal: np.ndarray
    fs: float
    leads: tuple[str, ...]
    metadata: EcgMetadata = field(default_factory=EcgMetadata)

    def __post_init__(self) -> None:
        sig = np.asarray(self.signal, dtype=np.float64)
        if sig.ndim == 1:
            sig = sig[:, None]
        if sig.ndim != 2:
            raise EcgValueError(f"signal: expected a (n_samples, n_leads) array, got shape {sig.shape}")
        if not np.isfinite(self.fs) or self.fs <= 0:
            raise EcgValueError(f"fs: expected a positive sampling rate in Hz, got {self.fs!r}")
        leads = tuple(str(name) for name in self.leads)
        if len(leads) != sig.shape[1]:
            raise EcgValueError(f"leads: expected {sig.shape[1]} names (one per column), got {len(leads)}")
        object.__setattr__(self, "signal", np.ascontiguousarray(sig))
        object.__setattr__(self, "fs", float(self.fs))
        object.__setattr__(self, "leads", leads)

    @property
    def n_samples(self) -> int:
        """Number of samples per lead."""
        return int(self.signal.shape[0])

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        """Length of the record in seconds."""
        return self.n_samples / self.fs

    def lead(self, name: str) -> np.ndarray:
        """The column of lead ``name`` (a view, mV)."""
        try:
            return self.signal[:, self.leads.index(name)]
        except ValueError:
            raise EcgValueError(f"lead: {name!r} is not one of {list(self.leads)}") from None
