"""PRE (Algorithm 1, line 2): unsupervised pre-training by DeepCluster [5]; IMSAT, the label-free
clusters tfal chooses L0 from (`ActiveLearningLoop.initial_selection = 'imsat'`)."""

from tfal.pretrain.augment import StrokeJitter
from tfal.pretrain.deepcluster import DeepCluster
from tfal.pretrain.imsat import IMSAT
from tfal.pretrain.metrics import normalized_mutual_info

__all__ = ["IMSAT", "DeepCluster", "StrokeJitter", "normalized_mutual_info"]
