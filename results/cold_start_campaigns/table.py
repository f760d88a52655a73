"""Print the cold-start table of results/cold_start.md from the run directories run.sh wrote.

    python results/cold_start_campaigns/table.py RUNS_ROOT [selection ...]
"""

import json
import sys
from pathlib import Path

import numpy as np


def _row(run_dir: Path) -> tuple[int, list[float]]:
    """Classes among L0's labels, and test accuracy (%) per cycle."""
    state = json.loads((run_dir / "state.json").read_text())
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    cycles = [r for r in rows if r.get("stage") == "cycle"]
    first = cycles[0]["num_labeled"]
    return len(set(state["labels"][:first])), [100 * r["test_accuracy"] for r in cycles]


def main(root: str, *selections: str) -> None:
    for selection in selections or ("typiclust", "random"):
        accuracies = []
        for seed in range(5):  # the seeds run.sh finished (all 5 unless it was stopped early)
            run_dir = Path(root) / f"{selection}-seed{seed}"
            if '"finished": true' not in _text(run_dir / "state.json"):
                continue
            classes, accuracy = _row(run_dir)
            accuracies.append(accuracy)
            print(f"| {selection} | {seed} | {classes} | " + " | ".join(f"{a:.2f}" for a in accuracy) + " |")
        table = np.array(accuracies)
        cells = [f"{m:.2f} ± {s:.2f}" for m, s in zip(table.mean(0), table.std(0, ddof=1), strict=True)]
        print(f"| {selection} | mean ± std, n = {len(table)} | | " + " | ".join(cells) + " |")


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


if __name__ == "__main__":
    main(*sys.argv[1:])
