"""Every gin binding checked against its parameter's type annotation, at configuration time.

Gin passes bound values through as they are, so `ActiveLearningLoop.budget = 'ten'` would reach the
code and fail deep inside it with a traceback. `check_bindings` runs right after the gin files and
bindings are parsed, before any work or any write, and refuses a value whose type does not fit the
annotation of the configurable's parameter, naming the binding, the value and what is allowed.
Ranges and cross-parameter constraints are the configurables' own checks (ValueError at
construction, still before anything is written).
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Any

import gin

_NONE = type(None)


def check_bindings() -> None:
    """Raises ValueError for the first bound value whose type does not fit its annotation."""
    for (_, selector), params in sorted(gin.config._CONFIG.items()):
        configurable = gin.config._REGISTRY.get_match(selector)
        if configurable is None:
            continue
        hints = _hints(configurable.wrapped)
        for name, value in sorted(params.items()):
            if name in hints and not _fits(value, hints[name]):
                raise ValueError(
                    f"{configurable.name}.{name} = {value!r}: expected {_describe(hints[name])}"
                )


def _hints(fn_or_cls: Any) -> dict[str, Any]:
    target = fn_or_cls.__init__ if inspect.isclass(fn_or_cls) else fn_or_cls
    try:
        return typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - an annotation we cannot resolve is not checked
        return {}


def _is_reference(value: Any) -> bool:
    """@name or @name() (or a %MACRO): gin resolves it, its type shows only when it is called."""
    return type(value).__name__ in ("ConfigurableReference", "_UnknownConfigurableReference")


def _fits(value: Any, tp: Any) -> bool:
    if tp is Any or _is_reference(value):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if tp is _NONE:
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
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
