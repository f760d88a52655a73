"""The run directory's layout, in one place: every name tfal writes there (a contract: later
versions add to it, never rename; README, "The run directory"). Files that matter are written with
`tfal.atomic`.
"""

from __future__ import annotations

import os

COMMAND = "command.txt"  # every invocation, appended (an audit log)
LOCK = ".lock"  # the holder of the run directory's lock
CONFIG = "config.gin"  # the configuration the campaign started with
OPERATIVE_CONFIG = "operative_config.gin"  # what the last run used
STATE = "state.json"  # L, y, the cycle counter (tfal.loop.state)
POOL = "pool.npz"  # the pool the labels belong to (tfal.loop.pool_identity)
RESULTS = "results.jsonl"  # one JSON object per event
CHECKPOINTS = "checkpoints"  # cycle-<j>/ and pretrain/ (tf.train checkpoints, theta_0)
TENSORBOARD = "tensorboard"
EXPORT = "export"  # export/<model_name>/<version>: TF Serving
QUERIES = "queries"  # the human oracle's query and answer files

# What tfal writes at the top of a run directory, and the folders it writes below.
WRITTEN = (
    COMMAND, LOCK, CONFIG, OPERATIVE_CONFIG, STATE, POOL, RESULTS, CHECKPOINTS, TENSORBOARD, EXPORT,
    QUERIES,
)  # fmt: skip
WRITTEN_BELOW = (CHECKPOINTS, EXPORT, QUERIES)


def path(run_dir: str, *parts: str) -> str:
    """RUN_DIR/<parts...>, e.g. `path(run_dir, STATE)`."""
    return os.path.join(run_dir, *parts)


def pretrain_dir(run_dir: str) -> str:
    """RUN_DIR/checkpoints/pretrain: PRE's epoch checkpoints and theta_0."""
    return path(run_dir, CHECKPOINTS, "pretrain")


def export_dir(run_dir: str, model_name: str) -> str:
    """RUN_DIR/export/<model_name>: one TF Serving version per cycle."""
    return path(run_dir, EXPORT, model_name)
