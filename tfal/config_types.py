"""Every gin parameter's type and range, declared once in its annotation, checked before any work.

Gin passes bound values through as they are, so `ActiveLearningLoop.budget = 'ten'` or `= 0` would
reach the code and fail deep inside it. A parameter's annotation says what it takes: its type and,
through `typing.Annotated`, its range (`Range`), its allowed names (`OneOf`) or its form (`Pattern`);
the aliases below (`Count`, `Fraction`, ...) name the common ones. Two places read them, and only
them:

- `check_bindings`, right after the gin files and bindings are parsed, before any work or any write:
  a value of the wrong type or outside its range is refused in one line naming the binding, the
  value and what is allowed;
- `configurable` (used instead of `gin.configurable`): the same range checks when a configurable is
  called from Python, so a notebook gets the same error as the command line.

Constraints between parameters (labeled per SEMI batch vs the batch size, budget vs the pool) are
the owning configurable's, checked in its constructor, still before anything is written.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import math
import numbers
import re
import types
import typing
from typing import Annotated, Any

import gin

_NONE = type(None)


@dataclasses.dataclass(frozen=True)
class Range:
    """A number in [low, high] (an open end excludes that bound)."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return None  # a wrong type is the type check's to report
        low_ok = value > self.low if self.low_open else value >= self.low
        high_ok = value < self.high if self.high_open else value <= self.high
        return None if math.isfinite(value) and low_ok and high_ok else self.describe()

    def describe(self) -> str:
        return (
            f"in {'(' if self.low_open else '['}{_number(self.low)}, "
            f"{_number(self.high)}{')' if self.high_open else ']'}"
        )


@dataclasses.dataclass(frozen=True)
class OneOf:
    """One of a fixed set of names."""

    names: tuple[str, ...]

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or value in self.names:
            return None
        return self.describe()

    def describe(self) -> str:
        return "one of " + ", ".join(repr(n) for n in self.names)


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A string that matches `regex` whole; `meaning` says it in words."""

    regex: str
    meaning: str

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or re.fullmatch(self.regex, value):
            return None
        return self.describe()

    def describe(self) -> str:
        return f"that is {self.meaning}"


# The common ranges. The upper bounds are far beyond any real campaign: a value above one is a typo
# (an extra zero, a seed pasted into the epochs), refused before it costs hours or all the memory.
MAX_SIZE = 10_000_000  # examples: pool, budget, labels, subsets
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_ITERATIONS = 100_000

Count = Annotated[int, Range(1, MAX_SIZE)]
Epochs = Annotated[int, Range(1, MAX_EPOCHS)]
EpochsOrNone = Annotated[int, Range(0, MAX_EPOCHS)]  # 0: that stage is skipped
BatchSize = Annotated[int, Range(1, MAX_BATCH)]
Iterations = Annotated[int, Range(1, MAX_ITERATIONS)]
Neighbours = Annotated[int, Range(1, 10_000)]
Seed = Annotated[int, Range(0, 2**31 - 1)]
Fraction = Annotated[float, Range(0.0, 1.0, low_open=True)]  # (0, 1]
OpenFraction = Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)]  # (0, 1)
Probability = Annotated[float, Range(0.0, 1.0)]  # [0, 1]
BelowOne = Annotated[float, Range(0.0, 1.0, high_open=True)]  # [0, 1): momentum, dropout
LearningRate = Annotated[float, Range(0.0, 100.0, low_open=True)]
WeightDecay = Annotated[float, Range(0.0, 1.0)]
Tolerance = Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)]
Positive = Annotated[float, Range(0.0, 1e6, low_open=True)]
PlainName = Annotated[
    str,
    Pattern(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
        "a plain name: letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
]


def constraints(tp: Any) -> list[Any]:
    """The Range/OneOf/Pattern constraints an annotation carries (through Optional too)."""
    if typing.get_origin(tp) is Annotated:
        return [m for m in tp.__metadata__ if hasattr(m, "problem")]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(tp) for c in constraints(arg)]
    return []


def problem(value: Any, tp: Any) -> str | None:
    """What is wrong with `value` for annotation `tp` ("expected ..."), None when it fits."""
    if _is_reference(value):
        return None
    if not _fits(value, tp):
        return f"expected {_describe(tp)}"
    if value is None:
        return None
    for constraint in constraints(tp):
        if constraint.problem(value) is not None:
            return f"expected {_describe(tp)}"
    if typing.get_origin(_strip_optional(tp)) in (tuple, list, collections.abc.Sequence):
        items = [a for a in typing.get_args(_strip_optional(tp)) if a is not Ellipsis]
        item_types = items * len(value) if len(items) == 1 else items
        for item, item_tp in zip(value, item_types, strict=True):
            if problem(item, item_tp) is not None:
                return f"expected {_describe(tp)}"
    return None


def check_bindings() -> None:
    """Raises ValueError for the first bound value whose type or range does not fit its annotation."""
    for (_, selector), params in sorted(gin.config._CONFIG.items()):
        configurable = gin.config._REGISTRY.get_match(selector)
        if configurable is None:
            continue
        hints = hints_of(configurable.wrapped)
        for name, value in sorted(params.items()):
            if name in hints and (p := problem(value, hints[name])) is not None:
                raise ValueError(f"{configurable.name}.{name} = {value!r}: {p}")


def non_default_bindings() -> dict[str, Any]:
    """Every bound gin parameter whose value differs from its default, as "Configurable.param"
    (references as their gin text): what sets this campaign apart, for TensorBoard's HParams."""
    out = {}
    for (scope, selector), params in sorted(gin.config._CONFIG.items()):
        configurable = gin.config._REGISTRY.get_match(selector)
        if configurable is None:
            continue
        target = configurable.wrapped
        fn = target.__init__ if inspect.isclass(target) else target
        try:
            defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
        except (TypeError, ValueError):
            defaults = {}
        for name, value in sorted(params.items()):
            if _is_reference(value):
                value = repr(value)  # '@tfal.loop.SemiSupervised()', as in the gin file
            elif defaults.get(name, inspect.Parameter.empty) == value:
                continue
            key = f"{scope + '/' if scope else ''}{configurable.name}.{name}"
            out[key] = value
    return out


