"""Accuracy of :func:`ecg.screen` on the reference databases in ``../shared/data/ecg``.

Run: ``python -m benchmarks.screen_accuracy [--data DIR]`` (writes ``benchmarks/results/screen_accuracy.json``).

* **CinC 2017** (single lead, 300 Hz, 9-61 s; ``REFERENCE.csv`` N / A / O / ~): AF sensitivity, specificity
  against normal rhythm (N), F1 of AF against every other record, share of noisy (~) and normal
  records screened ``UNREADABLE``.
* **MIT-BIH Arrhythmia** (30 min, 2 leads): annotated VT episodes found (a VT finding overlapping the
  ``(VT`` episode), no VT where none is annotated, AF/AFL coverage (share of annotated ``(AFIB``/``(AFL``
  time inside AF findings), AF false time on records without AF, and per-beat ventricular
  classification (annotation ``V`` and ``E`` vs beats labelled ventricular, matched one to one within
  +-150 ms, pooled: Se and +P; also without the paced records 102, 104, 107 as ANSI/AAMI EC57 does).
  Every annotated VT episode is listed with the rate of its run measured on the *reference* beats
  (60 / mean cycle length, coupling interval included, the measure :func:`ecg.rhythm.ventricular_findings`
  uses), so a missed run can be told from a run slower than ``vt_rate_bpm``.
* **Uncertainty** -- 95 % bootstrap intervals (records resampled within each class, 2000 draws) of the
  CinC AF figures: the spread to expect on another sample of the same size, e.g. the held-out half.
* **Split-half check of the AF thresholds** -- the CinC records are split in two class-stratified halves
  (alternate records of each class in name order); the f-wave threshold ``af_f_wave_fraction`` and the
  moderate-irregularity floor ``af_moderate_irregularity`` are chosen on one half (best F1; ties: the
  centre of the tied grid points) and the AF figures reported on the other, both ways, next to the
  defaults and to the detector without atrial (f-wave) evidence. The verdicts come from
  :func:`ecg.af.af_findings` on the beat sequence and atrial signal :func:`ecg.screen` builds (rebuilt from
  the screening; the benchmark checks that the default verdicts match ``screen``'s).
* **Cost of the rhythm analysis** -- on each MIT-BIH record, the time of :mod:`ecg.rhythm` (sequence
  build, AF, rate, pauses, ventricular runs) over the time of :func:`ecg.detect_qrs` on the same record,
  and the extra time the atrial (f-wave) evidence adds to :func:`ecg.af.af_findings` (summed over the
  records, over the summed time of ``detect_qrs`` on the screening signal as :func:`ecg.screen` runs it);
  on CinC, the time of :func:`ecg.atrial.f_wave_fraction` on the records whose RR evidence asks for it.

The targets of the teletriage acceptance are printed next to every figure.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import wfdb

from benchmarks._common import SHARED_DATA, machine_info, time_best, write_result
from ecg.af import af_statistics
from ecg.atrial import AtrialSignal, atrial_signal, f_wave_fraction
from ecg.beats import BeatClass
from ecg.evaluation import pool_scores, score_detections
from ecg.findings import FindingCode
from ecg.io.wfdb_format import read_wfdb
from ecg import detect_qrs
from ecg.rhythm import BeatSequence, af_findings, pause_findings, rate_findings, ventricular_findings
from ecg.preprocess import screening_signal, zero_phase_screening
from ecg.quality import QualityLevel
from ecg.screen import Screening, _judge_long_gaps, screen
from ecg.settings import ScreeningSettings

log = logging.getLogger("benchmarks.screen_accuracy")

MITDB_RECORDS = ("100", "102", "104", "106", "107", "108", "118", "119", "202", "223")
PACED = ("102", "104", "107")
_BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")


_F_GRID = (0.12, 0.14, 0.16, 0.18, 0.20, 0.22, 0.24, 0.26, 0.28)
_FLOOR_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def af_inputs(record: Any, s: Screening) -> tuple[BeatSequence, AtrialSignal, float] | None:
    """The beat sequence and atrial signal :func:`ecg.screen` passes to ``af_findings``, rebuilt from its result,
    and the rate (Hz) of the screening signal."""
    if s.beats is None:
        return None
    settings = ScreeningSettings()
    pre = screening_signal(record.signal, record.fs)
    filt = zero_phase_screening(pre)
    dec = int(round(record.fs / pre.fs))
    beats, q = s.beats.samples, s.quality
    times = beats / record.fs
    noisy = np.zeros(beats.size, dtype=bool)
    if q.segment_levels.shape[0]:
        seg = np.minimum((times / q.step_s).astype(np.int64), q.segment_levels.shape[0] - 1)
        noisy = q.segment_levels.max(axis=1)[seg] < QualityLevel.GOOD
    seq = BeatSequence.build(times, s.beats.labels, duration_s=record.duration_s, unreadable_ranges=q.unreadable_ranges,
                             leads=s.beats.leads, p_wave_corr=s.beats.p_wave_corr, noisy=noisy)
    seq = _judge_long_gaps(seq, pre, beats, record.fs, settings)
    usable = np.array([not off for off in q.lead_off], dtype=bool)
    atrial = atrial_signal(filt, pre.fs, np.minimum(beats // dec, filt.shape[0] - 1), leads=record.leads, usable=usable)
    return seq, atrial, pre.fs


def _split_half(names: list[str], lab: np.ndarray, inputs: dict[str, Any]) -> dict[str, Any]:
    """Tune (af_f_wave_fraction, af_moderate_irregularity) on one class-stratified half, report the other."""
    combos = [(f, fl) for f in _F_GRID for fl in _FLOOR_GRID]
    verdict = np.zeros((len(combos), len(names)), dtype=bool)
    for j, (f, fl) in enumerate(combos):
        st = ScreeningSettings(af_f_wave_fraction=f, af_moderate_irregularity=fl)
        for i, n in enumerate(names):
            if inputs.get(n) is not None:
                seq, atrial, _ = inputs[n]
                verdict[j, i] = bool(af_findings(seq, st, atrial=atrial))
    no_atrial = np.array([bool(inputs.get(n) is not None and af_findings(inputs[n][0], ScreeningSettings())) for n in names])
    default = combos.index((ScreeningSettings().af_f_wave_fraction, ScreeningSettings().af_moderate_irregularity))
    halves = np.zeros(len(names), dtype=int)
    for k in np.unique(lab):
        idx = np.flatnonzero(lab == k)
        halves[idx[1::2]] = 1
    out: dict[str, Any] = {}
    for tune in (0, 1):
        t, o = halves == tune, halves != tune
        f1 = np.array([_af_scores(lab[t], verdict[j, t])[2] for j in range(len(combos))])
        tied = np.flatnonzero(f1 >= f1.max() - 1e-12)
        centre = np.array([np.median([combos[j][0] for j in tied]), np.median([combos[j][1] for j in tied])])
        best = int(min(tied, key=lambda j: (abs(combos[j][0] - centre[0]) / 0.02 + abs(combos[j][1] - centre[1]) / 0.1)))
        se, sp, f1o = _af_scores(lab[o], verdict[best, o])
        dse, dsp, df1 = _af_scores(lab[o], verdict[default, o])
        bse, bsp, bf1 = _af_scores(lab[o], no_atrial[o])
        out[f"tune_half_{tune}"] = {
            "chosen": {"af_f_wave_fraction": combos[best][0], "af_moderate_irregularity": combos[best][1]},
            "tune_f1": round(float(f1[best]), 3),
            "n_tied": int(tied.size),
            "other_half": {"n_af": int(np.sum(lab[o] == "A")), "se": round(se, 3), "sp_vs_n": round(sp, 3), "f1": round(f1o, 3)},
            "other_half_defaults": {"se": round(dse, 3), "sp_vs_n": round(dsp, 3), "f1": round(df1, 3)},
            "other_half_without_atrial": {"se": round(bse, 3), "sp_vs_n": round(bsp, 3), "f1": round(bf1, 3)},
        }
    se, sp, f1 = _af_scores(lab, no_atrial)
    out["all_without_atrial"] = {"se": round(se, 3), "sp_vs_n": round(sp, 3), "f1": round(f1, 3)}
    return out


def _atrial_cost_cinc(inputs: dict[str, Any]) -> dict[str, Any]:
    """Time (us) of the f-wave evidence on the CinC records whose RR evidence asks for it (best of 5)."""
    settings = ScreeningSettings()
    times_us = []
    build_us = []
    for n, inp in inputs.items():
        if inp is None:
            continue
        seq, atrial, _ = inp
        build_us.append(1e6 * time_best(lambda: atrial_signal(atrial.signal, atrial.fs, atrial.beats), repeat=5, min_time_s=0.005))
        clean = seq.clean
        st = af_statistics(seq.rr_s, clean, seq.p_wave_corr, min_pairs=8)
        if st is None or not st.needs_atrial_evidence(settings):
            continue
        normal = seq.labels == BeatClass.NORMAL
        times_us.append(1e6 * time_best(lambda: f_wave_fraction(atrial, normal, clean), repeat=5, min_time_s=0.01))
    n_all = sum(v is not None for v in inputs.values())
    return {
        "n_records": n_all,
        "n_computed": len(times_us),
        "median_us": round(float(np.median(times_us)), 1) if times_us else None,
        "max_us": round(float(np.max(times_us)), 1) if times_us else None,
        "mean_us_per_record": round(float(np.sum(times_us)) / max(n_all, 1), 1),
        "atrial_signal_build_median_us": round(float(np.median(build_us)), 1) if build_us else None,
    }


def cinc2017(folder: Path, *, timing: bool = True) -> dict[str, Any]:
    """Record-level AF and unreadable figures on the CinC 2017 records in ``folder``."""
    ref: dict[str, str] = {}
    with open(folder / "REFERENCE.csv", newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) >= 2:
                ref[row[0]] = row[1].strip()
    rows = []
    inputs: dict[str, Any] = {}
    for name, label in sorted(ref.items()):
        hea = folder / f"{name}.hea"
        if not hea.exists():
            continue
        record = read_wfdb(hea)
        s = screen(record)
        rows.append((name, label, s.has(FindingCode.AF), s.has(FindingCode.UNREADABLE)))
        inputs[name] = af_inputs(record, s)
    lab = np.array([r[1] for r in rows])
    af = np.array([r[2] for r in rows])
    unread = np.array([r[3] for r in rows])
    is_a, is_n, is_noisy = lab == "A", lab == "N", lab == "~"
    tp = int(np.sum(af & is_a))
    fp = int(np.sum(af & ~is_a))
    fn = int(np.sum(~af & is_a))
    names = [r[0] for r in rows]
    rebuilt = np.array([bool(inputs[n] is not None and af_findings(inputs[n][0], ScreeningSettings(), atrial=inputs[n][1]))
                        for n in names])
    return {
        "n_records": len(rows),
        "rebuilt_verdict_mismatches": [n for n, a, b in zip(names, af, rebuilt) if a != b],
        "split_half": _split_half(names, lab, inputs),
        "atrial_cost": _atrial_cost_cinc(inputs) if timing else None,
        "bootstrap_95": _bootstrap(lab, af),
        "counts": {k: int(np.sum(lab == k)) for k in "NAO~"},
        "af_sensitivity": tp / max(int(is_a.sum()), 1),
        "af_specificity_vs_normal": 1.0 - int(np.sum(af & is_n)) / max(int(is_n.sum()), 1),
        "af_f1_vs_all": 2 * tp / max(2 * tp + fp + fn, 1),
        "af_false_positives": {k: int(np.sum(af & (lab == k))) for k in "NO~"},
        "noisy_unreadable": float(np.mean(unread[is_noisy])) if is_noisy.any() else None,
        "normal_unreadable": float(np.mean(unread[is_n])) if is_n.any() else None,
        "missed_af": [r[0] for r in rows if r[1] == "A" and not r[2]],
        "false_af": [r[0] for r in rows if r[1] != "A" and r[2]],
    }


def _af_scores(lab: np.ndarray, af: np.ndarray) -> tuple[float, float, float]:
    is_a = lab == "A"
    tp, fp, fn = np.sum(af & is_a), np.sum(af & ~is_a), np.sum(~af & is_a)
    se = tp / max(int(is_a.sum()), 1)
    sp = 1.0 - np.sum(af & (lab == "N")) / max(int(np.sum(lab == "N")), 1)
    return float(se), float(sp), float(2 * tp / max(2 * tp + fp + fn, 1))


def _bootstrap(lab: np.ndarray, af: np.ndarray, *, n_draws: int = 2000, seed: int = 0) -> dict[str, list[float]]:
    """95 % percentile intervals of AF Se, Sp vs N and F1, resampling records within each class."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(lab == k) for k in np.unique(lab)]
    draws = np.empty((n_draws, 3))
    for i in range(n_draws):
        idx = np.concatenate([rng.choice(g, g.size) for g in groups])
        draws[i] = _af_scores(lab[idx], af[idx])
    lo, hi = np.percentile(draws, [2.5, 97.5], axis=0)
    return {k: [round(float(a), 3), round(float(b), 3)] for k, a, b in zip(("se", "sp_vs_n", "f1"), lo, hi)}


