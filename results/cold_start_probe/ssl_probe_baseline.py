"""Baseline for ssl_probe.py: tfal's spectral_features, same measurements (b, c), seeds 0-4."""
import json
import sys
import time

import numpy as np

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/results/cold_start_probe")
import ssl_probe  # noqa: E402
from tfal.acquisition.typicality import spectral_features  # noqa: E402

x8, y = ssl_probe.load_pool()
for seed in range(5):
    t = time.time()
    F = spectral_features(x8, seed=seed)
    row = {"name": "spectral_features", "seed": seed, "feat_s": round(time.time() - t, 1),
           "spectral": ssl_probe.evaluate_features(F, y, seed, None)}
    print(json.dumps(row), flush=True)
    with open("/work/probe_ssl/results.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
