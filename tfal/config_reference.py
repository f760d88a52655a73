"""The configuration reference: every gin parameter of tfal, rendered from its code.

One source of truth: a parameter's type and range come from its annotation (`tfal.config_types`:
`Range`, `OneOf`, `Pattern`, the same ones `check_bindings` enforces), its default from the
signature, and its meaning from the `Args:` (or `Attributes:`) entry of the Google-style docstring
that documents it. The documentation site renders this at build time (`docs/_hooks/generate.py`),
so nothing generated is committed; `python -m tfal.config_reference` prints it.

The configurables are the ones the command line registers (`tfal.campaign`'s imports): gin's
registry after them, every configurable whose gin module starts with `tfal`.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import re
import types
import typing
from typing import Annotated, Any

import gin

from tfal import config_types

_SECTION = re.compile(r"^(\s*)(Args|Arguments|Attributes|Parameters):\s*$")
_ENTRY = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)(?:\s*\([^)]*\))?:\s?(.*)$"
)


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One gin parameter: `Configurable.name`, what it takes and what it does."""

    name: str
    type: str  # the annotation without its constraints, e.g. "int | None"; "" when unannotated
    allowed: str  # the constraints as Markdown, e.g. "`in [1, 10_000_000]`"; "" when none
    default: str  # as gin text, "required" when there is none
    doc: str  # the docstring entry, lines joined; "" when undocumented


@dataclasses.dataclass(frozen=True)
class Configurable:
    """One registered configurable: its gin name and every parameter gin can bind."""

    gin_name: str  # e.g. "tfal.loop.ActiveLearningLoop"
    name: str  # e.g. "ActiveLearningLoop"
    module: str  # gin module, e.g. "tfal.loop"
    python_name: str  # where it is defined, e.g. "tfal.loop.cycle.ActiveLearningLoop"
    summary: str  # the docstring's first paragraph
    parameters: tuple[Parameter, ...]


def register() -> None:
    """Imports every module whose configurables the command line's gin files may name."""
    from tfal import campaign

    campaign._register_configurables()


def configurables() -> list[Configurable]:
    """tfal's configurables in gin's registry (after `register()`), sorted by gin name."""
    out = []
    for gin_name, selectable in sorted(gin.config._REGISTRY.items()):
        if not (selectable.module or "").startswith("tfal"):
            continue
        out.append(_configurable(gin_name, selectable))
    return out


def render() -> str:
    """The reference as one Markdown page: a section per gin module, a table per configurable."""
    register()
    entries = configurables()
    lines = [
        "# Configuration reference",
        "",
        "Every gin parameter of tfal, generated from the code when this site was built: the type",
        "and the allowed values come from the parameter's annotation (the same ones a binding is",
        "checked against before a campaign starts, `tfal.config_types`), the default from the",
        "signature, the description from the docstring. Bind any of them in a gin file or with",
        "`--gin_bindings='Configurable.parameter = value'`; a value outside what is allowed stops",
        "the command in one line, before anything runs.",
        "",
    ]
    by_module: dict[str, list[Configurable]] = {}
    for entry in entries:
        by_module.setdefault(entry.module, []).append(entry)
    for module, group in sorted(by_module.items()):
        lines += [f"## `{module}`", ""]
        for entry in group:
            lines += _render_configurable(entry)
    return "\n".join(lines).rstrip() + "\n"


