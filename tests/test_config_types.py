"""Every user-facing gin parameter refuses a bad value before any work or any write.

The bad values are generated from the configurables' own annotations (type, range, allowed names),
so a new parameter is covered without touching this file: a wrong type, zero, a negative and a huge
value wherever the declared range excludes them, an unknown name, a path for a plain name. Each goes
through the command line's own `main` (in-process, so hundreds of cases take seconds) against an
existing run directory, which must stay byte-identical.
"""

import math
import os
import typing

import gin
import pytest

from tfal import campaign, config_types
from tfal import main as cli

campaign._register_configurables()

CONFIGURABLES = [
    "ActiveLearningLoop",
    "Trainer",
    "SemiSupervised",
    "LPConfig",
    "DeepCluster",
    "StrokeJitter",
    "InputPipeline",
    "Augmentation",
    "tfds_dataset",
    "image_folder_dataset",
    "npz_dataset",
    "HumanOracle",
    "small_cnn",
    "conv_large",
    "tfal.acquisition.jlp",
    "tfal.acquisition.ceal_pseudo_labels",
    "tfal.acquisition.coreset",
    "configure_runtime",
    "distribution_strategy",
]
# One wrong value per kind of annotation: a string for numbers, a number for strings, ...
WRONG_TYPE = {int: "'ten'", float: "'fast'", str: "3", bool: "'yes'"}


def _base(tp):
    """(primitive type, constraints) of a parameter taking one value; None for other parameters."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is typing.Annotated or not args:
        args = [tp]
    if len(args) != 1:
        return None
    inner = (
        typing.get_args(args[0])[0] if typing.get_origin(args[0]) is typing.Annotated else args[0]
    )
    return (inner, config_types.constraints(args[0])) if inner in WRONG_TYPE else None


def _bad_values(kind, constraints):
    """(why, gin literal) pairs that the declared type and constraints must refuse."""
    values = [("wrong type", WRONG_TYPE[kind])]
    for c in constraints:
        if isinstance(c, config_types.Range):
            huge = 10**12 if kind is int else 1e12
            for why, v in (("zero", 0), ("negative", -1), ("huge", huge)):
                v = float(v) if kind is float else v
                if c.problem(v) is not None:
                    values.append((why, repr(v)))
            if kind is float:
                values.append(("not finite", "1e999"))
        elif isinstance(c, config_types.OneOf):
            values.append(("unknown name", "'no-such-name'"))
        elif isinstance(c, config_types.Pattern):
            values.append(("a path", "'../elsewhere'"))
    return values


def _cases():
    cases = []
    for name in CONFIGURABLES:
        configurable = gin.config._REGISTRY.get_match(name)
        denied = set(configurable.denylist or ())
        allowed = configurable.allowlist
        for param, tp in config_types.hints_of(configurable.wrapped).items():
            if param == "return" or param in denied or (allowed and param not in allowed):
                continue
            base = _base(tp)
            if base is not None:
                for why, value in _bad_values(*base):
                    cases.append((configurable.name, param, why, value))
    return cases


CASES = _cases()


def test_the_table_covers_every_configurable_and_every_kind_of_bad_value():
    covered = {name for name, *_ in CASES}
    kinds = {why for *_, why, _ in CASES}
    assert len(CASES) > 150 and len(covered) == len(CONFIGURABLES), covered
    assert kinds >= {"wrong type", "zero", "negative", "huge", "unknown name", "a path"}, kinds


@pytest.fixture(scope="module")
def existing_run(tmp_path_factory):
    """A run directory with a campaign's files: a refused invocation must leave every byte."""
    run_dir = tmp_path_factory.mktemp("existing")
    for name in (
        "config.gin",
        "operative_config.gin",
        "state.json",
        "results.jsonl",
        "command.txt",
    ):
        (run_dir / name).write_text(f"the campaign that really ran: {name}\n")
    (run_dir / "export").mkdir()
    return run_dir


