"""Oracles: who answers LABEL(S) (Algorithm 1, line 13).

`SimulatedOracle` answers with the pool's true labels (the paper's benchmark setting);
`HumanOracle` asks people through files in the run directory (a CSV and a contact sheet per
query, optionally Label Studio) and stops the campaign with `LabelsPending` until they answer;
`TaughtOracle` waits for a Python program's `tfal.Campaign.teach`. `Oracle` is their protocol.
Their gin names stay `@tfal.data.SimulatedOracle` and `@tfal.data.HumanOracle`, as configs use them.
"""

from tfal.oracles.human import HumanOracle
from tfal.oracles.protocol import Oracle
from tfal.oracles.simulated import LabelsPending, SimulatedOracle
from tfal.oracles.taught import TaughtOracle

__all__ = ["HumanOracle", "LabelsPending", "Oracle", "SimulatedOracle", "TaughtOracle"]