def _reference_vt_runs(ann: Any, fs: float, episodes: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Per annotated VT episode: its longest run of reference ``V`` beats and that run's rate (bpm),
    60 / mean cycle length with the coupling interval of the first beat included."""
    sym = np.array(ann.symbol)
    beat = np.isin(sym, list(_BEAT_SYMBOLS))
    t = ann.sample[beat] / fs
    is_v = sym[beat] == "V"
    out = []
    for start, end in episodes:
        idx = np.flatnonzero((t >= start - 0.5) & (t <= end + 0.5) & is_v)
        best = (0, 0)
        run_start = None
        for k, j in enumerate(idx):
            if run_start is None or j != idx[k - 1] + 1:
                run_start = j
            if j - run_start + 1 > best[1] - best[0]:
                best = (run_start, j + 1)
        a, b = best
        n = b - a
        first = a - 1 if a > 0 else a
        rate = 60.0 * (b - 1 - first) / (t[b - 1] - t[first]) if n >= 2 else float("nan")
        own = 60.0 * (n - 1) / (t[b - 1] - t[a]) if n >= 2 else float("nan")
        out.append({"start_s": round(start, 1), "n_v_beats": int(n), "rate_bpm": round(rate, 1),
                    "rate_own_cycles_bpm": round(own, 1)})
    return out


def rhythm_cost(folder: Path) -> dict[str, Any]:
    """Time of the rhythm analysis over the time of detect_qrs, per MIT-BIH record (best of 5), and the extra
    time of the atrial evidence in ``af_findings`` (with minus without it) against ``detect_qrs`` on the
    screening signal (as :func:`ecg.screen` runs it)."""
    settings = ScreeningSettings()
    out = {}
    for rec_name in MITDB_RECORDS:
        hea = folder / f"{rec_name}.hea"
        if not hea.exists():
            continue
        record = read_wfdb(hea)
        s = screen(record)
        if s.beats is None:
            continue
        times = s.beats.samples / record.fs
        ranges = s.quality.unreadable_ranges

        def rhythm() -> None:
            seq = BeatSequence.build(times, s.beats.labels, duration_s=record.duration_s, unreadable_ranges=ranges,
                                     leads=s.beats.leads, p_wave_corr=s.beats.p_wave_corr)
            for fn in (af_findings, rate_findings, pause_findings, ventricular_findings):
                fn(seq, settings)

        t_rhythm = time_best(rhythm)
        t_qrs = time_best(lambda: detect_qrs(record.signal, record.fs), repeat=3)
        seq, atrial, fs_screen = af_inputs(record, s)
        filt_signal = zero_phase_screening(screening_signal(record.signal, record.fs))
        t_qrs_screen = time_best(lambda: detect_qrs(filt_signal, fs_screen), repeat=3)
        t_af_atrial = time_best(lambda: af_findings(seq, settings, atrial=atrial_signal(
            filt_signal, fs_screen, atrial.beats, leads=record.leads)), repeat=7)
        t_af_plain = time_best(lambda: af_findings(seq, settings), repeat=7)
        out[rec_name] = {"rhythm_ms": round(1e3 * t_rhythm, 3), "detect_qrs_ms": round(1e3 * t_qrs, 2),
                         "ratio": round(t_rhythm / t_qrs, 4),
                         "af_with_atrial_ms": round(1e3 * t_af_atrial, 3), "af_without_atrial_ms": round(1e3 * t_af_plain, 3),
                         "detect_qrs_screening_ms": round(1e3 * t_qrs_screen, 2)}
    return out


def _episodes(ann: Any, fs: float, n_samples: int, names: tuple[str, ...]) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of the rhythm episodes whose ``aux_note`` is one of ``names``."""
    out, start = [], None
    for sample, aux in zip(ann.sample, ann.aux_note):
        aux = (aux or "").strip("\x00 ")
        if not aux.startswith("("):
            continue
        if start is not None:
            out.append((start, sample / fs))
            start = None
        if aux in names:
            start = sample / fs
    if start is not None:
        out.append((start, n_samples / fs))
    return out


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    return float(sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b))