def _snapshot(root):
    return {
        os.path.relpath(os.path.join(d, f), root): open(os.path.join(d, f), "rb").read()
        for d, _, files in os.walk(root)
        for f in files
    }


def _run_cli(argv, capsys):
    """main() in this process; the flags are unparsed after, so no binding reaches the next test."""
    try:
        cli.FLAGS(["tfal", *argv])
        code = cli.main([])
    finally:
        cli.FLAGS.unparse_flags()
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "name, param, why, value", CASES, ids=[f"{n}.{p}-{w}" for n, p, w, _ in CASES]
)
def test_a_bad_value_is_one_line_exit_2_and_the_run_directory_untouched(
    repo_root, existing_run, capsys, name, param, why, value
):
    before = _snapshot(existing_run)
    code, err = _run_cli(
        [
            f"--gin_file={repo_root / 'gin_configs/testing/tiny.gin'}",
            f"--gin_bindings={name}.{param} = {value}",
            f"--run_dir={existing_run}",
        ],
        capsys,
    )
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfal: error: bad gin config: "), err
    assert f"{param} = " in lines[0] and "expected" in lines[0], lines[0]
    assert "Traceback" not in err
    assert _snapshot(existing_run) == before


@pytest.mark.parametrize(
    "binding, expected",
    [
        ("ActiveLearningLoop.dataset = 'mnist'", "expected a Dataset"),
        ("ActiveLearningLoop.num_cycles = 2.5", "expected an int in [1, 10_000]"),
        ("ActiveLearningLoop.budget = 0", "expected an int in [1, 10_000_000]"),
        ("small_cnn.widths = (4, 'eight', 8)", "expected a tuple (an int in [1, 4_096]"),
        ("small_cnn.widths = (4, 0, 8)", "expected a tuple (an int in [1, 4_096]"),
        ("Trainer.learning_rate = True", "expected a float in (0, 100]"),
        ("Trainer.precision = 'float16'", "one of 'float32', 'mixed_bfloat16', 'mixed_float16'"),
        ("SemiSupervised.alpha = 1.0", "expected a float in (0, 1)"),
        ("ActiveLearningLoop.model_name = '../x'", "that is a plain name"),
        ("image_folder_dataset.image_size = (32, 4096)", "an int in [1, 2_048]"),
    ],
)
def test_the_message_says_what_is_allowed(repo_root, binding, expected):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    with pytest.raises(ValueError) as e:
        campaign.parse_gin(files, [binding])
    assert expected in str(e.value)


def test_right_values_pass(repo_root):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    ok = [
        "Trainer.learning_rate = 1",
        "small_cnn.widths = (4, 8, 8)",
        "InputPipeline.prefetch = None",
        "SemiSupervised.sup_epochs = 0",
        "ActiveLearningLoop.seed = 2147483647",
        "tfal.acquisition.ceal_pseudo_labels.decay = 0.0",
    ]
    campaign.parse_gin(files, ok)


def test_python_callers_get_the_same_range_check():
    """The ranges hold when a configurable is called from Python too, not only through gin."""
    from tfal.data.pipeline import Augmentation
    from tfal.loop.semi import SemiSupervised

    with pytest.raises(ValueError, match=r"SemiSupervised.epochs=0: expected an int in \[1, "):
        SemiSupervised(epochs=0)
    with pytest.raises(
        ValueError, match=r"Augmentation.max_shift=-1: expected an int in \[0, 64\]"
    ):
        Augmentation(max_shift=-1)
    assert Augmentation(max_shift=0).max_shift == 0


def test_cross_parameter_constraint_is_refused_in_the_constructor():
    from tfal.loop.semi import SemiSupervised

    with pytest.raises(ValueError, match="num_labeled=64 must be smaller than batch_size=64"):
        SemiSupervised(batch_size=64, num_labeled=64)
    assert math.isclose(SemiSupervised(batch_size=64, num_labeled=10).epoch_fraction, 0.5)
