"""The configuration reference (docs site) covers every gin parameter of every tfal configurable.

The parameters are enumerated here a second way, independently of `tfal.config_reference`: gin's
registry, each target unwrapped to the function its author wrote (`inspect.unwrap`: `configurable`
wraps it to check ranges) and read by `inspect.getfullargspec`, less gin's deny- or allowlist.
"""

import inspect
import re
import typing

import gin
import pytest

from tfal import config_reference, config_types


@pytest.fixture(scope="module")
def page():
    return config_reference.render()


def _sections(page: str) -> dict[str, str]:
    """Each configurable's part of the page, by its gin name (from its "gin: `@name`" line)."""
    out = {}
    for part in page.split("\n### ")[1:]:
        match = re.search(r"gin: `@([\w.]+)`", part)
        assert match, part[:200]
        out[match.group(1)] = part
    return out


def _expected() -> dict[str, list[str]]:
    """gin name -> the names gin can bind, enumerated without tfal.config_reference."""
    expected = {}
    for gin_name, selectable in gin.config._REGISTRY.items():
        if not (selectable.module or "").startswith("tfal"):
            continue
        target = selectable.wrapped
        fn = inspect.unwrap(target.__init__ if inspect.isclass(target) else target)
        spec = inspect.getfullargspec(fn)
        names = spec.args[1:] if inspect.isclass(target) else spec.args
        names = [*names, *spec.kwonlyargs]
        if selectable.allowlist is not None:
            names = [n for n in names if n in selectable.allowlist]
        names = [n for n in names if n not in (selectable.denylist or ())]
        expected[gin_name] = names
    return expected


def _rows(section: str) -> dict[str, str]:
    """parameter name -> its table row."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", section, re.M)}


def test_every_parameter_of_every_tfal_configurable_is_in_the_reference(page):
    expected = _expected()
    sections = _sections(page)
    # the configurables the command line's gin files name, at least
    for name in ("tfal.loop.ActiveLearningLoop", "tfal.loop.SemiSupervised", "tfal.lp.LPConfig",
                 "tfal.training.Trainer", "tfal.data.tfds_dataset", "tfal.data.HumanOracle",
                 "tfal.acquisition.random", "tfal.pretrain.DeepCluster"):  # fmt: skip
        assert name in expected
    assert sorted(sections) == sorted(expected)
    for gin_name, names in expected.items():
        rows = _rows(sections[gin_name])
        assert sorted(rows) == sorted(names), gin_name
        if not names:
            assert "No parameters to bind." in sections[gin_name]


def test_a_ranged_parameter_shows_its_range_and_default(page):
    rows = _rows(_sections(page)["tfal.loop.ActiveLearningLoop"])
    assert "`in [1, 10_000_000]`" in rows["budget"] and "| `10` |" in rows["budget"]
    assert "examples acquired per cycle" in rows["budget"]  # its docstring's Args entry
    semi = _rows(_sections(page)["tfal.loop.SemiSupervised"])
    assert "`in (0, 1)`" in semi["alpha"]  # inherited from LPConfig, with LPConfig's text
    assert "eq. (9)" in semi["alpha"]
    assert (
        "`one of 'float32', 'mixed_bfloat16', 'mixed_float16'`"
        in _rows(_sections(page)["tfal.training.Trainer"])["precision"]
    )


def test_every_constraint_in_an_annotation_is_shown(page):
    """Every Range/OneOf/Pattern of every parameter, as `tfal.config_types` describes it."""
    sections = _sections(page)
    for gin_name, selectable in gin.config._REGISTRY.items():
        if gin_name not in sections:
            continue
        target = selectable.wrapped
        fn = inspect.unwrap(target.__init__ if inspect.isclass(target) else target)
        hints = typing.get_type_hints(fn, include_extras=True)
        rows = _rows(sections[gin_name])
        for name, row in rows.items():
            for constraint in config_types.constraints(hints.get(name, type(None))):
                assert constraint.describe() in row, (gin_name, name, row)


def test_docstring_entries_naming_two_parameters_document_both():
    config_reference.register()
    docs = config_reference.argument_docs(gin.config._REGISTRY["tfal.lp.LPConfig"].wrapped)
    assert docs["max_iter"] == docs["tol"] and "conjugate-gradient" in docs["tol"]
    assert docs["k"].startswith("neighbours per example")
