"""Diffusion: solve (I − α𝒲) Z = Y for every column of Y by conjugate gradients (eq. (9)).

h(Y) = (1 − α)(I − α𝒲)^-1 Y (eq. (9)); the factor (1 − α) disappears in the ℓ1 normalisation, so
only the linear system is solved. I − α𝒲 is symmetric positive definite for α in [0, 1) when
𝒲 is a normalised non-negative affinity, so CG applies ([15]).

[15] runs one scipy ``cg`` per class: c sparse matrix-vector products per iteration, each
streaming the whole matrix. Here the c independent CG recurrences run side by side on an
[n, c] block: one sparse-matrix × dense-block product per iteration, the matrix streamed once
for all classes. Each column keeps its own step sizes and stops on scipy's rule, so each column
is what scipy's ``cg(A, y, rtol=tol, maxiter=max_iter)`` returns (up to rounding): at the start of
iteration t (t = 0 .. max_iter − 1) a column with ‖r‖ < tol·‖y‖ stops; a zero column (a class
without labels) stops at once with a zero solution. Converged columns leave the block, so later
products are narrower. The product is split into row blocks of equal nnz, one per thread (scipy
releases the GIL), each also forming its rows of p − α𝒲p; results do not depend on the threads.
At n = 10^6, c = 100 the product is bound by reading rows of the dense block at random; callers
that can number similar examples consecutively should (`tfal.lp.propagate` does, see there).

Two kernels do the sparse product (``backend``): scipy's (scalar C++ loops, split over threads
here) and TensorFlow's CSR sparse × dense kernel (Eigen: vectorised and multithreaded), 1.6x
faster per product at 60,000 × 10 classes and 2.6-4x at 200,000-1,000,000 × 100 on the 2-core
machine (IVF kNN graphs, k = 50). "auto" takes TensorFlow for products of at least ``_TENSORFLOW_MIN_WORK``
stored entries × columns when it is installed, so small problems never pay its import. Only the
product runs in TensorFlow; the CG recurrences stay in numpy. The two differ by rounding.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import importlib.util
import os
import sys
import threading

import numpy as np
import scipy.sparse as sp

# Below this many stored entries times columns one thread does the product: thread hand-off
# costs more than it saves.
_PARALLEL_MIN_WORK = 1 << 22

BACKEND_NAMES = ("auto", "scipy", "tensorflow")
# "auto" uses TensorFlow's kernel from this many stored entries x columns (60,000 x 10 classes
# with k = 50 is ~2^25): below, a product costs milliseconds either way.
_TENSORFLOW_MIN_WORK = 1 << 24
# TensorFlow builds its CSR matrix from int64 COO indices, 16 bytes per entry: converting row
# blocks of at most this many entries bounds that temporary (128 MiB).
_TENSORFLOW_BLOCK_NNZ = 1 << 23


@dataclasses.dataclass(frozen=True)
class DiffusionInfo:
    """How the block CG went.

    Attributes:
        iterations: sparse products done (the largest per-column CG iteration count).
        column_iterations: int64 [c], CG iterations per column (0 for a zero column).
        residual: float [c], final relative residual ‖y − Az‖ / ‖y‖ per column (recursive
            residual, as scipy tracks it; 0 for a zero column).
        max_residual: the largest entry of `residual`.
        converged: bool [c], columns that met the tolerance within max_iter iterations.
    """

    iterations: int
    column_iterations: np.ndarray
    residual: np.ndarray
    max_residual: float
    converged: np.ndarray


def diffuse(
    wn: sp.spmatrix,
    y: np.ndarray,
    *,
    alpha: float = 0.99,
    max_iter: int = 20,
    tol: float = 1e-6,
    dtype: np.dtype | type | None = None,
    num_threads: int | None = None,
    backend: str = "auto",
) -> tuple[np.ndarray, DiffusionInfo]:
    """Solves (I − α·wn) Z = y for all columns of y with per-column CG (module docstring).

    Args:
        wn: sparse [n, n] symmetric normalised affinity 𝒲 (`normalize_graph` output).
        y: float [n, c] (or [n]) right-hand sides, e.g. Y of eq. (8) with [15]'s 1/|L_c|.
        alpha: α in [0, 1).
        max_iter: at most this many CG iterations (sparse products), >= 1.
        tol: relative residual tolerance, >= 0 (scipy's ``rtol``).
        dtype: float dtype of the computation; None: wn's dtype if float32 or float64, else
            float64. float32 (what `knn_graph` produces) halves the memory traffic; its rounding
            (~1e-7) is far below the residual after 20 iterations at α = 0.99 (~1e-2).
        num_threads: threads for scipy's sparse product (row blocks; scipy releases the GIL);
            None: the CPUs this process may use. Results do not depend on it. TensorFlow's
            kernel uses TensorFlow's own thread pool.
        backend: the sparse product's kernel, "auto", "scipy" or "tensorflow" (module
            docstring).

    Returns:
        (Z, info): Z of shape y.shape and the computation dtype; `DiffusionInfo`.
    """
    check_options(alpha=alpha, max_iter=max_iter, tol=tol, backend=backend)
    a, b, dtype = _prepare(wn, y, dtype)
    if num_threads is None:
        num_threads = len(os.sched_getaffinity(0))
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be an integer >= 1, got {num_threads!r}")
    if resolve_backend(backend, a.nnz * b.shape[1]) == "tensorflow":
        operator = _TensorFlowOperator(a, alpha=float(alpha))
        z, info = _block_cg(operator, b, max_iter=int(max_iter), tol=float(tol))
    else:
        if a.nnz * b.shape[1] < _PARALLEL_MIN_WORK:
            num_threads = 1
        with concurrent.futures.ThreadPoolExecutor(max_workers=num_threads) as pool:
            operator = _Operator(a, alpha=float(alpha), pool=pool, parts=num_threads)
            z, info = _block_cg(operator, b, max_iter=int(max_iter), tol=float(tol))
    return (z[:, 0] if np.ndim(y) == 1 else z), info


def resolve_backend(backend: str, work: int) -> str:
    """Maps "auto" to "tensorflow" (installed, work >= `_TENSORFLOW_MIN_WORK`) or "scipy"."""
    if backend not in BACKEND_NAMES:
        raise ValueError(f"backend must be one of {BACKEND_NAMES}, got {backend!r}")
    if backend == "auto":
        big = work >= _TENSORFLOW_MIN_WORK
        return "tensorflow" if big and importlib.util.find_spec("tensorflow") else "scipy"
    return backend


def warm_up(backend: str, work: int) -> None:
    """Starts importing TensorFlow in a background thread if `backend` will resolve to it for a
    product of `work` entries × columns and it is not imported yet: callers that know the size
    early (`tfal.lp.propagate`, before its kNN search) hide the import's seconds behind work
    that releases the GIL. A failed import is raised again, in the caller, by `diffuse`."""
    if resolve_backend(backend, work) == "tensorflow" and "tensorflow" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("tensorflow",), daemon=True).start()


def check_options(*, alpha: float, max_iter: int, tol: float, backend: str = "auto") -> None:
    """Raises ValueError naming the first bad CG option."""
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must be in [0, 1), got {alpha!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not tol >= 0.0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    if backend not in BACKEND_NAMES:
        raise ValueError(f"backend must be one of {BACKEND_NAMES}, got {backend!r}")


def _prepare(
    wn: sp.spmatrix, y: np.ndarray, dtype: np.dtype | type | None
) -> tuple[sp.csr_matrix, np.ndarray, np.dtype]:
    if not sp.issparse(wn) or wn.ndim != 2 or wn.shape[0] != wn.shape[1]:
        raise ValueError(f"wn must be a square scipy sparse matrix, got {type(wn).__name__}")
    if dtype is None:
        dtype = wn.dtype if wn.dtype in (np.float32, np.float64) else np.float64
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    y = np.asarray(y)
    b = y.reshape(-1, 1) if y.ndim == 1 else y
    if b.ndim != 2 or b.shape[0] != wn.shape[0]:
        raise ValueError(f"y must be [n={wn.shape[0]}, c] or [n], got shape {y.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("y contains NaN or inf")
    a = sp.csr_matrix(wn, dtype=dtype)  # no copy when already csr of this dtype
    return a, np.ascontiguousarray(b, dtype=dtype), dtype


def _row_cuts(a: sp.csr_matrix, parts: int) -> list[tuple[int, int]]:
    """Row ranges [r0, r1) splitting a into `parts` blocks of about equal nnz."""
    cuts = np.searchsorted(a.indptr, np.linspace(0, a.nnz, parts + 1), side="left")
    cuts[0], cuts[-1] = 0, a.shape[0]
    return [(int(r0), int(r1)) for r0, r1 in zip(cuts[:-1], cuts[1:], strict=True)]


class _Operator:
    """p -> (I − α·a) p, with the rows of a split into blocks of equal nnz, one per thread.

    Returns the same output buffer at every call (the caller consumes it before the next call).
    """

    def __init__(
        self, a: sp.csr_matrix, *, alpha: float, pool: concurrent.futures.Executor, parts: int
    ):
        self.alpha, self.pool = alpha, pool
        self.rows = _row_cuts(a, parts)
        self.blocks = []
        for r0, r1 in self.rows:  # views of a's arrays, only indptr is new
            start, stop = a.indptr[r0], a.indptr[r1]
            indptr = a.indptr[r0 : r1 + 1] - start
            block = (a.data[start:stop], a.indices[start:stop], indptr)
            self.blocks.append(sp.csr_matrix(block, shape=(r1 - r0, a.shape[1]), copy=False))
        self.out = np.empty((0, 0))

    def __call__(self, p: np.ndarray) -> np.ndarray:
        out = self.out = _buffer_like(self.out, p)

        def part(index: int) -> None:
            r0, r1 = self.rows[index]
            product = self.blocks[index] @ p
            product *= -self.alpha
            np.add(product, p[r0:r1], out=out[r0:r1])

        for future in [self.pool.submit(part, i) for i in range(len(self.blocks))]:
            future.result()  # re-raises a worker's exception
        return out


class _TensorFlowOperator:
    """p -> (I − α·a) p with TensorFlow's CSR sparse × dense kernel.

    I − α·a is stored once (the identity folded in, so a product is one kernel call per block),
    as row blocks of at most `_TENSORFLOW_BLOCK_NNZ` entries (see there). With one block the
    result is TensorFlow's output array; with several, the same buffer at every call.
    """

    def __init__(self, a: sp.csr_matrix, *, alpha: float):
        self.tf = importlib.import_module("tensorflow")
        self.rows = _row_cuts(a, max(1, -(-a.nnz // _TENSORFLOW_BLOCK_NNZ)))
        self.blocks = [self._csr_block(a, r0, r1, alpha) for r0, r1 in self.rows]
        self.out = np.empty((0, 0))

    def _csr_block(self, a: sp.csr_matrix, r0: int, r1: int, alpha: float) -> object:
        """Rows r0..r1 of I − α·a: each row's diagonal 1 first, then its entries times −α
        (TensorFlow needs the rows in order, not the columns within a row)."""
        start, stop = a.indptr[r0], a.indptr[r1]
        counts = np.diff(a.indptr[r0 : r1 + 1]) + 1
        first = np.zeros(r1 - r0, dtype=np.int64)
        np.cumsum(counts[:-1], out=first[1:])
        coo = np.empty((stop - start + r1 - r0, 2), dtype=np.int64)
        values = np.empty(len(coo), dtype=a.dtype)
        coo[:, 0] = np.repeat(np.arange(r1 - r0), counts)
        rest = np.ones(len(coo), dtype=bool)
        rest[first] = False
        coo[first, 1], values[first] = np.arange(r0, r1), 1
        coo[rest, 1] = a.indices[start:stop]
        values[rest] = a.data[start:stop] * a.dtype.type(-alpha)
        return self.tf.raw_ops.SparseTensorToCSRSparseMatrix(
            indices=coo, values=values, dense_shape=np.array([r1 - r0, a.shape[1]], dtype=np.int64)
        )

    def __call__(self, p: np.ndarray) -> np.ndarray:
        dense = self.tf.convert_to_tensor(p)
        if len(self.blocks) == 1:
            return self.tf.raw_ops.SparseMatrixMatMul(a=self.blocks[0], b=dense).numpy()
        out = self.out = _buffer_like(self.out, p)
        for (r0, r1), block in zip(self.rows, self.blocks, strict=True):
            out[r0:r1] = self.tf.raw_ops.SparseMatrixMatMul(a=block, b=dense).numpy()
        return out


def _buffer_like(buffer: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`buffer` if it has like's shape and dtype, else a new one: reusing a 400 MB block saves
    faulting in fresh pages at every product."""
    if buffer.shape == like.shape and buffer.dtype == like.dtype:
        return buffer
    return np.empty_like(like)


