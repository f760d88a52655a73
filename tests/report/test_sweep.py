"""The sweep runner: command construction (pure), planning, resuming, stopping on failure, --report."""

import json
import os
import sys

import pytest
from report_helpers import make_run

import tfal.sweep as sweep


@pytest.fixture
def config_dir(tmp_path):
    """A gin_configs/ stand-in with two settings and three strategies, and a base gin file."""
    root = tmp_path / "gin_configs"
    for kind, names in (("setting", ["baseline", "semi"]), ("strategy", ["random", "jlp", "ceal"])):
        (root / kind).mkdir(parents=True)
        for name in names:
            (root / kind / f"{name}.gin").write_text(f"# {kind} {name}\n")
    (tmp_path / "base.gin").write_text("# base\n")
    return str(root)


def _plan(tmp_path, config_dir, **overrides):
    kwargs = dict(
        gin_files=[str(tmp_path / "base.gin")],
        gin_bindings=["Trainer.epochs=2"],
        seeds=[0, 1],
        strategies=["random", "jlp"],
        settings=["baseline", "semi"],
        root=str(tmp_path / "sweep"),
        config_dir=config_dir,
        python="/py",
    )
    kwargs.update(overrides)
    return sweep.plan_sweep(**kwargs)


def test_build_command_is_the_tfal_main_cli():
    command = sweep.build_command(
        python="/venv/bin/python",
        gin_files=["/a/base.gin", "/a/more.gin"],
        gin_bindings=["Trainer.epochs=2"],
        setting_file="/g/setting/semi.gin",
        strategy_file="/g/strategy/jlp.gin",
        seed=3,
        run_dir="/runs/semi-jlp-seed3",
    )
    assert command == [
        "/venv/bin/python",
        "-m",
        "tfal.main",
        "--gin_file=/a/base.gin",
        "--gin_file=/a/more.gin",
        "--gin_file=/g/setting/semi.gin",
        "--gin_file=/g/strategy/jlp.gin",
        "--gin_bindings=Trainer.epochs=2",
        "--gin_bindings=ActiveLearningLoop.seed=3",
        "--run_dir=/runs/semi-jlp-seed3",
    ]


def test_plan_is_seed_major_with_one_directory_per_run(tmp_path, config_dir):
    plan = _plan(tmp_path, config_dir)
    assert [r.name for r in plan] == [
        "baseline-random-seed0",
        "baseline-jlp-seed0",
        "semi-random-seed0",
        "semi-jlp-seed0",
        "baseline-random-seed1",
        "baseline-jlp-seed1",
        "semi-random-seed1",
        "semi-jlp-seed1",
    ]
    run = plan[2]
    assert run.run_dir == os.path.join(str(tmp_path / "sweep"), "semi-random-seed0")
    assert f"--gin_file={config_dir}/setting/semi.gin" in run.command
    assert f"--gin_file={config_dir}/strategy/random.gin" in run.command
    assert run.command[-2:] == (
        "--gin_bindings=ActiveLearningLoop.seed=0",
        f"--run_dir={run.run_dir}",
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"strategies": ["random", "bald"]},
            r"unknown strategy 'bald'.*\['ceal', 'jlp', 'random'\]",
        ),
        ({"settings": ["pre"]}, "unknown setting 'pre'"),
        ({"seeds": [0, 0]}, "--seeds"),
        ({"gin_files": ["/nope.gin"]}, "/nope.gin"),
        ({"gin_bindings": ["ActiveLearningLoop.seed = 4"]}, "--seeds"),
    ],
)
def test_plan_rejects_bad_arguments(tmp_path, config_dir, overrides, message):
    with pytest.raises(ValueError, match=message):
        _plan(tmp_path, config_dir, **overrides)


class FakeMain:
    """Stands in for `python -m tfal.main`: finishes the run it is given, or fails on request."""

    def __init__(self, fail_on=()):
        self.calls = []
        self.fail_on = set(fail_on)

    def __call__(self, command):
        run_dir = command[-1].removeprefix("--run_dir=")
        self.calls.append(os.path.basename(run_dir))
        if os.path.basename(run_dir) in self.fail_on:
            return 3
        name = os.path.basename(run_dir)
        setting, strategy, seed = name.split("-")
        make_run(os.path.dirname(run_dir), setting=setting, strategy=strategy, seed=int(seed[4:]))
        return 0


