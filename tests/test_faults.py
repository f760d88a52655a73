"""Ctrl-C, SIGTERM, a full disk, an immutable state.json and a busy run directory end a CLI
campaign in one line and lose nothing: the same command resumes to exactly the straight run.

Faults land at named points (`tfal.fault_points`, TFAL_FAULT), never at wall-clock fractions.
"""

import os
import shutil
import signal
import subprocess
import sys

import pytest
from subprocess_campaigns import command, in_process, outcome, raw_rows, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def straight(tmp_path_factory, request):
    """The uninterrupted campaign every interrupted one must end like, through tfal.main's main()
    in this process (a process start costs seconds; the interrupted runs are the processes)."""
    run_dir = str(tmp_path_factory.mktemp("straight") / "run")
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, _ = in_process(request.config.rootpath, monkeypatch, None, run_dir)
    assert code == 0
    return run_dir


def _last_line(proc):
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.stderr.strip().splitlines()[-1]


def test_ctrl_c_and_sigterm_stop_at_the_next_safe_point_in_one_line(tmp_path, request, straight):
    """SIGINT inside cycle 1's second SEMI epoch and SIGTERM after cycle 2's SUP checkpoint: exit
    130 / 143 with one line naming where, and the same command resumes exactly."""
    repo_root, run_dir = request.config.rootpath, str(tmp_path / "run")
    proc = run(repo_root, run_dir, fault="semi_train@1#2:sigint")
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert _last_line(proc) == (
        "tfal: interrupted during cycle 1 SEMI epoch 2/2 (SIGINT); the same command resumes"
    )
    proc = run(repo_root, run_dir, fault="sup_checkpoint@2:sigterm")
    assert proc.returncode == 143, proc.stderr[-2000:]
    assert _last_line(proc) == (
        "tfal: interrupted during cycle 2 epoch 1/2 extract (SIGTERM); the same command resumes"
    )
    assert run(repo_root, run_dir).returncode == 0
    assert outcome(run_dir) == outcome(straight)


def test_ctrl_c_during_the_start_stops_before_anything_is_written(tmp_path, request):
    """A SIGINT while TensorFlow loads (before the campaign starts) stops at once: exit 130,
    one line, and the run directory holds no campaign files."""
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        command(str(run_dir)), cwd=request.config.rootpath, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_until_locked(str(run_dir), proc)  # the CLI locks before importing TensorFlow
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr[-2000:]
    assert stderr.strip().splitlines()[-1] == (
        "tfal: interrupted (SIGINT); the same command resumes"
    )
    assert not (run_dir / "state.json").exists() and not (run_dir / "results.jsonl").exists()


def _mount_tmpfs(path, size):
    """A small tmpfs at `path`, or skip where this machine does not allow mounting."""
    path.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command: a full disk cannot be made here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")


def test_a_full_disk_is_one_line_naming_the_file_and_loses_nothing(tmp_path, request, straight):
    """The disk fills at a named point, three times in one campaign: the next write fails
    (TensorFlow's SavedModel writer, TensorFlow's tf.train checkpoint, tfal's own atomic write),
    the campaign stops with one `tfal: error:` line naming the file it could not write and exit
    2; each time, with space again, the same command goes on, and ends exactly like the straight
    run."""
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "48m")
    try:
        run_dir = str(disk / "run")
        filler = str(disk / "filler")
        for fault, written_by in [
            ("evaluated@0:fill_disk", "export"),
            ("sup_done@1:fill_disk", "checkpoints"),
            ("results_row@1:fill_disk", "state.json"),
        ]:
            proc = run(
                request.config.rootpath, run_dir, fault=fault, env={"TFAL_FAULT_FILL": filler}
            )
            assert proc.returncode == 2, proc.stderr[-3000:]
            line = _last_line(proc)
            assert line.startswith("tfal: error: ") and "No space left on device" in line, line
            assert os.path.join(run_dir, written_by) in line, line
            os.unlink(filler)
        assert run(request.config.rootpath, run_dir).returncode == 0
        assert outcome(run_dir) == outcome(straight)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _chattr(flag, path):
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True)
    return done.returncode == 0


def test_a_state_that_cannot_be_replaced_is_refused_before_any_work(tmp_path, request):
    """An immutable state.json (chattr +i) is refused when the campaign starts, in one line naming
    it, before a cycle is trained: results.jsonl is unchanged."""
    repo_root, run_dir = request.config.rootpath, tmp_path / "run"
    proc = run(repo_root, str(run_dir), fault="results_row@0:kill")
    assert proc.returncode == -signal.SIGKILL
    state, rows = run_dir / "state.json", raw_rows(str(run_dir))
    if not shutil.which("chattr") or not _chattr("+i", state):
        pytest.skip("this file system has no immutable attribute (chattr +i)")
    try:
        proc = run(repo_root, str(run_dir))
    finally:
        _chattr("-i", state)
    assert proc.returncode == 2
    line = _last_line(proc)
    assert line.startswith("tfal: error: ") and f"{state} is immutable" in line, line
    assert raw_rows(str(run_dir)) == rows


def _wait_until_locked(run_dir, proc):
    """Returns once `proc` holds run_dir's lock (the kernel's record in /proc/locks)."""
    import time

    from tfal import run_lock

    while proc.poll() is None:
        if os.path.isdir(run_dir) and run_lock._kernel_holder(run_dir) == proc.pid:
            return
        time.sleep(0.05)
    raise AssertionError(f"the campaign ended (exit {proc.returncode}) before it took the lock")


def test_a_busy_directory_names_its_live_holder_not_the_killed_run(tmp_path, request):
    """On a resumed directory whose .lock names a killed run, a second process is refused in one
    line naming the live holder, while the holder is still loading TensorFlow (the lock comes
    first), and writes nothing."""
    repo_root, run_dir = request.config.rootpath, str(tmp_path / "run")
    killed = run(repo_root, run_dir, fault="sup_checkpoint@0:kill")
    assert killed.returncode == -signal.SIGKILL
    with open(os.path.join(run_dir, ".lock")) as f:
        dead_pid = int(f.read().split()[1])
    holder = subprocess.Popen(
        command(run_dir), cwd=repo_root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until_locked(run_dir, holder)
        commands_before = open(os.path.join(run_dir, "command.txt")).read()
        second = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "tfal.main",
             "--gin_file=gin_configs/testing/tiny.gin", f"--run_dir={run_dir}"],
            cwd=repo_root, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert holder.poll() is None, "the holder finished first: nothing was tested"
        # The second process stopped at the lock, before importing TensorFlow (-X importtime
        # lists every module it imported on stderr).
        assert "import time:" in second.stderr and "tensorflow" not in second.stderr
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2
    line = second.stderr.strip().splitlines()[-1]
    assert f"is in use by pid {holder.pid} on" in line and str(dead_pid) not in line, line
    assert open(os.path.join(run_dir, "command.txt")).read() == commands_before
