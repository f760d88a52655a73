"""Post-hoc (no training): TypiClust coverage on saved ssl_probe.py outputs with other softmax
temperatures. Usage: ssl_probe_posthoc.py NAME T1,T2,..."""
import json
import sys

import numpy as np

sys.path.insert(0, "/work/main")
from tfal.acquisition import typiclust  # noqa: E402

name, temps = sys.argv[1], [float(t) for t in sys.argv[2].split(",")]
y = np.load("/work/probe_ssl/mnist_pool.npz")["y"]
for seed in range(5):
    try:
        p = np.load(f"/work/probe_ssl/feat_{name}_s{seed}.npz")["p"].astype(np.float64)
    except FileNotFoundError:
        continue
    pred = p.argmax(1)
    row = {"name": name, "seed": seed}
    for t in temps:
        q = np.exp((np.log(p + 1e-12) - np.log(p + 1e-12).max(1, keepdims=True)) / t)
        q /= q.sum(1, keepdims=True)
        q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
        picks = typiclust(10, labeled_idx=np.zeros(0, np.int64), features=q, seed=seed)
        mapping = np.full(10, -1)
        for k in picks:
            if mapping[pred[k]] < 0:
                mapping[pred[k]] = y[k]
        rest = np.ones(len(y), bool); rest[picks] = False
        row[f"T{t:g}"] = {"covered": len(set(y[picks].tolist())),
                          "head_map_acc": round(float((mapping[pred][rest] == y[rest]).mean()), 4),
                          "clusters_hit": len(set(pred[picks].tolist()))}
    print(json.dumps(row), flush=True)
    with open("/work/probe_ssl/posthoc.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
