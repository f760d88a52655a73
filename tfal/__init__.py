"""tfal: semi-supervised deep active learning (Simeoni et al., ICPR 2020).

Subpackages are imported on demand so that the numpy-only parts (`tfal.lp`,
`tfal.acquisition`) load without TensorFlow.
"""

__version__ = "0.1.0"
