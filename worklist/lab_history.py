"""Lab result history in the worklist database, satisfying ``lab.HistorySource`` structurally.

Every assessed lab result is stored (SI value, time, institution) per patient key and LOINC code,
so the duplicate-test and delta rules of :mod:`lab` see results from earlier runs and other clinics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .db import session_factory
from .models import LabResultRow

__all__ = ["DbLabHistory", "HistoricResult", "record_lab_results"]


@dataclass(frozen=True, slots=True)
class HistoricResult:
    """One earlier numeric result of a test for a patient, in SI units.

    Field names match ``lab.PriorResult`` (``loinc``, ``value_si``, ``unit``, ``time``, ``institution``,
    ``report_key``) so the lab rules read it structurally; ``patient_key`` and ``source_key`` (unique
    per stored result, for idempotent recording) are this table's own.
    """

    patient_key: str
    loinc: str
    value_si: float
    unit: str
    time: datetime
    institution: str
    report_key: str
    source_key: str


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


class DbLabHistory:
    """``lab.HistorySource`` backed by the ``lab_results`` table.

    Parameters
    ----------
    engine
        Worklist database engine (schema present).
    limit
        Most recent results returned per query.
    """

    def __init__(self, engine: Engine, *, limit: int = 20) -> None:
        self._sessions = session_factory(engine)
        self._limit = int(limit)

    def previous_results(self, patient_key: str, loinc: str, *, before: datetime) -> Sequence[HistoricResult]:
        """Results of ``loinc`` for ``patient_key`` observed strictly before ``before``, newest first.

        Times come back in the convention of ``before``: aware UTC, or naive UTC when ``before`` is naive
        (as :mod:`lab` keeps them).
        """
        naive = before.tzinfo is None
        before = _aware(before)
        q = (
            select(LabResultRow)
            .where(
                LabResultRow.patient_key == patient_key,
                LabResultRow.loinc == loinc,
                LabResultRow.observed_at < before,
            )
            .order_by(LabResultRow.observed_at.desc())
            .limit(self._limit)
        )
        with self._sessions() as s:
            return [
                HistoricResult(
                    r.patient_key,
                    r.loinc,
                    r.value_si,
                    r.unit_si,
                    r.observed_at.replace(tzinfo=None) if naive else r.observed_at,
                    r.institution,
                    r.report_key,
                    r.source_key,
                )
                for r in s.scalars(q)
            ]


def record_lab_results(session: Session, results: Iterable[HistoricResult]) -> int:
    """Store ``results`` inside ``session`` (idempotent by ``source_key``); returns how many were new."""
    results = list(results)
    existing: set[str] = set()
    keys = [r.source_key for r in results]
    for i in range(0, len(keys), 500):
        existing.update(session.scalars(select(LabResultRow.source_key).where(LabResultRow.source_key.in_(keys[i : i + 500]))))
    added = 0
    for r in results:
        if r.source_key in existing:
            continue
        existing.add(r.source_key)
        session.add(
            LabResultRow(
                source_key=r.source_key,
                patient_key=r.patient_key,
                loinc=r.loinc,
                value_si=r.value_si,
                unit_si=r.unit,
                observed_at=_aware(r.time),
                institution=r.institution,
                report_key=r.report_key,
            )
        )
        added += 1
    return added
