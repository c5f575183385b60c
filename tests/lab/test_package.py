"""Package-level contracts: pure library, public API, picklable settings and results (Ray ships them)."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import lab

LAB_DIR = Path(lab.__file__).resolve().parent


def test_lab_never_imports_ray_workers_or_worklist() -> None:
    for path in LAB_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"ray", "workers", "worklist"}, f"{path.name} imports {name}"


def test_public_api_is_exported() -> None:
    for name in lab.__all__:
        assert hasattr(lab, name), name


def test_settings_reports_and_assessments_pickle(samples: Path) -> None:
    settings = lab.LabSettings.from_mapping({"critical": {"2823-3": {"high": 6.0}},
                                              "institutions": {"C7": {"retest_days": {"4548-4": 90}}}})
    back = pickle.loads(pickle.dumps(settings))
    assert back.test("2823-3").critical.high == 6.0 and back.test("4548-4", "C7").retest_days == 90.0
    assessments = lab.assess_many(lab.read(samples / "oru_batch.hl7"), settings=settings)
    assert [a.to_dict() for a in pickle.loads(pickle.dumps(assessments))] == [a.to_dict() for a in assessments]


def test_worklist_style_history_satisfies_the_protocol() -> None:
    """Any object with ``previous_results`` works; results need only the PriorResult field names."""
    from dataclasses import dataclass
    from datetime import datetime

    @dataclass(frozen=True)
    class Row:
        loinc: str
        value_si: float
        unit: str
        time: datetime
        institution: str
        report_key: str

    class Db:
        def previous_results(self, patient_key, loinc, *, before):
            if loinc == "2823-3" and patient_key == "X|P1":
                return [Row("2823-3", 3.9, "mmol/L", datetime(2026, 3, 1, 8), "CLINIC-9", "k0")]
            return []

    assert isinstance(Db(), lab.HistorySource)
    report = lab.LabReport(lab.PatientRef("P1", "X"), "C1", lab.LabOrder("O", "O"), datetime(2026, 3, 2, 8),
                           (lab.LabResult("2823-3", "K", 5.2, "mmol/L"),))
    a = lab.assess(report, history=Db())
    assert [f.code for f in a.findings] == ["ABNORMAL", "DELTA"]
    assert a.findings[1].previous.institution == "CLINIC-9"
