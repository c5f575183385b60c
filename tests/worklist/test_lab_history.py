from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worklist import DbLabHistory, HistoricResult, open_engine, record_lab_results, session_factory

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _r(key: str, hours: float, value: float, loinc: str = "2823-3", patient: str = "MPI|123") -> HistoricResult:
    return HistoricResult(patient, loinc, value, "mmol/L", T0 + timedelta(hours=hours), "CLINIC-7", f"rep-{key}", key)


def test_history_returns_earlier_results_newest_first_across_sessions(db_url: str):
    engine = open_engine(db_url)
    with session_factory(engine).begin() as s:
        assert record_lab_results(s, [_r("a", 0, 4.1), _r("b", 5, 5.9), _r("c", 9, 6.8), _r("d", 1, 140, loinc="2951-2")]) == 4
    with session_factory(engine).begin() as s:  # re-recording is idempotent
        assert record_lab_results(s, [_r("a", 0, 4.1)]) == 0
    hist = DbLabHistory(engine)
    got = hist.previous_results("MPI|123", "2823-3", before=T0 + timedelta(hours=9))
    assert [r.value_si for r in got] == [5.9, 4.1]
    assert got[0].institution == "CLINIC-7" and got[0].time.tzinfo is not None
    assert got[0].report_key == "rep-b"
    naive = hist.previous_results("MPI|123", "2823-3", before=(T0 + timedelta(hours=9)).replace(tzinfo=None))
    assert [r.value_si for r in naive] == [5.9, 4.1] and naive[0].time.tzinfo is None  # lab keeps naive UTC
    assert hist.previous_results("MPI|999", "2823-3", before=T0 + timedelta(days=1)) == []
    engine.dispose()
