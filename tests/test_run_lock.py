"""One process per run directory; the refusal names the live holder."""

import os
import subprocess
import sys

from tfal import run_lock

_SECOND = (
    "import sys; from tfal import run_lock\n"
    "try:\n"
    "    with run_lock.hold(sys.argv[1]): print('took it')\n"
    "except run_lock.RunDirectoryBusy as e: print(e)\n"
)


def _second_process(run_dir):
    return subprocess.run(
        [sys.executable, "-c", _SECOND, run_dir], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_second_process_is_refused_naming_this_one_not_a_dead_pid_in_the_lock_file(tmp_path):
    run_dir = str(tmp_path / "run")
    os.makedirs(run_dir)
    # a killed run's record: a pid that no longer runs
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    with open(os.path.join(run_dir, ".lock"), "w") as f:
        f.write(f"pid {dead} on somehost\n")
    with run_lock.hold(run_dir):
        with run_lock.hold(run_dir):  # re-entrant: the CLI holds it, then campaign.run
            message = _second_process(run_dir)
        assert f"is in use by pid {os.getpid()} on" in message and dead not in message
        assert _second_process(run_dir).startswith("run directory")  # still held
    assert _second_process(run_dir) == "took it"  # released when the outer block ends


def test_taking_the_lock_writes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    with run_lock.hold(str(run_dir)):
        pass
    assert list(run_dir.iterdir()) == []
