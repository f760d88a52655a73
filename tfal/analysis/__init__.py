"""Analyses of finished campaigns: the paper's agreement of acquisition strategies (Appendix A)."""

from tfal.analysis.agreement import Agreement, compare, rank_correlations, weighted_accuracy
from tfal.analysis.from_run import AgreementReport, analyse

__all__ = [
    "Agreement",
    "AgreementReport",
    "analyse",
    "compare",
    "rank_correlations",
    "weighted_accuracy",
]
