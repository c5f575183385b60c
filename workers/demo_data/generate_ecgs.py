"""One-off generator of the demo ECGs in this folder (run from the repo root: python workers/demo_data/generate_ecgs.py)."""
import numpy as np, neurokit2 as nk, wfdb
from pathlib import Path
out = Path("workers/demo_data/ecg")
fs = 250
rng = np.random.default_rng(7)

def sinus(duration, hr, seed):
    return nk.ecg_simulate(duration=duration, sampling_rate=fs, heart_rate=hr, method="ecgsyn", random_state=seed, noise=0.01)

def vt_segment(n_beats, hr):
    # wide (sigma 30 ms Gaussian, ~150 ms base) monomorphic complexes without P waves at ~hr bpm,
    # each followed by a discordant T wave
    rr = int(round(60 / hr * fs))
    t = np.arange(rr) / fs
    return np.tile(1.5 * np.exp(-0.5 * ((t - 0.08) / 0.03) ** 2) - 0.6 * np.exp(-0.5 * ((t - 0.23) / 0.05) ** 2), n_beats)

def write(name, sig1, comment):
    sig1 = np.asarray(sig1, float)
    lead2 = 0.6 * sig1 + 0.02 * rng.standard_normal(sig1.size)
    sig = np.column_stack([sig1, lead2])
    wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=["II", "V1"], p_signal=sig, fmt=["212", "212"],
                comments=[comment], write_dir=str(out), adc_gain=[200.0, 200.0], baseline=[0, 0])

write("demo_sinus", sinus(20, 72, 1), "Patient: DEMO-1001; synthetic normal sinus rhythm 72 bpm (neurokit2 ecgsyn)")
a = sinus(8, 80, 2); v = vt_segment(9, 180); b = sinus(8, 80, 3)
write("demo_vt", np.concatenate([a, v, b]), "Patient: DEMO-1002; synthetic sinus 80 bpm with a 9-beat VT run at 180 bpm")
a = sinus(8, 65, 4); pause = 0.01 * rng.standard_normal(int(4.2 * fs)); b = sinus(8, 65, 5)
write("demo_pause", np.concatenate([a, pause, b]), "Patient: DEMO-1003; synthetic sinus 65 bpm with a 4.2 s pause")
write("demo_tachy", sinus(20, 150, 6), "Patient: DEMO-1004; synthetic sinus tachycardia 150 bpm")
