"""What a campaign will cost on this machine, said before it starts when that is long.

The faithful configs (conv-large, 200 epochs per cycle) are GPU jobs; on a CPU they take days. A user
who starts one there is told the estimate, from the campaign's planned work (optimizer steps and
images to extract, counted from its settings) and a few steps timed on a throwaway copy of the
network (the campaign's own trainer is not touched), and is pointed to the `_cpu` counterpart.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from tfal.data import sampling
from tfal.loop import acquire
from tfal.monitoring import console

# Below this many planned optimizer steps a campaign is not estimated (the CPU configs: ~15,000).
MIN_STEPS_TO_ESTIMATE = 50_000
_TIMED_STEPS = 5


@dataclasses.dataclass(frozen=True)
class PlannedWork:
    train_steps: int  # SUP and SEMI optimizer steps over all cycles
    extracted_images: int  # pool extractions (every SEMI epoch, acquisition), evaluations, stop sets


def planned_work(loop) -> PlannedWork:
    """Sums the cycles' training plans (`loop.training.plan`: the schedule the cycles run) and
    the pool extractions: each LP on the embedding, each evaluation, the stop set, and each acquisition whose
    strategy (or oracle, or CEAL) looks at the model; labels as if every cycle acquired b."""
    n, c = len(loop.data.x_pool), loop.data.num_classes
    extracts_to_acquire = acquire.needs_model_outputs(
        loop.strategy, ceal=loop.ceal_pseudo_labels is not None, oracle=loop.oracle
    )
    steps = images = 0
    for cycle in range(loop.num_cycles):
        labeled = min(n, loop.labels_per_class * c + cycle * loop.budget)
        plan = loop.training.plan(cycle, num_train=labeled, num_unlabeled=n - labeled)
        steps += plan.train_steps
        images += plan.embedding_lps * n + len(loop.data.x_test) + min(loop.stability.stop_set_size, n)  # fmt: skip
        if cycle + 1 < loop.num_cycles and extracts_to_acquire:
            images += n
    return PlannedWork(steps, images)


def estimate_seconds(loop) -> float:
    """Seconds the campaign's training and extraction take here, from a few timed steps."""
    work = planned_work(loop)
    trainer = loop.trainer_fn(
        num_classes=loop.data.num_classes, input_shape=loop.data.image_shape, seed=0
    )
    batch = loop.semi.batch_size if loop.semi is not None else loop.sup_batch_size
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(loop.data.x_pool), size=batch)
    batches = sampling.supervised_batches(
        idx, np.zeros(batch, np.int64), batch_size=batch, num_steps=2 * _TIMED_STEPS, rng=rng
    )
    dataset = loop.pipeline.train_dataset(batches, rng)
    trainer.start_phase(2 * _TIMED_STEPS)
    desc = "timing a few steps for the estimate"
    with console.training(f"{desc} (compiling)", _TIMED_STEPS) as progress:
        trainer.train(dataset, _TIMED_STEPS, callbacks=[progress])
    start = time.perf_counter()
    with console.training(desc, _TIMED_STEPS) as progress:
        trainer.train(dataset, _TIMED_STEPS, callbacks=[progress])
    per_step = (time.perf_counter() - start) / _TIMED_STEPS
    sample = loop.data.x_pool[: 2 * loop.eval_batch_size]
    trainer.predict(
        loop.pipeline.inference_batches(loop.eval_batch_size, sample[: loop.eval_batch_size])
    )
    start = time.perf_counter()
    trainer.predict(loop.pipeline.inference_batches(loop.eval_batch_size, sample))
    per_image = (time.perf_counter() - start) / len(sample)
    return work.train_steps * per_step + work.extracted_images * per_image
