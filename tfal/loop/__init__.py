"""The cycle loop (Algorithm 1), its saved state and the SEMI settings.

Loaded on demand (as `tfal`): `tfal.loop.state` reads a campaign's state without TensorFlow.
"""

import importlib

_WHERE = {
    "ActiveLearningLoop": "tfal.loop.cycle",
    "SemiSupervised": "tfal.loop.semi",
    "CampaignState": "tfal.loop.state",
    "StateError": "tfal.loop.state",
    "load_state": "tfal.loop.state",
    "save_state": "tfal.loop.state",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tfal.loop' has no attribute {name!r}")
