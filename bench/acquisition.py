"""Benchmarks CoreSet (eq. (4)) and jLP (eq. (12)) acquisition at the paper's CIFAR scale.

Each measurement runs in a fresh child process, so its peak RSS (VmHWM) is its own; the child
rebuilds the same synthetic pool from the seed (a Gaussian mixture of 10 blobs, float32).

- coreset: tfal's greedy k-center (dtype float32, the default, and float64) against a baseline
  measured in the same run: the authors' approach, Euclidean distances from scipy's cdist, block by
  block to the labeled set, then to each new centre to update the min-distance vector. Times are
  the best of --repeats runs (the machine is shared). float64 must pick the baseline's batch;
  float32 may break near-ties differently, so the covering radius (the k-center objective,
  max over the rest of the distance to the nearest centre) is printed for both.
- jlp: the greedy reference (one diffusion per pick) against `batch_size_per_solve` m, both on the
  same normalised kNN graph from tfal.lp (built once per child, timed separately).

Usage:
    python bench/acquisition.py                      # n=50,000, d=128, b=1,000, |L|=1,000
    python bench/acquisition.py --n 5000 --budget 100 --labeled 100
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

import numpy as np
from scipy.spatial.distance import cdist

from tfal import acquisition, lp
from tfal.acquisition import k_center


def _pool(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(scale=3.0, size=(10, args.d))
    features = centres[rng.integers(10, size=args.n)] + rng.normal(size=(args.n, args.d))
    labeled = rng.choice(args.n, size=args.labeled, replace=False)
    return features.astype(np.float32), labeled


def _vm_hwm_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def _coreset_baseline(features: np.ndarray, labeled: np.ndarray, budget: int) -> np.ndarray:
    """The authors' k-center: cdist block by block to L, then to each new centre."""
    x = features.astype(np.float64)
    nearest = np.empty(len(x))
    for start in range(0, len(x), 1024):
        nearest[start : start + 1024] = cdist(x[start : start + 1024], x[labeled]).min(axis=1)
    nearest[labeled] = -1.0
    picks = np.empty(budget, dtype=np.int64)
    for t in range(budget):
        picks[t] = np.argmax(nearest)
        nearest = np.minimum(nearest, cdist(x, x[picks[t] : picks[t] + 1])[:, 0])
        nearest[picks[t]] = -1.0
    return picks


def _select(task: str, args: argparse.Namespace, features, labeled, graph) -> np.ndarray:
    if task.startswith("coreset_float"):
        return acquisition.coreset(
            args.budget, labeled_idx=labeled, features=features, dtype=task[len("coreset_") :]
        )
    if task == "coreset_baseline":
        return _coreset_baseline(features, labeled, args.budget)
    if task == "jlp_greedy":
        return acquisition.jlp(args.budget, labeled_idx=labeled, graph=graph)
    if task == "jlp_batched":
        return acquisition.jlp(
            args.budget, labeled_idx=labeled, graph=graph, batch_size_per_solve=args.jlp_batch
        )
    raise ValueError(f"unknown task {task!r}")


def _run(task: str, args: argparse.Namespace, repeats: int) -> dict:
    """Runs one measurement in this (child) process: the best of `repeats` runs."""
    features, labeled = _pool(args)
    graph, extra = None, {}
    if task.startswith("jlp"):
        start = time.perf_counter()
        graph = lp.normalize_graph(lp.knn_graph(features, k=args.k))
        extra = {"graph_s": time.perf_counter() - start, "graph_nnz": int(graph.nnz)}
    hwm_before = _vm_hwm_mib()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        picks = _select(task, args, features, labeled, graph)
        seconds.append(time.perf_counter() - start)
    result = {"s": min(seconds), "hwm_before": hwm_before, "hwm": _vm_hwm_mib(), "picks": picks}
    if task.startswith("coreset"):
        x = features.astype(np.float64)
        rest = np.setdiff1d(np.arange(args.n), np.concatenate([labeled, picks]))
        centres = x[np.concatenate([labeled, picks])]
        extra["radius"] = float(np.sqrt(k_center.min_sq_distances(x[rest], centres).max()))
    return {**result, **extra}


def _in_child(task: str, args: argparse.Namespace, repeats: int = 1) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (task, args, repeats))


def _line(name: str, result: dict) -> str:
    return (
        f"{name:<28s} {result['s']:9.2f} s   peak RSS {result['hwm']:8.0f} MiB "
        f"(data and graph before the call: {result['hwm_before']:.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="pool size")
    parser.add_argument("--d", type=int, default=128, help="feature dimension")
    parser.add_argument("--budget", type=int, default=1_000, help="b, examples acquired")
    parser.add_argument("--labeled", type=int, default=1_000, help="|L| before acquisition")
    parser.add_argument("--k", type=int, default=50, help="kNN graph neighbours for jLP")
    parser.add_argument("--jlp-batch", type=int, default=10, help="batch_size_per_solve to compare")
    parser.add_argument("--skip", nargs="*", default=[], choices=["coreset", "jlp"])
    parser.add_argument("--repeats", type=int, default=3, help="coreset runs per method (best)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"pool n={args.n} d={args.d}, |L|={args.labeled}, budget b={args.budget}")
    if "coreset" not in args.skip:
        base = _in_child("coreset_baseline", args, args.repeats)
        print(_line("coreset baseline (cdist)", base) + f"  radius {base['radius']:.6f}")
        for precision in ("float64", "float32"):
            ours = _in_child(f"coreset_{precision}", args, args.repeats)
            same = np.array_equal(ours["picks"], base["picks"])
            print(_line(f"coreset tfal {precision}", ours) + f"  radius {ours['radius']:.6f}")
            print(
                f"  speed-up x{base['s'] / ours['s']:.1f} vs baseline; same picks: {same}, "
                f"{np.intersect1d(ours['picks'], base['picks']).size / args.budget:.0%} shared"
            )
    if "jlp" not in args.skip:
        greedy, batched = _in_child("jlp_greedy", args), _in_child("jlp_batched", args)
        print(
            f"kNN graph (tfal.lp, k={args.k}): {greedy['graph_s']:.2f} s, nnz {greedy['graph_nnz']}"
        )
        print(_line("jlp greedy (reference)", greedy))
        print(_line(f"jlp batch_size_per_solve={args.jlp_batch}", batched))
        overlap = np.intersect1d(greedy["picks"], batched["picks"]).size / args.budget
        print(
            f"jlp batched speed-up x{greedy['s'] / batched['s']:.1f}; "
            f"picks shared with greedy: {overlap:.0%}"
        )


if __name__ == "__main__":
    main()
