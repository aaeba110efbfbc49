"""The ``evalkit`` command.

Exit codes (DESIGN.md §4): 0 success; 2 bad input or parameters (one message on stderr, no
traceback); 1 a failure inside a run. ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from evalkit.errors import EvalkitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluate what a city security partnership changed.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    val = sub.add_parser("validate", help="check a dataset and print every problem found")
    val.add_argument("file", help="CSV, Parquet or Excel file")
    val.add_argument("--unit", help="unit column (omit for a single series)")
    val.add_argument("--time", required=True, help="period column")
    val.add_argument("--outcome", help="count column to check")
    val.add_argument("--exposure", help="population/denominator column to check")
    val.add_argument("--freq", choices=["D", "W", "M", "Q", "Y"], help="period frequency")

    demo = sub.add_parser("demo", help="full evaluation of the shipped sample data")
    demo.add_argument("--out", default="evalkit-demo", help="output folder")
    return parser


def _validate(args: argparse.Namespace) -> int:
    from evalkit.data.panel import load_panel

    panel = load_panel(args.file, unit=args.unit, time=args.time, outcome=args.outcome,
                       exposure=args.exposure, freq=args.freq)
    print(f"OK: {args.file}")
    print(f"  {panel.n_obs} rows, {panel.n_units} unit(s), {panel.n_periods} periods "
          f"({panel.freq}) from {panel.periods.min()} to {panel.periods.max()}")
    for note in panel.notes:
        print(f"  note: {note}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import pandas as pd

    from evalkit.run.demo import demo_tables

    tables = demo_tables()
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        for name, table in tables.items():
            print(f"\n== {name} ==")
            print(table.to_string(index=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    handlers = {"validate": _validate, "demo": _demo}
    try:
        return handlers[args.command](args)
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130


def _entry() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
