"""Small pools: tfal against classical graph SSL and a linear model, on the same labeled sets.

A user's own few hundred to few thousand images: does tfal's SEMI beat scikit-learn's
`LabelSpreading` (kNN kernel, raw pixels), and its baseline a logistic regression on pixels? For
each pool size and seed, tfal's CLI runs `--gin_file` (default: the own-images configuration, on
MNIST with a simulated oracle instead of folders and a person; Random, `--labels_per_class` per
class, b = `--budget`, 5 cycles) as it is (SEMI) and with setting/baseline.gin after it; Random is
model-free, so both runs label the same images. Each cycle's labeled set (state.json) then trains
the two scikit-learn models on the same pool's pixels, and everything is scored on the full test
split. Tables give mean ± std over the seeds and how many seeds each comparison holds for.

  pip install scikit-learn   # for this benchmark only
  python bench/small_pool.py --pool_sizes 1000 2000 --seeds 0 1 2 --root runs/small_pool \
      --out results/small_pool

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

# The own-images configuration on MNIST: its settings, the data and oracle of a simulation.
MNIST_INSTEAD = [
    "ActiveLearningLoop.dataset = @tfal.data.tfds_dataset()",
    "tfds_dataset.name = 'mnist'",
    "ActiveLearningLoop.oracle_fn = @tfal.data.SimulatedOracle",
    "ActiveLearningLoop.model_name = 'mnist'",
    "Augmentation.horizontal_flip = False",  # as the config says for digits
]


def run_campaign(run_dir: str, args, pool_size: int, seed: int, setting: str) -> float:
    """tfal's CLI, as a user runs it; returns its wall seconds (0 if it had finished before)."""
    if os.path.exists(os.path.join(run_dir, "state.json")):
        with open(os.path.join(run_dir, "state.json")) as f:
            if json.load(f)["finished"]:
                return 0.0
    bindings = [
        *MNIST_INSTEAD,
        f"tfds_dataset.pool_size = {pool_size}",
        f"ActiveLearningLoop.labels_per_class = {args.labels_per_class}",
        f"ActiveLearningLoop.budget = {args.budget}",
        f"ActiveLearningLoop.seed = {seed}",
        f"ActiveLearningLoop.initial_selection = '{args.initial_selection}'",
    ]
    files = [args.gin_file, "gin_configs/strategy/random.gin"]
    if setting == "baseline":
        files.append("gin_configs/setting/baseline.gin")
    command = [sys.executable, "-m", "tfal.main", f"--run_dir={run_dir}"]
    command += [f"--gin_file={f}" for f in files] + [f"--gin_bindings={b}" for b in bindings]
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


def _mean_std(values: list[float]) -> str:
    return (
        f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"
        if len(values) > 1
        else f"{values[0]:.2f}"
    )


def pool_table(pool_size: int, runs: dict[int, dict], args) -> list[str]:
    """The markdown table of one pool size: per cycle, mean ± std over seeds, and wins per seed."""
    seeds = sorted(runs)
    lines = [
        f"## Pool of {pool_size:,} MNIST training images, L0 {args.initial_selection} "
        f"({args.labels_per_class} labels per class), b = {args.budget}, "
        f"seeds {', '.join(map(str, seeds))} (n = {len(seeds)})",
        "",
        "| labels | tfal SEMI | LabelSpreading | SEMI ≥ it | tfal baseline | logistic | "
        "baseline ≥ it |",
        "|---:|---:|---:|:---:|---:|---:|:---:|",
    ]
    for cycle, labels in enumerate(runs[seeds[0]]["labels"]):
        col = {key: [runs[s][key][cycle] for s in seeds]
               for key in ("tfal_semi", "label_spreading", "tfal_baseline", "logistic")}  # fmt: skip
        semi_wins = sum(
            a >= b for a, b in zip(col["tfal_semi"], col["label_spreading"], strict=True)
        )
        if None in col["tfal_baseline"]:  # --no_baseline: no baseline column, no comparison
            baseline, base_wins = "—", "—"
        else:
            pairs = zip(col["tfal_baseline"], col["logistic"], strict=True)
            wins = sum(a >= b for a, b in pairs)
            baseline, base_wins = _mean_std(col["tfal_baseline"]), f"{wins}/{len(seeds)}"
        lines.append(
            f"| {labels} | {_mean_std(col['tfal_semi'])} | {_mean_std(col['label_spreading'])} "
            f"| {semi_wins}/{len(seeds)} | {baseline} | {_mean_std(col['logistic'])} | {base_wins} |"
        )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gin_file", default="gin_configs/own_images_example.gin",
                        help="a SEMI configuration; its baseline adds setting/baseline.gin")  # fmt: skip
    parser.add_argument("--pool_sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--labels_per_class", type=int, default=2)
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--knn", type=int, default=7, help="LabelSpreading's n_neighbors")
    parser.add_argument("--no_baseline", action="store_true",
                        help="SEMI only: the baseline columns stay empty")  # fmt: skip
    parser.add_argument("--initial_selection", default="balanced",
                        help="L0: 'balanced' (the paper's, from the true labels) or a label-free "
                        "one ('random', 'typiclust', 'probcover', 'imsat'), a user's")  # fmt: skip
    parser.add_argument("--root", default="runs/small_pool")
    parser.add_argument("--out", default="results/small_pool")
    args = parser.parse_args()
    report = {"args": vars(args), "pools": {}}
    lines = [
        "# Small pools: tfal vs LabelSpreading (kNN, pixels) and logistic regression",
        "",
        f"`python bench/small_pool.py {' '.join(sys.argv[1:])}`: tfal's CLI with "
        f"`{args.gin_file}` on MNIST pools (Random, so SEMI and the baseline label the same "
        f"images), then `LabelSpreading(kernel='knn', n_neighbors={args.knn})` on the pool's "
        "pixels and `LogisticRegression` on the labeled pixels, fitted on each cycle's labeled "
        "set of the SEMI run. Test accuracy (%) on the full 10,000-image test split, mean ± std "
        '(ddof 1) over the seeds; "≥ it" counts the seeds where tfal is at least as accurate. '
        "Why these settings: [how_we_got_here.md](how_we_got_here.md).",
        "",
    ]
    for pool_size in args.pool_sizes:
        runs = {}
        for seed in args.seeds:
            l0 = "" if args.initial_selection == "balanced" else f"_{args.initial_selection}"
            dirs = {setting: os.path.join(args.root, f"pool{pool_size}{l0}_{setting}_seed{seed}")
                    for setting in ("semi", "baseline")[: 1 if args.no_baseline else 2]}  # fmt: skip
            walls = {setting: run_campaign(d, args, pool_size, seed, setting)
                     for setting, d in dirs.items()}  # fmt: skip
            sizes, spreading, logistic = classical(dirs["semi"], args.knn)
            runs[seed] = dict(labels=sizes, tfal_semi=accuracies(dirs["semi"]),
                              label_spreading=spreading, tfal_baseline=accuracies(dirs["baseline"])
                              if "baseline" in dirs else [None] * len(sizes),
                              logistic=logistic, wall_s=walls)  # fmt: skip
            print(f"pool {pool_size} seed {seed}: {runs[seed]}", flush=True)
        report["pools"][pool_size] = runs
        lines += pool_table(pool_size, runs, args)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "small_pool.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
