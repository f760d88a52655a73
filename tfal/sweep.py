"""Runs a grid of campaigns (settings x strategies x seeds) one after the other, resumably.

    python -m tfal.sweep --gin_file=gin_configs/mnist.gin --seeds 0 1 2 \\
        --strategies random jlp --settings baseline semi --root runs/mnist [--report]

Each campaign is `python -m tfal.main` in its own run directory `ROOT/<setting>-<strategy>-seed<N>`
with the base gin files, then `gin_configs/setting/<setting>.gin`, then
`gin_configs/strategy/<strategy>.gin`, then the extra bindings, then `ActiveLearningLoop.seed=N`
(later bindings win). The paper repeats each experiment with 5 initial label sets (Sec. 6.1): the
seed is what changes them. Finished runs (`"finished": true` in state.json) are skipped; an
unfinished one is started again with the same command, which resumes it. `ROOT/sweep_commands.json`
records each run's command so a resumed sweep cannot silently continue a run under a different
configuration. The first failing run stops the sweep.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence

import tfal
from tfal import run_dir as run_dir_layout
from tfal.atomic import write_atomically
from tfal.report.paper import PUBLISHED_DATASETS

logger = logging.getLogger(__name__)

COMMANDS_FILE = "sweep_commands.json"
_SEED_BINDING = re.compile(r"^\s*ActiveLearningLoop\.seed\s*=", re.MULTILINE)


class SweepError(RuntimeError):
    """A run of the sweep failed, or would resume under a different command."""


@dataclasses.dataclass(frozen=True)
class SweepRun:
    """One campaign of the grid and the exact command that runs (or resumes) it."""

    name: str
    setting: str
    strategy: str
    seed: int
    run_dir: str
    command: tuple[str, ...]


def default_config_dir() -> str:
    """`gin_configs/` of the repository tfal is installed from (editable install)."""
    return os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(tfal.__file__))), "gin_configs"
    )


def run_name(setting: str, strategy: str, seed: int) -> str:
    return f"{setting}-{strategy}-seed{seed}"


def build_command(
    *,
    python: str,
    gin_files: Sequence[str],
    gin_bindings: Sequence[str],
    setting_file: str,
    strategy_file: str,
    seed: int,
    run_dir: str,
) -> list[str]:
    """The `tfal.main` command line of one run (pure: no file system access)."""
    files = [*gin_files, setting_file, strategy_file]
    bindings = [*gin_bindings, f"ActiveLearningLoop.seed={seed}"]
    return [
        python,
        "-m",
        "tfal.main",
        *(f"--gin_file={f}" for f in files),
        *(f"--gin_bindings={b}" for b in bindings),
        f"--run_dir={run_dir}",
    ]


def plan_sweep(
    *,
    gin_files: Sequence[str],
    gin_bindings: Sequence[str] = (),
    seeds: Sequence[int],
    strategies: Sequence[str],
    settings: Sequence[str],
    root: str,
    config_dir: str,
    python: str = sys.executable,
) -> list[SweepRun]:
    """All runs of the grid, seed-major (one seed of every configuration first, then the next).

    Raises:
        ValueError: a gin file, setting or strategy does not exist, a list is empty or repeats a
            value, or the bindings already set the seed.
    """
    for label, values in (("seeds", seeds), ("strategies", strategies), ("settings", settings)):
        if not values or len(set(values)) != len(values):
            raise ValueError(f"--{label} must be non-empty without repeats, got {list(values)}")
    missing = [f for f in gin_files if not os.path.isfile(f)]
    if not gin_files or missing:
        raise ValueError(f"--gin_file must name existing gin files; missing: {missing or 'all'}")
    seed_bindings = [b for b in gin_bindings if _SEED_BINDING.search(b)]
    if seed_bindings:
        raise ValueError(f"set the seed with --seeds, not a binding: {seed_bindings}")
    setting_files = {s: _include(config_dir, "setting", s) for s in settings}
    strategy_files = {s: _include(config_dir, "strategy", s) for s in strategies}
    plan = []
    for seed in seeds:
        for setting in settings:
            for strategy in strategies:
                name = run_name(setting, strategy, seed)
                run_dir = os.path.join(os.path.abspath(root), name)
                command = build_command(
                    python=python,
                    gin_files=[os.path.abspath(f) for f in gin_files],
                    gin_bindings=gin_bindings,
                    setting_file=setting_files[setting],
                    strategy_file=strategy_files[strategy],
                    seed=seed,
                    run_dir=run_dir,
                )
                plan.append(SweepRun(name, setting, strategy, seed, run_dir, tuple(command)))
    return plan


def _include(config_dir: str, kind: str, name: str) -> str:
    """`config_dir/<kind>/<name>.gin`, or a ValueError listing the available names."""
    path = os.path.join(os.path.abspath(config_dir), kind, f"{name}.gin")
    if not os.path.isfile(path):
        folder = os.path.join(config_dir, kind)
        available = (
            sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".gin"))
            if os.path.isdir(folder)
            else []
        )
        raise ValueError(f"unknown {kind} {name!r}: no {path}; available: {available}")
    return path


def is_finished(run_dir: str) -> bool:
    """Whether `run_dir/state.json` says the campaign completed."""
    state_file = run_dir_layout.path(run_dir, run_dir_layout.STATE)
    if not os.path.isfile(state_file):
        return False
    with open(state_file, encoding="utf-8") as f:
        return bool(json.load(f).get("finished", False))


def run_sweep(
    plan: Sequence[SweepRun],
    *,
    root: str,
    runner: Callable[[list[str]], int] | None = None,
) -> list[str]:
    """Runs every unfinished run of `plan` in order; returns all run directories.

    Args:
        plan: from `plan_sweep`.
        root: the sweep's root directory (holds `sweep_commands.json`).
        runner: runs a command and returns its exit code; defaults to a subprocess that shares
            this process's stdout/stderr.

    Raises:
        SweepError: a run exits non-zero, exits 0 without finishing, or was begun with another
            command.
    """
    runner = runner or _subprocess_runner
    _record_commands(plan, root)
    for i, run in enumerate(plan, start=1):
        if is_finished(run.run_dir):
            logger.info("[%d/%d] %s finished, skipped", i, len(plan), run.name)
            continue
        verb = "resuming" if os.path.exists(run.run_dir) else "starting"
        logger.info("[%d/%d] %s %s: %s", i, len(plan), verb, run.name, shlex.join(run.command))
        code = runner(list(run.command))
        if code != 0:
            raise SweepError(
                f"run {run.name} failed (exit code {code}); run the sweep again to resume it. "
                f"Command: {shlex.join(run.command)}"
            )
        if not is_finished(run.run_dir):
            raise SweepError(
                f"run {run.name} exited 0 but {run.run_dir}/state.json is not finished"
            )
    return [run.run_dir for run in plan]


def _record_commands(plan: Sequence[SweepRun], root: str) -> None:
    """Checks existing runs against the recorded commands, then records the plan's commands."""
    path = os.path.join(root, COMMANDS_FILE)
    recorded: dict[str, list[str]] = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            recorded = json.load(f)
    for run in plan:
        before = recorded.get(run.name)
        # The interpreter path may change between sessions; the arguments must not.
        if (
            before is not None
            and os.path.exists(run.run_dir)
            and before[1:] != list(run.command[1:])
        ):
            raise SweepError(
                f"{run.run_dir} was started with a different command:\n  {shlex.join(before)}\n"
                f"now:\n  {shlex.join(run.command)}\nuse another --root or restore the old flags"
            )
        recorded[run.name] = list(run.command)
    os.makedirs(root, exist_ok=True)
    write_atomically(path, json.dumps(recorded, indent=1, sort_keys=True).encode("utf-8"))


