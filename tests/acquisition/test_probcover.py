"""ProbCover against a brute-force reference on dense distances, computed here."""

import numpy as np

from tfal.acquisition import probcover
from tfal.acquisition.coverage import ball_graph, greedy_cover, purest_delta
from tfal.acquisition.validation import check_selection
from tfal.loop import initial


def _blobs(sizes, seed=0, spread=0.3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 6)) * 10
    x = np.concatenate([c + spread * rng.normal(size=(s, 6)) for c, s in zip(centres, sizes, strict=True)])
    return x.astype(np.float32), np.repeat(np.arange(len(sizes)), sizes)


def _reference_cover(x, delta, labeled, budget):
    inside = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1)) <= delta  # every ball, no neighbour cap
    covered = inside[labeled].any(0) if len(labeled) else np.zeros(len(x), bool)
    picks = []
    for _ in range(budget):
        gain = (inside & ~covered).sum(1).astype(float)
        gain[list(labeled) + picks] = -1
        picks.append(int(np.argmax(gain)))
        covered |= inside[picks[-1]]
    return picks


def test_greedy_cover_matches_the_dense_reference():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(80, 3)).astype(np.float32)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    ids = np.argsort(d, axis=1, kind="stable")
    dist = np.take_along_axis(d, ids, axis=1)
    for delta, labeled in ((0.6, []), (0.9, [3, 17]), (1.3, [0])):
        got = greedy_cover(ball_graph(dist, ids, delta), np.array(labeled, np.int64), 6)
        assert got.tolist() == _reference_cover(x, delta, labeled, 6)


def test_delta_is_the_largest_pure_radius():
    x, y = _blobs([30, 30], spread=0.2)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    ids = np.argsort(d, axis=1, kind="stable")
    dist = np.take_along_axis(d, ids, axis=1)
    delta = purest_delta(dist, ids, y, purity=1.0)
    gap = d[y[:, None] != y[None]].min()  # the nearest pair across blobs
    assert delta < gap  # every ball pure
    assert delta >= np.quantile(dist[:, 1:], 0.02)
    assert (dist <= delta).sum() > 60  # balls hold more than their centres


def test_one_pick_per_blob_then_labeled_blobs_are_covered_already():
    x, y = _blobs([60, 50, 40, 30])
    picks = probcover(4, labeled_idx=np.zeros(0, np.int64), features=x, seed=0, clusters=4)
    assert sorted(y[picks]) == [0, 1, 2, 3]
    labeled = np.array([0, 60], np.int64)
    picks = probcover(2, labeled_idx=labeled, features=x, seed=0, clusters=4)
    check_selection(picks, labeled_idx=labeled, pool_size=len(x), budget=2)
    assert sorted(y[picks]) == [2, 3]


class _NoLabels:
    def true_labels_for_diagnostics(self):
        return None


def test_probcover_is_an_initial_selection():
    x, y = _blobs([40, 40, 40], spread=0.5)
    images = np.clip((x[:, :4] - x[:, :4].min()) / np.ptp(x[:, :4]) * 255, 0, 255)
    images = images.astype(np.uint8).reshape(-1, 2, 2, 1)
    assert initial.resolve("probcover", _NoLabels()) == "probcover"
    got = initial.choose("probcover", oracle=_NoLabels(), images=images, num_classes=3,
                         labels_per_class=1, rng=np.random.default_rng(0))
    assert got.size == 3 and np.all(np.diff(got) > 0)
