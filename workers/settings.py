"""One frozen :class:`Settings` per run, loaded from a TOML file with ``[ecg]``, ``[imaging]``, ``[lab]``,
``[worklist]`` and ``[pipeline]`` tables.

Each domain table goes to that domain's ``XSettings.from_mapping`` (which rejects unknown keys);
the object is passed explicitly to every Ray task. It pickles as its source tables and is rebuilt
(and re-validated) on the worker, so domain settings need not be picklable themselves.

Example::

    [ecg]
    pause_stat_s = 3.5
    [lab]
    # lab critical limits, retest intervals ...
    [worklist]
    stat_turnaround_min = 20
    [pipeline]
    ecg_batch = 32
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self

from worklist import WorklistSettings

from .errors import ConfigError

__all__ = ["Settings", "PipelineSettings", "load_settings"]

_TABLES = ("ecg", "imaging", "lab", "worklist", "pipeline")


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """How the pipeline batches and schedules work (the ``[pipeline]`` table).

    Attributes
    ----------
    ecg_batch, lab_batch
        ECG records / lab files per Ray task (small items are batched so scheduling overhead stays small).
    imaging_batch
        Most DICOM files per Ray task (a study is never split across tasks unless it is larger).
    max_in_flight_per_cpu
        Bound on submitted-but-unfinished tasks per CPU (back-pressure; the ``ray.wait`` window).
    task_retries
        Ray's ``max_retries`` for a task whose worker died.
    resubmits
        Further resubmissions by the driver of a batch whose retries ran out; after that the batch is
        split into single inputs, and an input that still kills its worker is rejected (poison input).
    """

    ecg_batch: int = 32
    lab_batch: int = 32
    imaging_batch: int = 24
    max_in_flight_per_cpu: int = 2
    task_retries: int = 3
    resubmits: int = 1

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            minimum = 0 if f.name in ("task_retries", "resubmits") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(f"pipeline.{f.name}: expected an integer >= {minimum}, got {value!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """From a ``[pipeline]`` table; unknown keys are an error naming the key."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in mapping:
            if key not in known:
                raise ConfigError(f"pipeline: unknown setting {key!r} (known: {sorted(known)})")
        return cls(**dict(mapping))


def _domain_classes() -> dict[str, Any]:
    import ecg
    import imaging
    import lab

    return {
        "ecg": ecg.ScreeningSettings,
        "imaging": imaging.ImagingSettings,
        "lab": lab.LabSettings,
        "worklist": WorklistSettings,
        "pipeline": PipelineSettings,
    }


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings of one run.

    Attributes
    ----------
    ecg, imaging, lab, worklist, pipeline
        ``ecg.ScreeningSettings``, ``imaging.ImagingSettings``, ``lab.LabSettings``,
        :class:`worklist.WorklistSettings`, :class:`PipelineSettings`.
    source
        The tables they were built from (what pickling carries).
    """

    ecg: Any
    imaging: Any
    lab: Any
    worklist: WorklistSettings
    pipeline: PipelineSettings
    source: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, origin: str = "<settings>") -> Settings:
        """Build from a parsed TOML document; unknown tables or keys are an error naming them and ``origin``."""
        for key, value in mapping.items():
            if key not in _TABLES:
                raise ConfigError(f"{origin}: unknown table [{key}] (expected some of {list(_TABLES)})")
            if not isinstance(value, Mapping):
                raise ConfigError(f"{origin}: [{key}] must be a table, got {type(value).__name__}")
        built: dict[str, Any] = {}
        for name, klass in _domain_classes().items():
            table = dict(mapping.get(name, {}))
            try:
                built[name] = klass.from_mapping(table)
            except Exception as exc:  # noqa: BLE001 - each domain raises its own error type (and TypeError)
                if isinstance(exc, ConfigError):
                    raise ConfigError(f"{origin}: {exc}") from exc
                raise ConfigError(f"{origin}: [{name}]: {exc}") from exc
        source = MappingProxyType({k: dict(v) for k, v in mapping.items()})
        return cls(source=source, **built)

    @classmethod
    def defaults(cls) -> Settings:
        """Every domain's defaults."""
        return cls.from_mapping({})

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild, ({k: dict(v) for k, v in self.source.items()},))


def _rebuild(source: dict[str, dict[str, Any]]) -> Settings:
    return Settings.from_mapping(source, origin="<pickled settings>")


def load_settings(path: str | Path | None) -> Settings:
    """Settings from the TOML file at ``path`` (defaults when ``None``); errors name the file."""
    if path is None:
        return Settings.defaults()
    p = Path(path)
    try:
        with p.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{p}: settings file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    return Settings.from_mapping(doc, origin=str(p))