def _render_configurable(entry: Configurable) -> list[str]:
    lines = [f"### {entry.name}", ""]
    lines.append(
        f"gin: `@{entry.gin_name}` (or `{entry.name}.<parameter>` in a binding); "
        f"Python: `{entry.python_name}`."
    )
    lines.append("")
    if entry.summary:
        lines += [_escape(entry.summary), ""]
    if not entry.parameters:
        return lines + ["No parameters to bind.", ""]
    lines += [
        "| parameter | type | allowed | default | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for p in entry.parameters:
        cells = [
            f"`{p.name}`",
            _code(p.type),
            p.allowed,
            _code(p.default),
            _escape(p.doc) or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _configurable(gin_name: str, selectable: Any) -> Configurable:
    target = selectable.wrapped
    hints = config_types.hints_of(target)
    params = []
    for name, param in bindable_parameters(target, selectable).items():
        tp = hints.get(name)
        params.append(
            Parameter(
                name=name,
                type=_type_name(tp) if tp is not None else "",
                allowed=", ".join(f"`{a}`" for a in _allowed(tp)) if tp is not None else "",
                default=_default(param.default),
                doc=argument_docs(target).get(name, ""),
            )
        )
    return Configurable(
        gin_name=gin_name,
        name=selectable.name,
        module=selectable.module,
        python_name=f"{target.__module__}.{target.__qualname__}",
        summary=_summary(target),
        parameters=tuple(params),
    )


def bindable_parameters(target: Any, selectable: Any) -> dict[str, inspect.Parameter]:
    """The parameters gin may bind: named ones, less the configurable's denylist (or only its
    allowlist), `self` and `*args` / `**kwargs` left out."""
    fn = target.__init__ if inspect.isclass(target) else target
    params = list(inspect.signature(fn).parameters.values())
    if inspect.isclass(target):
        params = params[1:]  # self
    named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    allow, deny = selectable.allowlist, selectable.denylist or ()
    return {p.name: p for p in named if (allow is None or p.name in allow) and p.name not in deny}


def argument_docs(target: Any) -> dict[str, str]:
    """Each documented parameter's text, from the `Args:`/`Attributes:` sections of the target's
    docstring, its constructor's and (for a class) its bases' (a subclass's entry wins)."""
    sources = [target]
    if inspect.isclass(target):
        sources = [c for c in target.__mro__ if c is not object]
        sources = [s for c in sources for s in (c, c.__dict__.get("__init__"))]
    docs: dict[str, str] = {}
    for source in sources:
        doc = inspect.getdoc(source) if source is not None else None
        for names, text in _doc_entries(doc or ""):
            for name in names:
                docs.setdefault(name, text)
    return docs


def _doc_entries(doc: str) -> list[tuple[list[str], str]]:
    """(names, text) per entry of a Google-style Args/Attributes section; "a, b: text" names two."""
    entries: list[tuple[list[str], list[str]]] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        section = _SECTION.match(lines[i])
        i += 1
        if not section:
            continue
        entry_indent = None
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                if (
                    i < len(lines)
                    and lines[i].strip()
                    and _indent(lines[i]) <= len(section.group(1))
                ):
                    break
                continue
            indent = _indent(line)
            if indent <= len(section.group(1)):
                break
            entry_indent = indent if entry_indent is None else entry_indent
            match = _ENTRY.match(line.strip()) if indent == entry_indent else None
            if match:
                names = [n.strip() for n in match.group(1).split(",")]
                entries.append((names, [match.group(2).strip()]))
            elif entries:
                entries[-1][1].append(line.strip())
            i += 1
    return [(names, " ".join(t for t in text if t)) for names, text in entries]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _summary(target: Any) -> str:
    doc = inspect.getdoc(target) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _strip(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp


def _type_name(tp: Any) -> str:
    """The annotation as a reader writes it, constraints left out: `int | None`, `tuple[int, int]`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if tp is type(None):
        return "None"
    if tp is typing.Any:
        return "Any"
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        if not args:
            return base
        inner = ", ".join("..." if a is Ellipsis else _type_name(a) for a in args if a != [])
        return f"{base}[{inner}]"
    if tp is collections.abc.Callable:
        return "Callable"
    return getattr(tp, "__name__", str(tp))


def _allowed(tp: Any, prefix: str = "") -> list[str]:
    """What the annotation's constraints allow, in `tfal.config_types`' words."""
    out = [prefix + c.describe() for c in config_types.constraints(tp)]
    inner = _strip(tp)
    if typing.get_origin(inner) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(inner) if a is not type(None)]
        inner = _strip(args[0]) if len(args) == 1 else inner
    if typing.get_origin(inner) in (tuple, list, collections.abc.Sequence):
        items = [a for a in typing.get_args(inner) if a is not Ellipsis]
        described = {d for a in items for d in _allowed(a)}
        if len(described) == 1:
            out.append("each " + described.pop())
        else:
            for n, a in enumerate(items):
                out += _allowed(a, prefix=f"item {n}: ")
    return out


def _default(value: Any) -> str:
    if value is inspect.Parameter.empty or value is gin.REQUIRED:
        return "required"
    if inspect.isclass(value) or callable(value):
        registered = _gin_name_of(value)
        if registered:
            return f"@{registered}"
        return getattr(value, "__qualname__", repr(value))
    return repr(value)


def _gin_name_of(value: Any) -> str | None:
    for name, selectable in gin.config._REGISTRY.items():
        wrapped = selectable.wrapped
        if value is wrapped or inspect.unwrap(value) is inspect.unwrap(wrapped):
            return name
    return None


def _code(text: str) -> str:
    return f"`{text}`" if text else ""  # Python-Markdown's tables keep a `|` inside code


def _escape(text: str) -> str:
    """Docstring text in a Markdown table cell: code spans kept, `|`, `<`, `>`, `*` escaped around
    them (a `<model_name>` outside code would be read as an HTML tag)."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part)
        else:
            out.append(
                part.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
                .replace(">", "&gt;").replace("*", "\\*").replace("_", "\\_")
            )  # fmt: skip
    return "".join(out)


if __name__ == "__main__":
    print(render(), end="")
