"""Where earlier results of a patient come from: the :class:`HistorySource` protocol and an in-memory one.

Delta checks and duplicate-test reminders need each patient's earlier results of a test, from *any*
institution of the city. :func:`lab.assess` asks a :class:`HistorySource` for them; this module offers
:class:`InMemoryHistory` (one CLI call, tests, benchmarks). A database-backed source (``worklist``) only
has to provide the one method of the protocol, structurally (no import of :mod:`lab` needed).

Patient identity is ``PatientRef.key`` (issuer + patient id); a result's own report is recognised by
``report_key`` (patient + institution + order) so that re-processing a report never flags it against itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from .catalogue import default_catalogue
from .errors import UnknownUnitError
from .model import LabReport
from .units import si_factor

__all__ = ["ChainedHistory", "HistorySource", "InMemoryHistory", "PriorResult", "prior_results_of"]

_SKIPPED_STATUS = frozenset({"X", "D", "W", "cancelled", "entered-in-error"})


@dataclass(frozen=True, slots=True)
class PriorResult:
    """An earlier numeric result of one patient.

    Attributes
    ----------
    loinc
        Test code.
    value_si
        Value in the catalogue's SI unit for the test (``unit``).
    unit
        That unit.
    time
        Specimen time.
    institution
        Where it was done.
    report_key
        :attr:`lab.model.LabReport.key` of the report it came from.
    """

    loinc: str
    value_si: float
    unit: str
    time: datetime
    institution: str
    report_key: str = ""


@runtime_checkable
class HistorySource(Protocol):
    """Anything that can list a patient's earlier results of a test."""

    def previous_results(self, patient_key: str, loinc: str, *, before: datetime) -> Sequence[PriorResult]:
        """Results of ``loinc`` for ``patient_key`` with time strictly before ``before``, most recent first."""
        ...


def prior_results_of(report: LabReport) -> list[PriorResult]:
    """The catalogued numeric results of ``report`` as :class:`PriorResult` (SI units); others are skipped."""
    if report.specimen_time is None:
        return []
    tests = default_catalogue().tests
    out = []
    for r in report.results:
        test = tests.get(r.loinc)
        if test is None or r.value is None or r.status in _SKIPPED_STATUS:
            continue
        try:
            scale, offset = si_factor(r.unit, test.analyte)
        except UnknownUnitError:
            continue
        out.append(PriorResult(r.loinc, r.value * scale + offset, test.unit, r.time or report.specimen_time,
                               report.institution, report.key))
    return out


class InMemoryHistory:
    """Results held in memory, indexed by patient and test (sorted by time).

    Adding a report whose key was added before replaces its results (re-processing updates, never duplicates).
    """

    def __init__(self, reports: Iterable[LabReport] = ()) -> None:
        self._times: dict[tuple[str, str], list[datetime]] = {}
        self._rows: dict[tuple[str, str], list[PriorResult]] = {}
        self._reports: set[str] = set()
        for report in reports:
            self.add(report)

    def add(self, report: LabReport) -> None:
        """Add a report's catalogued numeric results (replacing an earlier copy of the same report)."""
        if report.key in self._reports:
            self._remove(report.key)
        self._reports.add(report.key)
        for prior in prior_results_of(report):
            self.add_result(report.patient.key, prior)

    def add_result(self, patient_key: str, prior: PriorResult) -> None:
        """Add one result."""
        key = (patient_key, prior.loinc)
        times = self._times.setdefault(key, [])
        rows = self._rows.setdefault(key, [])
        i = bisect.bisect_right(times, prior.time)
        times.insert(i, prior.time)
        rows.insert(i, prior)

    def _remove(self, report_key: str) -> None:
        for key, rows in self._rows.items():
            keep = [p for p in rows if p.report_key != report_key]
            if len(keep) != len(rows):
                self._rows[key] = keep
                self._times[key] = [p.time for p in keep]

    def previous_results(self, patient_key: str, loinc: str, *, before: datetime) -> Sequence[PriorResult]:
        """Results strictly before ``before``, most recent first."""
        key = (patient_key, loinc)
        times = self._times.get(key)
        if not times:
            return ()
        i = bisect.bisect_left(times, before)
        return self._rows[key][:i][::-1]

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())


class ChainedHistory:
    """Results of several sources merged (most recent first); used by :func:`lab.assess_many`."""

    def __init__(self, *sources: HistorySource) -> None:
        self._sources = sources

    def previous_results(self, patient_key: str, loinc: str, *, before: datetime) -> Sequence[PriorResult]:
        """Merged results of all sources, most recent first (one copy of a result seen twice)."""
        merged: list[PriorResult] = []
        for source in self._sources:
            merged.extend(source.previous_results(patient_key, loinc, before=before))
        if len(self._sources) > 1:
            merged = list(dict.fromkeys(merged))
            merged.sort(key=lambda p: p.time, reverse=True)
        return merged
