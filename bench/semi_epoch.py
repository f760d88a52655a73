"""Times one SEMI epoch (extract / LP / train) of a gin experiment through the CLI users run.

    python bench/semi_epoch.py --gin_file=gin_configs/mnist_1label_cpu.gin
    python bench/semi_epoch.py --gin_file=gin_configs/mnist_1label.gin [--precision=mixed_bfloat16]

By default this runs `python -m tfal.main` with the experiment + `setting/semi.gin`, one cycle of
one SEMI epoch, in a temporary run directory, and reads that epoch's `"semi"` row of results.jsonl
(`extract_seconds`, `lp_seconds`, `train_seconds`): the loop's own code path, the whole epoch, no
extrapolation. An epoch is the paper's (6.1): |U|/2 pseudo-labels drawn, batch 64 with 10 labeled
on MNIST (555 steps). The reference is the authors' PyTorch code: 1015 s per epoch (extraction
368 s, LP 9.4 s, training 637 s) on the 2-core Xeon (AVX512-BF16) where issue [7/8] timed it.

`--partial` (opt-in, labelled in the output) times parts in-process instead and extrapolates from
`--train_steps` / `--extract_images`, and prints two pipeline ratios: SEMI training through the
real tf.data pipeline vs the same Trainer on one constant in-memory batch, and extraction vs the
plain forward pass (each timing alternated with its baseline `--repeats` times, best of each).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

AUTHORS_EPOCH_SECONDS = 1015.0
AUTHORS = {"extract": 368.0, "lp": 9.4, "train": 637.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gin_file", action="append", required=True)
    parser.add_argument("--gin_bindings", action="append", default=[])
    parser.add_argument("--precision", default=None, help="override Trainer.precision")
    parser.add_argument(
        "--partial",
        action="store_true",
        help="time parts in-process and extrapolate (labelled), with the pipeline ratios",
    )
    parser.add_argument(
        "--train_steps", type=int, default=None, help="time this many steps, extrapolate"
    )
    parser.add_argument(
        "--extract_images", type=int, default=None, help="time this many images, extrapolate"
    )
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternate each timing with its baseline this often"
    )
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not args.partial:
        return _whole_epoch_through_the_cli(args)
    print("--partial: parts timed in-process, extrapolated where said; not the CLI's path")
    import gin
    import tensorflow as tf

    from tfal import campaign, lp
    from tfal.data.pipeline import Augmentation, InputPipeline
    from tfal.loop import SemiSupervised

    bindings = list(args.gin_bindings) + (
        [f"Trainer.precision = '{args.precision}'"] if args.precision else []
    )
    campaign.parse_gin(args.gin_file, bindings)
    data = gin.query_parameter("ActiveLearningLoop.dataset").scoped_configurable_fn()
    trainer = gin.query_parameter("ActiveLearningLoop.trainer_fn").scoped_configurable_fn(
        num_classes=data.num_classes, input_shape=data.image_shape
    )
    semi = SemiSupervised()
    mean, std = data.channel_stats()
    pipe = InputPipeline(data.x_pool, mean, std, Augmentation())
    n = len(data.x_pool)
    rng = np.random.default_rng(0)
    labeled = np.array(
        [rng.choice(np.flatnonzero(data.y_pool == c)) for c in range(data.num_classes)]
    )
    unlabeled = np.setdiff1d(np.arange(n), labeled)
    print(
        f"pool {n}, network {trainer.model.name}, precision {trainer.precision}, batch {semi.batch_size}"
        f" ({semi.num_labeled} labeled), {tf.config.threading.get_intra_op_parallelism_threads() or 'all'} threads"
    )

    # -- extraction (inference mode, no augmentation, large batches) vs the plain forward pass,
    # alternated `--repeats` times, the best rate of each kept (one pass is at the mercy of noise)
    count = min(n, args.extract_images or n)
    trainer.predict(pipe.inference_batches(1000, data.x_pool[:1000]))  # trace
    forward_batch = tf.constant(np.zeros((1000, *data.image_shape), np.float32))
    extract_rate = forward_rate = 0.0
    for _ in range(args.repeats):
        start = time.perf_counter()
        features = trainer.predict(pipe.inference_batches(1000, data.x_pool[:count]))["embedding"]
        extract_rate = max(extract_rate, count / (time.perf_counter() - start))
        forward_rate = max(forward_rate, _forward_rate(trainer, forward_batch, count))
    extract_seconds = n / extract_rate
    if count < n:  # LP needs n rows: repeat the measured features with a little noise
        features = np.resize(features, (n, features.shape[1])) + rng.normal(
            0, 1e-3, (n, features.shape[1])
        )

    # -- label propagation
    result = lp.propagate(
        features.astype(np.float32),
        labeled,
        data.y_pool[labeled],
        data.num_classes,
        seed=0,
        **semi.lp_options(),
    )
    d = result.diagnostics

    # -- SEMI training through the real pipeline vs a constant in-memory batch
    steps = semi.steps_per_epoch(len(unlabeled))
    timed = min(steps, args.train_steps or steps)
    batches = semi.epoch_batches(
        labeled_idx=labeled,
        labels=data.y_pool[labeled],
        unlabeled_idx=unlabeled,
        pseudo_labels=result.pseudo_labels,
        weights=result.weights,
        rng=rng,
    )
    trainer.start_phase(steps * (2 * args.repeats + 2))  # a schedule longer than all timed steps
    constant = next(iter(pipe.train_dataset(batches, rng)))
    constant_ds = tf.data.Dataset.from_tensors(constant).repeat()
    train_rate = constant_rate = 0.0
    for _ in range(args.repeats):
        dataset = pipe.train_dataset(batches, rng)
        train_rate = max(train_rate, _train_rate(trainer, dataset, timed, semi.batch_size))
        constant_rate = max(
            constant_rate, _train_rate(trainer, constant_ds, timed, semi.batch_size)
        )
    train_seconds = steps * semi.batch_size / train_rate

    total = extract_seconds + d.total_seconds + train_seconds
    note = lambda part, whole: "" if part >= whole else f" (timed {part} of {whole}, extrapolated)"  # noqa: E731
    print(
        f"extract  {extract_seconds:8.1f} s  {extract_rate:8.0f} img/s{note(count, n)}   authors {AUTHORS['extract']} s"
    )
    print(
        f"LP       {d.total_seconds:8.1f} s  (kNN {d.knn_seconds:.1f}, graph {d.graph_seconds:.1f}, CG {d.cg_seconds:.1f};"
        f" index {d.index})   authors {AUTHORS['lp']} s"
    )
    print(
        f"train    {train_seconds:8.1f} s  {train_rate:8.0f} img/s, {steps} steps{note(timed, steps)}"
        f"   authors {AUTHORS['train']} s"
    )
    print(
        f"epoch    {total:8.1f} s  = {total / AUTHORS_EPOCH_SECONDS:.3f} x the authors' {AUTHORS_EPOCH_SECONDS:.0f} s"
    )
    print(
        f"ratio SEMI pipeline / constant batch: {train_rate / constant_rate:.3f}  ({constant_rate:.0f} img/s)"
    )
    print(
        f"ratio extraction / plain forward:     {extract_rate / forward_rate:.3f}  ({forward_rate:.0f} img/s)"
    )
    print(
        f"LP + extraction share of the epoch:   {(extract_seconds + d.total_seconds) / total:.1%}"
    )


def _whole_epoch_through_the_cli(args: argparse.Namespace) -> int:
    """Runs one cycle with one SEMI epoch through `python -m tfal.main`; prints its split."""
    bindings = [
        *args.gin_bindings,
        "ActiveLearningLoop.num_cycles = 1",
        "SemiSupervised.epochs = 1",
        *([f"Trainer.precision = '{args.precision}'"] if args.precision else []),
    ]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as run_dir:
        command = [
            sys.executable,
            "-m",
            "tfal.main",
            *[f"--gin_file={f}" for f in args.gin_file],
            f"--gin_file={os.path.join(root, 'gin_configs', 'setting', 'semi.gin')}",
            *[f"--gin_bindings={b}" for b in bindings],
            f"--run_dir={run_dir}",
        ]
        print("$", shlex.join(command), flush=True)
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=root, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        with open(os.path.join(run_dir, "results.jsonl"), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
    semi = next(r for r in rows if r["stage"] == "semi")
    parts = {
        "extract": semi["extract_seconds"],
        "lp": semi["lp_seconds"],
        "train": semi["train_seconds"],
    }
    total = sum(parts.values())
    print(f"extract  {parts['extract']:8.1f} s   authors {AUTHORS['extract']} s")
    print(
        f"LP       {parts['lp']:8.1f} s  (kNN {semi['knn_seconds']:.1f}, graph"
        f" {semi['graph_seconds']:.1f}, CG {semi['cg_seconds']:.1f})   authors {AUTHORS['lp']} s"
    )
    print(
        f"train    {parts['train']:8.1f} s  {semi['train_images_per_second']:8.0f} img/s,"
        f" {semi['steps']} steps   authors {AUTHORS['train']} s"
    )
    print(
        f"epoch    {total:8.1f} s  = {total / AUTHORS_EPOCH_SECONDS:.3f} x the authors'"
        f" {AUTHORS_EPOCH_SECONDS:.0f} s conv-large epoch (whole epoch through the CLI; command"
        f" wall {wall:.0f} s)"
    )
    print(f"LP + extraction share of the epoch: {(parts['extract'] + parts['lp']) / total:.1%}")
    return 0


def _train_rate(trainer, dataset, steps: int, batch_size: int) -> float:
    trainer.train(dataset, min(steps, trainer.steps_per_call))  # warm-up: trace + pipeline fill
    start = time.perf_counter()
    trainer.train(dataset, steps)
    return steps * batch_size / (time.perf_counter() - start)


def _forward_rate(trainer, batch, count: int) -> float:
    import tensorflow as tf

    forward = tf.function(lambda x: trainer.model(x, training=False)["embedding"])
    forward(batch)
    calls = max(1, count // int(batch.shape[0]))
    start = time.perf_counter()
    for _ in range(calls):
        forward(batch).numpy()
    return calls * int(batch.shape[0]) / (time.perf_counter() - start)


if __name__ == "__main__":
    sys.exit(main())
