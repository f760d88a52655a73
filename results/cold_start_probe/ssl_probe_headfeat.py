"""Post-hoc (no training) on saved ssl_probe.py outputs: TypiClust + LP on "head-partitioned"
features F = l2n([onehot(argmax p), w * l2n(PCA64(penultimate))]): k-means then finds the head's 10
clusters and typicality inside a cluster is measured on the penultimate layer.
Usage: ssl_probe_headfeat.py NAME [w]"""
import json
import sys

import numpy as np

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/results/cold_start_probe")
import ssl_probe  # noqa: E402

name = sys.argv[1]
w = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
y = np.load("/work/probe_ssl/mnist_pool.npz")["y"]
for seed in range(5):
    try:
        z = np.load(f"/work/probe_ssl/feat_{name}_s{seed}.npz")
    except FileNotFoundError:
        continue
    p, h = z["p"], z["h"].astype(np.float32)
    pred = p.argmax(1)
    onehot = np.eye(p.shape[1], dtype=np.float32)[pred]
    F = ssl_probe.l2n(np.concatenate([onehot, w * ssl_probe.l2n(ssl_probe.reduce_dim(h, 64))], 1))
    row = {"name": name, "seed": seed, "w": w, "headfeat": ssl_probe.evaluate_features(F, y, seed, pred)}
    print(json.dumps(row), flush=True)
    with open("/work/probe_ssl/headfeat.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
