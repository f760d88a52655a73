"""Every user-facing gin parameter refuses a value of the wrong type at configuration time.

The bad values are generated from the configurables' own annotations, so a new parameter is
covered without touching this file.
"""

import typing

import gin
import pytest

from tfal import campaign, config_types
from tfal.main import GIN_SEARCH_PATHS

campaign._register_configurables()

CONFIGURABLES = [
    "ActiveLearningLoop",
    "Trainer",
    "SemiSupervised",
    "DeepCluster",
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
WRONG = {int: "'ten'", float: "'fast'", str: "3", bool: "'yes'"}


def _primitive(tp):
    """The primitive type a parameter takes (int, float, str, bool), None for other parameters."""
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    return args[0] if len(args) == 1 and args[0] in WRONG else None


def _cases():
    cases = []
    for name in CONFIGURABLES:
        configurable = gin.config._REGISTRY.get_match(name)
        denied = set(configurable.denylist or ())
        allowed = configurable.allowlist
        for param, tp in config_types._hints(configurable.wrapped).items():
            if param == "return" or param in denied or (allowed and param not in allowed):
                continue
            kind = _primitive(tp)
            if kind is not None:
                cases.append((configurable.name, param, WRONG[kind]))
    return cases


CASES = _cases()


def test_the_table_covers_every_configurable():
    covered = {name for name, _, _ in CASES}
    assert len(CASES) > 60 and len(covered) >= len(CONFIGURABLES) - 2, covered


@pytest.mark.parametrize("name, param, value", CASES, ids=[f"{n}.{p}" for n, p, _ in CASES])
def test_a_wrong_type_is_refused_naming_the_binding(repo_root, name, param, value):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    with pytest.raises(ValueError) as e:
        campaign.parse_gin(files, [f"{name}.{param} = {value}"], search_paths=GIN_SEARCH_PATHS)
    message = str(e.value)
    assert message.startswith("bad gin config: ") and f"{param} = {value}" in message
    assert "expected" in message and "\n" not in message


@pytest.mark.parametrize(
    "binding, expected",
    [
        ("ActiveLearningLoop.dataset = 'mnist'", "expected a Dataset"),
        ("ActiveLearningLoop.num_cycles = 2.5", "expected an int"),
        ("small_cnn.widths = (4, 'eight', 8)", "expected a tuple (an int, an int, an int)"),
        ("Trainer.learning_rate = True", "expected a float"),
    ],
)
def test_references_and_containers_are_checked_too(repo_root, binding, expected):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    with pytest.raises(ValueError) as e:
        campaign.parse_gin(files, [binding], search_paths=GIN_SEARCH_PATHS)
    assert expected in str(e.value)


def test_right_types_pass(repo_root):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    ok = [
        "Trainer.learning_rate = 1",
        "small_cnn.widths = (4, 8, 8)",
        "InputPipeline.prefetch = None",
    ]
    campaign.parse_gin(files, ok, search_paths=GIN_SEARCH_PATHS)
