"""LP's settings, in one place: the kNN graph, the diffusion and the weights (sections 3-4, [15]).

`LPConfig` is what `propagate` and `affinity_graph` take, what SEMI's settings extend
(`tfal.loop.SemiSupervised` is an LPConfig with its epochs and batches, so `SemiSupervised.k`
stays a gin parameter) and what jLP diffuses with (`tfal.acquisition.jlp.lp`; with SEMI the loop
hands jLP SEMI's own). Defaults: section 6.1 (k = 50, α = 0.99, γ = 3) and [15]'s code (20 CG
iterations at tolerance 1e-6, W + Wᵀ, Y balanced per class, weights divided by their maximum).
"""

# No `from __future__ import annotations`: the fields' types stay objects, so the constructor of
# a subclass in another module (SemiSupervised) resolves them for `tfal.config_types`' checks.
import dataclasses
from typing import Annotated, Any, ClassVar

from tfal.config_types import (
    Iterations,
    Neighbours,
    OneOf,
    OpenFraction,
    Positive,
    Range,
    Tolerance,
    configurable,
)
from tfal.lp import diffusion, graph, knn


@configurable(module="tfal.lp")
@dataclasses.dataclass(frozen=True)
class LPConfig:
    """Label propagation's options.

    Attributes:
      k: neighbours per example in the kNN graph (< n).
      alpha: α of eq. (9), in (0, 1).
      gamma: exponent on the similarities, > 0.
      symmetrize: "sum" (W + Wᵀ, [15]'s code) or "mutual" (reciprocal kNN, the paper's text).
      clip_negative: clip negative similarities before the power (paper); False keeps the cube's
        sign ([15]'s code).
      max_iter, tol: conjugate-gradient iterations and relative residual tolerance.
      index: kNN index, "auto", "exact", "ivf", "hnsw" or "gpu" (`tfal.lp.knn`).
      nprobe, nlist: IVF lists scanned per query and IVF lists; None: `tfal.lp.knn`'s defaults.
      class_balance_y: divide each column of Y by its number of labels ([15]).
      class_weights: also return [15]'s inverse-frequency class weights.
      normalize_weights: divide the weights by their maximum over U ([15]'s code); False keeps
        β(p) of eq. (10).
      whiten: PCA-whiten the features before the graph (`tfal.lp.pca_whiten`), tfal's
        improvement beyond the paper for few labels.
      whiten_dim: with `whiten`, keep only this many leading principal directions (None: all);
        on small pools the trailing ones are noise (results/small_pool).
      cg_backend: kernel of CG's sparse products, "auto" (TensorFlow's for large graphs), "scipy"
        or "tensorflow" (`tfal.lp.diffusion`; results differ by rounding only).
    """

    # the options of the graph alone (`affinity_graph`): what jLP must share with LP
    GRAPH_OPTIONS: ClassVar[tuple[str, ...]] = (
        "k", "gamma", "symmetrize", "clip_negative", "index", "nprobe", "nlist", "whiten", "whiten_dim",
    )  # fmt: skip

    k: Neighbours = 50
    alpha: OpenFraction = 0.99
    gamma: Positive = 3.0
    symmetrize: Annotated[str, OneOf(graph.SYMMETRIZE_NAMES)] = "sum"
    clip_negative: bool = True
    max_iter: Iterations = 20
    tol: Tolerance = 1e-6
    index: Annotated[str, OneOf(knn.INDEX_NAMES)] = "auto"
    nprobe: Annotated[int, Range(1, 1 << 20)] | None = None
    nlist: Annotated[int, Range(1, 1 << 20)] | None = None
    class_balance_y: bool = True
    class_weights: bool = False
    normalize_weights: bool = True
    whiten: bool = False
    whiten_dim: Annotated[int, Range(1, 1 << 16)] | None = None
    cg_backend: Annotated[str, OneOf(diffusion.BACKEND_NAMES)] = "auto"

    def lp_options(self) -> dict[str, Any]:
        """Every LP option of this configuration by name (a subclass's own fields left out)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(LPConfig)}

    def graph_options(self) -> dict[str, Any]:
        """The options `affinity_graph` takes: LP's graph exactly, for jLP."""
        return {name: getattr(self, name) for name in self.GRAPH_OPTIONS}

    def lp_config(self) -> "LPConfig":
        """This configuration's LP part as a plain LPConfig."""
        return LPConfig(**self.lp_options())


DEFAULT = LPConfig()  # built at import, before any gin file is parsed: the documented defaults


def with_options(config: LPConfig, options: dict[str, Any]) -> LPConfig:
    """`config`'s LP options with some replaced by name (e.g. `k=10`), each checked.

    Raises:
      ValueError: an unknown option, or a value outside its range (naming it).
    """
    names = [f.name for f in dataclasses.fields(LPConfig)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise ValueError(f"unknown LP option(s) {unknown}; allowed: {', '.join(names)}")
    return LPConfig(**{**config.lp_options(), **options})