_DOT_ROWS = 8192


def _column_dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per-column inner products: float32 partial sums over row chunks, accumulated in float64.

    A single float32 sum over 10^6 rows loses ~1e-4 relative accuracy; float64 all the way is
    5x slower. Chunks of 8192 rows keep the error near 1e-7 at float32 speed.
    """
    total = np.zeros(u.shape[1], dtype=np.float64)
    for start in range(0, u.shape[0], _DOT_ROWS):
        total += np.einsum("ij,ij->j", u[start : start + _DOT_ROWS], v[start : start + _DOT_ROWS])
    return total


def _update_solution(
    x: np.ndarray, r: np.ndarray, p: np.ndarray, q: np.ndarray, step: np.ndarray
) -> np.ndarray:
    """x += step·p, r −= step·q in place; returns the new ‖r‖² per column.

    Row chunk by row chunk (as `_column_dot` sums), so that each chunk of x, r, p, q is read
    from memory once for all three updates: at 10^6 x 100 the blocks are far larger than the
    caches and these passes are bound by memory bandwidth.
    """
    total = np.zeros(r.shape[1], dtype=np.float64)
    scratch = np.empty((min(r.shape[0], _DOT_ROWS), r.shape[1]), dtype=r.dtype)  # one chunk
    for start in range(0, r.shape[0], _DOT_ROWS):
        rows = slice(start, start + _DOT_ROWS)
        tmp = scratch[: min(_DOT_ROWS, r.shape[0] - start)]
        x[rows] += np.multiply(p[rows], step, out=tmp)
        r[rows] -= np.multiply(q[rows], step, out=tmp)
        total += np.einsum("ij,ij->j", r[rows], r[rows])
    return total


def _block_cg(
    operator: _Operator | _TensorFlowOperator, b: np.ndarray, *, max_iter: int, tol: float
) -> tuple[np.ndarray, DiffusionInfo]:
    """c independent CG recurrences on the columns of b for A = `operator`.

    The running columns are kept as compact [n, |active|] blocks (x, r, p, q); a column that
    stops is written to the output and dropped from the blocks. Every update is in place: at
    10^6 x 100 a fresh block per iteration would be 400 MB of newly mapped pages to fault in.
    """
    n, c = b.shape
    out = np.zeros_like(b)
    b_norm = np.sqrt(_column_dot(b, b))
    threshold = tol * b_norm
    residual_norm = b_norm.copy()
    column_iterations = np.zeros(c, dtype=np.int64)
    active = np.flatnonzero(b_norm > 0)  # a zero column is solved by zero (scipy returns b)
    r = b[:, active].copy()
    x = np.zeros_like(r)
    p = r.copy()
    rho = _column_dot(r, r)
    iterations = 0
    while active.size and iterations < max_iter:
        # scipy's rule: stop when ‖r‖ < tol·‖b‖ (and on an exact zero residual, to avoid 0/0)
        running = (np.sqrt(rho) >= threshold[active]) & (rho > 0)
        if not running.all():
            out[:, active[~running]] = x[:, ~running]
            active, rho = active[running], rho[running]
            x, r, p = x[:, running], r[:, running], p[:, running]
            if active.size == 0:
                break
        q = operator(p)  # (I − α𝒲) p: the one sparse product of the iteration
        step = (rho / _column_dot(p, q)).astype(b.dtype)
        rho_next = _update_solution(x, r, p, q, step)
        residual_norm[active] = np.sqrt(rho_next)
        beta = (rho_next / rho).astype(b.dtype)
        for start in range(0, n, _DOT_ROWS):  # p = r + β p, row chunk by row chunk
            chunk = p[start : start + _DOT_ROWS]
            chunk *= beta
            chunk += r[start : start + _DOT_ROWS]
        rho = rho_next
        column_iterations[active] += 1
        iterations += 1
    out[:, active] = x
    relative = np.divide(residual_norm, b_norm, out=np.zeros(c), where=b_norm > 0)
    info = DiffusionInfo(
        iterations=iterations,
        column_iterations=column_iterations,
        residual=relative,
        max_residual=float(relative.max(initial=0.0)),
        converged=relative < tol,
    )
    return out, info
