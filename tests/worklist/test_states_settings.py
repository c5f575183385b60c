from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worklist import (
    FINAL_STATES,
    PRIORITIES,
    ItemState,
    WorklistSettings,
    WorklistSettingsError,
    can_transition,
    check_priority,
    escalate,
)


def test_ups_like_transitions():
    assert can_transition("scheduled", "in_progress")
    assert can_transition("in_progress", "completed")
    assert can_transition("in_progress", "scheduled")  # release
    assert can_transition("scheduled", "canceled")
    assert not can_transition("scheduled", "completed")
    for final in FINAL_STATES:
        for target in ItemState:
            assert not can_transition(final, target)


def test_escalate_moves_one_level_and_saturates():
    assert escalate("routine") == "urgent"
    assert escalate("urgent") == "stat"
    assert escalate("stat") == "stat"
    with pytest.raises(ValueError, match="priority"):
        check_priority("asap")


@given(st.sampled_from(PRIORITIES))
def test_escalation_never_less_urgent(p):
    assert PRIORITIES.index(escalate(p)) <= PRIORITIES.index(p)


def test_default_turnaround_targets():
    s = WorklistSettings()
    assert s.turnaround("stat") == timedelta(minutes=30)
    assert s.turnaround("urgent") == timedelta(hours=4)
    assert s.turnaround("routine") == timedelta(hours=24)


def test_from_mapping_overrides_and_rejects_unknown_keys():
    s = WorklistSettings.from_mapping({"stat_turnaround_min": 15, "escalate_overdue": False})
    assert s.turnaround("stat") == timedelta(minutes=15)
    assert s.escalate_overdue is False
    with pytest.raises(WorklistSettingsError, match="stat_turnaround"):
        WorklistSettings.from_mapping({"stat_turnaround": 15})
    with pytest.raises(WorklistSettingsError, match="claim_expiry_min"):
        WorklistSettings.from_mapping({"claim_expiry_min": -1})
    with pytest.raises(WorklistSettingsError, match="escalate_overdue"):
        WorklistSettings.from_mapping({"escalate_overdue": "yes"})
