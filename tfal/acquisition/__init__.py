"""Acquisition strategies: which unlabeled examples to label next (paper sections 3 and 5).

Every strategy is a pure function on numpy arrays with one keyword interface,

    strategy(budget, *, labeled_idx, features=None, probs=None, graph=None, seed=0, cycle=0,
             **strategy_options) -> int64 [budget] pool indices,

registered with gin as `@tfal.acquisition.<name>`. A user's own function with that signature (it
may take `**kwargs` for what it ignores) runs in the loop when bound in gin
(`ActiveLearningLoop.strategy = @my_lab.my_strategy`, the function decorated with
`@gin.configurable(module="my_lab")` and its module imported by the gin file); it is recorded as
"<module>.<name>", given the model's features and probabilities unless it takes none of
features/probs/graph (then only `pool_size`), LP's graph when it takes `graph` and, with SEMI, LP's
options (`tfal.lp.LPConfig`) when it takes `lp`. `select` runs one by name; `check_selection`
asserts the invariants of a batch (exactly b distinct unlabeled indices), which the loop checks
every cycle.

- random: uniform without replacement.
- uncertainty: largest entropy, eqs. (5)-(6).  margin, least_confidence: the other classic scores.
- ceal: entropy acquisition; `ceal_pseudo_labels` gives the confident pseudo-labels of eq. (7).
- coreset: greedy k-center on the features, eq. (4).
- jlp: least manifold similarity to the labeled set, eqs. (11)-(12), diffusing with LP's options.
- typiclust: the most typical point of the largest unlabeled clusters (Hacohen et al. 2022).
- probcover: greedy max coverage of pure δ-balls (Yehuda et al. 2022).
- bald: mutual information between label and weights from MC-dropout samples (not in the paper).
"""

from tfal.acquisition.bald import bald, mutual_information
from tfal.acquisition.cost_effective import ceal, ceal_pseudo_labels
from tfal.acquisition.coverage import probcover
from tfal.acquisition.dispatch import (
    STRATEGIES,
    call_strategy,
    select,
    strategy_name,
    uses_graph,
    uses_lp_config,
    uses_mc_dropout,
    uses_model_outputs,
)
from tfal.acquisition.joint_label_propagation import jlp
from tfal.acquisition.k_center import coreset
from tfal.acquisition.probability_scores import entropy, least_confidence, margin, uncertainty
from tfal.acquisition.random_sampling import random
from tfal.acquisition.typicality import spectral_features, typiclust
from tfal.acquisition.validation import check_selection

__all__ = [
    "STRATEGIES",
    "bald",
    "call_strategy",
    "mutual_information",
    "uses_mc_dropout",
    "ceal",
    "ceal_pseudo_labels",
    "check_selection",
    "coreset",
    "entropy",
    "jlp",
    "least_confidence",
    "margin",
    "probcover",
    "random",
    "select",
    "spectral_features",
    "strategy_name",
    "typiclust",
    "uncertainty",
    "uses_graph",
    "uses_lp_config",
    "uses_model_outputs",
]
