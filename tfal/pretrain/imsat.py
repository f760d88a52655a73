"""IMSAT (Hu et al., ICML 2017): clusters of the pool learnt without labels, for choosing L0.

A network with a K-way softmax is trained to maximise the mutual information between an image and
its cluster, μ·H(Y) − H(Y|X) (balanced clusters, confident assignments), while staying locally
smooth: virtual adversarial training (VAT) penalises KL(p(x) ‖ p(x + r_adv)) for the perturbation
r_adv of norm ε(x) the network is most sensitive to, ε(x) a quarter of x's distance to its 10th
nearest neighbour. Several sub-heads share the trunk, since a head sometimes splits a class by
style and merges two others; the kept one is the head that agrees most with the others (mean NMI,
no labels): a merge is one head's accident, so the merging head disagrees with all the rest. The
largest objective, the first rule, kept a head that merged MNIST's 4s and 9s on one seed of five
where agreement kept one that separates them (results/cold_start_probe/imsat_heads.py).

Measured on MNIST's 60,000-image pool (results/cold_start_probe/ssl_probe_REPORT.md): the kept
head's 10 clusters match the digits at 93.9 % (Hungarian accuracy, mean of 5 seeds), and the most
typical image of each covered all 10 digits on 5 of 5 seeds, where TypiClust on spectral features
covered 9.0 and a uniform draw 7.0. The recipe is the probe's: an MLP 784-1200-1200 on the pixels,
5 sub-heads, Adam 2e-3, batches of 250, 6 epochs, λ = 0.1, μ = 4, ξ = 10.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Annotated

import faiss
import numpy as np

from tfal.config_types import (
    MAX_BATCH,
    Count,
    Epochs,
    LearningRate,
    OneOf,
    Positive,
    Range,
    configurable,
)
from tfal.lp import features as lp_features
from tfal.monitoring import console

_EPS = 1e-8
HEAD_RULES = ("objective", "agreement")


@dataclasses.dataclass(frozen=True)
class Clustering:
    """What IMSAT learnt about the pool.

    Attributes:
      assignment: int64 [n], each image's cluster under the kept head (argmax), in 0..K-1.
      features: float32 [n, d], the trunk's last layer (what typicality is measured on).
      objective: float [heads], μ·H(Y) − H(Y|X) of each sub-head on the pool.
      head: the kept sub-head (by `IMSAT.head_rule`).
      seconds: training time.
      heads: int64 [n, heads], each image's cluster under every sub-head.
      agreement: float [heads], each sub-head's mean NMI with the other sub-heads.
    """

    assignment: np.ndarray
    features: np.ndarray
    objective: tuple[float, ...]
    head: int
    seconds: float
    heads: np.ndarray | None = None
    agreement: tuple[float, ...] = ()


@configurable(module="tfal.pretrain")
class IMSAT:
    """IMSAT-VAT's settings (module docstring; the defaults are the measured recipe)."""

    def __init__(
        self,
        *,
        hidden: tuple[Count, ...] = (1200, 1200),
        heads: Annotated[int, Range(1, 32)] = 5,
        epochs: Epochs = 6,
        batch_size: Annotated[int, Range(2, MAX_BATCH)] = 250,
        learning_rate: LearningRate = 2e-3,
        mu: Positive = 4.0,
        lam: Positive = 0.1,
        xi: Positive = 10.0,
        eps_scale: Positive = 0.25,
        max_inputs: Annotated[int, Range(16, 1_000_000)] = 3072,
        head_rule: Annotated[str, OneOf(HEAD_RULES)] = "agreement",
        min_steps: Annotated[int, Range(0, 1_000_000)] = 120,
    ):
        """
        Args:
          hidden: widths of the MLP's hidden layers (Dense without bias, BatchNorm, ReLU).
          heads: sub-heads trained together; `head_rule` says which one is kept.
          epochs: passes over the pool.
          batch_size: images per step.
          learning_rate: Adam's.
          mu: weight of H(Y), the balance of the clusters, inside the information term.
          lam: weight of the information term against VAT's smoothness.
          xi: VAT's finite-difference step (its power iteration).
          eps_scale: r_adv's norm as a fraction of each image's distance to its 10th neighbour.
          max_inputs: images with more values than this are shrunk (antialiased) to fit before
            the MLP: 3,072 keeps CIFAR's 32x32x3, a 224x224 photo becomes 32x32.
          head_rule: which sub-head is kept: 'agreement' (the largest mean NMI with the other
            sub-heads: a head that merged two classes the others keep apart disagrees with all
            of them) or 'objective' (the largest μ·H(Y) − H(Y|X), the first rule).
          min_steps: at least this many optimizer steps, with more epochs than `epochs` if
            needed: a 1,000-image pool makes only 4 steps an epoch, and its L0 covered 9 of 10
            digits on 3 of 3 seeds with 24 steps, all 10 with 120 on 6 of 6 (1,000- and
            2,000-image pools), 10, 9, 10 with 480 (results/cold_start.md).
        """
        self.head_rule, self.min_steps = head_rule, min_steps
        self.hidden = tuple(int(w) for w in hidden)
        self.heads, self.epochs, self.batch_size = heads, epochs, batch_size
        self.learning_rate, self.mu, self.lam, self.xi = learning_rate, mu, lam, xi
        self.eps_scale, self.max_inputs = eps_scale, max_inputs

    def cluster(self, images: np.ndarray, num_clusters: int, seed: int) -> Clustering:
        """Trains on `images` (uint8 [n, H, W, C]) for `num_clusters` clusters; deterministic for
        a seed (with TensorFlow's deterministic ops)."""
        import keras  # deferred: the numpy selections need no TensorFlow

        x = input_vectors(images, self.max_inputs)
        n = x.shape[0]
        if n < max(2 * num_clusters, 11):
            raise ValueError(
                f"IMSAT needs at least {max(2 * num_clusters, 11)} images for "
                f"{num_clusters} clusters, got {n}"
            )
        start = time.perf_counter()
        eps = (self.eps_scale * neighbour_distance(x, 10)).astype(np.float32)
        keras.utils.set_random_seed(seed)
        model = self._model(x.shape[1], num_clusters)
        step = self._step(model, x, eps)
        batch = min(self.batch_size, n)
        steps = n // batch
        rng = np.random.default_rng(seed)
        epochs = max(self.epochs, -(-self.min_steps // steps))
        with console.stage(f"L0 IMSAT, {epochs} epochs", epochs * steps) as advance:
            for _ in range(epochs):  # one bar: a small pool's epochs are a few steps each
                order = rng.permutation(n).astype(np.int32)
                for s in range(steps):
                    loss = step(order[s * batch : (s + 1) * batch])
                    advance(loss=float(loss))
        seconds = time.perf_counter() - start
        features, logits = _predict(model, x)
        objective = tuple(float(v) for v in information(logits, self.mu))
        heads = logits.argmax(axis=2).astype(np.int64)
        agreement = tuple(float(v) for v in head_agreement(heads))
        head = int(np.argmax(objective if self.head_rule == "objective" else agreement))
        logging.info(
            "L0 IMSAT: %d epochs in %.0f s; objective per head %s, agreement %s, kept head %d",
            epochs, seconds, ", ".join(f"{v:.3f}" for v in objective),
            ", ".join(f"{v:.3f}" for v in agreement), head,
        )  # fmt: skip
        return Clustering(heads[:, head].copy(), features, objective, head, seconds, heads, agreement)

    def _model(self, inputs: int, num_clusters: int):
        import keras
        from keras import layers

        x = keras.Input((inputs,))
        h = x
        for width in self.hidden:
            h = layers.Dense(width, use_bias=False)(h)
            h = layers.BatchNormalization(epsilon=2e-5)(h)
            h = layers.ReLU()(h)
        logits = layers.Reshape((self.heads, num_clusters))(
            layers.Dense(self.heads * num_clusters)(h)
        )
        return keras.Model(x, [h, logits])

    def _step(self, model, x: np.ndarray, eps: np.ndarray):
        """One Adam step of IMSAT-VAT on a batch of pool indices, as a tf.function."""
        import keras
        import tensorflow as tf

        pool, radius = tf.constant(x), tf.constant(eps)
        optimizer = keras.optimizers.Adam(self.learning_rate)
        mu, lam, xi = self.mu, self.lam, self.xi

        def kl(p, logits):  # mean over images and heads of KL(p ‖ softmax(logits))
            return tf.reduce_mean(
                tf.reduce_sum(p * (tf.math.log(p + _EPS) - tf.nn.log_softmax(logits)), -1)
            )

        def unit(d):
            return d / (tf.norm(d, axis=1, keepdims=True) + 1e-12)

        @tf.function(reduce_retracing=True)
        def step(idx):
            xb = tf.gather(pool, idx)
            with tf.GradientTape() as tape:
                _, logits = model(xb, training=True)  # [B, heads, k]
                p = tf.nn.softmax(logits)
                fixed = tf.stop_gradient(p)
                d = unit(tf.random.normal(tf.shape(xb)))
                with tf.GradientTape() as inner:
                    inner.watch(d)
                    _, near = model(xb + xi * d, training=True)
                    divergence = kl(fixed, near)
                direction = tf.stop_gradient(unit(inner.gradient(divergence, d)))
                _, adversarial = model(xb + tf.gather(radius, idx)[:, None] * direction,
                                       training=True)  # fmt: skip
                marginal = tf.reduce_mean(p, axis=0)  # [heads, k]
                h_y = -tf.reduce_mean(tf.reduce_sum(marginal * tf.math.log(marginal + _EPS), -1))
                h_y_x = -tf.reduce_mean(tf.reduce_sum(p * tf.math.log(p + _EPS), -1))
                loss = kl(fixed, adversarial) + lam * (h_y_x - mu * h_y)
            variables = model.trainable_variables
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
            return loss

        return step


def input_vectors(images: np.ndarray, max_inputs: int) -> np.ndarray:
    """float32 [n, d] in [0, 1], d ≤ max_inputs: the images flattened, shrunk first if larger
    (`tfal.lp.features.pixel_vectors`: a pool on disk is read a chunk at a time)."""
    return lp_features.pixel_vectors(images, max_inputs)


def neighbour_distance(x: np.ndarray, k: int) -> np.ndarray:
    """float32 [n]: each row's Euclidean distance to its k-th nearest other row.

    Candidates come from an exact search on the 64 leading principal components (the full
    784-d search takes 39 s on MNIST's pool here); their distances are then measured in full.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    k = min(k, x.shape[0] - 1)
    if x.shape[1] > 64:
        reduced = lp_features.principal_components(x, 64)
        _, candidates = faiss.knn(reduced, reduced, min(x.shape[0], 3 * k + 1))
        distances = np.stack(
            [np.linalg.norm(x[candidates[:, j]] - x, axis=1) for j in range(candidates.shape[1])],
            axis=1,
        )
        distances[candidates == np.arange(x.shape[0])[:, None]] = np.inf  # not itself
        return np.sort(distances, axis=1)[:, k - 1].astype(np.float32)
    squared, _ = faiss.knn(x, x, k + 1)
    return np.sqrt(np.maximum(squared[:, k], 0.0)).astype(np.float32)


def nmi(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised mutual information (arithmetic mean of the entropies) of two labelings."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(axis=1), joint.sum(axis=0)
    nz = joint > 0
    mi = float((joint[nz] * np.log(joint[nz] / np.outer(pa, pb)[nz])).sum())
    ha = -float((pa[pa > 0] * np.log(pa[pa > 0])).sum())
    hb = -float((pb[pb > 0] * np.log(pb[pb > 0])).sum())
    return 1.0 if ha + hb == 0 else 2.0 * mi / (ha + hb)


def head_agreement(heads: np.ndarray) -> np.ndarray:
    """Each column's mean NMI with the other columns: int [n, heads] -> [heads] (1.0 for one)."""
    m = heads.shape[1]
    if m == 1:
        return np.ones(1)
    pair = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            pair[i, j] = pair[j, i] = nmi(heads[:, i], heads[:, j])
    return (pair.sum(axis=1) - 1.0) / (m - 1)


def information(logits: np.ndarray, mu: float) -> np.ndarray:
    """μ·H(Y) − H(Y|X) per head over the pool: logits float [n, heads, k] -> [heads]."""
    z = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    marginal = p.mean(axis=0)
    h_y = -(marginal * np.log(marginal + _EPS)).sum(axis=-1)
    h_y_x = -(p * np.log(p + _EPS)).sum(axis=-1).mean(axis=0)
    return mu * h_y - h_y_x


def _predict(model, x: np.ndarray, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    features, logits = [], []
    for i in range(0, len(x), batch):
        h, lg = model(x[i : i + batch], training=False)
        features.append(np.asarray(h, np.float32))
        logits.append(np.asarray(lg, np.float32))
    return np.concatenate(features), np.concatenate(logits)
