"""EDF and EDF+ (European Data Format) recordings that contain ECG channels (and BDF/BDF+).

Decoded with pyEDFlib (EDFlib), which applies each signal's physical/digital min/max calibration;
this module keeps the ECG-like signals (a lead name or ``ECG``/``EKG`` label with a voltage physical
dimension ``uV``/``mV``/``V``), converts them to millivolts, and rejects discontinuous EDF+ (EDF+D).

References
----------
Kemp et al., "A simple format for exchange of digitized polygraphic recordings",
Electroencephalogr Clin Neurophysiol 82(5):391-393 (1992).
Kemp & Olivan, "European data format 'plus' (EDF+)", Clin Neurophysiol 114(9):1755-1761 (2003).
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyedflib

from ..errors import EcgFormatError
from ..record import EcgMetadata, EcgRecord
from ._common import EcgFormat, canonical_lead, is_lead_name, mv_per_unit, read_head, require_file

__all__ = ["EDF_MAGIC", "ecg_signal_labels", "read_edf"]

logger = logging.getLogger(__name__)

#: Version fields of EDF/EDF+ and of BioSemi BDF/BDF+ (24-bit samples), which EDFlib also reads.
EDF_MAGIC = (b"0       ", b"\xffBIOSEMI")


def ecg_signal_labels(labels: list[str], dimensions: list[str]) -> list[int]:
    """Indices of the ECG-like signals: a lead/ECG label and a voltage physical dimension."""
    return [
        i for i, (label, dim) in enumerate(zip(labels, dimensions, strict=True))
        if is_lead_name(label) and mv_per_unit(dim) is not None
    ]


def read_edf(path: str | Path, *, fs: float | None = None) -> EcgRecord:
    """Read the ECG channels of an EDF/EDF+ file into millivolts.

    Parameters
    ----------
    path
        An ``.edf`` file (EDF or continuous EDF+).
    fs
        Ignored: EDF carries per-signal rates (a differing value is logged).

    Returns
    -------
    EcgRecord
        ECG signals sharing the most common sampling rate among them (others are dropped and
        listed in ``metadata.extra["dropped_signals"]``).

    Raises
    ------
    EcgFormatError
        Not EDF, truncated or inconsistent header (as reported by EDFlib), discontinuous EDF+,
        no ECG signals.
    """
    p = Path(path)
    require_file(p)
    head = read_head(p, 256)
    if len(head) < 256 or head[:8] not in EDF_MAGIC:
        raise EcgFormatError(p, "not an EDF/BDF file (header must start with version '0' padded to 8 bytes)")
    if head[192:197] in (b"EDF+D", b"BDF+D"):
        raise EcgFormatError(p, "discontinuous EDF+/BDF+ is not supported; export as continuous EDF+C")
    try:
        reader = pyedflib.EdfReader(str(p))
    except OSError as exc:
        raise EcgFormatError(p, f"unreadable EDF: {exc}") from None
    try:
        n = reader.signals_in_file
        labels = [str(x).strip() for x in reader.getSignalLabels()]
        dims = [str(reader.getPhysicalDimension(i)).strip() for i in range(n)]
        rates = [float(reader.getSampleFrequency(i)) for i in range(n)]
        picked = ecg_signal_labels(labels, dims)
        if not picked:
            raise EcgFormatError(
                p, f"no ECG signals in EDF (labels {labels}, dimensions {dims}); "
                "expected lead names or ECG/EKG labels in uV/mV/V"
            )
        counts = Counter(rates[i] for i in picked)
        rate = max(counts, key=lambda r: (counts[r], r))
        keep = [i for i in picked if rates[i] == rate]
        dropped = [f"{labels[i]} ({rates[i]:g} Hz)" for i in picked if rates[i] != rate]
        if dropped:
            logger.warning("%s: dropping ECG signals at other rates: %s", p, ", ".join(dropped))
        if fs is not None and abs(float(fs) - rate) > 1e-6 * rate:
            logger.warning("%s: EDF says fs=%g Hz; ignoring fs=%g", p, rate, fs)
        lengths = [int(reader.getNSamples()[i]) for i in keep]
        n_samples = min(lengths)
        if n_samples == 0:
            raise EcgFormatError(p, "EDF ECG signals hold no samples")
        signal = np.empty((n_samples, len(keep)))
        for j, i in enumerate(keep):
            factor = mv_per_unit(dims[i])
            assert factor is not None
            signal[:, j] = reader.readSignal(i, 0, n_samples) * factor
        start = reader.getStartdatetime()
        patient = (reader.getPatientCode() or "").strip() or None
        if patient is None and reader.filetype == pyedflib.FILETYPE_EDF:
            patient = (reader.getPatientName() or "").strip() or None
        device = (reader.getEquipment() or "").strip() or None
        extra: dict[str, Any] = {"units": [dims[i] for i in keep], "source_leads": [labels[i] for i in keep]}
        if dropped:
            extra["dropped_signals"] = dropped
    except EcgFormatError:
        raise
    except (OSError, ValueError) as exc:
        raise EcgFormatError(p, f"unreadable EDF: {exc}") from None
    finally:
        reader.close()
    meta = EcgMetadata(
        record_id=p.stem,
        patient_id=patient,
        acquired_at=start,
        device=device,
        source_format=EcgFormat.EDF.value,
        source_path=str(p),
        extra=extra,
    )
    return EcgRecord(signal=signal, fs=rate, leads=tuple(canonical_lead(labels[i]) for i in keep), metadata=meta)