def mitdb(folder: Path) -> dict[str, Any]:
    """VT, AF and ventricular-beat figures on the MIT-BIH records in ``folder``."""
    per: dict[str, Any] = {}
    v_scores, v_scores_unpaced = [], []
    for rec_name in MITDB_RECORDS:
        hea = folder / f"{rec_name}.hea"
        if not hea.exists():
            continue
        record = read_wfdb(hea)
        ann = wfdb.rdann(str(folder / rec_name), "atr")
        fs = record.fs
        s = screen(record)
        vt_ref = _episodes(ann, fs, record.n_samples, ("(VT",))
        af_ref = _episodes(ann, fs, record.n_samples, ("(AFIB", "(AFL"))
        vt_found = [(f.start_s, f.end_s) for f in s.of(FindingCode.VT)]
        af_found = [(f.start_s, f.end_s) for f in s.of(FindingCode.AF)]
        vt_hit = [any(min(e, fe + 1) > max(st, fs_ - 1) for fs_, fe in vt_found) for st, e in vt_ref]
        af_total = sum(e - st for st, e in af_ref)
        sym = np.array(ann.symbol)
        beat = np.isin(sym, list(_BEAT_SYMBOLS))
        ref_v = ann.sample[beat & np.isin(sym, ["V", "E"])]
        det_v = s.beats.samples[s.beats.labels == BeatClass.VENTRICULAR] if s.beats is not None else np.zeros(0, int)
        score = score_detections(det_v, ref_v, fs)
        v_scores.append(score)
        if rec_name not in PACED:
            v_scores_unpaced.append(score)
        per[rec_name] = {
            "vt_runs": [dict(r, found=bool(h)) for r, h in zip(_reference_vt_runs(ann, fs, vt_ref), vt_hit)],
            "priority": s.priority,
            "reasons": list(s.reasons),
            "vt_episodes_annotated": len(vt_ref),
            "vt_episodes_found": int(sum(vt_hit)),
            "vt_findings": len(vt_found),
            "af_annotated_s": round(af_total, 1),
            "af_found_s": round(sum(e - st for st, e in af_found), 1),
            "af_coverage": round(_overlap(af_ref, af_found) / af_total, 4) if af_total else None,
            "v_beats": {"tp": score.tp, "fp": score.fp, "fn": score.fn},
        }
    pooled, unpaced = pool_scores(v_scores), pool_scores(v_scores_unpaced)
    return {
        "records": per,
        "ventricular_beats": {"se": pooled.sensitivity, "ppv": pooled.positive_predictivity, "tp": pooled.tp, "fp": pooled.fp, "fn": pooled.fn},
        "ventricular_beats_unpaced": {"se": unpaced.sensitivity, "ppv": unpaced.positive_predictivity},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "ecg", help="folder holding cinc2017/ and mitdb/")
    parser.add_argument("--no-timing", action="store_true", help="skip the rhythm-analysis cost measurement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result: dict[str, Any] = {"machine": machine_info(("wfdb",))}
    if (args.data / "cinc2017").is_dir():
        c = result["cinc2017"] = cinc2017(args.data / "cinc2017", timing=not args.no_timing)
        print(f"CinC 2017 ({c['n_records']} records {c['counts']}):")
        print(f"  AF Se {c['af_sensitivity']:.3f} (>= 0.92)  Sp vs N {c['af_specificity_vs_normal']:.3f} (>= 0.95)"
              f"  F1 vs all {c['af_f1_vs_all']:.3f} (>= 0.85)  false AF by class {c['af_false_positives']}")
        print(f"  noisy -> UNREADABLE {c['noisy_unreadable']:.2f} (>= 0.60)  normal -> UNREADABLE {c['normal_unreadable']:.3f} (<= 0.05)")
        print(f"  missed AF {c['missed_af']}  false AF {c['false_af']}")
        b = c["bootstrap_95"]
        print(f"  95% bootstrap: Se {b['se']}  Sp vs N {b['sp_vs_n']}  F1 {b['f1']}")
        sh = c["split_half"]
        print(f"  without atrial (f-wave) evidence: {sh['all_without_atrial']}")
        for key in ("tune_half_0", "tune_half_1"):
            h = sh[key]
            print(f"  split half, {key}: chose {h['chosen']} (tune F1 {h['tune_f1']}, {h['n_tied']} tied) -> other half "
                  f"({h['other_half']['n_af']} AF) {h['other_half']}; defaults {h['other_half_defaults']}; "
                  f"without atrial {h['other_half_without_atrial']}  (held-out targets Se >= 0.88, F1 >= 0.80)")
        if c["rebuilt_verdict_mismatches"]:
            print(f"  WARNING: rebuilt AF inputs disagree with screen on {c['rebuilt_verdict_mismatches']}")
        if c["atrial_cost"]:
            a = c["atrial_cost"]
            print(f"  f-wave evidence computed on {a['n_computed']}/{a['n_records']} records: median {a['median_us']} us, "
                  f"max {a['max_us']} us, {a['mean_us_per_record']} us per record on average; building the atrial "
                  f"signal (every readable record) {a['atrial_signal_build_median_us']} us")
    if (args.data / "mitdb").is_dir():
        m = result["mitdb"] = mitdb(args.data / "mitdb")
        print("MIT-BIH:")
        for name, r in m["records"].items():
            print(f"  {name}: {r['priority']:7s} VT {r['vt_episodes_found']}/{r['vt_episodes_annotated']} (findings {r['vt_findings']})"
                  f"  AF {r['af_found_s']:.0f} s found, coverage {r['af_coverage']}  V {r['v_beats']}")
        for name, r in m["records"].items():
            for run in r["vt_runs"]:
                verdict = "found" if run["found"] else "NOT found"
                print(f"  {name} VT at {run['start_s']:7.1f} s: {run['n_v_beats']:3d} V beats, "
                      f"{run['rate_bpm']:5.1f} bpm (own cycles {run['rate_own_cycles_bpm']:5.1f}) {verdict}")
        v, vu = m["ventricular_beats"], m["ventricular_beats_unpaced"]
        print(f"  ventricular beats: Se {v['se']:.3f} +P {v['ppv']:.3f} (>= 0.90 both); without paced records Se {vu['se']:.3f} +P {vu['ppv']:.3f}")
    if (args.data / "mitdb").is_dir() and not args.no_timing:
        cost = result["rhythm_cost"] = rhythm_cost(args.data / "mitdb")
        ratios = [v["ratio"] for v in cost.values()]
        worst = max(cost.items(), key=lambda kv: kv[1]["rhythm_ms"])
        print(f"rhythm analysis / detect_qrs: median {np.median(ratios):.3f}, max {max(ratios):.3f}; "
              f"slowest {worst[0]}: {worst[1]['rhythm_ms']:.2f} ms vs detect_qrs {worst[1]['detect_qrs_ms']:.1f} ms")
        extra = sum(max(v["af_with_atrial_ms"] - v["af_without_atrial_ms"], 0.0) for v in cost.values())
        qrs_screen = sum(v["detect_qrs_screening_ms"] for v in cost.values())
        print(f"atrial evidence (atrial_signal + its use in af_findings), summed over the records: +{extra:.2f} ms vs "
              f"detect_qrs on the screening signal {qrs_screen:.1f} ms ({extra / qrs_screen:.4f}x; target <= 0.05x)")
    path = write_result("screen_accuracy", result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
