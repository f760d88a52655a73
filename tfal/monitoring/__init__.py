"""Run monitoring: the results.jsonl log and TensorBoard events.

`TensorBoardWriter` is loaded on first use so that reading results (`tfal.report`) does not import
TensorFlow.
"""

from typing import Any

from tfal.monitoring.results import ResultsWriter, read_results

__all__ = ["ResultsWriter", "TensorBoardWriter", "read_results"]


def __getattr__(name: str) -> Any:
    if name == "TensorBoardWriter":
        from tfal.monitoring.tensorboard import TensorBoardWriter

        return TensorBoardWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
