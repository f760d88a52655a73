"""`python -m tfal.report RUN_DIR... --out DIR [--title T] [--paper mnist]`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tfal.report.paper import PUBLISHED_DATASETS
from tfal.report.writer import write_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tfal.report",
        description="Tables (markdown, CSV) and a plot of test accuracy per cycle over run directories.",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--title", default="tfal results", help="heading of results.md")
    parser.add_argument(
        "--paper",
        choices=PUBLISHED_DATASETS,
        help="add the paper's published numbers for this dataset",
    )
    parser.add_argument(
        "--group_by",
        action="append",
        default=[],
        metavar="BINDING",
        help="split the settings by this gin binding's value (e.g. SemiSupervised.whiten); repeatable",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        paths = write_report(
            args.run_dirs,
            out_dir=args.out,
            title=args.title,
            paper=args.paper,
            group_by=args.group_by,
        )
    except ValueError as err:  # NotARunDirError included
        sys.stderr.write(f"error: {err}\n")
        return 2
    for path in paths.values():
        sys.stdout.write(path + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
