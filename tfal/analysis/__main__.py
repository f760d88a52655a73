"""`python -m tfal.analysis agreement RUN_DIR --strategies A B ... [--reference A] [--cycle J] [--out DIR]`.

Prints Table 3 of the paper (Appendix A) for the campaign in RUN_DIR after cycle J, and, with
--out, writes it as agreement.md and agreement.json there. RUN_DIR is only read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence

from tfal.analysis.agreement import markdown
from tfal.analysis.from_run import analyse


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tfal.analysis", description=__doc__.split("\n")[2]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    agree = commands.add_parser(
        "agreement",
        help="LP's pseudo-labels after each strategy's batch, compared (paper, Appendix A)",
    )
    agree.add_argument("run_dir", metavar="RUN_DIR")
    agree.add_argument("--strategies", nargs="+", required=True, metavar="NAME")
    agree.add_argument("--reference", help="compare every strategy with this one")
    agree.add_argument("--cycle", type=int, help="after this cycle (default: the last finished)")
    agree.add_argument("--out", help="also write agreement.md and agreement.json here")
    args = parser.parse_args(argv)
    try:
        report = analyse(args.run_dir, args.strategies, cycle=args.cycle, reference=args.reference)
    except (ValueError, OSError) as e:
        print(f"tfal.analysis: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    title = (
        f"Agreement after cycle {report.cycle} of {report.run_dir} "
        f"({report.num_labeled} labels, b = {report.budget})"
    )
    text = markdown(report.rows, report.correlations, title=title)
    print(text, end="")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "agreement.md"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(args.out, "agreement.json"), "w", encoding="utf-8") as f:
            json.dump(
                {
                    "run_dir": report.run_dir,
                    "cycle": report.cycle,
                    "num_labeled": report.num_labeled,
                    "budget": report.budget,
                    "rows": [dataclasses.asdict(r) for r in report.rows],
                    "rank_correlations": [
                        {"a": a, "b": b, "spearman": rho}
                        for (a, b), rho in report.correlations.items()
                    ],
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