def test_sweep_skips_finished_runs_and_resumes_unfinished_ones(tmp_path, config_dir):
    plan = _plan(tmp_path, config_dir, seeds=[0], settings=["baseline"])
    make_run(tmp_path / "sweep", setting="baseline", strategy="random", seed=0)  # finished
    make_run(tmp_path / "sweep", setting="baseline", strategy="jlp", seed=0, finished=False)
    fake = FakeMain()
    run_dirs = sweep.run_sweep(plan, root=str(tmp_path / "sweep"), runner=fake)
    assert fake.calls == ["baseline-jlp-seed0"]
    assert run_dirs == [r.run_dir for r in plan]
    assert all(sweep.is_finished(d) for d in run_dirs)


def test_sweep_stops_at_the_first_failure(tmp_path, config_dir):
    plan = _plan(tmp_path, config_dir)
    fake = FakeMain(fail_on={"semi-random-seed0"})
    with pytest.raises(sweep.SweepError, match=r"run semi-random-seed0 failed \(exit code 3\)"):
        sweep.run_sweep(plan, root=str(tmp_path / "sweep"), runner=fake)
    assert fake.calls == ["baseline-random-seed0", "baseline-jlp-seed0", "semi-random-seed0"]


def test_a_run_that_exits_zero_unfinished_is_an_error(tmp_path, config_dir):
    plan = _plan(tmp_path, config_dir, seeds=[0], settings=["baseline"], strategies=["random"])
    with pytest.raises(sweep.SweepError, match="exited 0 but"):
        sweep.run_sweep(plan, root=str(tmp_path / "sweep"), runner=lambda command: 0)


def test_resuming_under_another_command_is_refused(tmp_path, config_dir):
    root = str(tmp_path / "sweep")
    first = _plan(tmp_path, config_dir, seeds=[0], settings=["baseline"], strategies=["random"])
    sweep.run_sweep(first, root=root, runner=FakeMain())
    with open(os.path.join(root, sweep.COMMANDS_FILE), encoding="utf-8") as f:
        assert json.load(f)["baseline-random-seed0"] == list(first[0].command)
    changed = _plan(
        tmp_path,
        config_dir,
        seeds=[0],
        settings=["baseline"],
        strategies=["random"],
        gin_bindings=["Trainer.epochs=3"],
        python="/other/python",
    )
    with pytest.raises(sweep.SweepError, match="different command"):
        sweep.run_sweep(changed, root=root, runner=FakeMain())
    same_args = _plan(
        tmp_path,
        config_dir,
        seeds=[0],
        settings=["baseline"],
        strategies=["random"],
        python="/other/python",
    )
    sweep.run_sweep(same_args, root=root, runner=FakeMain())  # a new interpreter path is fine


def test_main_runs_the_grid_and_writes_the_report(tmp_path, config_dir, monkeypatch):
    monkeypatch.setattr(sweep, "_subprocess_runner", FakeMain())
    root = tmp_path / "sweep"
    argv = [
        f"--gin_file={tmp_path / 'base.gin'}",
        "--seeds",
        "0",
        "1",
        "--strategies",
        "random",
        "--settings",
        "baseline",
        "semi",
        "--root",
        str(root),
        "--gin_configs",
        config_dir,
        "--gin_bindings=Trainer.epochs=2",
        "--report",
    ]
    assert sweep.main(argv) == 0
    assert len([d for d in os.listdir(root) if d.endswith(("seed0", "seed1"))]) == 4
    with open(root / "report" / "results.csv", encoding="utf-8") as f:
        rows = f.read().splitlines()
    assert len(rows) == 1 + 2 * 3  # header + 2 settings x 3 cycles
    assert rows[1].startswith("mnist,baseline,random,0,10,50.0000,0.0000,2,0;1")


def test_main_reports_errors_in_one_line(tmp_path, config_dir, capsys):
    argv = [
        f"--gin_file={tmp_path / 'base.gin'}",
        "--seeds",
        "0",
        "--strategies",
        "bald",
        "--settings",
        "baseline",
        "--root",
        str(tmp_path / "s"),
        "--gin_configs",
        config_dir,
    ]
    assert sweep.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown strategy 'bald'") and err.count("\n") == 1


def test_default_runner_and_config_dir(repo_root):
    assert sweep._subprocess_runner([sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert sweep.default_config_dir() == str(repo_root / "gin_configs")
