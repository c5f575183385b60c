"""Triage policy, worklist items and their states, queue order and claims, the database schema."""

from .db import open_engine, session_factory, sqlite_url
from .errors import ClaimError, IllegalTransitionError, ItemNotFoundError, WorklistError, WorklistSettingsError
from .items import ItemEntry, WorklistItem, entry_from_result
from .lab_history import DbLabHistory, HistoricResult, record_lab_results
from .ledger import InputRecord, lookup_inputs, record_inputs
from .priority import PRIORITIES, PRIORITY_RANK, Priority, Specialty, TriageResult, check_priority, escalate
from .queue import Worklist, upsert_item
from .settings import WorklistSettings
from .states import FINAL_STATES, TRANSITIONS, ItemState, can_transition

__all__ = [
    "ClaimError",
    "DbLabHistory",
    "FINAL_STATES",
    "HistoricResult",
    "IllegalTransitionError",
    "InputRecord",
    "ItemEntry",
    "ItemNotFoundError",
    "ItemState",
    "PRIORITIES",
    "PRIORITY_RANK",
    "Priority",
    "Specialty",
    "TRANSITIONS",
    "TriageResult",
    "Worklist",
    "WorklistError",
    "WorklistItem",
    "WorklistSettings",
    "WorklistSettingsError",
    "can_transition",
    "check_priority",
    "entry_from_result",
    "escalate",
    "lookup_inputs",
    "open_engine",
    "record_inputs",
    "record_lab_results",
    "session_factory",
    "sqlite_url",
    "upsert_item",
]
