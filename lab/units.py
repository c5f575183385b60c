"""Units of measure: spelling normalisation and explicit per-analyte conversion to SI.

Two steps, both table-driven and both refusing to guess:

1. :func:`normalize_unit` maps a unit *as sent* (UCUM codes and the common variants labs type:
   ``mg/dl``, ``x10^9/L``, ``K/uL``, ``µmol/L``, ``mEq/L``...) to one canonical spelling. An unknown
   spelling raises :class:`~lab.errors.UnknownUnitError`.
2. :func:`si_factor` gives ``(scale, offset)`` with ``value_si = value * scale + offset`` for an analyte.
   Within one dimension (molar, mass, count, ...) the scale follows from the unit prefixes; across
   dimensions (mass ↔ molar, equivalents ↔ molar, % ↔ mmol/mol for HbA1c) only the explicit factors
   of :data:`ANALYTE_FACTORS` are used. Anything else raises :class:`~lab.errors.UnknownUnitError`.

References
----------
Young DS. Implementation of SI units for clinical laboratory data. Ann Intern Med 1987;106:114-129.
Burtis CA, Ashwood ER, Bruns DE (eds). Tietz Textbook of Clinical Chemistry and Molecular Diagnostics,
5th ed. (conversion factors table).
Hoelzel W et al. IFCC reference system for measurement of HbA1c in human blood and the national
standardization schemes in the United States, Japan, and Sweden. Clin Chem 2004;50:166-174
(master equation NGSP % = 0.09148 × IFCC mmol/mol + 2.152, i.e. mmol/mol = 10.929 × (% − 2.15)).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from .errors import UnknownUnitError

__all__ = [
    "ANALYTE_FACTORS",
    "AnalyteUnits",
    "Dimension",
    "convert",
    "from_si",
    "known_units",
    "normalize_unit",
    "si_factor",
    "to_si",
]


class Dimension(Enum):
    """What a unit measures; conversion without an analyte factor only happens within one dimension."""

    MOLAR = "substance concentration"
    MASS = "mass concentration"
    EQUIVALENT = "equivalent concentration"
    COUNT = "number concentration"
    ACTIVITY = "catalytic activity concentration"
    ARBITRARY = "arbitrary (international) units per volume"
    FRACTION = "fraction"
    MOLAR_RATIO = "substance ratio"
    TIME = "time"
    VOLUME = "entitic volume"
    RATIO = "dimensionless ratio"


# canonical unit -> (dimension, scale to the dimension's base unit)
_UNITS: dict[str, tuple[Dimension, float]] = {
    "mol/L": (Dimension.MOLAR, 1.0),
    "mmol/L": (Dimension.MOLAR, 1e-3),
    "umol/L": (Dimension.MOLAR, 1e-6),
    "nmol/L": (Dimension.MOLAR, 1e-9),
    "pmol/L": (Dimension.MOLAR, 1e-12),
    "g/L": (Dimension.MASS, 1.0),
    "g/dL": (Dimension.MASS, 10.0),
    "mg/dL": (Dimension.MASS, 1e-2),
    "mg/L": (Dimension.MASS, 1e-3),
    "ug/dL": (Dimension.MASS, 1e-5),
    "ug/L": (Dimension.MASS, 1e-6),
    "ng/dL": (Dimension.MASS, 1e-8),
    "ng/L": (Dimension.MASS, 1e-9),
    "mEq/L": (Dimension.EQUIVALENT, 1e-3),
    "10*9/L": (Dimension.COUNT, 1.0),
    "10*12/L": (Dimension.COUNT, 1e3),
    "10*6/L": (Dimension.COUNT, 1e-3),
    "U/L": (Dimension.ACTIVITY, 1.0),
    "ukat/L": (Dimension.ACTIVITY, 60.0),
    "mIU/L": (Dimension.ARBITRARY, 1.0),
    "%": (Dimension.FRACTION, 1.0),
    "L/L": (Dimension.FRACTION, 100.0),
    "mmol/mol": (Dimension.MOLAR_RATIO, 1.0),
    "s": (Dimension.TIME, 1.0),
    "min": (Dimension.TIME, 60.0),
    "fL": (Dimension.VOLUME, 1.0),
    "1": (Dimension.RATIO, 1.0),
}

# lower-cased, space-free spelling -> canonical unit
_ALIASES: dict[str, str] = {
    "mol/l": "mol/L",
    "mmol/l": "mmol/L",
    "umol/l": "umol/L",
    "nmol/l": "nmol/L",
    "pmol/l": "pmol/L",
    "g/l": "g/L",
    "g/dl": "g/dL",
    "mg/dl": "mg/dL",
    "mg/l": "mg/L",
    "mg/l{feu}": "mg/L",
    "mg/lfeu": "mg/L",
    "ug/ml": "mg/L",
    "ug/ml{feu}": "mg/L",
    "ugfeu/ml": "mg/L",
    "ug/mlfeu": "mg/L",
    "ug/dl": "ug/dL",
    "ug/l": "ug/L",
    "ng/ml": "ug/L",
    "ng/dl": "ng/dL",
    "ng/l": "ng/L",
    "pg/ml": "ng/L",
    "meq/l": "mEq/L",
    "meq/liter": "mEq/L",
    "10*9/l": "10*9/L",
    "10^9/l": "10*9/L",
    "x10^9/l": "10*9/L",
    "x10e9/l": "10*9/L",
    "10e9/l": "10*9/L",
    "x109/l": "10*9/L",
    "g/l(cells)": "10*9/L",
    "giga/l": "10*9/L",
    "10*3/ul": "10*9/L",
    "10^3/ul": "10*9/L",
    "x10^3/ul": "10*9/L",
    "x10e3/ul": "10*9/L",
    "10*3/mm3": "10*9/L",
    "k/ul": "10*9/L",
    "k/mm3": "10*9/L",
    "thou/ul": "10*9/L",
    "10*12/l": "10*12/L",
    "10^12/l": "10*12/L",
    "x10^12/l": "10*12/L",
    "x10e12/l": "10*12/L",
    "10*6/ul": "10*12/L",
    "10^6/ul": "10*12/L",
    "x10^6/ul": "10*12/L",
    "m/ul": "10*12/L",
    "mil/ul": "10*12/L",
    "/ul": "10*6/L",
    "cells/ul": "10*6/L",
    "{cells}/ul": "10*6/L",
    "10*6/l": "10*6/L",
    "u/l": "U/L",
    "iu/l": "U/L",
    "[iu]/l": "U/L",
    "ukat/l": "ukat/L",
    "miu/l": "mIU/L",
    "m[iu]/l": "mIU/L",
    "uiu/ml": "mIU/L",
    "u[iu]/ml": "mIU/L",
    "mu/l": "mIU/L",
    "%": "%",
    "percent": "%",
    "l/l": "L/L",
    "mmol/mol": "mmol/mol",
    "mmol/mol{hb}": "mmol/mol",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "min": "min",
    "fl": "fL",
    "um3": "fL",
    "1": "1",
    "{ratio}": "1",
    "{inr}": "1",
    "inr": "1",
    "ratio": "1",
    "": "1",
}

_MICRO = str.maketrans({"µ": "u", "μ": "u", "×": "x"})


@dataclass(frozen=True, slots=True)
class AnalyteUnits:
    """Explicit cross-dimension factors for one analyte.

    Attributes
    ----------
    si_unit
        The unit results are reported in after conversion (canonical spelling).
    mass
        ``(unit, factor)``: 1 ``unit`` of mass concentration equals ``factor`` SI units
        (e.g. glucose ``("mg/dL", 1 / 18.016)``: mg/dL → mmol/L).
    valence
        Charge number for mEq/L → mmol/L (1 for Na⁺, K⁺, Cl⁻, HCO₃⁻; 2 for Ca²⁺, Mg²⁺).
    hba1c
        ``True`` for HbA1c: NGSP/DCCT % ↔ IFCC mmol/mol by the Hoelzel 2004 master equation.
    """

    si_unit: str
    mass: tuple[str, float] | None = None
    valence: int | None = None
    hba1c: bool = False


HBA1C_SLOPE = 10.929
HBA1C_INTERCEPT_PERCENT = 2.15

# analyte key -> explicit factors.  Each factor is conventional unit -> SI unit.
ANALYTE_FACTORS: dict[str, AnalyteUnits] = {
    "glucose": AnalyteUnits("mmol/L", mass=("mg/dL", 1.0 / 18.016)),
    "sodium": AnalyteUnits("mmol/L", valence=1),
    "potassium": AnalyteUnits("mmol/L", valence=1),
    "chloride": AnalyteUnits("mmol/L", valence=1),
    "bicarbonate": AnalyteUnits("mmol/L", valence=1),
    "calcium": AnalyteUnits("mmol/L", mass=("mg/dL", 0.2495), valence=2),
    "magnesium": AnalyteUnits("mmol/L", mass=("mg/dL", 0.4114), valence=2),
    "phosphate": AnalyteUnits("mmol/L", mass=("mg/dL", 0.3229)),
    "creatinine": AnalyteUnits("umol/L", mass=("mg/dL", 88.42)),
    "urea_nitrogen": AnalyteUnits("mmol/L", mass=("mg/dL", 0.357)),  # BUN mg/dL -> urea mmol/L
    "urea": AnalyteUnits("mmol/L", mass=("mg/dL", 0.1665)),
    "uric_acid": AnalyteUnits("umol/L", mass=("mg/dL", 59.48)),
    "bilirubin": AnalyteUnits("umol/L", mass=("mg/dL", 17.10)),
    "cholesterol": AnalyteUnits("mmol/L", mass=("mg/dL", 0.02586)),
    "triglycerides": AnalyteUnits("mmol/L", mass=("mg/dL", 0.01129)),
    "lactate": AnalyteUnits("mmol/L", mass=("mg/dL", 0.1110)),
    "ammonia": AnalyteUnits("umol/L", mass=("ug/dL", 0.5872)),
    "free_t4": AnalyteUnits("pmol/L", mass=("ng/dL", 12.87)),
    "vitamin_d": AnalyteUnits("nmol/L", mass=("ug/L", 2.496)),
    "hba1c": AnalyteUnits("mmol/mol", hba1c=True),
    # mass concentrations reported in mass units (g/L, mg/L, ng/L, ug/L): prefixes only
    "protein": AnalyteUnits("g/L"),
    "haemoglobin": AnalyteUnits("g/L"),
    "fibrinogen": AnalyteUnits("g/L"),
    "crp": AnalyteUnits("mg/L"),
    "d_dimer": AnalyteUnits("mg/L"),
    "troponin": AnalyteUnits("ng/L"),
    "natriuretic_peptide": AnalyteUnits("ng/L"),
    "ferritin": AnalyteUnits("ug/L"),
    "procalcitonin": AnalyteUnits("ug/L"),
    "enzyme": AnalyteUnits("U/L"),
    "cell_count": AnalyteUnits("10*9/L"),
    "red_cell_count": AnalyteUnits("10*12/L"),
    "fraction": AnalyteUnits("%"),
    "cell_volume": AnalyteUnits("fL"),
    "clotting_time": AnalyteUnits("s"),
    "ratio": AnalyteUnits("1"),
    "hormone_iu": AnalyteUnits("mIU/L"),
}


def normalize_unit(unit: str) -> str:
    """Canonical spelling of a unit as sent.

    Parameters
    ----------
    unit
        The unit text (UCUM code or a common variant; case, spaces and ``µ``/``μ`` are tolerated).

    Returns
    -------
    str
        The canonical spelling (a key of :func:`known_units`).

    Raises
    ------
    UnknownUnitError
        When the spelling is not in the table (never guessed).
    """
    if not isinstance(unit, str):
        raise UnknownUnitError(f"unit must be a string, got {type(unit).__name__}")
    key = unit.translate(_MICRO).replace(" ", "").lower()
    try:
        return _ALIASES[key]
    except KeyError:
        raise UnknownUnitError(f"unknown unit {unit!r}") from None


def known_units() -> tuple[str, ...]:
    """All canonical unit spellings."""
    return tuple(_UNITS)


def _analyte(analyte: str) -> AnalyteUnits:
    try:
        return ANALYTE_FACTORS[analyte]
    except KeyError:
        raise UnknownUnitError(f"no unit conversions are defined for analyte {analyte!r}") from None


@lru_cache(maxsize=4096)
def si_factor(unit: str, analyte: str) -> tuple[float, float]:
    """``(scale, offset)`` such that ``value_si = value * scale + offset``.

    Parameters
    ----------
    unit
        A unit in any accepted spelling.
    analyte
        A key of :data:`ANALYTE_FACTORS` (the catalogue names each test's analyte).

    Raises
    ------
    UnknownUnitError
        Unknown spelling, or a unit this analyte cannot be expressed in (e.g. glucose in U/L).
    """
    canonical = normalize_unit(unit)
    spec = _analyte(analyte)
    src_dim, src_scale = _UNITS[canonical]
    dst_dim, dst_scale = _UNITS[spec.si_unit]
    if src_dim is dst_dim:
        return src_scale / dst_scale, 0.0
    if spec.hba1c and canonical == "%":
        return HBA1C_SLOPE, -HBA1C_SLOPE * HBA1C_INTERCEPT_PERCENT
    if src_dim is Dimension.MASS and spec.mass is not None and dst_dim is Dimension.MOLAR:
        ref_unit, factor = spec.mass
        _, ref_scale = _UNITS[ref_unit]
        return src_scale / ref_scale * factor, 0.0
    if src_dim is Dimension.EQUIVALENT and spec.valence and dst_dim is Dimension.MOLAR:
        return src_scale / spec.valence / dst_scale, 0.0
    raise UnknownUnitError(
        f"unit {unit!r} ({src_dim.value}) cannot be converted to {spec.si_unit} for {analyte.replace('_', ' ')}"
    )


def to_si(value: float, unit: str, analyte: str) -> float:
    """Convert ``value`` in ``unit`` to the analyte's SI unit (see :func:`si_factor`)."""
    scale, offset = si_factor(unit, analyte)
    return float(value) * scale + offset


def from_si(value_si: float, unit: str, analyte: str) -> float:
    """Inverse of :func:`to_si`: express an SI value in ``unit``."""
    scale, offset = si_factor(unit, analyte)
    return (float(value_si) - offset) / scale


def convert(value: float, from_unit: str, to_unit: str, analyte: str) -> float:
    """Convert ``value`` between two units of one analyte (through SI)."""
    return from_si(to_si(value, from_unit, analyte), to_unit, analyte)
