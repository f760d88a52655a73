"""The seed tree (`tfal.seeds`) against references that do not come from it.

- Distinct: every named draw of a campaign, (seed, cycle, stream, epoch) of `rng` and `int_seed`
  and (seed, PRE epoch, component) of `pretrain_rng`, draws a number no other draw does. The
  streams are listed here by hand from the module's table, so two streams sharing an id, a key
  that drops the epoch or the cycle, or a PRE key that is also some cycle's key all fail.
- Golden: a few keys give the numbers written below, computed once (numpy 2, PCG64): a changed
  derivation changes every campaign measured with the old one, and fails here first.
- Process-independent: a fresh interpreter with another PYTHONHASHSEED gives the same literals
  (nothing in a key may go through Python's salted `hash`).
"""

import itertools
import json
import os
import pathlib
import subprocess
import sys

import pytest

import tfal
from tfal import seeds

# The module docstring's table, by hand: a stream added there must be added here.
STREAM_NAMES = ("initial", "sup", "semi", "acquire", "pretrain", "init", "dropout", "stop_set")
CAMPAIGN_SEEDS = (0, 1)
CYCLES = range(5)  # the paper's five cycles, 0..4
EPOCHS = range(4)
PRE_EPOCHS = range(8)  # beyond the seven stream ids: PRE's key must not be a cycle's key
PRE_COMPONENTS = range(6)  # tfal.pretrain.deepcluster: k-means, plan, augment, head, empty, jitter

# (seed, cycle, stream, epoch) -> (first rng(...).integers(2**62), int_seed(...)), computed once.
GOLDEN_RNG = {
    (0, 0, "initial", 0): (2937467307694268567, 1484405855),
    (0, 0, "sup", 0): (2071748379648602388, 1915600865),
    (1, 3, "semi", 2): (409075087042602479, 620397214),
    (123, 4, "acquire", 0): (1405704260756830144, 2066860223),
    (2**31 - 1, 2, "dropout", 0): (2829710284576192778, 1760544675),
    (7, 0, "init", 0): (3207511141583320452, 629124898),
}
# (seed, cycle, stream) -> model_seed(...)
GOLDEN_MODEL_SEED = {(0, 0, "init"): 346981440, (7, 3, "dropout"): 414603498}
# (seed, PRE epoch, component) -> first pretrain_rng(...).integers(2**62)
GOLDEN_PRETRAIN = {
    (0, 0, 0): 2365820991068912622,
    (0, 1, 0): 2744929332764326002,
    (5, 7, 3): 24164214140738880,
    (2**31 - 1, 249, 5): 941073548752990488,
}


def test_the_streams_are_the_documented_ones():
    assert sorted(seeds.STREAMS) == sorted(STREAM_NAMES)


def test_every_draw_of_the_tree_is_distinct():
    """Over 2 seeds x 5 cycles x 8 streams x 4 epochs, and PRE's 8 epochs x 6 components."""
    draws, ints = {}, {}
    for seed, cycle, stream, epoch in itertools.product(
        CAMPAIGN_SEEDS, CYCLES, STREAM_NAMES, EPOCHS
    ):
        key = (seed, cycle, stream, epoch)
        draws[key] = int(seeds.rng(seed, cycle, stream, epoch).integers(2**62))
        ints[key] = seeds.int_seed(seed, cycle, stream, epoch)
    for seed, epoch, component in itertools.product(CAMPAIGN_SEEDS, PRE_EPOCHS, PRE_COMPONENTS):
        draws[("pretrain_rng", seed, epoch, component)] = int(
            seeds.pretrain_rng(seed, epoch, component).integers(2**62)
        )
    assert len(draws) == 2 * 5 * len(STREAM_NAMES) * 4 + 2 * 8 * 6
    _assert_distinct(draws)
    _assert_distinct(ints)
    assert all(0 <= v < 2**31 for v in ints.values())
    model = {
        k: seeds.model_seed(*k)
        for k in itertools.product(CAMPAIGN_SEEDS, CYCLES, ("init", "dropout"))
    }
    _assert_distinct(model)
    assert all(0 <= v < 2**30 for v in model.values())


def _assert_distinct(values: dict) -> None:
    by_value: dict = {}
    for key, value in values.items():
        by_value.setdefault(value, []).append(key)
    shared = [keys for keys in by_value.values() if len(keys) > 1]
    assert not shared, f"{len(shared)} draws shared by several keys, e.g. {shared[:3]}"


def test_the_draws_are_the_golden_numbers():
    for key, (draw, int_seed) in GOLDEN_RNG.items():
        assert (int(seeds.rng(*key).integers(2**62)), seeds.int_seed(*key)) == (draw, int_seed), key
    for key, value in GOLDEN_MODEL_SEED.items():
        assert seeds.model_seed(*key) == value, key
    for key, value in GOLDEN_PRETRAIN.items():
        assert int(seeds.pretrain_rng(*key).integers(2**62)) == value, key


# Run by a fresh interpreter: the golden keys in argv[1] (JSON), their draws printed as JSON.
_DRAW_IN_A_NEW_PROCESS = """
import json, sys
from tfal import seeds
keys = json.loads(sys.argv[1])
print(json.dumps({
    "rng": [[int(seeds.rng(*k).integers(2**62)), seeds.int_seed(*k)] for k in keys["rng"]],
    "model_seed": [seeds.model_seed(*k) for k in keys["model_seed"]],
    "pretrain_rng": [int(seeds.pretrain_rng(*k).integers(2**62)) for k in keys["pretrain_rng"]],
}))
"""


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_a_fresh_process_with_another_hash_seed_draws_the_golden_numbers(hash_seed):
    """`python -c` in a new interpreter: the tree depends on nothing but its key."""
    keys = {
        "rng": list(GOLDEN_RNG),
        "model_seed": list(GOLDEN_MODEL_SEED),
        "pretrain_rng": list(GOLDEN_PRETRAIN),
    }
    root = pathlib.Path(tfal.__file__).resolve().parents[1]  # the tfal under test, not another
    out = subprocess.run(
        [sys.executable, "-c", _DRAW_IN_A_NEW_PROCESS, json.dumps(keys)],
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    drawn = json.loads(out.strip().splitlines()[-1])
    assert drawn == {
        "rng": [list(v) for v in GOLDEN_RNG.values()],
        "model_seed": list(GOLDEN_MODEL_SEED.values()),
        "pretrain_rng": list(GOLDEN_PRETRAIN.values()),
    }
