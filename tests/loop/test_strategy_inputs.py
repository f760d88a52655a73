"""What each strategy is handed by the loop, against the paper (sections 3 and 5).

CoreSet (eq. (4)) and jLP (eqs. (11)-(12)) work on the embedding phi_theta(x), the penultimate
features the model's "embedding" output gives; Uncertainty (eqs. (5)-(6)) and CEAL (eq. (7)) score
the classifier's probabilities softmax(f_theta(x)). A spy with the strategy's own identity
(`functools.wraps`, so the loop treats it as that strategy) records what the loop passes, and the
reference is computed here, from the trainer's current model on the pool, normalised with the
pool's per-channel mean and std as computed here from the images.
"""

import functools

import gin
import numpy as np
import pytest
import scipy.special

from tfal import acquisition, campaign, lp
from tfal.loop import ActiveLearningLoop

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

POOL_SIZE, SIDE, WIDTHS = 150, 12, (4, 8, 8)  # the embedding is WIDTHS[-1] = 8 wide
NUM_CLASSES = 3


def _npz(path) -> tuple[str, np.ndarray]:
    """Three overlapping classes of 12 x 12 grey images (a bright bar, its row the class)."""
    rng = np.random.default_rng(0)

    def images(y):
        x = rng.integers(0, 160, (len(y), SIDE, SIDE, 1))
        for i, (c, shift) in enumerate(zip(y, rng.integers(-1, 2, len(y)), strict=True)):
            top = 2 + 3 * c + shift
            x[i, top : top + 3, 2:10, 0] += 80
        return x.astype(np.uint8)

    y_pool = np.repeat(np.arange(NUM_CLASSES), POOL_SIZE // NUM_CLASSES)
    x_pool = images(y_pool)
    y_test = np.repeat(np.arange(NUM_CLASSES), 10)
    np.savez(path, x_pool=x_pool, y_pool=y_pool, x_test=images(y_test), y_test=y_test)
    return str(path), x_pool


def _reference(model, x_pool: np.ndarray) -> dict[str, np.ndarray]:
    """The model's embedding and softmax(logits) on the pool, in inference mode, on images
    normalised as (x / 255 - mean) / std with the pool's own per-channel statistics."""
    x = x_pool.astype(np.float64) / 255.0
    mean = x.reshape(-1, x.shape[-1]).mean(axis=0)
    std = np.maximum(x.reshape(-1, x.shape[-1]).std(axis=0), 1e-3)
    out = model(((x - mean) / std).astype(np.float32), training=False)
    logits = np.asarray(out["logits"], np.float64)
    return {
        "embedding": np.asarray(out["embedding"]),
        "probs": scipy.special.softmax(logits, axis=1),
    }


def _spy(real, calls: list, loop_holder: dict):
    """A strategy (or CEAL's pseudo-labelling) that records its arguments and the reference
    computed from the loop's model at that moment, then runs the real one."""

    @functools.wraps(real)
    def spy(*args, **kwargs):
        model = loop_holder["loop"].trainer.model
        reference = _reference(model, loop_holder["x_pool"])
        calls.append({"args": args, "kwargs": kwargs, "reference": reference})
        return real(*args, **kwargs)

    return spy


def _campaign(tmp_path, repo_root, strategy: str, setting: str, spies: dict) -> dict:
    """A 2-cycle campaign on the npz pool with the spied strategy bound in gin; returns the
    recorded calls by name."""
    path, x_pool = _npz(tmp_path / "pool.npz")
    campaign.parse_gin(
        [
            str(repo_root / "gin_configs/testing/tiny.gin"),
            str(repo_root / f"gin_configs/setting/{setting}.gin"),
            str(repo_root / f"gin_configs/strategy/{strategy}.gin"),
        ],
        [
            "ActiveLearningLoop.dataset = @tfal.data.npz_dataset()",
            f"npz_dataset.path = '{path}'",
            "ActiveLearningLoop.num_cycles = 2",
            "ActiveLearningLoop.sup_epochs = 3",
            f"small_cnn.widths = {WIDTHS}",
            "SemiSupervised.epochs = 1",
        ],
    )
    holder, calls = {"x_pool": x_pool}, {name: [] for name in spies}
    for name, (parameter, real) in spies.items():
        gin.bind_parameter(parameter, _spy(real, calls[name], holder))
    holder["loop"] = loop = ActiveLearningLoop(str(tmp_path / "run"))
    state = loop.run()
    assert state.finished and state.strategy == strategy  # the spy ran as that strategy
    return {"loop": loop, **calls}


@pytest.mark.parametrize(
    "strategy,setting", [("coreset", "baseline"), ("jlp", "semi"), ("jlp", "baseline")]
)
def test_coreset_and_jlp_get_the_embedding(tmp_path, repo_root, strategy, setting):
    """features [n, 8] = model(x)["embedding"]; with SEMI, jLP's graph is LP's graph on those
    features (LP's options, the campaign seed) and its `lp` is SEMI's LP options; without SEMI,
    jLP gets no graph and builds its own from the features."""
    spies = {"strategy": ("ActiveLearningLoop.strategy", acquisition.STRATEGIES[strategy])}
    found = _campaign(tmp_path, repo_root, strategy, setting, spies)
    [call] = found["strategy"]  # one acquisition: after cycle 0
    given, reference = call["kwargs"], call["reference"]
    assert reference["embedding"].shape == (POOL_SIZE, WIDTHS[-1])
    np.testing.assert_allclose(given["features"], reference["embedding"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(given["probs"], reference["probs"], rtol=1e-4, atol=1e-6)
    loop = found["loop"]
    if strategy == "jlp" and setting == "semi":
        expected = lp.affinity_graph(reference["embedding"], loop.semi, seed=loop.seed)
        np.testing.assert_allclose(given["graph"].toarray(), expected.toarray(), atol=1e-6)
        assert given["lp"] == loop.semi.lp_config()
    else:
        assert given["graph"] is None


@pytest.mark.parametrize("strategy", ["uncertainty", "ceal"])
def test_uncertainty_and_ceal_score_the_softmax_probabilities(tmp_path, repo_root, strategy):
    """probs [n, 3] = softmax(model(x)["logits"]), rows summing to 1; CEAL's confident
    pseudo-labels (eq. (7)) are computed from the same probabilities."""
    spies = {"strategy": ("ActiveLearningLoop.strategy", acquisition.STRATEGIES[strategy])}
    if strategy == "ceal":
        spies["pseudo"] = (
            "ActiveLearningLoop.ceal_pseudo_labels",
            acquisition.ceal_pseudo_labels,
        )
    found = _campaign(tmp_path, repo_root, strategy, "baseline", spies)
    [call] = found["strategy"]
    given, reference = call["kwargs"], call["reference"]
    assert given["probs"].shape == (POOL_SIZE, NUM_CLASSES)
    np.testing.assert_allclose(given["probs"], reference["probs"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(given["probs"].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(given["features"], reference["embedding"], rtol=1e-4, atol=1e-6)
    if strategy == "ceal":
        [pseudo] = found["pseudo"]
        probs = pseudo["args"][0] if pseudo["args"] else pseudo["kwargs"]["probs"]
        np.testing.assert_allclose(probs, pseudo["reference"]["probs"], rtol=1e-4, atol=1e-6)
