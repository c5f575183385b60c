"""Settings of the imaging domain: one frozen dataclass, loaded from the ``[imaging]`` table of the TOML file."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args

from .errors import ImagingValueError

__all__ = ["ImagingSettings", "SyntaxChoice"]

#: What ``compress`` may be asked for: a fixed lossless transfer syntax, or ``auto`` (smallest within budget).
SyntaxChoice = Literal["auto", "htj2k", "jpegls", "jpeg2k", "rle"]


@dataclass(frozen=True, slots=True)
class ImagingSettings:
    """Imaging options of one run.

    Attributes
    ----------
    syntax
        Default lossless transfer syntax for compression: ``"auto"``, ``"htj2k"``, ``"jpegls"``, ``"jpeg2k"``
        or ``"rle"``.
    auto_candidates
        Syntaxes ``auto`` tries, in order of preference on ties.
    auto_speed_budget
        ``auto`` only accepts a candidate whose encode + verify time per image is at most this many times that
        of the fastest candidate (e.g. 3.0: up to three times slower is acceptable for a smaller file).
    auto_sample_size
        Images of a series that ``auto`` encodes with every candidate before fixing the winner for the series.
    verify
        Decode every output and compare it bit for bit with the source before accepting it. Keep it on; off only
        for benchmarking the encoders alone.
    fallback_to_source
        When every candidate fails verification, keep the source (uncompressed) instead of failing the file.
    preview_size_px
        Longest side of preview thumbnails, px.
    default_windows
        (modality, window preset) pairs used for previews when a dataset has no VOI of its own (TOML: a table,
        ``default_windows = {CT = "soft_tissue"}``); presets in :data:`imaging.windows.WINDOW_PRESETS`.
    stat_keywords, urgent_keywords
        Words in the request's reason texts that make a study ``stat`` / ``urgent`` (whole words, any case).
    missing_slice_factor
        A gap between slice positions larger than this many times the series' median spacing is reported as
        ``MISSING_SLICES``.
    """

    syntax: SyntaxChoice = "auto"
    auto_candidates: tuple[str, ...] = ("htj2k", "jpegls")
    auto_speed_budget: float = 3.0
    auto_sample_size: int = 3
    verify: bool = True
    fallback_to_source: bool = False
    preview_size_px: int = 256
    default_windows: tuple[tuple[str, str], ...] = (("CT", "soft_tissue"),)
    stat_keywords: tuple[str, ...] = ("stat",)
    urgent_keywords: tuple[str, ...] = ("urgent", "asap")
    missing_slice_factor: float = 1.5

    def __post_init__(self) -> None:
        self._check_preview_and_triage()
        choices = get_args(SyntaxChoice)
        if self.syntax not in choices:
            raise ImagingValueError(f"imaging.syntax: expected one of {choices}, got {self.syntax!r}")
        if not self.auto_candidates:
            raise ImagingValueError("imaging.auto_candidates: expected at least one syntax, got none")
        for name in self.auto_candidates:
            if name not in choices or name == "auto":
                raise ImagingValueError(
                    f"imaging.auto_candidates: expected syntaxes from {choices[1:]}, got {name!r}"
                )
        if not self.auto_speed_budget >= 1.0:
            raise ImagingValueError(
                f"imaging.auto_speed_budget: expected a ratio >= 1.0, got {self.auto_speed_budget!r}"
            )
        if self.auto_sample_size < 1:
            raise ImagingValueError(f"imaging.auto_sample_size: expected >= 1, got {self.auto_sample_size!r}")

    def _check_preview_and_triage(self) -> None:
        from .windows import WINDOW_PRESETS

        if not isinstance(self.preview_size_px, int) or not 8 <= self.preview_size_px <= 4096:
            raise ImagingValueError(
                f"imaging.preview_size_px: expected an integer in [8, 4096], got {self.preview_size_px!r}"
            )
        for pair in self.default_windows:
            if len(pair) != 2 or pair[1] not in WINDOW_PRESETS:
                raise ImagingValueError(
                    f"imaging.default_windows: expected modality = preset from {sorted(WINDOW_PRESETS)}, got {pair!r}"
                )
        for name in ("stat_keywords", "urgent_keywords"):
            if not all(isinstance(w, str) and w.strip() for w in getattr(self, name)):
                raise ImagingValueError(f"imaging.{name}: expected non-empty strings, got {getattr(self, name)!r}")
        if not self.missing_slice_factor > 1.0:
            raise ImagingValueError(
                f"imaging.missing_slice_factor: expected a ratio > 1.0, got {self.missing_slice_factor!r}"
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """Build from a TOML table (a dict); unknown keys raise :class:`ImagingValueError` naming the key."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ImagingValueError(f"imaging settings: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
        values = dict(mapping)
        if "auto_candidates" in values:
            values["auto_candidates"] = tuple(values["auto_candidates"])
        if "auto_speed_budget" in values:
            values["auto_speed_budget"] = float(values["auto_speed_budget"])
        for name in ("stat_keywords", "urgent_keywords"):
            if name in values:
                values[name] = tuple(values[name])
        if "default_windows" in values:
            windows = values["default_windows"]
            pairs = windows.items() if isinstance(windows, Mapping) else windows
            values["default_windows"] = tuple((str(k), str(v)) for k, v in pairs)
        if "missing_slice_factor" in values:
            values["missing_slice_factor"] = float(values["missing_slice_factor"])
        return cls(**values)
