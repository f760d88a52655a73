"""PRE (Algorithm 1, line 2): unsupervised pre-training by DeepCluster [5]."""

from tfal.pretrain.augment import StrokeJitter
from tfal.pretrain.deepcluster import DeepCluster
from tfal.pretrain.metrics import normalized_mutual_info

__all__ = ["DeepCluster", "StrokeJitter", "normalized_mutual_info"]
