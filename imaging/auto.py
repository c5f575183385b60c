"""The ``auto`` transfer syntax choice: smallest output within a speed budget, decided per series.

The first ``sample_size`` images of a series are encoded (and verified) with every candidate syntax; among the
candidates whose total encode + verify CPU time over the sample is at most ``speed_budget`` times the fastest's,
the one with the smallest total output wins and is used for the rest of the series. Images of one series share
modality, acquisition and pixel format, so a few slices predict the series well, and the trial cost is paid on a
few images only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from .codecs import PixelFormat, TransferSyntax
from .errors import LosslessVerificationError
from .settings import ImagingSettings

__all__ = ["AutoChooser", "SeriesKey", "Trial", "pick_best", "series_key"]

log = logging.getLogger(__name__)

#: (Study Instance UID, Series Instance UID, pixel format): images that ``auto`` treats alike.
SeriesKey = tuple[str, str, PixelFormat]


@dataclass(frozen=True, slots=True)
class Trial:
    """One candidate syntax tried on one image: output bytes and encode + verify seconds (None if it failed)."""

    syntax: TransferSyntax
    bytes_out: int | None
    seconds: float
    error: str | None = None


@dataclass
class AutoChooser:
    """Per-series memory of ``auto``: trial sizes and times of the sampled images, then the fixed winner.

    One chooser serves one batch (one process); :meth:`merge` folds in decisions made elsewhere, so a parent
    process can pass winners on to later batches.

    Parameters
    ----------
    candidates
        Syntaxes to try, in order of preference on ties.
    speed_budget
        A candidate is eligible when its total encode + verify CPU time over the sample is at most this
        times the fastest's.
    sample_size
        Images of a series encoded with every candidate before the winner is fixed.
    """

    candidates: tuple[TransferSyntax, ...]
    speed_budget: float = 3.0
    sample_size: int = 3
    decided: dict[SeriesKey, TransferSyntax] = field(default_factory=dict)
    _trials: dict[SeriesKey, list[tuple[Trial, ...]]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: ImagingSettings) -> AutoChooser:
        """A chooser configured by ``settings.auto_*``."""
        return cls(
            candidates=tuple(TransferSyntax.from_name(n) for n in settings.auto_candidates),
            speed_budget=settings.auto_speed_budget,
            sample_size=settings.auto_sample_size,
        )

    def winner(self, key: SeriesKey) -> TransferSyntax | None:
        """The syntax fixed for this series, or None while it is still being sampled."""
        return self.decided.get(key)

    def record(self, key: SeriesKey, trials: tuple[Trial, ...]) -> TransferSyntax:
        """Note one sampled image's trials; returns the best so far and fixes it once the sample is complete."""
        history = self._trials.setdefault(key, [])
        history.append(trials)
        best = pick_best(history, self.candidates, self.speed_budget)
        if len(history) >= self.sample_size:
            self.decided[key] = best
            del self._trials[key]
            log.info("auto: series %s fixed to %s after %d sampled images", key[1], best.value, len(history))
        return best

    def merge(self, decided: dict[SeriesKey, TransferSyntax]) -> None:
        """Adopt winners fixed by another chooser (existing decisions are kept)."""
        for key, syntax in decided.items():
            self.decided.setdefault(key, syntax)


def pick_best(
    history: Sequence[tuple[Trial, ...]], candidates: Sequence[TransferSyntax], speed_budget: float
) -> TransferSyntax:
    """Smallest total output among candidates that never failed and are within the speed budget of the fastest."""
    totals: dict[TransferSyntax, tuple[int, float]] = {}
    for syntax in candidates:
        sizes, secs = [], []
        for trials in history:
            trial = next((t for t in trials if t.syntax is syntax), None)
            if trial is None or trial.bytes_out is None:
                break
            sizes.append(trial.bytes_out)
            secs.append(trial.seconds)
        else:
            totals[syntax] = (sum(sizes), sum(secs))
    if not totals:
        raise LosslessVerificationError("auto: no candidate syntax encoded these images losslessly")
    fastest = min(s for _, s in totals.values())
    eligible = [ts for ts in candidates if ts in totals and totals[ts][1] <= speed_budget * fastest]
    return min(eligible, key=lambda ts: totals[ts][0])


def series_key(ds: Dataset, fmt: PixelFormat) -> SeriesKey:
    """The key ``auto`` decides by: study, series and pixel format of ``ds``."""
    return (str(ds.get("StudyInstanceUID", "")), str(ds.get("SeriesInstanceUID", "")), fmt)
