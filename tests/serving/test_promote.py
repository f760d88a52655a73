"""The version policy: `stable` moves to the newest cycle only if it scores at least as well, and
the shipped configs parse as TF Serving's own protos (tensorflow-serving-api)."""

import json
import os

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from tfal.serving import promote

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _parse(text):
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def test_the_rule_promotes_only_a_cycle_at_least_as_accurate():
    assert promote.decide({1: 0.90}, None) == promote.Decision(1, 1, promote.decide({1: 0.9}, None).reason)
    kept = promote.decide({1: 0.90, 2: 0.95, 3: 0.93}, stable=2)
    assert (kept.stable, kept.canary) == (2, 3) and "stays canary" in kept.reason
    moved = promote.decide({1: 0.90, 2: 0.95, 3: 0.95}, stable=2)
    assert (moved.stable, moved.canary) == (3, 3) and "promoted" in moved.reason
    with pytest.raises(ValueError, match="no finished cycle"):
        promote.decide({}, None)


def test_the_shipped_models_config_parses_with_version_labels():
    with open(os.path.join(REPO, "export", "models.config")) as f:
        config = _parse(f.read())
    entry = config.model_config_list.config[0]
    assert entry.name == "mnist" and dict(entry.version_labels) == {"stable": 1, "canary": 1}
    assert list(entry.model_version_policy.specific.versions) == [1]


def test_the_command_rewrites_the_config_and_keeps_its_comments(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"stage": "cycle", "cycle": c, "test_accuracy": a} for c, a in enumerate([0.9, 0.95, 0.93])]
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = tmp_path / "models.config"
    with open(os.path.join(REPO, "export", "models.config")) as f:
        shipped = f.read()
    config.write_text(shipped.replace('key: "stable" value: 1', 'key: "stable" value: 2'))
    assert promote.main([str(run), "--models_config", str(config)]) == 0
    entry = _parse(config.read_text()).model_config_list.config[0]
    assert dict(entry.version_labels) == {"stable": 2, "canary": 3}
    assert list(entry.model_version_policy.specific.versions) == [2, 3]
    assert config.read_text().startswith("# TF Serving model server config")
    assert "stays canary" in capsys.readouterr().out
    assert promote.main([str(run), "--models_config", str(config), "--model", "nope"]) == 2
    assert "models.config has no model 'nope'" in capsys.readouterr().err


def test_a_config_that_is_not_a_model_server_config_is_one_line_and_left_as_it_was(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text('{"stage": "cycle", "cycle": 0, "test_accuracy": 0.9}\n')
    config = tmp_path / "models.config"
    config.write_text('model_config_list { config { nme: "x" } }\n')
    assert promote.main([str(run), "--models_config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tfal: error: models.config is not a ModelServerConfig: ") and 'no field named "nme"' in err
    assert err.count("\n") == 1
    assert config.read_text() == 'model_config_list { config { nme: "x" } }\n'
