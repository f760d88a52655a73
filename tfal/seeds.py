"""The seed tree of a campaign: every random draw derives from the one campaign seed.

A draw is named by (seed, cycle, stream, epoch), so a campaign resumed at any cycle or SEMI epoch
draws exactly what an uninterrupted one would, and two seeds differ in every draw:

| stream     | what it draws                                                     | per        |
| ---------- | ----------------------------------------------------------------- | ---------- |
| `initial`  | the initial labeled set L0 (and its redraw when all of it is skipped) | campaign |
| `sup`      | SUP's mini-batch order and augmentation                           | cycle      |
| `semi`     | SEMI's mini-batches (labeled and weight-drawn) and augmentation    | cycle, epoch |
| `acquire`  | the acquisition function's own randomness (Random, CoreSet ties, ...) | cycle  |
| `pretrain` | PRE: k-means, epoch plans, heads, augmentation (`pretrain_rng`)   | PRE epoch  |
| `init`     | the network's initial weights theta (without PRE, the paper's theta_0) | campaign |
| `dropout`  | the dropout masks of a cycle's training                           | cycle      |
| `stop_set` | the stop set of the stopping signal (`tfal.loop.stopping`)        | campaign   |

LP's IVF centroids take the campaign seed itself (`tfal.lp.propagate(seed=...)`).
Stream ids are stable: changing one changes every campaign measured with it.
"""

from __future__ import annotations

import numpy as np

STREAMS = {
    "initial": 0,
    "sup": 1,
    "semi": 2,
    "acquire": 3,
    "pretrain": 4,
    "init": 5,
    "dropout": 6,
    "stop_set": 7,
}


def rng(seed: int, cycle: int, stream: str, epoch: int = 0) -> np.random.Generator:
    """The numpy Generator of one draw of the tree."""
    return np.random.default_rng([seed, cycle, _stream_id(stream), epoch])


def int_seed(seed: int, cycle: int, stream: str, epoch: int = 0) -> int:
    """The same draw as an int in [0, 2**31), for components that take one (faiss: a C int)."""
    state = np.random.SeedSequence([seed, cycle, _stream_id(stream), epoch]).generate_state(1)
    return int(state[0] >> 1)


def model_seed(seed: int, cycle: int, stream: str) -> int:
    """An int in [0, 2**30): Keras layers add small offsets to it, which must stay below 2**31."""
    return int_seed(seed, cycle, stream) >> 1


def pretrain_rng(seed: int, epoch: int, component: int) -> np.random.Generator:
    """PRE's draws: component `component` (k-means, plan, ...) of PRE epoch `epoch`.

    PRE runs once, before cycle 0: its key is cycle 0's `pretrain` key of that epoch with the
    component appended, five words where `rng`'s have four, so it is no cycle's key. (It was
    [seed, 4, epoch, component]: cycle 4's key of stream `epoch`, so cycle 4's SUP drew what PRE
    epoch 1's k-means drew and its SEMI epochs what PRE epoch 2's components drew.)
    """
    return np.random.default_rng([seed, 0, STREAMS["pretrain"], epoch, component])


def _stream_id(stream: str) -> int:
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}; allowed: {', '.join(STREAMS)}")
    return STREAMS[stream]
