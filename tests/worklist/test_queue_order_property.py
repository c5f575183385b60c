"""Queue order computed in SQL equals a plain-Python reference (priority, escalation, due time, id)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worklist import ItemEntry, Worklist, WorklistSettings, escalate
from worklist.priority import PRIORITY_RANK

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)

item = st.tuples(st.sampled_from(["stat", "urgent", "routine"]), st.integers(0, 48 * 60))


def _reference(rows, now, ws: WorklistSettings):
    out = []
    for item_id, (prio, minute) in rows.items():
        received = T0 + timedelta(minutes=minute)
        due = received + ws.turnaround(prio)
        eff = escalate(prio) if (ws.escalate_overdue and due < now) else prio
        out.append((PRIORITY_RANK[eff], due, item_id))
    return [i for _, _, i in sorted(out)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(item, min_size=0, max_size=25), now_min=st.integers(0, 96 * 60), escalate_on=st.booleans())
def test_sql_order_matches_reference(tmp_path_factory, items, now_min, escalate_on):
    ws = WorklistSettings(escalate_overdue=escalate_on)
    wl = Worklist.open(f"sqlite:///{tmp_path_factory.mktemp('q') / 'w.db'}", settings=ws)
    rows = {}
    for k, (prio, minute) in enumerate(items):
        ((iid, _),) = wl.upsert([ItemEntry(natural_key=f"k{k}", specialty="cardiology", priority=prio)],
                                now=T0 + timedelta(minutes=minute))
        rows[iid] = (prio, minute)
    now = T0 + timedelta(minutes=now_min)
    got = [i.id for i in wl.queue(now=now)]
    wl.dispose()
    assert got == _reference(rows, now, ws)
