"""The cycle loop (Algorithm 1), its saved state and the SEMI settings."""

from tfal.loop.cycle import ActiveLearningLoop
from tfal.loop.semi import SemiSupervised
from tfal.loop.state import CampaignState, StateError, load_state, save_state

__all__ = [
    "ActiveLearningLoop",
    "CampaignState",
    "SemiSupervised",
    "StateError",
    "load_state",
    "save_state",
]
