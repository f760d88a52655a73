"""Label propagation speed: tfal.lp.propagate against [15]'s way, measured in the same run.

The baseline is what LP-DeepSSL (Iscen et al. [15]) does, re-implemented here (not in the
library): exact faiss.IndexFlatIP search of k + 1 neighbours, the first column dropped, W from
the cubed similarities, W + Wᵀ, D^-1/2 W D^-1/2, and one scipy ``cg`` per class (rtol=1e-6,
maxiter=20). Negative similarities are clipped in both paths (the paper's [·]₊, tfal's default) so
that the comparison measures only the speed-ups: the kNN index, the graph build and the block CG.

Data: synthetic clustered embeddings (`clustered_embeddings`): class centres at distance `sep`
from the origin, a shared low-rank (`rank`) Gaussian spread and isotropic noise, L2-normalised.
The defaults give a hard problem (kNN label purity ~0.9, LP accuracy with 1 label per class
~0.95) so that many examples sit near class boundaries and the pseudo-label agreement is a
real test of the approximations.

Prints, for 1 and 10 labels per class: the time per stage of both paths, the speed ratio, the
pseudo-label agreement with the baseline, both LP accuracies against the synthetic truth, and the
peak RSS. Run:  python bench/lp_speed.py [--n 60000 --d 128 --classes 10 --k 50]
"""

from __future__ import annotations

import argparse
import resource
import time

import faiss
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

import tfal.lp as lp


