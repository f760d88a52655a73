"""The stopping signal: Cohen's kappa against hand-computed values, the rule, and a campaign that
ends when it holds."""

import json
import os

import numpy as np
import pytest

from tfal.loop.stopping import Stability, kappa


def _reference_kappa(a, b, c):
    """Cohen (1960) from the confusion table, written out."""
    table = np.zeros((c, c))
    for x, y in zip(a, b, strict=True):
        table[x, y] += 1
    n = table.sum()
    observed = np.trace(table) / n
    expected = sum(table[k].sum() * table[:, k].sum() for k in range(c)) / n**2
    return (observed - expected) / (1 - expected)


def test_kappa_matches_the_hand_computed_values():
    assert kappa([0, 0, 1, 1], [0, 1, 1, 1], 2) == pytest.approx(0.5)  # p_o .75, p_e .5
    assert kappa([0, 1, 2, 0], [0, 1, 2, 0], 3) == 1.0
    assert kappa([2, 2, 2], [2, 2, 2], 3) == 1.0  # one class everywhere: agreement, not 0/0
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 400), rng.integers(0, 5, 400)
    assert kappa(a, b, 5) == pytest.approx(_reference_kappa(a, b, 5))
    assert abs(kappa(a, b, 5)) < 0.1  # independent labels: chance agreement only
    b[:300] = a[:300]
    assert kappa(a, b, 5) == pytest.approx(_reference_kappa(a, b, 5))


def test_the_rule_averages_the_last_window_kappas_and_holds_at_the_threshold():
    rule, extra = Stability(stop_set_size=4, window=2, threshold=0.9), {}
    rows = [rule.after_cycle(np.array(p), extra, 3)
            for p in ([0, 1, 2, 0], [0, 1, 2, 1], [0, 1, 2, 1], [0, 1, 2, 1])]  # fmt: skip
    first_kappa = _reference_kappa([0, 1, 2, 0], [0, 1, 2, 1], 3)
    assert rows[0] == {"stop_kappa": None, "stop_kappa_mean": None, "stop_rule_holds": False}
    assert rows[1]["stop_kappa"] == pytest.approx(first_kappa) and rows[1]["stop_kappa_mean"] is None
    assert rows[2]["stop_kappa_mean"] == pytest.approx((first_kappa + 1) / 2)
    assert rows[2]["stop_rule_holds"] is (bool((first_kappa + 1) / 2 >= 0.9))
    assert rows[3] == {"stop_kappa": 1.0, "stop_kappa_mean": 1.0, "stop_rule_holds": True}
    assert extra["stability"]["predictions"] == [0, 1, 2, 1]
    assert json.loads(json.dumps(extra)) == extra  # state.json holds it


def test_the_stop_set_is_fixed_by_the_seed_capped_by_the_pool_and_kept_when_it_grows():
    rule = Stability(stop_set_size=50)
    a, b = rule.stop_set(1000, seed=3, extra={}), rule.stop_set(1000, seed=3, extra={})
    np.testing.assert_array_equal(a, b)
    assert len(a) == 50 and len(set(a.tolist())) == 50 and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, rule.stop_set(1000, seed=4, extra={}))
    extra = {}
    small = rule.stop_set(20, seed=3, extra=extra)
    assert sorted(small.tolist()) == list(range(20))
    np.testing.assert_array_equal(rule.stop_set(2000, seed=3, extra=extra), small)  # pool grew


@pytest.mark.slow
def test_a_campaign_ends_when_the_rule_holds_and_stays_ended(tmp_path, request, monkeypatch, capsys):
    from subprocess_campaigns import in_process, outcome, raw_rows

    run_dir = str(tmp_path / "run")
    args = ["--gin_file=gin_configs/setting/baseline.gin", "--gin_bindings=ActiveLearningLoop.sup_epochs=3",
            "--gin_bindings=Stability.window = 1", "--gin_bindings=Stability.threshold = -1.0",
            "--gin_bindings=Stability.stop_set_size = 200"]  # fmt: skip
    code, err = in_process(request.config.rootpath, monkeypatch, capsys, run_dir, *args)
    assert code == 0, err[-2000:]
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["finished"] and state["next_cycle"] == 2 and state["extra"]["stopped_early"] == 1
    assert not state["pending_query"] and len(state["acquired"]) == 1  # cycle 1 asked nothing
    rows = [r for r in raw_rows(run_dir) if r["stage"] == "cycle"]
    assert [r["cycle"] for r in rows] == [0, 1]
    assert rows[0]["stop_kappa"] is None and -1.0 <= rows[1]["stop_kappa"] <= 1.0
    assert rows[1]["stop_rule_holds"] is True
    before = outcome(run_dir)
    code, _ = in_process(request.config.rootpath, monkeypatch, capsys, run_dir, *args)
    assert code == 0 and outcome(run_dir) == before
