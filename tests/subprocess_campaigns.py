"""Runs tiny CLI campaigns in subprocesses, with faults at named points (`tfal.fault_points`)."""

import json
import os
import subprocess
import sys

ARGS = [
    "--gin_file=gin_configs/testing/tiny.gin",
    "--gin_file=gin_configs/setting/semi.gin",
    # smaller than tiny.gin: what is tested is exactness, and every restart pays TensorFlow's start
    "--gin_bindings=tfds_dataset.pool_size = 1000",
    "--gin_bindings=tfds_dataset.test_size = 500",
    "--gin_bindings=ActiveLearningLoop.sup_epochs = 30",
]


def command(run_dir, *extra):
    return [sys.executable, "-m", "tfal.main", *ARGS, *extra, f"--run_dir={run_dir}"]


def run(repo_root, run_dir, *extra, fault=None, env=None, timeout=300):
    """The campaign's finished process (stdout dropped); `fault` is a TFAL_FAULT value."""
    environment = {k: v for k, v in os.environ.items() if k != "TFAL_FAULT"}
    environment.update(env or {})
    if fault:
        environment["TFAL_FAULT"] = fault
    return subprocess.run(
        command(run_dir, *extra),
        cwd=repo_root,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )


def in_process(root, monkeypatch, capsys, run_dir, *extra, args=ARGS):
    """`run`'s campaign through tfal.main's flag parsing and main() in this process: (exit code,
    stderr, or None without `capsys`). A process start costs seconds; the tests of the process
    itself use `run`."""
    from tfal import main as cli

    monkeypatch.chdir(root)
    if capsys:
        capsys.readouterr()
    argv = ["tfal", *args, *extra, f"--run_dir={run_dir}"]
    try:
        code = cli.main(cli._parse_flags(argv))
    finally:
        cli.FLAGS.unparse_flags()
    return code, capsys.readouterr().err if capsys else None


def raw_rows(run_dir):
    """results.jsonl's rows as written (no de-duplication)."""
    path = os.path.join(run_dir, "results.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def outcome(run_dir):
    """What a campaign decided: labeled set, labels, acquired batches, accuracy per cycle."""
    with open(os.path.join(run_dir, "state.json")) as f:
        state = json.load(f)
    accuracies = {r["cycle"]: r["test_accuracy"] for r in raw_rows(run_dir) if r["stage"] == "cycle"}
    return state["labeled_idx"], state["labels"], state["acquired"], accuracies
