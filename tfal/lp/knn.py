"""k-nearest-neighbour search by inner product, the first step of label propagation ([15], sec. 3).

Label propagation (eq. (9)) runs on a kNN graph of the L2-normalised embeddings; on unit vectors
the inner product is the cosine similarity, so every index here searches by inner product. The
search is the dominant cost of LP, so three indexes are offered:

* ``"exact"``: brute force with faiss (BLAS GEMM + heaps), what [15] and the authors do.
* ``"ivf"``: an inverted file over spherical k-means cells, searched as faiss ``IndexIVFFlat``
  would (each query scans the ``nprobe`` cells whose centroids are most similar to it), but
  evaluated cell by cell: all queries that probe a cell are gathered and scored against the
  cell's members with one BLAS GEMM, and the scores are pushed into per-query heaps with faiss'
  ``addn_query_subset_with_ids``. ``IndexIVFFlat`` scores one vector at a time with faiss' own
  SIMD kernels (AVX-512 on the 2-core machine this library is tuned on); the cell-by-cell GEMM
  search is 1.8x faster there at 60,000 points and 4.3x at 200,000 (d = 128, default nlist and
  nprobe). The results are what ``IndexIVFFlat`` returns with the same centroids and ``nprobe``
  (a test checks this).
* ``"hnsw"``: faiss ``IndexHNSWFlat``. Built single-threaded so that it is deterministic.
* ``"gpu"``: exact brute force on the GPU (``faiss.knn_gpu``), for a GPU build of faiss
  (``faiss-gpu``; tfal installs ``faiss-cpu``, where this index is refused with a clear error).

``"auto"`` is exact on the GPU when faiss has one (`gpu_available`), else exact up to
``AUTO_EXACT_MAX_N`` points and IVF above (see `resolve_index`).
Approximate indexes are deterministic for a given ``seed``: k-means trains on a subsample drawn
with ``np.random.default_rng(seed)`` and faiss' k-means is seeded with it too.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import math
from collections.abc import Iterator

import faiss
import numpy as np

logger = logging.getLogger(__name__)

INDEX_NAMES = ("auto", "exact", "ivf", "hnsw", "gpu")

# Up to this many points "auto" searches exactly. Exact search costs n^2 d; IVF costs about
# n^2 d nprobe / nlist plus a fixed overhead (k-means, probing, a Python loop over lists), and at
# small n the default nprobe is a large share of the lists. Measured on the 2-core machine
# (d = 128, clustered data, 10 classes, default nprobe): exact/IVF time 1.0 at 10k points, 1.2 at
# 20k, 2.2 at 40k, 3.0 at 60k, with IVF recall@51 0.985 / 0.965 / 0.960 / 0.953.
AUTO_EXACT_MAX_N = 20_000

# IVF defaults: cells of ~`_IVF_POINTS_PER_LIST` points (large enough for an efficient GEMM, small
# enough to prune), at most `_IVF_MAX_LISTS` lists (k-means and probing cost grow with nlist).
_IVF_POINTS_PER_LIST = 384
_IVF_MAX_LISTS = 4096
# k-means trains on up to 128 points per list (more points gave better cells, hence recall, than
# more iterations), at most 2^16 points so that training stays a small part of the search at 10^6.
_IVF_TRAIN_POINTS_PER_LIST = 128
_IVF_TRAIN_MAX_POINTS = 1 << 16
_IVF_KMEANS_ITERATIONS = 10
# Each query scans `_IVF_PROBE_FRACTION` of the lists, at least `_IVF_MIN_NPROBE`. A sixth
# (26 of 156 lists at 60,000 points) gave the same LP accuracy as a tenth (16) on MNIST
# embeddings of the CPU config (0.978 both) and on `bench/lp_speed.py` (99.92-99.95% agreement
# with exact search), for 25% more kNN time.
_IVF_PROBE_FRACTION = 1 / 10
_IVF_MIN_NPROBE = 16
_IVF_MAX_NPROBE = 48


@dataclasses.dataclass(frozen=True)
class Neighbours:
    """Raw search result, self entries still included.

    Attributes:
        similarities: float32 [n, k], inner products, best first.
        ids: int64 [n, k], neighbour indices; -1 where fewer than k were found (IVF only, when
            the probed cells hold fewer than k points).
        index: the index actually used ("exact", "ivf", "hnsw" or "gpu").
        order: int64 [n] or None, a permutation that puts similar points next to each other
            (the IVF cell order); used to make sparse products cache-friendly.
        nlist, nprobe: the IVF lists and lists probed per query (None for other indexes).
    """

    similarities: np.ndarray
    ids: np.ndarray
    index: str
    order: np.ndarray | None = None
    nlist: int | None = None
    nprobe: int | None = None


def l2_normalize(features: np.ndarray) -> np.ndarray:
    """Returns float32 C-contiguous rows of unit norm; all-zero rows stay zero (no NaN)."""
    x = np.array(features, dtype=np.float32, order="C", copy=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def gpu_available() -> bool:
    """Whether the installed faiss is a GPU build that sees at least one GPU."""
    return hasattr(faiss, "knn_gpu") and faiss.get_num_gpus() > 0


def resolve_index(index: str, n: int) -> str:
    """Maps "auto" to "gpu" (faiss sees a GPU), "exact" (n <= AUTO_EXACT_MAX_N) or "ivf"."""
    if index not in INDEX_NAMES:
        raise ValueError(f"index must be one of {INDEX_NAMES}, got {index!r}")
    if index == "gpu" and not gpu_available():
        raise ValueError(
            "index='gpu' needs a GPU build of faiss (faiss-gpu) and a visible GPU; this faiss "
            f"{faiss.__version__} has none: use 'auto', 'exact', 'ivf' or 'hnsw'"
        )
    if index == "auto":
        if gpu_available():
            return "gpu"
        return "exact" if n <= AUTO_EXACT_MAX_N else "ivf"
    return index


def default_nlist(n: int) -> int:
    """IVF lists for n points: ~`_IVF_POINTS_PER_LIST` points per list, at most 4096."""
    return int(min(_IVF_MAX_LISTS, max(1, round(n / _IVF_POINTS_PER_LIST))))


def default_nprobe(nlist: int) -> int:
    """Lists each IVF query scans: a tenth of them, between 16 and 48 (capped at nlist)."""
    wanted = max(_IVF_MIN_NPROBE, min(_IVF_MAX_NPROBE, math.ceil(nlist * _IVF_PROBE_FRACTION)))
    return int(min(nlist, wanted))


def search(
    x: np.ndarray,
    k: int,
    *,
    index: str = "auto",
    nprobe: int | None = None,
    nlist: int | None = None,
    hnsw_m: int = 32,
    hnsw_ef_search: int = 128,
    seed: int = 0,
) -> Neighbours:
    """k nearest neighbours of every row of x among the rows of x, by inner product.

    Args:
        x: float32 [n, d], C-contiguous, rows L2-normalised (see `l2_normalize`).
        k: neighbours per row, the point itself included (callers ask for k + 1).
        index: "auto", "exact", "ivf", "hnsw" or "gpu" (module docstring).
        nprobe: IVF lists scanned per query; None: `default_nprobe(nlist)`.
        nlist: IVF lists; None: `default_nlist(n)`.
        hnsw_m: HNSW graph degree M.
        hnsw_ef_search: HNSW search beam (raised to k if smaller).
        seed: seeds IVF k-means (subsample and faiss) and HNSW levels.

    Returns:
        `Neighbours`.
    """
    n = x.shape[0]
    name = resolve_index(index, n)
    if name == "exact":
        sims, ids = faiss.knn(x, x, k, metric=faiss.METRIC_INNER_PRODUCT)
        return Neighbours(sims, ids, "exact")
    if name == "gpu":
        sims, ids = faiss.knn_gpu(
            faiss.StandardGpuResources(), x, x, k, metric=faiss.METRIC_INNER_PRODUCT
        )
        return Neighbours(sims, ids.astype(np.int64), "gpu")
    if name == "hnsw":
        sims, ids = _hnsw_search(x, k, m=hnsw_m, ef_search=hnsw_ef_search, seed=seed)
        return Neighbours(sims, ids, "hnsw")
    nlist = default_nlist(n) if nlist is None else nlist
    nprobe = default_nprobe(nlist) if nprobe is None else nprobe
    _check_ivf_sizes(n=n, nlist=nlist, nprobe=nprobe)
    centroids = train_ivf_centroids(x, nlist, seed=seed)
    sims, ids, order = ivf_search(x, centroids, k, nprobe=nprobe)
    short = int(np.count_nonzero(ids[:, -1] < 0))
    if short:
        logger.warning(
            "IVF search: %d of %d points found fewer than %d neighbours in their %d probed "
            "lists; raise nprobe for full rows",
            short,
            n,
            k,
            nprobe,
        )
    return Neighbours(sims, ids, "ivf", order, nlist=nlist, nprobe=nprobe)


def _check_ivf_sizes(*, n: int, nlist: int, nprobe: int) -> None:
    if not 1 <= nlist <= n:
        raise ValueError(f"nlist must be in [1, n={n}], got {nlist}")
    if not 1 <= nprobe <= nlist:
        raise ValueError(f"nprobe must be in [1, nlist={nlist}], got {nprobe}")


def _c_int_seed(seed: int) -> int:
    """faiss takes its seeds as a C int: any Python int maps into [0, 2**31)."""
    return int(seed) % 2**31


def train_ivf_centroids(x: np.ndarray, nlist: int, *, seed: int) -> np.ndarray:
    """Spherical k-means centroids float32 [nlist, d] on a seeded subsample of x."""
    n, d = x.shape
    rng = np.random.default_rng(seed)
    size = min(n, max(nlist, min(nlist * _IVF_TRAIN_POINTS_PER_LIST, _IVF_TRAIN_MAX_POINTS)))
    sample = x if size == n else x[np.sort(rng.choice(n, size=size, replace=False))]
    kmeans = faiss.Kmeans(
        d,
        nlist,
        niter=_IVF_KMEANS_ITERATIONS,
        seed=_c_int_seed(seed),
        spherical=True,
        max_points_per_centroid=size // nlist + 1,  # no second subsample inside faiss
        min_points_per_centroid=1,
        verbose=False,
    )
    kmeans.train(sample)
    return np.ascontiguousarray(kmeans.centroids, dtype=np.float32)


def ivf_search(
    x: np.ndarray, centroids: np.ndarray, k: int, *, nprobe: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IVF-Flat search of x against itself, one GEMM per list (module docstring).

    The heap updates of one list (faiss, one thread, GIL released) run in a worker thread while
    the main thread gathers the next list's queries and does its GEMM (BLAS): at 10^6 points
    the two are ~40% and ~55% of the search, so overlapping them saves ~25% of the time. The
    heap pushes keep the list order, so results do not depend on the timing.

    Returns:
        (similarities float32 [n, k], ids int64 [n, k], order int64 [n]) where order sorts the
        points by their own (nearest) list, the lists in `cell_chain` order.
    """
    n = x.shape[0]
    nlist = centroids.shape[0]
    chain = cell_chain(centroids)
    centroids = centroids[chain]  # renumber the lists along the chain
    _, probes = faiss.knn(x, centroids, nprobe, metric=faiss.METRIC_INNER_PRODUCT)
    # list numbers as int16 where they fit: numpy's stable sort is then a radix sort
    probes = probes.astype(np.int16 if nlist <= np.iinfo(np.int16).max else np.int32)
    home = probes[:, 0]
    order = np.argsort(home, kind="stable")
    members = x[order]  # each list's members are a contiguous block
    member_starts = _starts(home, nlist)
    probed = probes.ravel()
    queries_by_list = np.argsort(probed, kind="stable") // nprobe  # query ids, grouped by list
    query_starts = _starts(probed, nlist)
    del probes, probed
    sims = np.empty((n, k), dtype=np.float32)
    ids = np.empty((n, k), dtype=np.int64)
    heaps = _min_heaps(sims, ids)

    def push(queries: np.ndarray, scores: np.ndarray, member_ids: np.ndarray) -> None:
        heaps.addn_query_subset_with_ids(
            len(queries),
            faiss.swig_ptr(queries),
            len(member_ids),
            faiss.swig_ptr(scores),
            faiss.swig_ptr(member_ids),
            0,  # id stride 0: the same member ids for every query row
        )

    # two score buffers, reused: the GEMM fills one while the worker reads the other (a fresh
    # array per list is tens of MB of newly mapped pages to fault in)
    widest = int(np.diff(query_starts).max()) * int(np.diff(member_starts).max())
    buffers = [np.empty(widest, dtype=np.float32) for _ in range(2)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pushed, slot = None, 0
        for cell in range(nlist):
            m0, m1 = member_starts[cell], member_starts[cell + 1]
            q0, q1 = query_starts[cell], query_starts[cell + 1]
            if m0 == m1 or q0 == q1:
                continue
            queries = queries_by_list[q0:q1]
            slot = 1 - slot  # not the buffer of the list in flight
            scores = buffers[slot][: (q1 - q0) * (m1 - m0)].reshape(q1 - q0, m1 - m0)
            # the GEMM: [queries, members]; np.take gathers rows ~2x faster than x[queries]
            np.matmul(np.take(x, queries, axis=0), members[m0:m1].T, out=scores)
            if pushed is not None:
                pushed.result()  # one list in flight: its buffer is free again after this
            pushed = pool.submit(push, queries, scores, order[m0:m1])
        if pushed is not None:
            pushed.result()
    heaps.reorder()  # best first
    return sims, ids, order


def _starts(groups: np.ndarray, count: int) -> np.ndarray:
    """Offsets [count + 1] of each group's block once `groups` is sorted (stable)."""
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=count), out=starts[1:])
    return starts


