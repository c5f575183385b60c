"""FHIR R4 JSON (Observation, DiagnosticReport with contained / referenced Observations, Bundle) → reports.

The JSON is read with :mod:`json` and walked for the elements triage needs, each checked with an error
naming its JSON path. Full structural validation against the FHIR model by ``fhir.resources`` (R4B
classes, pydantic) is optional (``validate=True``; ``teletriage lab check --validate-fhir``): measured
in ``benchmarks/lab.py`` it costs several times more than the whole parse and assessment, so the
bulk pipeline leaves it off and checks only what it uses.

Grouping: one report per DiagnosticReport (its ``result`` Observations); Observations no report refers to
are grouped by patient, performer, order (``basedOn``) and effective time.

References
----------
HL7 FHIR R4 (4.0.1): Observation, DiagnosticReport, Bundle, Patient; Bundle reference resolution
(https://hl7.org/fhir/R4/bundle.html#references); LOINC system ``http://loinc.org``, UCUM ``http://unitsofmeasure.org``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._common import check_unit, decode_text, parse_iso_time
from .errors import LabFormatError
from .model import LabOrder, LabReport, LabResult, PatientRef, SentRange

__all__ = ["parse_fhir", "load_json", "LOINC_SYSTEM"]

logger = logging.getLogger(__name__)

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
_RESOURCE_TYPES = ("Bundle", "DiagnosticReport", "Observation")
_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
_COMPARATORS = frozenset({"<", "<=", ">", ">=", "ad"})


def load_json(obj_or_text: Any, *, source: str) -> dict[str, Any]:
    """A FHIR resource as a dict from a dict, JSON text or bytes; truncated / invalid JSON is a LabFormatError."""
    if isinstance(obj_or_text, Mapping):
        return dict(obj_or_text)
    if isinstance(obj_or_text, (bytes, bytearray)):
        obj_or_text = decode_text(bytes(obj_or_text))
    if not isinstance(obj_or_text, str):
        raise LabFormatError(source, f"expected FHIR JSON text or a dict, got {type(obj_or_text).__name__}")
    try:
        obj = json.loads(obj_or_text)
    except json.JSONDecodeError as exc:
        hint = " (truncated file?)" if exc.pos >= len(obj_or_text.rstrip()) else ""
        raise LabFormatError(source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}") from None
    if not isinstance(obj, dict):
        raise LabFormatError(source, f"top-level JSON is a {type(obj).__name__}, expected a FHIR resource object")
    return obj


class _Resolver:
    """Finds referenced resources: bundle entries (by fullUrl and Type/id) and contained ones (#id)."""

    def __init__(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.paths: dict[int, str] = {}
        for path, res in entries:
            rtype, rid = res.get("resourceType"), res.get("id")
            if rtype and rid:
                self.by_ref[f"{rtype}/{rid}"] = res
            self.paths[id(res)] = path

    def add_full_url(self, url: str, res: dict[str, Any]) -> None:
        self.by_ref[url] = res

    def resolve(self, ref: Any, container: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if not isinstance(ref, Mapping):
            return None
        target = ref.get("reference")
        if not isinstance(target, str):
            return None
        if target.startswith("#") and container is not None:
            for res in container.get("contained", ()) or ():
                if isinstance(res, Mapping) and res.get("id") == target[1:]:
                    return dict(res)
            return None
        if target in self.by_ref:
            return self.by_ref[target]
        tail = "/".join(target.rstrip("/").split("/")[-2:])  # absolute URL -> Type/id
        return self.by_ref.get(tail)


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _identifier(res: dict[str, Any]) -> tuple[str, str]:
    """(value, system) of the MR identifier, else the first one."""
    ids = [i for i in res.get("identifier", ()) or () if isinstance(i, Mapping) and i.get("value")]
    chosen = None
    for ident in ids:
        codes = [c.get("code") for c in ((ident.get("type") or {}).get("coding") or ()) if isinstance(c, Mapping)]
        if "MR" in codes:
            chosen = ident
            break
    chosen = chosen or (ids[0] if ids else None)
    if chosen is None:
        return "", ""
    issuer = chosen.get("system") or ((chosen.get("assigner") or {}).get("display") or "")
    return str(chosen["value"]), str(issuer)


def _time(value: Any, source: str, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise LabFormatError(source, f"{path}: expected a dateTime string, got {value!r}")
    try:
        return parse_iso_time(value)
    except ValueError:
        raise LabFormatError(source, f"{path}: {value!r} is not a FHIR dateTime") from None


def _effective(res: dict[str, Any], source: str, path: str) -> datetime | None:
    if "effectiveDateTime" in res:
        return _time(res["effectiveDateTime"], source, f"{path}.effectiveDateTime")
    if "effectiveInstant" in res:
        return _time(res["effectiveInstant"], source, f"{path}.effectiveInstant")
    period = res.get("effectivePeriod")
    if isinstance(period, Mapping) and "start" in period:
        return _time(period["start"], source, f"{path}.effectivePeriod.start")
    return None


def _patient(res: dict[str, Any], resolver: _Resolver, source: str, path: str) -> PatientRef:
    subject = res.get("subject")
    if not isinstance(subject, Mapping):
        raise LabFormatError(source, f"{path}.subject: missing (the patient is unknown)")
    target = resolver.resolve(subject, res)
    if target is not None and target.get("resourceType") == "Patient":
        pid, issuer = _identifier(target)
        if not pid:
            pid, issuer = str(target.get("id", "")), ""
        sex = _SEX.get(target.get("gender", ""), None)
        return PatientRef(id=pid, issuer=issuer, sex=sex)
    ident = subject.get("identifier")
    if isinstance(ident, Mapping) and ident.get("value"):
        return PatientRef(id=str(ident["value"]), issuer=str(ident.get("system", "")))
    ref = subject.get("reference")
    if isinstance(ref, str) and ref:
        return PatientRef(id=ref.rsplit("/", 1)[-1], issuer="")
    raise LabFormatError(source, f"{path}.subject: neither a resolvable reference nor an identifier")


def _institution(res: dict[str, Any], resolver: _Resolver) -> str:
    performer = _first(res.get("performer"))
    if not isinstance(performer, Mapping):
        return ""
    org = resolver.resolve(performer, res)
    if org is not None:
        value, _ = _identifier(org)
        return value or str(org.get("name", "")) or str(org.get("id", ""))
    ident = performer.get("identifier")
    if isinstance(ident, Mapping) and ident.get("value"):
        return str(ident["value"])
    return str(performer.get("display", ""))


def _order(res: dict[str, Any], resolver: _Resolver) -> LabOrder:
    filler, _ = _identifier(res) if res.get("resourceType") == "DiagnosticReport" else ("", "")
    placer = ""
    based = _first(res.get("basedOn"))
    if isinstance(based, Mapping):
        req = resolver.resolve(based, res)
        if req is not None:
            placer, _ = _identifier(req)
            placer = placer or str(req.get("id", ""))
        elif isinstance(based.get("identifier"), Mapping):
            placer = str(based["identifier"].get("value", ""))
        else:
            placer = str(based.get("reference", "")).rsplit("/", 1)[-1]
    code = res.get("code") if res.get("resourceType") == "DiagnosticReport" else None
    coding = _first((code or {}).get("coding")) or {}
    return LabOrder(placer=placer, filler=filler, code=str(coding.get("code", "")),
                    name=str((code or {}).get("text") or coding.get("display", "")))


def _loinc(code: Any, source: str, path: str) -> tuple[str, str]:
    if not isinstance(code, Mapping):
        raise LabFormatError(source, f"{path}.code: missing")
    for coding in code.get("coding") or ():
        if isinstance(coding, Mapping) and coding.get("system") == LOINC_SYSTEM and coding.get("code"):
            return str(coding["code"]), str(coding.get("display") or code.get("text") or "")
    raise LabFormatError(source, f"{path}.code.coding: no LOINC code (system {LOINC_SYSTEM})")


def _quantity_unit(q: Mapping[str, Any]) -> str:
    if q.get("system") == UCUM_SYSTEM and q.get("code"):
        return str(q["code"])
    return str(q.get("unit") or q.get("code") or "")


def _result(obs: Mapping[str, Any], source: str, path: str, check_units: bool, when: datetime | None) -> LabResult:
    loinc, name = _loinc(obs.get("code"), source, path)
    value: float | None = None
    unit = comparator = text = ""
    value_type = "none"
    if "valueQuantity" in obs:
        q = obs["valueQuantity"]
        value_type = "Quantity"
        if not isinstance(q, Mapping):
            raise LabFormatError(source, f"{path}.valueQuantity: expected an object")
        v = q.get("value")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise LabFormatError(source, f"{path}.valueQuantity.value: expected a number, got {v!r}")
        value = float(v)
        unit = _quantity_unit(q)
        comparator = str(q.get("comparator", ""))
        if comparator and comparator not in _COMPARATORS:
            raise LabFormatError(source, f"{path}.valueQuantity.comparator: {comparator!r} is not a FHIR comparator")
        text = f"{comparator}{v}"
        if check_units:
            check_unit(loinc, unit, path=source, where=f"{path}.valueQuantity")
    elif "valueString" in obs:
        value_type, text = "string", str(obs["valueString"])
    elif "valueCodeableConcept" in obs:
        cc = obs["valueCodeableConcept"] or {}
        value_type = "CodeableConcept"
        text = str(cc.get("text") or (_first(cc.get("coding")) or {}).get("display", ""))
    rr = _first(obs.get("referenceRange"))
    sent = None
    if isinstance(rr, Mapping):
        low = (rr.get("low") or {}).get("value")
        high = (rr.get("high") or {}).get("value")
        rtext = rr.get("text") or ("" if low is None and high is None else
                                   f"{'' if low is None else low}-{'' if high is None else high}")
        sent = SentRange(str(rtext), None if low is None else float(low), None if high is None else float(high))
    interp = _first(obs.get("interpretation")) or {}
    flag = str((_first(interp.get("coding")) or {}).get("code", ""))
    return LabResult(loinc=loinc, name=name, value=value, unit=unit, comparator=comparator, text=text,
                     reference_range=sent, flag=flag, status=str(obs.get("status", "")),
                     time=_effective(dict(obs), source, path) or when, value_type=value_type)


def _results_of(obs: dict[str, Any], source: str, path: str, check_units: bool) -> list[LabResult]:
    when = _effective(obs, source, path)
    out = []
    if any(k.startswith("value") for k in obs) or "component" not in obs:
        out.append(_result(obs, source, path, check_units, when))
    for i, comp in enumerate(obs.get("component") or ()):
        out.append(_result(comp, source, f"{path}.component[{i}]", check_units, when))
    return out


def _validate(obj: dict[str, Any], source: str) -> None:
    from importlib import import_module

    rtype = obj.get("resourceType")
    module = import_module(f"fhir.resources.R4B.{rtype.lower()}")
    model = getattr(module, rtype)
    try:
        model.model_validate(obj)
    except Exception as exc:  # pydantic.ValidationError
        errors = getattr(exc, "errors", None)
        if callable(errors):
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            raise LabFormatError(source, f"FHIR {rtype} fails validation at {loc}: {first.get('msg')}") from None
        raise LabFormatError(source, f"FHIR {rtype} fails validation: {exc}") from None


def parse_fhir(
    obj_or_text: Any,
    *,
    source: str = "<memory>",
    validate: bool = False,
    check_units: bool = True,
) -> list[LabReport]:
    """Parse a FHIR R4 Bundle, DiagnosticReport or Observation (dict, JSON text or bytes) into reports.

    Parameters
    ----------
    obj_or_text
        The resource.
    source
        Named in errors and kept in each report.
    validate
        Also validate the whole resource with ``fhir.resources`` (R4B models); slow, see the module notes.
    check_units
        Refuse units a catalogued test cannot be expressed in.

    Raises
    ------
    LabFormatError
        Naming ``source`` and the JSON path at fault.
    """
    obj = load_json(obj_or_text, source=source)
    rtype = obj.get("resourceType")
    if rtype not in _RESOURCE_TYPES:
        raise LabFormatError(source, f"resourceType is {rtype!r}, expected one of {list(_RESOURCE_TYPES)}")
    if validate:
        _validate(obj, source)
    entries: list[tuple[str, dict[str, Any]]] = []
    full_urls: list[tuple[str, dict[str, Any]]] = []
    if rtype == "Bundle":
        for i, entry in enumerate(obj.get("entry") or ()):
            res = entry.get("resource") if isinstance(entry, Mapping) else None
            if not isinstance(res, dict):
                raise LabFormatError(source, f"Bundle.entry[{i}].resource: missing or not an object")
            entries.append((f"Bundle.entry[{i}].resource", res))
            if isinstance(entry.get("fullUrl"), str):
                full_urls.append((entry["fullUrl"], res))
    else:
        entries.append((rtype, obj))
    resolver = _Resolver(entries)
    for url, res in full_urls:
        resolver.add_full_url(url, res)

    reports: list[LabReport] = []
    used: set[int] = set()
    for path, res in entries:
        if res.get("resourceType") != "DiagnosticReport":
            continue
        results: list[LabResult] = []
        for j, ref in enumerate(res.get("result") or ()):
            obs = resolver.resolve(ref, res)
            if obs is None or obs.get("resourceType") != "Observation":
                raise LabFormatError(source, f"{path}.result[{j}]: reference {ref!r} does not resolve to an Observation")
            used.add(id(obs))
            obs_path = resolver.paths.get(id(obs), f"{path}.contained({obs.get('id')})")
            results.extend(_results_of(obs, source, obs_path, check_units))
        when = _effective(res, source, path) or next((r.time for r in results if r.time), None)
        reports.append(LabReport(
            patient=_patient(res, resolver, source, path), institution=_institution(res, resolver),
            order=_order(res, resolver), specimen_time=when, results=tuple(results), source=source,
            source_format="fhir", message_id=str(res.get("id", "")),
        ))
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for path, res in entries:
        if res.get("resourceType") != "Observation" or id(res) in used:
            continue
        results = _results_of(res, source, path, check_units)
        patient = _patient(res, resolver, source, path)
        institution = _institution(res, resolver)
        order = _order(res, resolver)
        when = _effective(res, source, path)
        key = (patient, institution, order, when)
        group = groups.setdefault(key, [[], []])
        group[0].extend(results)
        group[1].append(str(res.get("id", "")))
    if groups:
        logger.debug("%s: %d Observation(s) outside any DiagnosticReport grouped into %d report(s)",
                     source, sum(len(g[1]) for g in groups.values()), len(groups))
    for (patient, institution, order, when), (results, ids) in groups.items():
        reports.append(LabReport(patient=patient, institution=institution, order=order, specimen_time=when,
                                 results=tuple(results), source=source, source_format="fhir",
                                 message_id=",".join(i for i in ids if i)))
    if not reports:
        raise LabFormatError(source, f"{rtype}: no DiagnosticReport or Observation found")
    return reports
