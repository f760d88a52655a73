"""Label propagation (sec. 3-4 of the paper, Iscen et al. [15]): numpy in, numpy out.

Built on numpy/scipy/faiss; large CG products run on TensorFlow's CSR kernel (imported only then,
`diffuse(backend=...)`, `LPConfig.cg_backend`).

`LPConfig` holds LP's options (the graph, the diffusion, the weights) for all of them; `propagate`
is the LP step of Algorithm 1; `affinity_graph` is the graph it diffuses on (what
jLP acquires on); `knn_graph`, `normalize_graph` and `diffuse` are its
parts, shared with jLP acquisition; `entropy_weights` is eq. (10); `pca_whiten` is an optional
feature normalisation beyond the paper (`LPConfig.whiten`).
"""

from tfal.lp.config import LPConfig
from tfal.lp.diffusion import DiffusionInfo, diffuse
from tfal.lp.features import flat_pixels, pca_whiten, principal_axes
from tfal.lp.graph import knn_graph, normalize_graph
from tfal.lp.propagation import (
    LPDiagnostics,
    LPResult,
    affinity_graph,
    entropy_weights,
    propagate,
)

__all__ = [
    "DiffusionInfo",
    "LPConfig",
    "LPDiagnostics",
    "LPResult",
    "affinity_graph",
    "diffuse",
    "entropy_weights",
    "flat_pixels",
    "knn_graph",
    "normalize_graph",
    "pca_whiten",
    "principal_axes",
    "propagate",
]
