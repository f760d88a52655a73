"""The same campaign with its pool on disk and in memory (`PoolStorage`), through the CLI."""

import pytest
from subprocess_campaigns import outcome, run

pytestmark = pytest.mark.slow  # two whole campaigns

# tf.data's parallel map may finish batches in another order between processes; both runs are
# configured deterministic (tiny.gin), so the tolerance only absorbs float summation order.
ACCURACY_TOLERANCE = 0.01


def test_a_pool_on_disk_runs_the_same_campaign_as_in_memory(repo_root, tmp_path):
    outcomes = {}
    for storage in ("memory", "disk"):
        run_dir = tmp_path / storage
        proc = run(
            repo_root, run_dir, f"--gin_bindings=PoolStorage.storage = '{storage}'",
            "--gin_bindings=ActiveLearningLoop.num_cycles = 2",  # an acquisition, then SEMI again
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        outcomes[storage] = outcome(run_dir)
    (labeled_m, labels_m, acquired_m, acc_m), (labeled_d, labels_d, acquired_d, acc_d) = (
        outcomes["memory"], outcomes["disk"],
    )  # fmt: skip
    assert (labeled_d, labels_d, acquired_d) == (labeled_m, labels_m, acquired_m)
    assert acc_d.keys() == acc_m.keys() and len(acc_m) == 2
    for cycle, accuracy in acc_m.items():
        assert acc_d[cycle] == pytest.approx(accuracy, abs=ACCURACY_TOLERANCE)
    with open(run_dir / "operative_config.gin") as f:
        assert "PoolStorage.storage = 'disk'" in f.read()
