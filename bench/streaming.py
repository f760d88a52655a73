"""Peak memory and SEMI epoch time of a pool on disk against the same pool in memory (issue 31).

    python bench/streaming.py --images 100000            # the target: 100,000 RGB 96x96 PNGs
    python bench/streaming.py --images 2000 --semi_epochs 1 --epoch_fraction 0.1 \
        --gin_bindings="small_cnn.widths = (8, 16, 16)"   # a smoke run

Writes `--images` synthetic RGB 96x96 PNGs (10 classes of tinted, oriented gratings over noise,
so LP and the network have something to learn) as `root/<class>/*.png`, plus a tenth as many test
images, then runs the CLI (`python -m tfal.main`) on `gin_configs/own_images_example.gin` twice,
with `PoolStorage.storage = 'memory'` and `'disk'`, each under `/usr/bin/time -v`: a simulated
oracle (the folders' labels), a balanced L0, LP on the embedding (`pixel_epochs = 0`: LP on the
pixels of 100,000 96x96 images would be an 11 GB matrix), `--cycles` cycles. Prints each run's peak
RSS and mean SEMI epoch times (train, extract; from results.jsonl), and the ratios disk / memory.
The decoded pool is cached under the work folder (`TFAL_CACHE_DIR`), decoded by the disk run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image

SIDE = 96
CLASSES = 10
_BLOCK = 500  # images drawn and written per task


def _draw(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [count, 96, 96, 3] images and their classes: a grating whose orientation and
    frequency are the class's, tinted by the class, shifted at random, over noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, count)
    angle = labels * np.pi / CLASSES + rng.normal(0, 0.08, count)
    freq = 0.08 + 0.02 * (labels % 4) + rng.normal(0, 0.005, count)
    phase = rng.uniform(0, 2 * np.pi, count)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    proj = np.cos(angle)[:, None, None] * xx + np.sin(angle)[:, None, None] * yy
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * freq[:, None, None] * proj + phase[:, None, None])
    tint = np.stack([np.cos(labels * 0.7), np.cos(labels * 0.7 + 2), np.cos(labels * 0.7 + 4)], 1)
    tint = 0.55 + 0.4 * tint + rng.normal(0, 0.05, (count, 3))
    noise = rng.normal(0, 0.12, (count, SIDE, SIDE, 3))
    x = wave[..., None] * tint[:, None, None, :] + noise
    return (np.clip(x, 0, 1) * 255).astype(np.uint8), labels


def _write_block(job: tuple[str, int, int, int]) -> None:
    folder, seed, start, count = job
    images, labels = _draw(seed, count)
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        path = os.path.join(folder, f"c{label}", f"{start + k:06d}.png")
        Image.fromarray(image).save(path, compress_level=1)


def write_folder(folder: str, count: int, seed: int) -> None:
    """`count` images as folder/c<k>/<index>.png (skipped when already there)."""
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        return
    for c in range(CLASSES):
        os.makedirs(os.path.join(folder, f"c{c}"), exist_ok=True)
    jobs = [
        (folder, seed * 1_000_003 + start, start, min(_BLOCK, count - start))
        for start in range(0, count, _BLOCK)
    ]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_write_block, jobs))
    open(marker, "w").close()


def campaign(work: str, storage: str, args) -> dict:
    """One CLI campaign under /usr/bin/time -v: peak RSS (MB) and SEMI epoch seconds."""
    run_dir = os.path.join(work, f"run_{storage}")
    shutil.rmtree(run_dir, ignore_errors=True)  # a new campaign, not a resumed one
    bindings = [
        f"image_folder_dataset.root = '{work}/pool'",
        f"image_folder_dataset.test_root = '{work}/test'",
        "image_folder_dataset.unlabeled_root = None",
        f"image_folder_dataset.image_size = ({SIDE}, {SIDE})",
        "ActiveLearningLoop.oracle_fn = @tfal.data.SimulatedOracle",
        "ActiveLearningLoop.initial_selection = 'balanced'",
        f"ActiveLearningLoop.num_cycles = {args.cycles}",
        "ActiveLearningLoop.budget = 100",
        "ActiveLearningLoop.labels_per_class = 5",
        "ActiveLearningLoop.sup_batch_size = 32",
        # Inference batches of 1,000 96x96 images hold ~0.6 GB of activations per conv layer:
        # the peak RSS of a small pool is those, not the pool (smoke run, 2,000 images: 1.6-1.8 GB).
        f"ActiveLearningLoop.eval_batch_size = {args.eval_batch_size}",
        f"SemiSupervised.epochs = {args.semi_epochs}",
        "SemiSupervised.pixel_epochs = 0",
        f"SemiSupervised.epoch_fraction = {args.epoch_fraction}",
        "SemiSupervised.sup_epochs = 5",
        f"PoolStorage.storage = '{storage}'",
    ]
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "tfal.main",
           "--gin_file=gin_configs/own_images_example.gin", f"--run_dir={run_dir}"]  # fmt: skip
    cmd += [f"--gin_bindings={b}" for b in bindings + args.gin_bindings]
    env = dict(os.environ, TFAL_CACHE_DIR=os.path.join(work, "cache"), TF_CPP_MIN_LOG_LEVEL="2")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{storage} run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    semi = [r for r in rows if r["stage"] == "semi"]
    accuracy = [r["test_accuracy"] for r in rows if r["stage"] == "cycle"]
    with open(os.path.join(run_dir, "state.json")) as f:
        labeled = json.load(f)["labeled_idx"]
    return {
        "rss_mb": rss_kb / 1024,
        "train_s": float(np.mean([r["train_seconds"] for r in semi])),
        "extract_s": float(np.mean([r["extract_seconds"] for r in semi])),
        "epochs": len(semi),
        "accuracy": accuracy,
        "labeled": labeled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000, help="pool images")
    parser.add_argument("--work", default=None, help="folder for images, cache, runs (kept)")
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--semi_epochs", type=int, default=2)
    parser.add_argument("--epoch_fraction", type=float, default=0.5)
    parser.add_argument("--storages", nargs="+", default=["memory", "disk"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval_batch_size", type=int, default=128)
    parser.add_argument(
        "--gin_bindings", action="append", default=[], help="more bindings, e.g. a smaller network"
    )
    args = parser.parse_args()
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="tfal-streaming-"))
    write_folder(os.path.join(work, "pool"), args.images, args.seed)
    write_folder(os.path.join(work, "test"), max(CLASSES * 20, args.images // 10), args.seed + 1)
    print(f"{args.images:,} pool images of {SIDE}x{SIDE}x3 "
          f"({args.images * SIDE * SIDE * 3 / 2**30:.2f} GiB decoded) in {work}")  # fmt: skip
    results = {}
    for storage in args.storages:
        results[storage] = r = campaign(work, storage, args)
        print(f"{storage:>6}: peak RSS {r['rss_mb']:8.0f} MB  SEMI epoch train {r['train_s']:7.2f} s"
              f"  extract {r['extract_s']:7.2f} s  ({r['epochs']} epochs)  accuracy {r['accuracy']}")  # fmt: skip
    if {"memory", "disk"} <= results.keys():
        m, d = results["memory"], results["disk"]
        print(f"disk / memory: peak RSS {d['rss_mb'] / m['rss_mb']:.2f}, "
              f"SEMI train {d['train_s'] / m['train_s']:.2f}, extract {d['extract_s'] / m['extract_s']:.2f}; "
              f"same labeled set: {d['labeled'] == m['labeled']}")  # fmt: skip


if __name__ == "__main__":
    main()