def _subprocess_runner(command: list[str]) -> int:
    return subprocess.run(command, check=False).returncode


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tfal.sweep", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--gin_file", action="append", default=[], required=True, help="base gin file (repeatable)"
    )
    parser.add_argument(
        "--gin_bindings", action="append", default=[], help="extra binding (repeatable)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument(
        "--strategies", nargs="+", required=True, help="names in gin_configs/strategy/"
    )
    parser.add_argument(
        "--settings", nargs="+", required=True, help="names in gin_configs/setting/"
    )
    parser.add_argument("--root", required=True, help="one run directory per run goes under it")
    parser.add_argument("--gin_configs", default=None, help="folder with setting/ and strategy/")
    parser.add_argument("--report", action="store_true", help="write ROOT/report/ at the end")
    parser.add_argument(
        "--paper",
        choices=PUBLISHED_DATASETS,
        help="with --report: add the paper's published numbers",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        plan = plan_sweep(
            gin_files=args.gin_file,
            gin_bindings=args.gin_bindings,
            seeds=args.seeds,
            strategies=args.strategies,
            settings=args.settings,
            root=args.root,
            config_dir=args.gin_configs or default_config_dir(),
        )
        run_dirs = run_sweep(plan, root=args.root)
        if args.report:
            from tfal.report import write_report

            out = os.path.join(args.root, "report")
            write_report(run_dirs, out_dir=out, title=f"Sweep {args.root}", paper=args.paper)
            logger.info("report in %s", out)
    except (SweepError, ValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