def cell_chain(centroids: np.ndarray) -> np.ndarray:
    """A greedy nearest-neighbour tour of the centroids: each next list is the unvisited list
    most similar to the current one.

    Numbering points along this tour puts neighbouring lists, and so most kNN edges, close
    together in memory, which is what makes the diffusion's sparse products cache-friendly.
    """
    similarity = centroids @ centroids.T
    visited = np.zeros(len(centroids), dtype=bool)
    chain = np.empty(len(centroids), dtype=np.int64)
    current = 0
    for step in range(len(centroids)):
        chain[step] = current
        visited[current] = True
        row = np.where(visited, -np.inf, similarity[current])
        current = int(np.argmax(row))
    return chain


def _min_heaps(sims: np.ndarray, ids: np.ndarray) -> faiss.float_minheap_array_t:
    """faiss heaps that keep the k largest scores per row, writing into sims and ids."""
    heaps = faiss.float_minheap_array_t()
    heaps.nh, heaps.k = sims.shape
    heaps.val = faiss.swig_ptr(sims)
    heaps.ids = faiss.swig_ptr(ids)
    heaps.heapify()  # fills sims with -FLT_MAX and ids with -1
    return heaps


def _hnsw_search(
    x: np.ndarray, k: int, *, m: int, ef_search: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 40
    index.hnsw.efSearch = max(ef_search, k)
    index.hnsw.rng = faiss.RandomGenerator(_c_int_seed(seed))  # levels of the inserted points
    # Parallel insertion makes the graph depend on thread timing; one thread makes it a function
    # of (x, seed). Searching is deterministic with any number of threads.
    with _faiss_threads(1):
        index.add(x)
    return index.search(x, k)


@contextlib.contextmanager
def _faiss_threads(num: int) -> Iterator[None]:
    """Temporarily sets faiss' OpenMP thread count (process-wide), restoring it afterwards."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(num)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
