"""L0 by `initial_selection = 'imsat'` on MNIST's 60,000-image pool: digits covered and time.
Usage: python results/cold_start_probe/imsat_l0.py SEED [SEED...]  (one JSON line per seed)."""
import json
import sys
import time

import numpy as np

import tfal.pretrain  # noqa: F401  (registers IMSAT with gin)
from tfal.data.sources import tfds_dataset
from tfal.loop import initial

data = tfds_dataset("mnist", download=False)
for seed in [int(s) for s in sys.argv[1:]]:
    start = time.perf_counter()
    picks = initial.imsat_selection(data.x_pool, 10, 1, seed)
    labels = data.y_pool[picks]
    print(json.dumps({"seed": seed, "picks": picks.tolist(), "labels": labels.tolist(),
                      "covered": len(set(labels.tolist())),
                      "seconds": round(time.perf_counter() - start, 1)}), flush=True)
