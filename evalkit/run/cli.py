"""The ``evalkit`` command.

Exit codes (DESIGN.md §4): 0 success; 2 bad input or parameters (one message on stderr, no
traceback); 1 a failure inside a run. ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from evalkit.errors import EvalkitError, RunError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluate what a city security partnership changed.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("templates", help="list the templates and their parameters")

    run = sub.add_parser("run", help="execute a template: report.html, report.ipynb, results.json")
    run.add_argument("template", help="template name (see `evalkit templates`) or .ipynb path")
    run.add_argument("--data", help="data file (CSV, Parquet, Excel)")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    run.add_argument("-f", "--params-file", help="YAML file of parameters")
    run.add_argument("--out", required=True, help="output folder (written whole or not at all)")
    run.add_argument("--lang", choices=["en", "fr"], help="report language")
    run.add_argument("--show-code", action="store_true", help="keep code cells in report.html")
    run.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    val = sub.add_parser("validate", help="check a dataset and print every problem found")
    val.add_argument("file", help="CSV, Parquet or Excel file")
    val.add_argument("--unit", help="unit column (omit for a single series)")
    val.add_argument("--time", required=True, help="period column")
    val.add_argument("--outcome", help="count column to check")
    val.add_argument("--exposure", help="population/denominator column to check")
    val.add_argument("--freq", choices=["D", "W", "M", "Q", "Y"], help="period frequency")
    val.add_argument("--treatment", help="0/1 treatment column to check (needs --unit)")
    val.add_argument("--cohort", help="first-treated-period column to check against --treatment")
    val.add_argument("--sheet", help="Excel sheet (default: the active visible sheet)")
    val.add_argument("--tz", help="time zone of the times, e.g. Europe/Paris (times that "
                     "carry an offset are converted to it)")

    pan = sub.add_parser("panel", help="count incident files (CSV, Parquet) into a unit x "
                         "period x indicator panel file")
    pan.add_argument("sources", nargs="+", metavar="SOURCE",
                     help="incident files, folders or glob patterns (quote them)")
    pan.add_argument("--preset", help="public schema: police_uk, chicago, nypd or ssmsi")
    pan.add_argument("--date", help="date column (overrides the preset's)")
    pan.add_argument("--unit", help="unit column, e.g. District for chicago")
    pan.add_argument("--category", help="category column (offence type)")
    pan.add_argument("--freq", choices=["D", "W", "M", "Q", "Y"],
                     help="period length (default M; the source's own for ssmsi)")
    pan.add_argument("--start", help="first period, e.g. 2021-01 (zero-filled from there)")
    pan.add_argument("--end", help="last period")
    pan.add_argument("--indicator", action="append", dest="indicators", metavar="NAME",
                     help="keep only this category (repeatable)")
    pan.add_argument("--layout", choices=["long", "wide"], default="long",
                     help="long (canonical) or wide (one column per indicator)")
    pan.add_argument("--exposure", help="file of (unit, value) or (unit, period, value)")
    pan.add_argument("--exposure-type", help="what the exposure counts, e.g. residents")
    pan.add_argument("--date-format", help="strptime format of the dates, e.g. %%d/%%m/%%Y")
    pan.add_argument("--tz", help="time zone the periods are counted in, e.g. Europe/Paris "
                     "(needed when the times carry an offset or zone)")
    pan.add_argument("--bad-dates", choices=["error", "drop"], default="error",
                     help="unreadable dates: stop (default) or leave the rows out")
    pan.add_argument("--source-name", help="value of the source column")
    pan.add_argument("--source-vintage", help="extraction date, for the source_vintage column")
    pan.add_argument("--out", required=True, help="output .csv or .parquet (written whole "
                     "or not at all)")
    pan.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    pan.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    from evalkit.run.batch import add_parser as _add_batch_parser

    _add_batch_parser(sub)

    demo = sub.add_parser("demo", help="full evaluation of the shipped sample data")
    demo.add_argument("--out", default="evalkit-demo", help="output folder")
    demo.add_argument("--lang", choices=["en", "fr"], default="en", help="report language")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _templates(args: argparse.Namespace) -> int:
    from evalkit.run.templates import list_templates

    for tpl in list_templates():
        print(f"{tpl.name} — {tpl.title}")
        for p in tpl.parameters:
            sample = f"  [sample: {tpl.sample[p.name]!r}]" if p.name in tpl.sample else ""
            print(f"    {p.name}: {p.type} = {p.default!r}  # {p.help}{sample}")
        print()
    return 0


def _load_yaml(path: str) -> dict:
    from evalkit.errors import TemplateParameterError
    from evalkit.run.safety import load_yaml

    values = load_yaml(path, what="parameters file") or {}
    if not isinstance(values, dict):
        raise TemplateParameterError(f"parameters file {path} must be a mapping of "
                                     "name: value lines.")
    return values


def _run(args: argparse.Namespace) -> int:
    from evalkit.run.execute import run_template

    given = _load_yaml(args.params_file) if args.params_file else {}
    outcome = run_template(args.template, out=args.out, data=args.data, parameters=given,
                           text=dict(args.param), lang=args.lang, show_code=args.show_code,
                           overwrite=args.overwrite, progress=not args.no_progress)
    print(f"report:  {outcome.report}")
    print(f"results: {outcome.out / 'results.json'}")
    for est in outcome.results.get("estimates", [])[:3]:
        print(f"  {est['method']} {est['outcome']} {est['term']}: {_g(est['estimate'])} "
              f"[{_g(est['ci_low'])}, {_g(est['ci_high'])}]")
    return 0


def _g(value: float | None) -> str:
    """A number from results.json for the terminal ('–' when JSON has null)."""
    return "–" if value is None else f"{value:.4g}"


def _validate(args: argparse.Namespace) -> int:
    from evalkit.data.panel import find_problems, load_panel

    problems = find_problems(args.file, unit=args.unit, time=args.time, outcome=args.outcome,
                             exposure=args.exposure, freq=args.freq, treatment=args.treatment,
                             cohort=args.cohort, sheet=args.sheet, tz=args.tz)
    if problems:
        n = len(problems)
        print(f"{args.file}: {n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        for i, problem in enumerate(problems, 1):
            print(f"  {i}. {problem}", file=sys.stderr)
        return 2
    panel = load_panel(args.file, unit=args.unit, time=args.time, outcome=args.outcome,
                       exposure=args.exposure, freq=args.freq, sheet=args.sheet, tz=args.tz)
    print(f"OK: {args.file}")
    print(f"  {panel.n_obs} rows, {panel.n_units} unit(s), {panel.n_periods} periods "
          f"({panel.freq}) from {panel.periods.min()} to {panel.periods.max()}")
    for note in panel.notes:
        print(f"  note: {note}")
    return 0


def _panel(args: argparse.Namespace) -> int:
    import warnings

    from evalkit.data.incidents import STATUSES, panel_from_incidents, write_panel
    from evalkit.errors import EvalkitWarning

    with warnings.catch_warnings():  # the same texts are printed below as notes
        warnings.simplefilter("ignore", EvalkitWarning)
        frame = panel_from_incidents(
            args.sources, preset=args.preset, date=args.date, unit=args.unit,
            category=args.category, freq=args.freq, start=args.start, end=args.end,
            indicators=args.indicators, layout=args.layout, exposure=args.exposure,
            exposure_type=args.exposure_type, date_format=args.date_format, tz=args.tz,
            bad_dates=args.bad_dates, source_name=args.source_name,
            source_vintage=args.source_vintage, progress=not args.no_progress)
    out = write_panel(frame, args.out, overwrite=args.overwrite)
    info = frame.attrs["ingest"]
    periods = frame["period"].unique()
    print(f"wrote {out}: {len(frame):,} rows; {frame['unit_id'].nunique():,} units x "
          f"{len(periods):,} periods ({info['freq']}, {min(periods)} to {max(periods)}); "
          f"{info['rows_used']:,} of {info['rows_read']:,} rows counted")
    if "status" in frame:
        counts = frame["status"].value_counts()
        print("  " + ", ".join(f"{k}: {counts[k]:,}" for k in STATUSES if counts.get(k)))
    for note in info["notes"]:
        print(f"  note: {note}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from evalkit.run.batch import handle

    return handle(args)


def _verdict_line(verdict: dict) -> str:
    """One line of the results.json verdict: direction, best design and %, level."""
    level = verdict["evidence_level"]
    grade = f"Maryland SMS level {level if level is not None else 'below 2'}"
    if verdict["best_design"] is None:
        return f"{verdict['direction']} (no credible design with comparison areas); {grade}"
    pct = {k: "unbounded" if verdict[k] is None else f"{verdict[k]:+.1f}%"
           for k in ("estimate_pct", "ci_low_pct", "ci_high_pct")}
    return (f"{verdict['direction'].replace('_', ' ')} by the {verdict['best_design']}: "
            f"{pct['estimate_pct']} [{pct['ci_low_pct']}, {pct['ci_high_pct']}]; strong "
            f"designs {verdict['agreement']}; {grade}")


def _demo(args: argparse.Namespace) -> int:
    from evalkit.run.demo import run_demo

    outcomes = run_demo(args.out, lang=args.lang, progress=not args.no_progress)
    for outcome in outcomes:
        print(f"\n{outcome.results['template']}: {outcome.report}")
        verdict = outcome.results.get("verdict")
        if verdict is not None:  # what the report's headline says, from results.json
            print(f"  verdict: {_verdict_line(verdict)}")
        for est in outcome.results["estimates"]:
            if est["term"] in ("cumulative_effect", "att", "att_simple", "level_change"):
                rel = est.get("relative_effect")
                rel_txt = (f"  rate ratio {_g(rel)} [{_g(est['relative_ci_low'])}, "
                           f"{_g(est['relative_ci_high'])}]" if rel is not None else "")
                print(f"  {est['method']} {est['outcome']} {est['term']}: "
                      f"{_g(est['estimate'])} [{_g(est['ci_low'])}, {_g(est['ci_high'])}]"
                      f"{rel_txt}")
    print(f"\nOpen {outcomes[0].report} in a browser to read the report.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    import signal
    import threading

    from evalkit.run.safety import Terminated, raise_terminated

    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)
    handlers = {"templates": _templates, "run": _run, "validate": _validate, "demo": _demo,
                "batch": _batch, "panel": _panel}
    try:
        return handlers[args.command](args)
    except RunError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: run failed: {exc}", file=sys.stderr)
        return 1
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("evalkit: interrupted", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def _entry() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
