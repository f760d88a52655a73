"""IMSAT's L0 on a small MNIST pool (a user's own 1,000-2,000 images): digits covered and the
largest count of one digit, for the recipe's 6 epochs against a floor of optimizer steps.
Usage: python results/cold_start_probe/imsat_small.py POOL_SIZE LABELS_PER_CLASS MIN_STEPS SEED...
(one JSON line per seed; the pool is bench/small_pool.py's: tfds_dataset(pool_size=N))."""
import json
import sys

import gin
import numpy as np

import tfal.pretrain  # noqa: F401  (registers IMSAT with gin)
from tfal import seeds
from tfal.data.sources import tfds_dataset
from tfal.loop import initial

pool_size, per_class, min_steps = (int(a) for a in sys.argv[1:4])
gin.parse_config(f"tfal.pretrain.IMSAT.min_steps = {min_steps}")
data = tfds_dataset("mnist", download=False, pool_size=pool_size)
for campaign_seed in [int(s) for s in sys.argv[4:]]:
    rng = seeds.rng(campaign_seed, 0, "initial")
    picks = initial.choose("imsat", oracle=None, images=data.x_pool, num_classes=10,
                           labels_per_class=per_class, rng=rng)
    counts = np.bincount(data.y_pool[picks], minlength=10)
    print(json.dumps({"pool": pool_size, "min_steps": min_steps, "seed": campaign_seed,
                      "covered": int((counts > 0).sum()), "max_count": int(counts.max()),
                      "counts": counts.tolist()}), flush=True)
