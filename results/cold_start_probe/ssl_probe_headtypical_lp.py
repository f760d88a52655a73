"""Post hoc: LP accuracy (rest of the pool) from the head-cluster TypiClust picks of
ssl_probe_headtypical.py, on l2n(softmax) and on l2n(PCA64(penultimate)). Usage: NAME"""
import json
import sys

import numpy as np

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/results/cold_start_probe")
import ssl_probe  # noqa: E402
from tfal import lp  # noqa: E402

name = sys.argv[1]
y = np.load("/work/probe_ssl/mnist_pool.npz")["y"]
for l in open("/work/probe_ssl/headtypical.jsonl"):
    r = json.loads(l)
    if r["name"] != name:
        continue
    z = np.load(f"/work/probe_ssl/feat_{name}_s{r['seed']}.npz")
    picks = np.array(r["picks"])
    rest = np.ones(len(y), bool); rest[picks] = False
    out = {"name": name, "seed": r["seed"]}
    for k, F in (("softmax", ssl_probe.l2n(z["p"])), ("penult", ssl_probe.l2n(ssl_probe.reduce_dim(z["h"].astype(np.float32), 64)))):
        res = lp.propagate(F, picks, y[picks], 10, seed=r["seed"])
        out[f"lp_{k}"] = float((res.pseudo_labels[rest] == y[rest]).mean())
    print(json.dumps(out), flush=True)
    with open("/work/probe_ssl/headtypical_lp.jsonl", "a") as f:
        f.write(json.dumps(out) + "\n")