def configurable(name: str | None = None, **kwargs: Any):
    """`gin.configurable` whose target checks its arguments' ranges on every call, from gin or Python."""

    def decorate(target):
        return gin.configurable(name, **kwargs)(_checked(target, name or target.__name__))

    return decorate


def _checked(target: Any, name: str) -> Any:
    """Wraps a function (or a class's __init__) to refuse arguments outside their declared ranges."""
    fn = target.__init__ if inspect.isclass(target) else target
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        hints = hints_of(target)
        for param, value in bound.arguments.items():
            tp = hints.get(param)
            if tp is not None and constraints(tp) and (p := problem(value, tp)) is not None:
                raise ValueError(f"{name}.{param}={value!r}: {p}")
        return fn(*args, **kwargs)

    if inspect.isclass(target):
        target.__init__ = checked
        return target
    return checked


@functools.cache
def _cached_hints(target: Any) -> tuple[tuple[str, Any], ...]:
    fn = target.__init__ if inspect.isclass(target) else target
    try:
        return tuple(typing.get_type_hints(fn, include_extras=True).items())
    except Exception:  # noqa: BLE001 - an annotation we cannot resolve is not checked
        return ()


def hints_of(target: Any) -> dict[str, Any]:
    """The resolved annotations (with their constraints) of a function or a class's constructor."""
    return dict(_cached_hints(target))


def _is_reference(value: Any) -> bool:
    """@name or @name() (or a %MACRO): gin resolves it, its type shows only when it is called."""
    return type(value).__name__ in ("ConfigurableReference", "_UnknownConfigurableReference")


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not _NONE]
        if len(args) == 1:
            return _strip_optional(args[0])
    if typing.get_origin(tp) is Annotated:
        return typing.get_args(tp)[0]
    return tp


def _number(x: float) -> str:
    return f"{int(x):_}" if float(x).is_integer() else f"{x:g}"


def _fits(value: Any, tp: Any) -> bool:
    if tp is Any or _is_reference(value):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return _fits(value, args[0])
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if tp is _NONE:
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:  # numpy integers too, for Python callers
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin in (tuple, list, collections.abc.Sequence):
        if not isinstance(value, tuple | list):
            return False
        items = [a for a in args if a is not Ellipsis]
        if not items:
            return True
        if len(items) == 1:  # Sequence[int], tuple[int, ...]
            return all(_fits(v, items[0]) for v in value)
        return len(items) == len(value) and all(map(_fits, value, items))
    if origin is collections.abc.Callable or tp is collections.abc.Callable:
        return callable(value)
    if inspect.isclass(tp):
        return isinstance(value, tp)
    return True  # a typing construct not checked here


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return " ".join([_describe(args[0])] + [c.describe() for c in constraints(tp)])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if tp is _NONE:
        return "None"
    if tp in (int, float, str, bool):
        return f"{'an' if tp is int else 'a'} {tp.__name__}"
    if origin in (tuple, list, collections.abc.Sequence):
        items = [_describe(a) for a in args if a is not Ellipsis]
        return f"a tuple ({', '.join(items)})" if items else "a tuple"
    name = getattr(tp, "__name__", str(tp))
    return f"a {name} (a configurable reference such as @name())"