def clustered_embeddings(
    n: int,
    d: int,
    classes: int,
    *,
    rank: int = 16,
    sep: float = 0.55,
    noise: float = 0.3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """float32 [n, d] unit vectors and int64 [n] classes: centre + shared low-rank + noise.

    Built in chunks so that 10^6 x 128 needs ~0.5 GiB, not 2 GiB of float64 temporaries.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, d))
    centres *= sep / np.linalg.norm(centres, axis=1, keepdims=True)
    basis = np.linalg.qr(rng.standard_normal((d, rank)))[0].T / np.sqrt(rank)  # [rank, d]
    y = rng.integers(0, classes, n)
    x = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 65536):
        stop = min(n, start + 65536)
        chunk = centres[y[start:stop]] + rng.standard_normal((stop - start, rank)) @ basis
        chunk += noise / np.sqrt(d) * rng.standard_normal((stop - start, d))
        x[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return x, y


def draw_labels(truth: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """per_class random indices of each class (the labeled set L)."""
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(truth == c), per_class, replace=False) for c in np.unique(truth)
    ]
    return np.sort(np.concatenate(picks))


def reference_lp(
    x: np.ndarray,
    labeled_idx: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    k: int,
    alpha: float = 0.99,
    gamma: float = 3.0,
    max_iter: int = 20,
) -> tuple[np.ndarray, dict[str, float]]:
    """[15]'s label propagation (LP-DeepSSL ``update_plabels``); returns (pseudo-labels, times)."""
    times = {}
    start = time.perf_counter()
    x = np.array(x, dtype=np.float32)
    faiss.normalize_L2(x)
    n = x.shape[0]
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    sims, ids = index.search(x, k + 1)
    times["knn"] = time.perf_counter() - start
    start = time.perf_counter()
    sims = np.maximum(sims[:, 1:], 0) ** gamma
    ids = ids[:, 1:]
    rows = np.tile(np.arange(n), (k, 1)).T
    w = scipy.sparse.csr_matrix(
        (sims.flatten("F"), (rows.flatten("F"), ids.flatten("F"))), shape=(n, n)
    )
    w = w + w.T
    w = w - scipy.sparse.diags(w.diagonal())
    degree = np.asarray(w.sum(axis=1))
    degree[degree == 0] = 1
    d_inv = scipy.sparse.diags(np.array(1.0 / np.sqrt(degree)).reshape(-1))
    wn = d_inv * w * d_inv
    times["graph"] = time.perf_counter() - start
    start = time.perf_counter()
    z = np.zeros((n, num_classes))
    a = scipy.sparse.eye(n) - alpha * wn
    for c in range(num_classes):
        members = labeled_idx[labels == c]
        y = np.zeros(n)
        y[members] = 1.0 / members.shape[0]
        z[:, c], _ = scipy.sparse.linalg.cg(a, y, rtol=1e-6, maxiter=max_iter)
    times["cg"] = time.perf_counter() - start
    z[z < 0] = 0
    pseudo = np.argmax(z / np.maximum(z.sum(axis=1, keepdims=True), 1e-12), axis=1)
    pseudo[labeled_idx] = labels
    times["total"] = sum(times.values())
    return pseudo, times


def _ours(x, labeled_idx, labels, num_classes, args):
    start = time.perf_counter()
    result = lp.propagate(
        x,
        labeled_idx,
        labels,
        num_classes,
        k=args.k,
        index=args.index,
        nprobe=args.nprobe,
        nlist=args.nlist,
        seed=args.seed,
    )
    d = result.diagnostics
    times = {
        "knn": d.knn_seconds,
        "graph": d.graph_seconds,
        "cg": d.cg_seconds,
        "total": time.perf_counter() - start,
    }
    return result, times


def _fmt(times: dict[str, float]) -> str:
    return "  ".join(f"{key} {value:6.2f}s" for key, value in times.items())


def run(args: argparse.Namespace) -> None:
    x, truth = clustered_embeddings(
        args.n, args.d, args.classes, rank=args.rank, sep=args.sep, noise=args.noise, seed=args.seed
    )
    print(
        f"n={args.n} d={args.d} classes={args.classes} k={args.k} rank={args.rank} "
        f"sep={args.sep} noise={args.noise} faiss threads={faiss.omp_get_max_threads()}"
    )
    for per_class in args.labels_per_class:
        labeled_idx = draw_labels(truth, per_class, args.seed + per_class)
        labels = truth[labeled_idx]
        unlabeled = np.setdiff1d(np.arange(args.n), labeled_idx)
        ref_runs, our_runs = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same machine load
            ref_runs.append(reference_lp(x, labeled_idx, labels, args.classes, k=args.k))
            our_runs.append(_ours(x, labeled_idx, labels, args.classes, args))
        ref_pseudo, ref_t = min(ref_runs, key=lambda r: r[1]["total"])
        result, our_t = min(our_runs, key=lambda r: r[1]["total"])
        agree = np.mean(result.pseudo_labels[unlabeled] == ref_pseudo[unlabeled])
        d = result.diagnostics
        print(f"\n{per_class} label(s) per class (best of {args.repeats}):")
        print(f"  reference [15]: {_fmt(ref_t)}")
        print(
            f"  tfal.lp ({d.index}, nlist={d.nlist}, nprobe={d.nprobe}): {_fmt(our_t)}"
            f"  cg_iter {d.cg_iterations}  cg_residual {d.cg_residual:.2e}"
        )
        print(
            f"  speed ratio reference/tfal: {ref_t['total'] / our_t['total']:.2f}x   "
            f"(kNN {ref_t['knn'] / our_t['knn']:.2f}x, graph {ref_t['graph'] / our_t['graph']:.2f}x,"
            f" CG {ref_t['cg'] / our_t['cg']:.2f}x)"
        )
        print(f"  pseudo-label agreement on unlabeled: {100 * agree:.3f} %")
        print(
            f"  LP accuracy vs truth: reference {np.mean(ref_pseudo[unlabeled] == truth[unlabeled]):.4f}"
            f"  tfal {np.mean(result.pseudo_labels[unlabeled] == truth[unlabeled]):.4f}"
        )
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--labels-per-class", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16, help="intrinsic dimension of a class")
    parser.add_argument("--sep", type=float, default=0.55, help="class-centre norm")
    parser.add_argument("--noise", type=float, default=0.3, help="isotropic noise norm")
    parser.add_argument("--index", default="auto", choices=["auto", "exact", "ivf", "hnsw"])
    parser.add_argument("--nprobe", type=int, default=None)
    parser.add_argument("--nlist", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    run(parse_args())
