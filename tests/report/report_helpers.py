"""Hand-made run directories: state.json + results.jsonl as the loop writes them."""

import json
import os


def make_run(
    root,
    *,
    dataset="mnist",
    setting="baseline",
    strategy="random",
    seed=0,
    accuracies=(0.5, 0.6, 0.7),
    budget=10,
    finished=True,
    name=None,
):
    """Writes a run directory whose cycle j has `budget * (j + 1)` labels and `accuracies[j]`."""
    path = os.path.join(str(root), name or f"{setting}-{strategy}-seed{seed}")
    os.makedirs(path, exist_ok=True)
    state = {
        "dataset": dataset,
        "strategy": strategy,
        "setting": setting,
        "seed": seed,
        "labeled_idx": list(range(budget * len(accuracies))),
        "acquired": [{"cycle": j, "indices": [j]} for j in range(1, len(accuracies))],
        "finished": finished,
    }
    with open(os.path.join(path, "state.json"), "w", encoding="utf-8") as f:
        json.dump(state, f)
    with open(os.path.join(path, "results.jsonl"), "w", encoding="utf-8") as f:
        for cycle, accuracy in enumerate(accuracies):
            f.write(json.dumps({"stage": "sup", "cycle": cycle, "epoch": 0, "loss": 1.0}) + "\n")
            row = {"stage": "cycle", "cycle": cycle, "num_labeled": budget * (cycle + 1)}
            f.write(json.dumps({**row, "test_accuracy": accuracy}) + "\n")
    return path


def append_row(path, row):
    with open(os.path.join(path, "results.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
