"""tfal: semi-supervised deep active learning (Simeoni et al., ICPR 2020).

Subpackages are imported on demand so that the numpy-only parts (`tfal.lp`,
`tfal.acquisition`) load without TensorFlow; `tfal.Campaign` (`tfal.library`) loads it when used.
"""

__version__ = "0.1.0"
__all__ = ["Campaign", "Query"]


def __getattr__(name: str):
    if name in __all__:
        from tfal import library

        return getattr(library, name)
    raise AttributeError(f"module 'tfal' has no attribute {name!r}")
