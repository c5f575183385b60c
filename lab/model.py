"""The one in-memory lab report model every reader (HL7 v2, FHIR, CSV) produces.

Everything is kept *as sent* (values, units, reference range text, abnormal flag); conversion to SI and
our own flags happen in :mod:`lab.assess`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

__all__ = ["LabOrder", "LabReport", "LabResult", "PatientRef", "SentRange", "parse_range_text"]

Sex = Literal["F", "M", "U"]


@dataclass(frozen=True, slots=True)
class PatientRef:
    """Who the report is about.

    Attributes
    ----------
    id
        Patient identifier as sent (HL7 PID-3.1, FHIR ``identifier.value``, CSV ``patient_id``).
    issuer
        Assigning authority of ``id`` (HL7 PID-3.4, FHIR ``identifier.system``); identity is issuer + id.
    sex
        ``"F"``, ``"M"``, ``"U"`` (unknown) or ``None`` when not sent.
    birth_date
        Date of birth when sent.
    """

    id: str
    issuer: str = ""
    sex: Sex | None = None
    birth_date: date | None = None

    @property
    def key(self) -> str:
        """Identity across institutions: ``"<issuer>|<id>"``."""
        return f"{self.issuer}|{self.id}"


@dataclass(frozen=True, slots=True)
class LabOrder:
    """The order a report answers (HL7 OBR, FHIR DiagnosticReport / ServiceRequest, CSV ``order_id``)."""

    placer: str = ""
    filler: str = ""
    code: str = ""
    name: str = ""

    @property
    def key(self) -> str:
        """``"<placer>|<filler>"``."""
        return f"{self.placer}|{self.filler}"


def parse_range_text(text: str) -> tuple[float | None, float | None]:
    """``(low, high)`` from a reference range as sent: ``"3.5-5.1"``, ``"<5"``, ``">60"``, ``"3.5 - 5.1"``.

    Returns ``(None, None)`` when the text is not a numeric range (e.g. ``"negative"``).
    """
    t = text.strip().replace(" ", "")
    if not t:
        return None, None
    try:
        if t[0] in "<>":
            bound = float(t.lstrip("<>="))
            return (None, bound) if t[0] == "<" else (bound, None)
        cut = t.find("-", 1)
        if cut > 0:
            return float(t[:cut]), float(t[cut + 1:])
    except ValueError:
        return None, None
    return None, None


@dataclass(frozen=True, slots=True)
class SentRange:
    """A reference range as the sender wrote it, with its numeric ends when it has them (sender's unit)."""

    text: str
    low: float | None = None
    high: float | None = None

    @classmethod
    def from_text(cls, text: str) -> SentRange | None:
        """Parse ``text`` (``None`` when empty)."""
        if not text:
            return None
        low, high = parse_range_text(text)
        return cls(text, low, high)


@dataclass(frozen=True, slots=True)
class LabResult:
    """One observation as sent.

    Attributes
    ----------
    loinc, name
        LOINC code and the sender's test name.
    value
        Numeric value in ``unit`` (``None`` for text results).
    comparator
        ``""``, ``"<"``, ``"<="``, ``">"``, ``">="`` (e.g. troponin ``"<3"``).
    text
        The value as sent (text results keep their text here).
    unit
        Unit as sent.
    reference_range
        The sender's range, or ``None``.
    flag
        The sender's abnormal flag as sent (HL7 OBX-8 / FHIR interpretation code), ``""`` when none.
    status
        Result status (HL7 OBX-11 ``F``/``P``/``C``, FHIR ``final``...).
    time
        Observation time when given per result.
    value_type
        HL7 value type (``NM``, ``SN``, ``ST``...) or ``"Quantity"``/``"string"`` for FHIR.
    """

    loinc: str
    name: str
    value: float | None
    unit: str
    comparator: str = ""
    text: str = ""
    reference_range: SentRange | None = None
    flag: str = ""
    status: str = ""
    time: datetime | None = None
    value_type: str = "NM"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "loinc": self.loinc,
            "name": self.name,
            "value": self.value,
            "comparator": self.comparator,
            "text": self.text,
            "unit": self.unit,
            "reference_range": self.reference_range.text if self.reference_range else None,
            "flag": self.flag,
            "status": self.status,
            "time": self.time.isoformat() if self.time else None,
        }


@dataclass(frozen=True, slots=True)
class LabReport:
    """One order's results for one patient.

    Attributes
    ----------
    patient
        :class:`PatientRef`.
    institution
        Performing / sending institution (HL7 MSH-4, FHIR performer, CSV ``institution``).
    order
        :class:`LabOrder`.
    specimen_time
        Specimen collection time (HL7 OBR-7, FHIR ``effective[x]`` / ``Specimen.collection``); ``None`` if unknown.
    results
        The observations.
    source
        The file (or ``"<memory>"``) the report came from.
    source_format
        ``"hl7v2"``, ``"fhir"`` or ``"csv"``.
    message_id
        HL7 MSH-10 / FHIR resource id / CSV row numbers.
    """

    patient: PatientRef
    institution: str
    order: LabOrder
    specimen_time: datetime | None
    results: tuple[LabResult, ...]
    source: str = "<memory>"
    source_format: str = ""
    message_id: str = ""

    @property
    def key(self) -> str:
        """Identity (issuer + patient id + institution + placer/filler order): re-processing updates, never duplicates."""
        return f"{self.patient.key}|{self.institution}|{self.order.key}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "patient": {"id": self.patient.id, "issuer": self.patient.issuer, "sex": self.patient.sex},
            "institution": self.institution,
            "order": {"placer": self.order.placer, "filler": self.order.filler,
                      "code": self.order.code, "name": self.order.name},
            "specimen_time": self.specimen_time.isoformat() if self.specimen_time else None,
            "results": [r.to_dict() for r in self.results],
            "source": self.source,
            "source_format": self.source_format,
            "message_id": self.message_id,
        }
