"""Post hoc: TypiClust with the head's argmax as the 10 clusters (no k-means): the most typical
point of each head cluster (tfal's typicality, 20 neighbours, on l2n(PCA64(penultimate))).
Usage: ssl_probe_headtypical.py NAME"""
import json
import sys

import numpy as np

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/results/cold_start_probe")
import ssl_probe  # noqa: E402
from tfal.acquisition.typicality import _most_typical  # noqa: E402

name = sys.argv[1]
y = np.load("/work/probe_ssl/mnist_pool.npz")["y"]
for seed in range(5):
    try:
        z = np.load(f"/work/probe_ssl/feat_{name}_s{seed}.npz")
    except FileNotFoundError:
        continue
    p, h = z["p"], z["h"].astype(np.float32)
    pred = p.argmax(1)
    F = np.ascontiguousarray(ssl_probe.l2n(ssl_probe.reduce_dim(h, 64)))
    picks = np.array([_most_typical(F, np.flatnonzero(pred == c), 20) for c in np.unique(pred)])
    mapping = np.full(p.shape[1], -1)
    mapping[pred[picks]] = y[picks]
    rest = np.ones(len(y), bool); rest[picks] = False
    row = {"name": name, "seed": seed, "covered": len(set(y[picks].tolist())),
           "head_map_acc": float((mapping[pred][rest] == y[rest]).mean()), "picks": picks.tolist()}
    print(json.dumps(row), flush=True)
    with open("/work/probe_ssl/headtypical.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
