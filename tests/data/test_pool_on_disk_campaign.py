"""The same campaign with its pool on disk and in memory (`PoolStorage`), through the CLI's flags
and main() (in this process: a process start costs seconds, and storage is not about processes)."""

import pytest
from subprocess_campaigns import in_process, outcome

pytestmark = pytest.mark.slow  # two whole campaigns

# tf.data's parallel map may finish batches in another order between runs; both runs are
# configured deterministic (tiny.gin), so the tolerance only absorbs float summation order.
ACCURACY_TOLERANCE = 0.01


def test_a_pool_on_disk_runs_the_same_campaign_as_in_memory(repo_root, tmp_path, monkeypatch, capsys):
    outcomes = {}
    for storage in ("memory", "disk"):
        run_dir = tmp_path / storage
        code, err = in_process(
            repo_root, monkeypatch, capsys, run_dir,
            f"--gin_bindings=PoolStorage.storage = '{storage}'",
            "--gin_bindings=ActiveLearningLoop.num_cycles = 2",  # an acquisition, then SEMI again
            "--gin_bindings=SemiSupervised.epochs = 1",
        )  # fmt: skip
        assert code == 0, err[-3000:]
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
