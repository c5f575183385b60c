"""SQLAlchemy 2 schema: worklist items, the processed-input ledger, and lab result history.

Times are stored as naive UTC (portable across SQLite and PostgreSQL) and handed out as aware UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ItemRow", "ProcessedInputRow", "LabResultRow", "UTCDateTime", "utcnow"]


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC ``datetime`` in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got naive {value!r}")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the teletriage schema."""


class ItemRow(Base):
    """One worklist item: an ECG record, an imaging study, or a lab report."""

    __tablename__ = "worklist_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    natural_key: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    specialty: Mapped[str] = mapped_column(String(16), nullable=False)
    priority: Mapped[str] = mapped_column(String(8), nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    findings: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    patient: Mapped[str | None] = mapped_column(String(128))
    clinic: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[str | None] = mapped_column(Text)
    artifacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    source_keys: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    __table_args__ = (Index("ix_items_queue", "state", "specialty", "priority", "due_at"),)


class ProcessedInputRow(Base):
    """Ledger of every upload the pipeline has seen, keyed by the SHA-256 of its bytes.

    A re-run skips keys found here, which makes the pipeline idempotent.
    """

    __tablename__ = "processed_inputs"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # "ok" | "rejected"
    reason: Mapped[str | None] = mapped_column(Text)
    item_key: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LabResultRow(Base):
    """One lab result in SI units, kept so delta and duplicate-test rules see earlier runs."""

    __tablename__ = "lab_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    patient_key: Mapped[str] = mapped_column(String(256), nullable=False)
    loinc: Mapped[str] = mapped_column(String(32), nullable=False)
    value_si: Mapped[float | None] = mapped_column(Float)
    unit_si: Mapped[str | None] = mapped_column(String(32))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    institution: Mapped[str | None] = mapped_column(String(128))
    report_key: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (Index("ix_lab_patient_loinc_time", "patient_key", "loinc", "observed_at"),)
