"""Which IMSAT sub-head to keep for L0, without labels: the largest objective or the largest
agreement (mean NMI) with the other sub-heads. Per campaign seed (the IMSAT seed `initial.choose` derives from it) on MNIST's 60,000-image pool, prints each
head's objective, agreement, clustering accuracy (Hungarian, uses the true labels: evaluation
only) and the digits its L0 covers, and which head each rule keeps.
Usage: python results/cold_start_probe/imsat_heads.py SEED [SEED...]  (one JSON line per seed)."""
import json
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment

import tfal.pretrain  # noqa: F401  (registers IMSAT with gin)
from tfal import seeds
from tfal.data.sources import tfds_dataset
from tfal.loop import initial
from tfal.pretrain.imsat import IMSAT


def accuracy(assignment: np.ndarray, labels: np.ndarray) -> float:
    table = np.zeros((10, 10))
    np.add.at(table, (assignment, labels), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(labels))


data = tfds_dataset("mnist", download=False)
for campaign_seed in [int(s) for s in sys.argv[1:]]:
    seed = int(seeds.rng(campaign_seed, 0, "initial").integers(2**31))  # as initial.choose draws it
    c = IMSAT().cluster(data.x_pool, 10, seed)
    heads = []
    for h in range(c.heads.shape[1]):
        picks = initial.cluster_picks(c.features, c.heads[:, h], 10, 1, seed)
        heads.append({"objective": round(c.objective[h], 4), "agreement": round(c.agreement[h], 4),
                      "accuracy": round(accuracy(c.heads[:, h], data.y_pool), 4),
                      "covered": len(set(data.y_pool[picks].tolist()))})
    print(json.dumps({"seed": campaign_seed, "seconds": round(c.seconds, 1), "heads": heads,
                      "objective_keeps": int(np.argmax(c.objective)),
                      "agreement_keeps": int(np.argmax(c.agreement))}), flush=True)
