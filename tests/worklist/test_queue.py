from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from worklist import (
    ClaimError,
    IllegalTransitionError,
    ItemEntry,
    ItemNotFoundError,
    TriageResult,
    Worklist,
    WorklistSettings,
    entry_from_result,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def _entry(key: str, priority: str = "routine", specialty: str = "cardiology", **kw) -> ItemEntry:
    return ItemEntry(natural_key=key, specialty=specialty, priority=priority, reasons=(f"{key} reason",), **kw)


@pytest.fixture
def wl(db_url: str):
    w = Worklist.open(db_url)
    yield w
    w.dispose()


@dataclass(frozen=True)
class _Finding:
    code: str
    time_s: float


@dataclass(frozen=True)
class _Result:
    """A plain result object satisfying the TriageResult protocol structurally (as domains do)."""

    priority: str
    reasons: tuple[str, ...]
    findings: tuple[_Finding, ...] = field(default=())

    def to_dict(self):
        return {"priority": self.priority, "reasons": list(self.reasons), "findings": [f.__dict__ for f in self.findings]}


def test_entry_from_structural_result():
    res = _Result("stat", ("VT run of 7 beats at 182 bpm, 00:12:31",), (_Finding("vt", 751.0),))
    assert isinstance(res, TriageResult)
    e = entry_from_result(res, natural_key="ecg:1", specialty="cardiology", patient="P1")
    assert e.priority == "stat" and e.findings == ({"code": "vt", "time_s": 751.0},)
    assert e.result["reasons"] == ["VT run of 7 beats at 182 bpm, 00:12:31"]


def test_upsert_by_natural_key_updates_never_duplicates(wl):
    (id1, created1), = wl.upsert([_entry("ecg:a", "routine")], now=T0)
    (id2, created2), = wl.upsert([_entry("ecg:a", "stat", artifacts=({"kind": "json", "path": "x"},))], now=T0 + timedelta(hours=1))
    assert created1 and not created2 and id1 == id2
    assert wl.count() == 1
    item = wl.get(id1, now=T0)
    assert item.priority == "stat"
    assert item.received_at == T0  # first receipt kept
    assert item.due_at == T0 + timedelta(minutes=30)  # due follows the new priority
    assert item.artifacts == ({"kind": "json", "path": "x"},)


def test_queue_order_priority_then_due(wl):
    wl.upsert([_entry("r1", "routine")], now=T0)
    wl.upsert([_entry("u1", "urgent")], now=T0 + timedelta(minutes=5))
    wl.upsert([_entry("s1", "stat")], now=T0 + timedelta(minutes=10))
    wl.upsert([_entry("u0", "urgent")], now=T0)
    order = [i.natural_key for i in wl.queue(now=T0 + timedelta(minutes=11))]
    assert order == ["s1", "u0", "u1", "r1"]


def test_overdue_items_escalate_one_level(wl):
    wl.upsert([_entry("old-routine", "routine")], now=T0)
    wl.upsert([_entry("new-urgent", "urgent")], now=T0 + timedelta(hours=23))
    wl.upsert([_entry("new-stat", "stat")], now=T0 + timedelta(hours=24, minutes=30))
    now = T0 + timedelta(hours=24, minutes=31)  # routine overdue (due +24h), urgent not (due +27h)
    items = wl.queue(now=now)
    assert [i.natural_key for i in items] == ["new-stat", "old-routine", "new-urgent"]
    assert items[1].overdue and items[1].effective_priority == "urgent"
    plain = Worklist(wl.engine, settings=WorklistSettings(escalate_overdue=False))
    assert [i.natural_key for i in plain.queue(now=now)] == ["new-stat", "new-urgent", "old-routine"]


def test_specialty_filter(wl):
    wl.upsert([_entry("e", specialty="cardiology"), _entry("i", specialty="radiology"), _entry("l", specialty="laboratory")], now=T0)
    assert [i.natural_key for i in wl.queue(specialty="radiology", now=T0)] == ["i"]
    assert {i.natural_key for i in wl.queue(specialty=["radiology", "laboratory"], now=T0)} == {"i", "l"}


def test_claim_release_complete_cycle(wl):
    (iid, _), = wl.upsert([_entry("a")], now=T0)
    item = wl.claim(iid, "dr-a", now=T0)
    assert item.state == "in_progress" and item.claimed_by == "dr-a"
    with pytest.raises(ClaimError, match="dr-a"):
        wl.claim(iid, "dr-b", now=T0 + timedelta(minutes=1))
    with pytest.raises(ClaimError):
        wl.release(iid, reader="dr-b", now=T0)
    assert wl.release(iid, reader="dr-a", now=T0).state == "scheduled"
    wl.claim(iid, "dr-b", now=T0)
    done = wl.complete(iid, report="sinus rhythm, no action", reader="dr-b", now=T0 + timedelta(minutes=9))
    assert done.state == "completed" and done.report == "sinus rhythm, no action"
    assert wl.queue(now=T0) == []
    assert [i.id for i in wl.queue(states=("completed",), now=T0)] == [iid]


def test_illegal_transitions_raise(wl):
    (iid, _), = wl.upsert([_entry("a")], now=T0)
    with pytest.raises(IllegalTransitionError, match="scheduled.*completed"):
        wl.complete(iid, report="x", now=T0)
    with pytest.raises(IllegalTransitionError):
        wl.release(iid, now=T0)
    wl.cancel(iid, reason="duplicate upload", now=T0)
    with pytest.raises(IllegalTransitionError, match="canceled"):
        wl.claim(iid, "dr", now=T0)
    with pytest.raises(IllegalTransitionError):
        wl.cancel(iid, now=T0)
    with pytest.raises(ItemNotFoundError):
        wl.get(9999)


def test_expired_claim_can_be_taken_over(wl):
    wl_short = Worklist(wl.engine, settings=WorklistSettings(claim_expiry_min=10))
    (iid, _), = wl_short.upsert([_entry("a")], now=T0)
    wl_short.claim(iid, "dr-a", now=T0)
    assert not wl_short.try_claim(iid, "dr-b", now=T0 + timedelta(minutes=9))
    assert wl_short.try_claim(iid, "dr-b", now=T0 + timedelta(minutes=11))
    assert wl_short.get(iid, now=T0).claimed_by == "dr-b"
    with pytest.raises(ClaimError):
        wl_short.complete(iid, report="x", reader="dr-a", now=T0 + timedelta(minutes=12))


def test_claim_next_takes_queue_head(wl):
    wl.upsert([_entry("r", "routine"), _entry("s", "stat")], now=T0)
    first = wl.claim_next("dr", now=T0)
    second = wl.claim_next("dr", now=T0)
    assert (first.natural_key, second.natural_key) == ("s", "r")
    assert wl.claim_next("dr", now=T0) is None


def test_naive_time_rejected(wl):
    with pytest.raises(Exception, match="aware"):
        wl.queue(now=datetime(2026, 1, 1))
