"""Small pools: tfal against classical graph SSL and a linear model, on the same labeled sets.

A user's own few hundred to few thousand images: does tfal's SEMI beat scikit-learn's
`LabelSpreading` (kNN kernel, raw pixels), and its baseline a logistic regression on pixels? For
each pool size, tfal's CLI runs `--gin_file` (Random, `--labels_per_class` per class, b =
`--budget`, 5 cycles) with setting/semi.gin and with setting/baseline.gin; Random is model-free, so
both runs label the same images. Each cycle's labeled set (state.json) then trains the two
scikit-learn models on the same pool's pixels, and everything is scored on the full test split.

  pip install scikit-learn   # for this benchmark only
  python bench/small_pool.py --pool_sizes 1000 2000 --root runs/small_pool --out results/small_pool

Writes OUT/small_pool.json and OUT/README.md (a table per pool size).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def run_campaign(run_dir: str, args, pool_size: int, setting: str) -> float:
    """tfal's CLI, as a user runs it; returns its wall seconds (0 if it had finished before)."""
    if os.path.exists(os.path.join(run_dir, "state.json")):
        with open(os.path.join(run_dir, "state.json")) as f:
            if json.load(f)["finished"]:
                return 0.0
    bindings = [
        f"tfds_dataset.pool_size = {pool_size}",
        f"ActiveLearningLoop.labels_per_class = {args.labels_per_class}",
        f"ActiveLearningLoop.budget = {args.budget}",
        f"ActiveLearningLoop.seed = {args.seed}",
    ]
    command = [sys.executable, "-m", "tfal.main", f"--gin_file={args.gin_file}",
               f"--gin_file=gin_configs/setting/{setting}.gin", f"--run_dir={run_dir}"]  # fmt: skip
    command += [f"--gin_bindings={b}" for b in bindings]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def accuracies(run_dir: str) -> list[float]:
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    return [100 * r["test_accuracy"] for r in rows if r["stage"] == "cycle"]


def classical(run_dir: str, k: int) -> tuple[list[int], list[float], list[float]]:
    """(labels per cycle, LabelSpreading %, logistic regression %) on the run's labeled sets."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.semi_supervised import LabelSpreading

    from tfal.analysis.from_run import campaign_setup, labeled_during
    from tfal.loop.state import load_state

    data, *_ = campaign_setup(run_dir)
    state = load_state(os.path.join(run_dir, "state.json"))
    x = data.x_pool.reshape(len(data.x_pool), -1).astype(np.float64) / 255.0
    x_test = data.x_test.reshape(len(data.x_test), -1).astype(np.float64) / 255.0
    sizes, spreading, logistic = [], [], []
    for cycle in range(state.next_cycle):
        labeled = labeled_during(state, cycle)
        given = dict(zip(state.labeled_idx, state.labels, strict=True))
        y = np.full(len(x), -1)
        y[labeled] = [given[int(i)] for i in labeled]
        graph_ssl = LabelSpreading(kernel="knn", n_neighbors=k, max_iter=1000).fit(x, y)
        linear = LogisticRegression(max_iter=2000).fit(x[labeled], y[labeled])
        sizes.append(len(labeled))
        spreading.append(100 * float(np.mean(graph_ssl.predict(x_test) == data.y_test)))
        logistic.append(100 * float(np.mean(linear.predict(x_test) == data.y_test)))
    return sizes, spreading, logistic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gin_file", default="gin_configs/mnist_1label_cpu.gin")
    parser.add_argument("--pool_sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--labels_per_class", type=int, default=2)
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--knn", type=int, default=7, help="LabelSpreading's n_neighbors")
    parser.add_argument("--root", default="runs/small_pool")
    parser.add_argument("--out", default="results/small_pool")
    args = parser.parse_args()
    report = {"args": vars(args), "pools": {}}
    lines = ["# Small pools: tfal vs LabelSpreading (kNN, pixels) and logistic regression", ""]
    for pool_size in args.pool_sizes:
        dirs = {s: os.path.join(args.root, f"pool{pool_size}_{s}_seed{args.seed}")
                for s in ("semi", "baseline")}  # fmt: skip
        walls = {s: run_campaign(d, args, pool_size, s) for s, d in dirs.items()}
        semi, baseline = accuracies(dirs["semi"]), accuracies(dirs["baseline"])
        sizes, spreading, logistic = classical(dirs["semi"], args.knn)
        report["pools"][pool_size] = dict(labels=sizes, tfal_semi=semi, label_spreading=spreading,
                                          tfal_baseline=baseline, logistic=logistic, wall_s=walls)  # fmt: skip
        lines += [
            f"## Pool of {pool_size:,} MNIST training images, {args.labels_per_class} labels per "
            f"class, b = {args.budget}, seed {args.seed}",
            "",
            "| labels | tfal SEMI | LabelSpreading | SEMI ≥ it | tfal baseline | logistic | "
            "baseline ≥ it |",
            "|---:|---:|---:|:---:|---:|---:|:---:|",
        ]
        for n, a, b, c, d in zip(sizes, semi, spreading, baseline, logistic, strict=True):
            lines.append(
                f"| {n} | {a:.2f} | {b:.2f} | {'yes' if a >= b else 'NO'} | {c:.2f} | {d:.2f} "
                f"| {'yes' if c >= d else 'NO'} |"
            )
        lines.append("")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "small_pool.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
