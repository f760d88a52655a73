"""Which cycle TF Serving serves: `stable` is promoted only when a cycle scores at least as well.

Active learning exports a model every cycle, and a later cycle can score worse (a bad batch of
labels, an unlucky run). Serving `latest` would put each one in front of users unvetted. tfal's
`models.config` serves two labelled versions instead: `canary` (the newest cycle, for shadow
traffic) and `stable` (what clients call). The rule: the newest cycle becomes `stable` when its
test accuracy (results.jsonl, version j + 1 = cycle j) is at least the stable one's.

    python -m tfal.serving.promote RUN_DIR --models_config export/models.config [--model NAME]

rewrites the named model's `model_version_policy` and `version_labels` in the config (atomically;
TF Serving re-reads it with --model_config_file_poll_wait_seconds) and prints the decision.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from tfal.atomic import write_atomically
from tfal.monitoring import read_results


@dataclasses.dataclass(frozen=True)
class Decision:
    """Versions to serve: `stable` (clients) and `canary` (the newest), and why."""

    stable: int
    canary: int
    reason: str


def decide(accuracies: dict[int, float], stable: int | None) -> Decision:
    """The rule (module docstring) on `{version: test accuracy}` and the current stable version."""
    if not accuracies:
        raise ValueError("the campaign has no finished cycle yet: nothing to serve")
    newest = max(accuracies)
    if stable is None or stable not in accuracies:
        return Decision(newest, newest, f"no stable version yet: version {newest} is served")
    if accuracies[newest] >= accuracies[stable]:
        return Decision(
            newest, newest,
            f"version {newest} ({accuracies[newest]:.2%}) >= stable version {stable} "
            f"({accuracies[stable]:.2%}): promoted",
        )  # fmt: skip
    return Decision(
        stable, newest,
        f"version {newest} ({accuracies[newest]:.2%}) < stable version {stable} "
        f"({accuracies[stable]:.2%}): stays canary",
    )  # fmt: skip


def version_accuracies(run_dir: str) -> dict[int, float]:
    """`{version: test accuracy}` of a run directory's finished cycles (version = cycle + 1)."""
    rows = read_results(os.path.join(run_dir, "results.jsonl"))
    return {r["cycle"] + 1: float(r["test_accuracy"]) for r in rows if r["stage"] == "cycle"}


def parse(config_text: str):
    """models.config's text as TF Serving's ModelServerConfig proto."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    try:
        return text_format.Parse(config_text, model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as e:
        raise ValueError(f"models.config is not a ModelServerConfig: {e}") from e


def current_stable(config, model: str) -> int | None:
    """The version `model` labels `stable` in a parsed config, None without one."""
    for entry in config.model_config_list.config:
        if entry.name == model and "stable" in entry.version_labels:
            return int(entry.version_labels["stable"])
    return None


def apply(config, model: str, decision: Decision) -> str:
    """The config's text with `model`'s versions and labels set to `decision`."""
    from google.protobuf import text_format

    entries = [c for c in config.model_config_list.config if c.name == model]
    if not entries:
        names = ", ".join(c.name for c in config.model_config_list.config)
        raise ValueError(f"models.config has no model {model!r}; it has: {names}")
    entry = entries[0]
    entry.model_version_policy.Clear()
    entry.model_version_policy.specific.versions.extend(sorted({decision.stable, decision.canary}))
    entry.version_labels.clear()
    entry.version_labels["stable"] = decision.stable
    entry.version_labels["canary"] = decision.canary
    return text_format.MessageToString(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfal.serving.promote", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("run_dir")
    parser.add_argument("--models_config", required=True, help="TF Serving's models.config")
    parser.add_argument("--model", default="mnist", help="the config entry to update")
    args = parser.parse_args(argv)
    try:
        with open(args.models_config, encoding="utf-8") as f:
            text = f.read()
        config = parse(text)
        decision = decide(version_accuracies(args.run_dir), current_stable(config, args.model))
        updated = apply(config, args.model, decision)
    except (OSError, ValueError) as e:
        print(f"tfal: error: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    write_atomically(args.models_config, (header + updated).encode("utf-8"))
    print(f"{args.model}: {decision.reason}; stable {decision.stable}, canary {decision.canary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
