"""Reports over run directories: results.md, results.csv and accuracy_vs_labels.png.

python -m tfal.report RUN_DIR... --out DIR [--title T] [--paper mnist]
"""

from tfal.report.aggregate import CellStats, aggregate
from tfal.report.runs import NotARunDirError, Run, load_run
from tfal.report.writer import write_report

__all__ = ["CellStats", "NotARunDirError", "Run", "aggregate", "load_run", "write_report"]
