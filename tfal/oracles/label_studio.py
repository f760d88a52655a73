"""Label Studio as the human oracle's front end (Algorithm 1, line 13: LABEL(S) by people).

Label Studio (labelstud.io) imports a JSON list of tasks and exports the annotated tasks as JSON.
This module only builds and reads those documents; `tfal.oracles.HumanOracle` writes and finds the
files. The labeling interface is one image and one single-choice question named `label`:

    <View><Image name="image" value="$image"/><Choices name="label" toName="image" ...>

Predictions carry the current model's guess, so annotators can accept it with one click.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from tfal.oracles.answers import CANCELLED, integer, shown

FROM_NAME = "label"
TO_NAME = "image"
POLICIES = ("refuse", "majority")  # what annotators who disagree give (`read_export`)


def labeling_config(class_names: Sequence[str]) -> str:
    """The XML labeling interface matching the tasks of `tasks` (paste it in the project settings)."""
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in class_names)
    return (
        "<View>\n"
        f'  <Image name="{TO_NAME}" value="$image"/>\n'
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" showInline="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


def tasks(
    pool_indices: Sequence[int],
    image_urls: Sequence[str],
    *,
    guesses: Sequence[str] | None = None,
    confidences: Sequence[float] | None = None,
    model_version: str = "tfal",
) -> list[dict]:
    """Label Studio import tasks: `data.image` and `data.pool_index`, plus the model's guess if any.

    Args:
      pool_indices: int pool index of each queried example.
      image_urls: what Label Studio loads for each example (a path or URL of its PNG).
      guesses: class name predicted by the current model for each example, or None.
      confidences: the probability of that guess, float in [0, 1].
      model_version: shown by Label Studio next to the predictions.
    """
    out = []
    for k, (index, url) in enumerate(zip(pool_indices, image_urls, strict=True)):
        task: dict = {"data": {"image": url, "pool_index": int(index)}}
        if guesses is not None:
            result = {
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "type": "choices",
                "value": {"choices": [guesses[k]]},
            }
            task["predictions"] = [
                {"model_version": model_version, "score": float(confidences[k]), "result": [result]}
            ]
        out.append(task)
    return out


def read_export(
    path: str,
    *,
    policy: str = "refuse",
    min_agreement: float = 0.5,
    votes: dict[int, dict[str, str]] | None = None,
) -> list[tuple[int, str, str]]:
    """Answers in a Label Studio JSON (or JSON-MIN) export: (pool_index, label or "", where).

    The label of a task is the single choice of its annotations that were not cancelled; a task
    nobody annotated gives "" (still pending); a task whose annotations were all cancelled (skipped
    in Label Studio) gives `answers.CANCELLED`. Annotators who disagree are refused (`policy`
    'refuse'), or with 'majority' the most chosen class wins when it is the only one chosen most
    and holds at least `min_agreement` of the votes. `votes`, when given, is filled with each
    task's {annotator: choice} (cancelled: "skip"). `where` names the task for error messages.

    Raises:
      ValueError: one line naming `path`: the file is not such an export, a task lacks its pool
        index, holds several choices, is malformed, or its annotators disagree beyond `policy`
        (settled in Label Studio by cancelling or deleting an annotation).
    """
    if policy not in POLICIES:
        raise ValueError(f"disagreement policy {policy!r}; allowed: {', '.join(POLICIES)}")
    with open(path, "rb") as f:
        data = f.read()
    try:
        exported = json.loads(data.decode("utf-8-sig"))  # -sig: a BOM some editors add
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path}: byte {e.start:,} ({data[e.start : e.start + 1]!r}) is not UTF-8; allowed: "
            "Label Studio's JSON export as it saved it"
        ) from e
    except ValueError as e:  # JSONDecodeError, or an integer of thousands of digits
        raise ValueError(f"{path} is not valid JSON: {e}") from e
    except RecursionError as e:
        raise ValueError(f"{path} is not a Label Studio export: JSON nested too deeply") from e
    return parse_export(exported, path, policy=policy, min_agreement=min_agreement, votes=votes)


def parse_export(
    exported,
    source: str,
    *,
    policy: str = "refuse",
    min_agreement: float = 0.5,
    votes: dict[int, dict[str, str]] | None = None,
) -> list[tuple[int, str, str]]:
    """`read_export` of an export already parsed (a file's, or a live project's, `source` naming
    it in messages)."""
    if policy not in POLICIES:
        raise ValueError(f"disagreement policy {policy!r}; allowed: {', '.join(POLICIES)}")
    if not isinstance(exported, list):
        raise ValueError(
            f"{source}: expected a list of tasks (Label Studio's JSON export), got {type(exported).__name__}"
        )
    rule = (policy, min_agreement)
    return [_read_task(source, k, task, rule, votes) for k, task in enumerate(exported)]


def _read_task(path: str, position: int, task, rule, votes) -> tuple[int, str, str]:
    if not isinstance(task, dict):
        raise ValueError(f"{path}: task #{position} is a {type(task).__name__}, expected an object")
    where = f"task {_name(task.get('id'), f'#{position}')}"
    minimal = "data" not in task  # JSON-MIN: data fields and answers side by side
    data = task if minimal else task["data"]
    index = data.get("pool_index") if isinstance(data, dict) else None
    if isinstance(index, str) and integer(index.strip()) is not None:
        index = integer(index.strip())
    if not isinstance(index, int) or isinstance(index, bool):
        raise ValueError(
            f"{path}: {where} has pool_index {shown(index)}, expected an int: import the tasks "
            "tfal wrote"
        )
    choices = (
        _minimal_choices(path, where, index, task)
        if minimal
        else _annotated_choices(path, where, index, task, rule, votes)
    )
    if len(choices) > 1:
        raise ValueError(
            f"{path}: {where} (pool index {index}) has several choices {shown(choices)}; "
            "allowed: one"
        )
    return index, (choices[0] if choices else ""), where


def _name(value, default: str) -> str:
    """An id of Label Studio (a task's, an annotator's) for a one-line message."""
    if value is None:
        return default
    if isinstance(value, dict):  # some exports give the annotator as {"id", "email", ...}
        value = value.get("email") or value.get("id", default)
    return str(value) if isinstance(value, int) else shown(value, limit=40)


def _minimal_choices(path: str, where: str, index: int, task: dict) -> list[str]:
    value = task.get(FROM_NAME, "")
    if isinstance(value, dict):  # multi-choice JSON-MIN: {"choices": [...]}
        value = value.get("choices", [])
    if isinstance(value, list):
        return [str(c) for c in value]
    if isinstance(value, (str, int, float)):  # bool is an int: its label is refused later
        return [str(value)] if value != "" else []
    if value is None:
        return []
    raise ValueError(
        f"{path}: {where} (pool index {index}) has {FROM_NAME} {shown(value)}; allowed: a class "
        "name or a list of them"
    )


def _annotated_choices(
    path: str, where: str, index: int, task: dict, rule: tuple[str, float], votes
) -> list[str]:
    """The choices of the task's annotations, decided by `rule` (policy, minimum agreement)."""
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise ValueError(f"{path}: {where} (pool index {index}) has malformed annotations")
    cancelled = [a.get("was_cancelled") for a in annotations]
    odd = [c for c in cancelled if c is not None and not isinstance(c, bool)]
    if odd:  # "false" as a string would silently drop the annotation
        raise ValueError(
            f"{path}: {where} (pool index {index}) has an annotation with was_cancelled "
            f"{shown(odd[0])}; allowed: true or false"
        )
    answers = {}  # annotator -> their choices
    kept = [a for a, c in zip(annotations, cancelled, strict=True) if not c]
    for k, annotation in enumerate(kept):
        annotator = _name(annotation.get("completed_by"), f"#{k}")
        answers[annotator] = _choices_of(path, where, index, annotation)
    if votes is not None and annotations:
        votes[index] = {
            _name(a.get("completed_by"), f"#{k}"): "skip" if c else "/".join(
                _choices_of(path, where, index, a)
            )
            for k, (a, c) in enumerate(zip(annotations, cancelled, strict=True))
        }
    if annotations and not kept:
        return [CANCELLED]
    distinct = {tuple(c) for c in answers.values() if c}
    if len(distinct) > 1 and rule[0] == "majority":
        winner = _majority([tuple(c) for c in answers.values() if c], rule[1])
        if winner is not None:
            return list(winner)
    if len(distinct) > 1:
        said = ", ".join(
            f"{shown('/'.join(c), limit=40)} by annotator {a}" for a, c in answers.items() if c
        )
        raise ValueError(
            f"{path}: {where} (pool index {index}): annotators disagree ({said}) under the "
            f"'{rule[0]}' policy (minimum agreement {rule[1]:g}); cancel or delete the wrong "
            "annotation in Label Studio and export again, or set HumanOracle.disagreement"
        )
    return list(distinct.pop()) if distinct else []


def _majority(choices: list[tuple[str, ...]], min_agreement: float) -> tuple[str, ...] | None:
    """The choice most annotators made, if it is the only one and has `min_agreement` of them."""
    counts: dict[tuple[str, ...], int] = {}
    for choice in choices:
        counts[choice] = counts.get(choice, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    best = max(counts, key=counts.__getitem__)
    unique = len(ranked) == 1 or ranked[0] > ranked[1]
    return best if unique and ranked[0] / len(choices) >= min_agreement else None


def _choices_of(path: str, where: str, index: int, annotation: dict) -> list[str]:
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise ValueError(f"{path}: {where} (pool index {index}) has a malformed annotation result")
    choices: list[str] = []
    for result in results:
        value = result.get("value") if isinstance(result, dict) else None
        if not isinstance(value, dict):
            raise ValueError(
                f"{path}: {where} (pool index {index}) has a malformed annotation result"
            )
        if result.get("type") == "choices" and result.get("from_name", FROM_NAME) == FROM_NAME:
            picked = value.get("choices", [])
            if not isinstance(picked, list):
                raise ValueError(f"{path}: {where} (pool index {index}) has malformed choices")
            choices += [str(c) for c in picked]
    return choices
