"""Decode time of :func:`ecg.read` per file format, next to the reference library on the same file.

Run: ``python -m benchmarks.ecg_decode`` (writes ``benchmarks/results/ecg_decode.json``).

Inputs
------
- WFDB 212: MIT-BIH record 100 (30 min, 2 leads, 360 Hz) from ``../shared/data``.
- WFDB 16: PTB record s0010_re (12 standard leads, 38.4 s, 1000 Hz; the .xyz Frank leads are absent).
- CinC .mat: CinC 2017 A00003 (60 s, 1 lead, 300 Hz; header with the ISO date quirk). The peer,
  ``wfdb.rdrecord``, cannot read that header, so it reads a copy whose date is rewritten (temp dir).
- DICOM waveform: pydicom's ``waveform_ecg.dcm`` (12 leads, 10 s, 1000 Hz).
- aECG XML and CSV: that 12-lead ECG written by :func:`ecg.io.write_aecg` / :func:`ecg.io.write_csv`.
- EDF: MIT-BIH 100 written by :func:`ecg.io.write_edf` (30 min, 2 leads).

Peers: ``wfdb.rdrecord`` (WFDB), ``pydicom.dcmread`` + ``waveform_array`` (DICOM), pyEDFlib
``readSignal`` of every channel (EDF), ``numpy.loadtxt`` of the numbers (CSV), ElementTree parse plus
digit conversion (aECG). Each case times ``ecg.read`` (content detection + decode), the format's
reader alone and the peer in alternation (7 rounds, best of each), so load on a shared machine hits
all three alike; ``speedup_vs_peer`` is peer time / ``ecg.read`` time.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pydicom
import pyedflib
import wfdb
from pydicom.data import get_testdata_file

import ecg
from ecg.io import READERS, EcgFormat, write_aecg, write_csv, write_edf

from ._common import SHARED_DATA, machine_info, time_best, write_result

logger = logging.getLogger(__name__)


def _peer_aecg(path: Path) -> None:
    ns = "{urn:hl7-org:v3}"
    for digits in ET.parse(path).getroot().iter(f"{ns}digits"):
        np.array((digits.text or "").split(), dtype=np.float64)


def _peer_edf(path: Path) -> None:
    reader = pyedflib.EdfReader(str(path))
    try:
        for i in range(reader.signals_in_file):
            reader.readSignal(i)
    finally:
        reader.close()


def _cases(work: Path) -> list[tuple[str, Path, Callable[[], Any], str]]:
    dcm = Path(get_testdata_file("waveform_ecg.dcm"))
    twelve = ecg.read(dcm)
    aecg = write_aecg(twelve, work / "12lead.xml", scale_uv=1.25)
    csv = write_csv(twelve, work / "12lead.csv")
    cases: list[tuple[str, Path, Callable[[], Any], str]] = [
        ("dicom_waveform", dcm, lambda: pydicom.dcmread(dcm).waveform_array(0), "pydicom waveform_array"),
        ("aecg_xml", aecg, lambda: _peer_aecg(aecg), "ElementTree + digits"),
        ("csv", csv, lambda: np.loadtxt(csv, delimiter=",", skiprows=1), "numpy.loadtxt"),
    ]
    data = SHARED_DATA / "ecg"
    if not data.is_dir():
        logger.warning("no reference data at %s: WFDB and EDF cases skipped", data)
        return cases
    mit = data / "mitdb" / "100"
    ptb = data / "ptb" / "s0010_re"
    cinc_dir = work / "cinc_fixed"
    cinc_dir.mkdir()
    shutil.copy(data / "cinc2017" / "A00003.mat", cinc_dir / "A00003.mat")
    hea = (data / "cinc2017" / "A00003.hea").read_text().replace("2014-04-15 12:04:05", "12:04:05 15/04/2014")
    (cinc_dir / "A00003.hea").write_text(hea)
    edf = write_edf(ecg.read(mit), work / "100.edf")
    cases += [
        ("wfdb_212_30min_2lead", Path(f"{mit}.hea"), lambda: wfdb.rdrecord(str(mit)), "wfdb.rdrecord"),
        ("wfdb_16_ptb_12lead", Path(f"{ptb}.hea"),
         lambda: wfdb.rdrecord(str(ptb), channels=list(range(12))), "wfdb.rdrecord"),
        ("wfdb_cinc2017_mat", data / "cinc2017" / "A00003.hea",
         lambda: wfdb.rdrecord(str(cinc_dir / "A00003")), "wfdb.rdrecord (fixed header copy)"),
        ("edf_30min_2lead", edf, lambda: _peer_edf(edf), "pyedflib readSignal"),
    ]
    return cases


def _paired_best(fns: list[Callable[[], Any]], *, rounds: int = 7) -> list[float]:
    """Best time of each of ``fns``, measured in alternation so drifting load on a shared machine
    hits all of them alike."""
    best = [np.inf] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], time_best(fn, repeat=1, min_time_s=0.1))
    return best


def main() -> dict[str, Any]:
    """Measure every case and write ``benchmarks/results/ecg_decode.json``."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("ecg.io").setLevel(logging.ERROR)  # PTB's missing .xyz warns on every read
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, peer, peer_name in _cases(Path(tmp)):
            rec = ecg.read(path)  # warm-up (Numba compile / cache load)
            reader = READERS[EcgFormat(rec.metadata.source_format)]
            read_s, reader_s, peer_s = _paired_best(
                [lambda p=path: ecg.read(p), lambda p=path, r=reader: r(p), peer]
            )
            sniff_s = time_best(lambda p=path: ecg.sniff(p), repeat=3, min_time_s=0.05)
            n_values = rec.n_samples * rec.n_leads
            row = {
                "case": name,
                "file": path.name,
                "bytes": path.stat().st_size,
                "n_samples": rec.n_samples,
                "n_leads": rec.n_leads,
                "ms_per_file": round(read_s * 1e3, 3),
                "samples_per_s": round(n_values / read_s),
                "reader_ms_per_file": round(reader_s * 1e3, 3),
                "sniff_ms_per_file": round(sniff_s * 1e3, 4),
                "peer": peer_name,
                "peer_ms_per_file": round(peer_s * 1e3, 3),
                "speedup_vs_peer": round(peer_s / read_s, 2),
            }
            rows.append(row)
            print(f"{name:22s} read {row['ms_per_file']:8.3f} ms ({row['samples_per_s'] / 1e6:7.2f} M samples/s)"
                  f"  reader {row['reader_ms_per_file']:8.3f} ms   {peer_name}: {row['peer_ms_per_file']} ms"
                  f"  (x{row['speedup_vs_peer']})")
    result = {
        "benchmark": "ecg_decode",
        "what": "ms per file of ecg.read (content detection + decode to float64 mV) and of the format's "
                "reader alone, next to a peer decoding the same file; best of 7 alternating rounds; "
                "plus ecg.sniff (routing) time",
        "machine": machine_info(("wfdb", "pydicom", "pyEDFlib")),
        "results": rows,
    }
    path = write_result("ecg_decode", result)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
