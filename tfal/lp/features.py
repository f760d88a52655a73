"""What LP builds its graph on, beyond the paper: PCA-whitened embeddings, or the pixels.

The paper (sec. 4) and [15] build the graph on the raw L2-normalised embeddings. A network's
embedding is dominated by a few directions shared by all examples (ReLU features have a large
common mean, and at initialisation or after training on a handful of labels a few units carry
most of the variance), so cosine similarity mostly measures those and the kNN graph links
examples of different classes. Centring and scaling every principal direction to unit variance
(as DeepCluster [5] does before k-means) gives each direction an equal say.

Measured on MNIST (60,000 images, small CNN of mnist_1label_cpu.gin), pseudo-label accuracy of LP
on U: on θ0's embeddings with L0 (10 labels), seeds 0/1/2, raw 0.51/0.57/0.45 and whitened
0.71/0.78/0.77 (`bench/lp_whitening.py`); on the exported models of two SEMI campaigns run with the
paper's LP (seeds 1/2), after cycle 0 with its 10 labels raw 0.83/0.48, whitened 0.96/0.83, and
after cycle 4 with its 50 labels raw 0.96/0.96, whitened 0.98/0.98.

On pools of a few thousand images both lose to the pixels until the network has learned from
pseudo-labels (`flat_pixels`, `SemiSupervised.pixel_epochs`; results/small_pool).
"""

from __future__ import annotations

import numpy as np

# Eigenvalues are floored at this fraction of the largest: directions with (almost) no variance,
# e.g. dead ReLU units, are not blown up into noise.
DEFAULT_EPS = 1e-5


def principal_axes(
    features: np.ndarray, dim: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variances and directions of the `dim` leading principal components (all if None).

    Shared with DeepCluster's PCA (`tfal.pretrain.clustering`).

    Returns:
        float64 mean [d], eigenvalues [dim] in decreasing order, eigenvectors [d, dim] as columns.
    """
    x = np.asarray(features)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"features must be a float array [n, d], got {x.dtype} {x.shape}")
    d = x.shape[1]
    if dim is not None and not 1 <= dim <= d:
        raise ValueError(f"dim={dim!r} must be in 1..{d} (the feature dimension) or None")
    mean = x.mean(axis=0, dtype=np.float64)
    centred = x - mean.astype(x.dtype)  # float32 stays float32: half the memory at 10^6 examples
    covariance = (centred.T @ centred).astype(np.float64) / max(x.shape[0], 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    return mean, eigenvalues[::-1][:dim], eigenvectors[:, ::-1][:, :dim]


def principal_components(features: np.ndarray, dim: int) -> np.ndarray:
    """float32 [n, dim], C-contiguous: the centred features on their `dim` leading principal
    axes, not scaled (distances kept, as far as those axes hold them)."""
    mean, _, axes = principal_axes(features, dim)
    centred = np.asarray(features, np.float32) - mean.astype(np.float32)
    return np.ascontiguousarray(centred @ axes.astype(np.float32))


def pca_whiten(
    features: np.ndarray, *, dim: int | None = None, eps: float = DEFAULT_EPS
) -> np.ndarray:
    """Centred features projected on their principal axes, each scaled to unit variance.

    Args:
        features: float [n, d].
        dim: keep the `dim` leading principal directions (None: all d).
        eps: eigenvalue floor relative to the largest eigenvalue, > 0.

    Returns:
        float32 [n, dim or d]. Features without any variance come back centred (all zero).
    """
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    mean, eigenvalues, eigenvectors = principal_axes(features, dim)
    centred = np.asarray(features, np.float32) - mean.astype(np.float32)
    top = eigenvalues[0]
    if not top > 0:
        return np.zeros((centred.shape[0], eigenvalues.size), dtype=np.float32)
    scale = 1.0 / np.sqrt(np.maximum(eigenvalues, 0.0) + eps * top)
    return centred @ (eigenvectors * scale).astype(np.float32)


def flat_pixels(images: np.ndarray) -> np.ndarray:
    """Images [n, h, w, c] as LP's features [n, h*w*c] in [0, 1] (LP normalises each row).

    The graph of classical graph SSL (LabelSpreading on pixels): what SEMI's first epochs
    propagate on with `SemiSupervised.pixel_epochs`, before the network embeds better.
    """
    x = np.asarray(images)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"images must be a non-empty array [n, ...], got shape {x.shape}")
    scale = 1.0 / 255.0 if x.dtype == np.uint8 else 1.0
    return x.reshape(x.shape[0], -1).astype(np.float32) * np.float32(scale)


def pixel_vectors(images, max_inputs: int = 3072, chunk: int = 4096) -> np.ndarray:
    """float32 [n, d] in [0, 1], d ≤ `max_inputs`: the images flattened, each shrunk first
    (antialiased) when it has more values, so a pool of 224x224 photos gives 32x32 vectors.

    Reads `chunk` images at a time: a pool on disk (anything with `.chunks(size)`, such as
    `tfal.data.DiskImages`) is never whole in memory, only its vectors are.
    """
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("images must be a non-empty array [n, H, W, C], got 0 images")
    size = None
    if h * w * c > max_inputs:
        scale = (max_inputs / (h * w * c)) ** 0.5
        size = [max(1, int(h * scale)), max(1, int(w * scale))]
    if hasattr(images, "chunks"):
        blocks = images.chunks(chunk)
    else:
        blocks = (images[i : i + chunk] for i in range(0, n, chunk))
    out, start = None, 0
    for block in blocks:
        x = flat_pixels(block) if size is None else _shrunk(block, size)
        if out is None:
            out = np.empty((n, x.shape[1]), np.float32)
        out[start : start + len(x)] = x
        start += len(x)
    return out


def _shrunk(block: np.ndarray, size: list[int]) -> np.ndarray:
    import tensorflow as tf  # deferred: only images larger than max_inputs need it

    x = tf.image.resize(tf.cast(block, tf.float32), size, antialias=True).numpy()
    return (x.reshape(len(block), -1) / 255.0).astype(np.float32)
