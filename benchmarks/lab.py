"""Lab ingest and triage throughput: ``python -m benchmarks.lab [--messages N] [--pool-messages N]``.

Input: generated, realistic HL7 v2.5.1 ORU^R01 messages (MSH, PID, ORC, OBR, 10 OBX: a basic metabolic
panel plus haemoglobin and platelets, values drawn around the reference intervals with ~5 % abnormal
and ~0.5 % critical, a third of them in conventional units mg/dL / g/dL / 10*3/uL, one NTE), one patient
per message out of 2,000, each patient with one earlier report in the in-memory history (so delta and
duplicate checks look something up). Equivalent FHIR Bundles (DiagnosticReport + 10 Observations) for
the FHIR reader with and without ``fhir.resources`` validation.

Peers measured in the same run: the bare python-hl7 parser ``hl7.parse`` (default containers) on the
same messages. Figures: messages per second on one core (best of 5, ``benchmarks._common.time_best``),
the assessment-to-parse cost ratio, and the month's 765,000 reports on this machine's cores: measured
with a process pool on a generated batch and extrapolated from it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from functools import lru_cache

import hl7

import lab
from benchmarks._common import machine_info, time_best, write_result

logger = logging.getLogger(__name__)

MONTH_REPORTS = 765_000
# loinc, name, SI unit, mean, sd, conventional unit, factor conv->SI
PANEL = [
    ("2951-2", "Sodium", "mmol/L", 140.0, 1.5, "mEq/L", 1.0),
    ("2823-3", "Potassium", "mmol/L", 4.3, 0.25, "mEq/L", 1.0),
    ("2075-0", "Chloride", "mmol/L", 102.0, 1.5, "mEq/L", 1.0),
    ("1963-8", "Bicarbonate", "mmol/L", 25.5, 1.2, "mEq/L", 1.0),
    ("3094-0", "Urea nitrogen", "mmol/L", 4.8, 0.8, "mg/dL", 0.357),
    ("2160-0", "Creatinine", "umol/L", 66.0, 6.0, "mg/dL", 88.42),
    ("2345-7", "Glucose", "mmol/L", 4.7, 0.25, "mg/dL", 1 / 18.016),
    ("17861-6", "Calcium", "mmol/L", 2.35, 0.06, "mg/dL", 0.2495),
    ("718-7", "Hemoglobin", "g/L", 140.0, 6.0, "g/dL", 10.0),
    ("777-3", "Platelets", "10*9/L", 260.0, 35.0, "10*3/uL", 1.0),
]


def make_message(i: int, rng: random.Random, when: datetime, *, order_prefix: str = "ORD") -> str:
    """One ORU^R01 with 10 OBX."""
    conventional = rng.random() < 1 / 3
    t = when.strftime("%Y%m%d%H%M%S")
    segs = [
        f"MSH|^~\\&|LIS|CLINIC-{i % 148:03d}|TELETRIAGE|CITY-HIC|{t}||ORU^R01^ORU_R01|M{i:08d}|P|2.5.1",
        f"PID|1||P{i % 2000:06d}^^^CITY-MPI&2.16.840.1.113883.3.9999&ISO^MR||Doe^Pat||19600101|{'FM'[i % 2]}",
        f"ORC|RE|{order_prefix}{i:08d}|F{i:08d}",
        f"OBR|1|{order_prefix}{i:08d}|F{i:08d}|24323-8^Comprehensive metabolic panel^LN|||{t}",
    ]
    for k, (loinc, name, unit, mean, sd, conv_unit, factor) in enumerate(PANEL, start=1):
        r = rng.random()
        value = rng.gauss(mean, 0.5 * sd)
        if r < 0.005:
            value = mean + rng.choice((-1, 1)) * 12.0 * sd
        elif r < 0.02:
            value = mean + rng.choice((-1, 1)) * 4.0 * sd
        value = max(value, 0.1 * mean)
        if conventional:
            value, unit = value / factor, conv_unit
        segs.append(f"OBX|{k}|NM|{loinc}^{name}^LN||{value:.4g}|{unit}^^UCUM|||||F|||{t}")
        if k == 2:
            segs.append("NTE|1|L|Specimen received within 2 h.")
    return "\r".join(segs) + "\r"


def make_fhir(report: lab.LabReport) -> str:
    """A FHIR Bundle (Patient, DiagnosticReport, Observations) with the same content as an ORU."""
    pid = "pat"
    entries = [{"fullUrl": "urn:uuid:pat", "resource": {"resourceType": "Patient", "id": pid, "identifier": [
        {"system": report.patient.issuer, "value": report.patient.id}], "gender": "female"}}]
    refs = []
    for k, r in enumerate(report.results):
        oid = f"obs{k}"
        refs.append({"reference": f"urn:uuid:{oid}"})
        entries.append({"fullUrl": f"urn:uuid:{oid}", "resource": {
            "resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": r.loinc, "display": r.name}]},
            "subject": {"reference": "urn:uuid:pat"}, "effectiveDateTime": report.specimen_time.isoformat() + "Z",
            "valueQuantity": {"value": r.value, "unit": r.unit, "system": "http://unitsofmeasure.org", "code": r.unit}}})
    entries.insert(1, {"fullUrl": "urn:uuid:dr", "resource": {
        "resourceType": "DiagnosticReport", "id": "dr", "status": "final",
        "identifier": [{"system": "urn:acc", "value": report.order.filler}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "24323-8"}]},
        "subject": {"reference": "urn:uuid:pat"}, "effectiveDateTime": report.specimen_time.isoformat() + "Z",
        "performer": [{"display": report.institution}], "result": refs}})
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def _history(n_patients: int, rng: random.Random) -> lab.InMemoryHistory:
    history = lab.InMemoryHistory()
    base = datetime(2026, 3, 1, 8, 0)
    for i in range(n_patients):
        for report in lab.parse_hl7(make_message(i, rng, base, order_prefix="OLD")):
            history.add(report)
    return history


@lru_cache(maxsize=1)
def _worker_history() -> lab.InMemoryHistory:
    """Per-process history (built once per worker, before the timed batch)."""
    return _history(2000, random.Random(1))


def _pool_chunk(args: tuple[int, int, int]) -> tuple[int, float, int]:
    """Worker: generate ``count`` messages from ``start``, then parse and assess them.

    Returns (messages, seconds spent parsing + assessing, reports not routine).
    """
    start, count, seed = args
    rng = random.Random(seed)
    history = _worker_history()
    when = datetime(2026, 3, 2, 9, 0)
    messages = [make_message(i, rng, when) for i in range(start, start + count)]
    t0 = time.perf_counter()
    flagged = 0
    for m in messages:
        for report in lab.parse_hl7(m):
            flagged += lab.assess(report, history=history).priority != "routine"
    return count, time.perf_counter() - t0, flagged


def _pool_run(n_messages: int, workers: int) -> dict[str, float]:
    """Parse + assess ``n_messages`` on ``workers`` processes. The wall time includes generating the
    messages in the workers (a conservative figure); ``busy_s`` is the parse + assess time alone."""
    chunk = max(1, n_messages // (workers * 4))
    jobs = [(s, min(chunk, n_messages - s), s) for s in range(0, n_messages, chunk)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_pool_chunk, [(0, 10, 0)] * workers))  # warm the workers: imports and history
        t0 = time.perf_counter()
        done = list(pool.map(_pool_chunk, jobs))
        wall = time.perf_counter() - t0
    return {"messages": n_messages, "workers": workers, "wall_s": wall, "messages_per_s": n_messages / wall,
            "busy_s": sum(d[1] for d in done), "flagged": sum(d[2] for d in done)}


def interleaved(fns: dict[str, Callable[[], object]], *, rounds: int = 7, min_time_s: float = 0.3) -> dict[str, float]:
    """Best time of each function over ``rounds`` rounds that run every function in turn.

    Interleaving makes peers see the same load on a shared machine, so their ratios stay meaningful
    even when the absolute rates move with other jobs.
    """
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], time_best(fn, repeat=1, min_time_s=min_time_s))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=500, help="distinct messages in the timed loop")
    parser.add_argument("--pool-messages", type=int, default=20_000, help="batch for the process-pool run (0: skip)")
    parser.add_argument("--fhir", type=int, default=100, help="FHIR bundles to time")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    load_at_start = os.getloadavg()
    rng = random.Random(20260310)
    history = _history(2000, rng)
    when = datetime(2026, 3, 2, 9, 0)
    messages = [make_message(i, rng, when + timedelta(minutes=i)) for i in range(args.messages)]
    reports = [lab.parse_hl7(m)[0] for m in messages]
    settings = lab.LabSettings()

    def bare() -> None:
        for m in messages:
            hl7.parse(m)

    def parse() -> None:
        for m in messages:
            lab.parse_hl7(m)

    def assess() -> None:
        for r in reports:
            lab.assess(r, history=history, settings=settings)

    def both() -> None:
        for m in messages:
            for r in lab.parse_hl7(m):
                lab.assess(r, history=history, settings=settings)

    n = len(messages)
    best = interleaved({"bare": bare, "parse": parse, "assess": assess, "both": both}, rounds=args.rounds)
    t_bare, t_parse, t_assess, t_both = (best[k] / n for k in ("bare", "parse", "assess", "both"))
    priorities = [lab.assess(r, history=history).priority for r in reports]

    fhir_texts = [make_fhir(r) for r in reports[: args.fhir]]
    nf = len(fhir_texts)
    lab.parse_fhir(fhir_texts[0], validate=True)  # import and build the pydantic models once
    best_fhir = interleaved({
        "plain": lambda: [lab.parse_fhir(t) for t in fhir_texts],
        "validated": lambda: [lab.parse_fhir(t, validate=True) for t in fhir_texts],
    }, rounds=3)
    t_fhir, t_fhir_val = best_fhir["plain"] / nf, best_fhir["validated"] / nf

    cores = os.cpu_count() or 1
    per_core = 1.0 / t_both
    result = {
        "what": "HL7 v2.5.1 ORU^R01, 10 OBX each; lab.parse_hl7 + lab.assess with an in-memory history",
        "messages": n,
        "priority_mix": {p: priorities.count(p) for p in ("stat", "urgent", "routine")},
        "per_core_messages_per_s": {
            "bare_hl7_parse": 1.0 / t_bare,
            "lab_parse_hl7": 1.0 / t_parse,
            "lab_assess": 1.0 / t_assess,
            "lab_parse_plus_assess": per_core,
            "fhir_bundle_parse": 1.0 / t_fhir,
            "fhir_bundle_parse_validated_fhir_resources": 1.0 / t_fhir_val,
        },
        "ratios": {
            "assess_cost_over_parse_cost": t_assess / t_parse,
            "parse_plus_assess_over_bare_hl7_parse_speed": t_bare / t_both,
            "fhir_validation_cost_over_unvalidated": t_fhir_val / t_fhir,
        },
        "targets": {
            "parse_plus_assess_per_core_ge_2000": per_core >= 2000.0,
            "assess_cheaper_than_parse": t_assess < t_parse,
        },
        "month": {
            "reports": MONTH_REPORTS,
            "cores": cores,
            "extrapolated_s_from_per_core": MONTH_REPORTS / (per_core * cores),
        },
        "machine": machine_info(("hl7", "fhir.resources", "pydantic")),
        "load_average_at_start": load_at_start,
        "note": ("2 cores shared by several engineers' jobs: absolute rates vary with load; the ratio to "
                 "hl7.parse measured in the same run is the stable figure"),
    }
    if args.pool_messages:
        pool = _pool_run(args.pool_messages, cores)
        result["month"]["pool"] = pool
        result["month"]["extrapolated_s_from_pool"] = MONTH_REPORTS / pool["messages_per_s"]
    result["targets"]["month_under_300_s"] = result["month"].get(
        "extrapolated_s_from_pool", result["month"]["extrapolated_s_from_per_core"]) < 300.0
    path = write_result("lab", result)
    logger.info(json.dumps({k: result[k] for k in ("per_core_messages_per_s", "ratios", "targets", "month")}, indent=2))
    logger.info("wrote %s", path)


if __name__ == "__main__":
    main()
