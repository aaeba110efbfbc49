"""Parameters that follow the user's data, checked before any kernel starts.

A template declares neutral defaults (empty columns, no areas). The shipped sample city's
values live in the notebook's metadata (``metadata.evalkit.sample``) and apply only when no
data file is given. With the user's own data, :func:`prepare`

* infers what the data makes unambiguous: the period column, the area column (none: a single
  series), the treatment column, the synthetic control's treated area and start, the
  seasonality from the frequency, and the count columns of an indicator profile;
* requires the rest, naming the columns or areas closest to what was given;
* runs every check that needs no estimate: columns, types, periods, unique rows, named areas,
  the start date against the series, windows against the series, seasonality against the
  frequency, the treatment column (0/1, absorbing, consistent with a cohort column, not
  treated from the first period in every treated area), survey columns.

The command line calls it before papermill (a mistake costs well under two seconds, not a
kernel start); each template's set-up cell calls it too, so JupyterLab and papermill runs of a
notebook get the same values and the same errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._resources import samples_dir
from evalkit.data.io import read_table
from evalkit.data.panel import check_treatment, timing
from evalkit.data.periods import parse_period, period_label, to_periods
from evalkit.data.validate import (
    as_lines,
    check_intervention,
    check_names,
    check_numeric,
    check_unique,
    require_columns,
    spreadsheet_lines,
)
from evalkit.errors import DataError, TemplateParameterError
from evalkit.run.templates import Template, load_template

__all__ = ["PREPARED_ENV", "prepare"]

#: set in the kernel's environment by ``evalkit run`` once the parameters were prepared
PREPARED_ENV = "EVALKIT_PREPARED"

#: parameters naming columns of the data file
_COLUMNS = ("outcome", "unit", "time", "treatment", "cohort", "exposure", "weights", "cluster",
            "treated", "reoffended", "events")
#: parameters naming lists of columns of the data file
_COLUMN_LISTS = ("covariates", "indicators")
#: parameters naming areas (values of the area column)
_AREA_LISTS = ("units", "control", "buffer", "buffer_control", "comparison", "response",
               "exclude", "areas")
#: templates whose outcome is a count per area and period
_PANEL_TEMPLATES = ("its", "did", "displacement", "evaluation", "synth", "indicators")
#: column names read as the period column when ``time`` is not given (lower case)
_TIME_NAMES = ("month", "year", "date", "period", "week", "quarter", "day", "time", "yearmonth",
               "mois", "annee", "année", "semaine", "trimestre", "jour", "periode", "période",
               "t")
#: column names read as the treatment column when ``treatment`` is not given (lower case)
_TREATMENT_NAMES = ("treatment", "treated", "treat", "partnership", "intervention", "policy",
                    "law", "post_treatment", "d")
_EXPOSURE_NAMES = ("population", "pop", "residents", "inhabitants", "habitants", "dwellings",
                   "logements", "households", "menages", "ménages")
#: column names taken as the exposure (a log offset) of count models when none is given
_POPULATION_NAMES = ("population", "pop", "residents", "inhabitants", "habitants")
_SURVEY_WAVE_NAMES = ("wave", "vague", "round", "year", "period")


def _given(value: Any) -> bool:
    return value not in ("", None, [])


def _sample_values(tpl: Template, values: MutableMapping[str, Any]) -> None:
    """Fill the sample city's values where the user kept the template's neutral default."""
    sample = dict(tpl.sample)
    name = sample.pop("data", None)
    if name is None:
        raise TemplateParameterError(
            f"template {tpl.name!r} has no sample data: give your data file with --data.")
    values["data"] = str(samples_dir() / name)
    for key, value in sample.items():
        if key in values and values[key] == tpl.parameter(key).default:
            if isinstance(value, str) and (samples_dir() / value).is_file():
                value = str(samples_dir() / value)  # a sample file, such as the survey
            values[key] = value


def _need(name: str, what: str, choices: Sequence[str], fix: str) -> TemplateParameterError:
    shown = ", ".join(map(repr, choices[:12])) + (f" and {len(choices) - 12} more"
                                                  if len(choices) > 12 else "")
    return TemplateParameterError(
        f"parameter {name!r} is needed: {what}. Candidates in the data: {shown or 'none'}. "
        f"Fix: {fix}"
    )


def _exposure(values: MutableMapping[str, Any], df: pd.DataFrame) -> None:
    """A count model's offset: ``none`` for none; empty for the one population column, if any.

    Without it a Poisson model of counts reads population growth as an effect. Only counts
    (whole numbers) get one: an outcome that is already a rate must not be divided again."""
    columns = [str(c) for c in df.columns]
    outcome = values.get("outcome")
    counts = False
    if _given(outcome) and outcome in df:
        s = pd.to_numeric(df[outcome], errors="coerce").dropna()
        counts = bool(len(s)) and bool((s % 1 == 0).all())
    if str(values.get("exposure", "")).strip().lower() == "none":
        values["exposure"] = ""
    elif not _given(values.get("exposure")) and values.get("family") != "ols" and counts:
        named = [c for c in columns if c.lower() in _POPULATION_NAMES]
        if len(named) == 1:
            values["exposure"] = named[0]
        elif named:
            raise _need("exposure", "several columns could be the population the counts are "
                        "modelled against", named, "add -p exposure COLUMN (or -p exposure "
                        "none for no offset).")


def _infer_time(df: pd.DataFrame) -> str:
    columns = [str(c) for c in df.columns]
    named = [c for c in columns if c.lower() in _TIME_NAMES]
    if len(named) == 1:
        return named[0]
    readable = []
    for c in named or columns:
        try:
            to_periods(df[c].head(200), column=c)
        except (DataError, TypeError, ValueError):
            continue
        readable.append(c)
    if len(readable) == 1:
        return readable[0]
    raise _need("time", "which column holds the periods (months, years, dates...)",
                readable or columns, "add -p time COLUMN.")


def _infer_unit(df: pd.DataFrame, time: str, taken: set[str]) -> str:
    """The area column, or "" when the rows are one series (one row per period)."""
    if not df[time].duplicated().any():
        return ""
    candidates = []
    for c in map(str, df.columns):
        if c == time or c in taken:
            continue
        s = df[c]
        if pd.api.types.is_float_dtype(s) and not bool((s.dropna() % 1 == 0).all()):
            continue
        if s.nunique(dropna=True) < 2 or df.duplicated([c, time]).any():
            continue
        candidates.append(c)
    text = [c for c in candidates if not pd.api.types.is_numeric_dtype(df[c])]
    for group in (text, candidates):
        if len(group) == 1:
            return group[0]
    raise _need("unit", f"several rows share a period in column {time!r}, so the data holds "
                "several areas", text or candidates, "add -p unit COLUMN, the column naming "
                "the area of each row.")


def _binary(s: pd.Series) -> bool:
    values = set(pd.unique(s.dropna()))
    return len(values) == 2 and values <= {0, 1}


def _infer_treatment(df: pd.DataFrame, taken: set[str]) -> str:
    binary = [str(c) for c in df.columns if str(c) not in taken and _binary(df[c])]
    if len(binary) == 1:
        return binary[0]
    named = [str(c) for c in df.columns if str(c).lower() in _TREATMENT_NAMES
             and set(pd.unique(df[c].dropna())) <= {0, 1}]
    if len(named) == 1:  # also a column that is 0 everywhere: its check explains the problem
        return named[0]
    raise _need("treatment", "which 0/1 column is 1 in each partnership area from its first "
                "period under the partnership", binary, "add -p treatment COLUMN.")


def _check_columns(df: pd.DataFrame, values: Mapping[str, Any]) -> None:
    for name in _COLUMNS:
        if _given(values.get(name)):
            require_columns(df, [values[name]], role=name)
    for name in _COLUMN_LISTS:
        if _given(values.get(name)):
            require_columns(df, list(values[name]), role=name.rstrip("s"))



def _check_window(values: Mapping[str, Any], names: Sequence[str], pre: int, post: int,
                  start: pd.Period) -> None:
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        side, have = ("after", post) if name == "after" else ("before", pre)
        checks = [(side, have)] if name in ("before", "after") else [("before", pre),
                                                                     ("after", post)]
        for side, have in checks:
            if value > have:
                raise DataError(
                    f"{name}={value} periods {side} the start ({period_label(start)}), but the "
                    f"data has only {have} period{'s' if have != 1 else ''} {side} it. Fix: "
                    f"pass -p {name} {have} or less, or use a longer series.")


def _check_survey(values: MutableMapping[str, Any], areas: set[str]) -> None:
    path = Path(str(values["survey"])).expanduser()
    if not path.is_file():
        raise DataError(f"survey file not found: {path}. Fix: check the path given with "
                        "-p survey, or leave it empty for no survey.")
    sv = read_table(path)
    columns = [str(c) for c in sv.columns]
    if not _given(values.get("survey_area")):
        overlap = [c for c in columns if set(sv[c].astype(str)) & areas]
        if len(overlap) != 1:
            raise _need("survey_area", "which survey column names the respondent's area (the "
                        "same names as the data's areas)", overlap or columns,
                        "add -p survey_area COLUMN.")
        values["survey_area"] = overlap[0]
    if not _given(values.get("survey_wave")):
        named = [c for c in columns if c.lower() in _SURVEY_WAVE_NAMES]
        if len(named) != 1:
            raise _need("survey_wave", "which survey column holds the wave", named or columns,
                        "add -p survey_wave COLUMN.")
        values["survey_wave"] = named[0]
    if not _given(values.get("survey_response")):
        raise _need("survey_response", "which survey column holds the answer on feeling "
                    "unsafe", columns, "add -p survey_response COLUMN.")
    for name in ("survey_response", "survey_area", "survey_wave", "survey_weight",
                 "survey_strata", "survey_psu"):
        if _given(values.get(name)):
            require_columns(sv, [values[name]], role=name.replace("_", " "))
    waves = sorted(map(str, pd.unique(sv[values["survey_wave"]].dropna())))
    for name in ("survey_before", "survey_after"):
        if not _given(values.get(name)):
            raise _need(name, f"which waves of column {values['survey_wave']!r} are "
                        f"{name.split('_')[1]} the start", waves,
                        f"add -p {name} WAVE (several: WAVE1,WAVE2).")
        check_names(values[name], waves, parameter=name, column=values["survey_wave"])


def _resolve(tpl: Template, values: MutableMapping[str, Any]) -> None:
    """Infer what the data makes unambiguous, then check everything that needs no estimate."""
    path = Path(str(values["data"])).expanduser()
    if not path.is_file():
        raise DataError(f"data file not found: {path}. Check the path given with --data.")
    df = spreadsheet_lines(read_table(path))  # messages name rows by their line in the file
    if df.empty:
        raise DataError(f"{path.name} has no data rows. Fix: check the file.")
    names = set(tpl.names)
    columns = [str(c) for c in df.columns]
    for name in tpl.required:
        if not _given(values.get(name)):
            param = tpl.parameter(name)
            raise _need(name, param.help, columns if name in _COLUMNS + _COLUMN_LISTS else [],
                        f"add -p {name} VALUE.")
    if tpl.name in ("its", "did", "evaluation"):
        _exposure(values, df)
    _check_columns(df, values)
    if "outcome" in names and not _given(values.get("outcome")):
        counts = [c for c in columns if pd.api.types.is_numeric_dtype(df[c]) and not _binary(df[c])]
        raise _need("outcome", "which column holds the counts to evaluate", counts,
                    "add -p outcome COLUMN.")
    if tpl.name not in _PANEL_TEMPLATES:
        return
    if not _given(values.get("time")):
        values["time"] = _infer_time(df)
    time = values["time"]
    periods, freq = to_periods(df[time], column=time)
    taken = {str(values[k]) for k in _COLUMNS if k != "unit" and _given(values.get(k))}
    if "unit" in names and not _given(values.get("unit")):
        values["unit"] = _infer_unit(df, time, taken)
    unit = values.get("unit") or None
    if tpl.name in ("did", "evaluation", "synth", "displacement") and unit is None:
        raise DataError(
            f"The {tpl.name} template compares areas, but the data has one row per period "
            f"(column {time!r}), so it is a single series. Fix: use the its template, or give "
            "data with one row per area and period and name the area column with -p unit.")
    if "outcome" in names:
        check_numeric(df, values["outcome"], nonnegative=values.get("family") != "ols")
    if _given(values.get("exposure")):
        check_numeric(df, values["exposure"])
    known = sorted(map(str, df[unit].astype(str).unique())) if unit else []
    if unit:
        df[unit] = df[unit].astype(str)
    dated = df.assign(**{time: periods})  # the checks below read periods, not raw dates
    check_unique(dated, [unit, time] if unit else [time])
    if unit:
        for name in _AREA_LISTS:
            if _given(values.get(name)):
                values[name] = check_names(values[name], known, parameter=name, column=unit)

    if "treatment" in names:
        if not _given(values.get("treatment")) and tpl.name in ("did", "evaluation"):
            values["treatment"] = _infer_treatment(df, taken | {unit or ""})
        if _given(values.get("treatment")):
            check_treatment(dated, unit=unit, time=time,
                            treatment=values["treatment"], cohort=values.get("cohort") or None,
                            freq=freq, comparison=tpl.name != "synth")
    if tpl.name == "synth":
        _synth_unit(dated, values, known)

    if "seasonality" in names:
        seasonal = freq in ("M", "Q", "W")
        if values["seasonality"] == "auto":
            values["seasonality"] = "month" if seasonal else "none"
        elif values["seasonality"] != "none" and not seasonal:
            raise DataError(
                f"seasonality={values['seasonality']!r} needs months, quarters or weeks, but "
                f"column {time!r} holds {_FREQ_NAMES[freq]} periods. Fix: pass -p seasonality "
                "none (or auto).")

    if values.get("window") == 0:  # a year of periods; three for yearly data
        values["window"] = {"D": 365, "W": 52, "M": 12, "Q": 4, "Y": 3}[freq]
    start = None
    if "intervention" in names:
        if not _given(values.get("intervention")):
            span = f"{period_label(periods.min())} to {period_label(periods.max())}"
            raise TemplateParameterError(
                f"parameter 'intervention' is needed: the first period under the partnership "
                f"(the data runs from {span}). Fix: add -p intervention PERIOD, e.g. "
                f"-p intervention {period_label(periods.sort_values().iloc[len(periods) // 2])}.")
        start = parse_period(values["intervention"], freq)
        check_intervention(periods, start, min_pre=3 if tpl.name == "its" else 1,
                           design=tpl.name)
    elif _given(values.get("treatment")) and unit:
        starts = timing(dated, unit=unit, time=time, treatment=values["treatment"]).first
        start = starts[starts > periods.min()].min()  # areas treated throughout are left out
    windows = [n for n in ("window", "before", "after") if n in names]
    if tpl.name == "evaluation" and not _given(values.get("buffer")):
        windows = []  # its window is the displacement test's, run only with buffers
    if start is not None and windows:
        uniq = pd.PeriodIndex(periods.unique())
        pre, post = int((uniq < start).sum()), int((uniq >= start).sum())
        _check_window(values, windows, pre, post, start)
    if tpl.name == "indicators":
        if not _given(values.get("exposure")):  # rates need a denominator
            named = [c for c in columns if c.lower() in _POPULATION_NAMES]  # residents first
            named = named if len(named) == 1 else [c for c in columns
                                                   if c.lower() in _EXPOSURE_NAMES]
            if len(named) != 1:
                numeric = [c for c in columns if pd.api.types.is_numeric_dtype(df[c])]
                raise _need("exposure", "the denominator of the rates (residents, dwellings...)",
                            named or numeric, "add -p exposure COLUMN.")
            values["exposure"] = named[0]
            check_numeric(df, named[0])
        if not _given(values.get("indicators")):
            skip = {time, unit, values.get("exposure")}
            values["indicators"] = [
                c for c in columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                and not _binary(df[c]) and bool((df[c].dropna() >= 0).all())
                and bool((df[c].dropna() % 1 == 0).all())]
            if not values["indicators"]:
                raise _need("indicators", "which count columns to profile", columns,
                            "add -p indicators COLUMN1,COLUMN2.")
        for column in values["indicators"]:
            check_numeric(df, column, nonnegative=True)
        if _given(values.get("window")) and values["window"] > periods.nunique():
            raise DataError(f"window={values['window']} periods, but the data has "
                            f"{periods.nunique()}. Fix: pass a smaller -p window.")
    if _given(values.get("survey")) and values["survey"] != "sample" and "survey_area" in names:
        _check_survey(values, set(known))


_FREQ_NAMES = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}


def _synth_unit(dated: pd.DataFrame, values: MutableMapping[str, Any], known: list[str]
                ) -> None:
    """The synthetic control's area and start, from ``treatment`` when not given
    (``dated``: the data with Periods in the time column)."""
    unit = values["unit"]
    treatment = values.get("treatment")
    if not _given(values.get("treated_unit")):
        if not _given(treatment):
            raise _need("treated_unit", "the partnership area, whose synthetic control is "
                        "built from the other areas", known, "add -p treated_unit AREA (or "
                        "-p treatment COLUMN, a 0/1 column).")
        starts = timing(dated, unit=unit, time=values["time"], treatment=treatment).first
        if len(starts) != 1:
            first = starts[starts == starts.min()]
            if len(first) != 1:
                raise _need("treated_unit", f"column {treatment!r} marks "
                            f"{len(starts)} areas, so which one is the partnership area is "
                            "not clear", sorted(map(str, first.index)), "add -p treated_unit "
                            "AREA; the other treated areas are kept out of the donors.")
            starts = first
        values["treated_unit"] = str(starts.index[0])
        if not _given(values.get("intervention")):
            values["intervention"] = period_label(starts.iloc[0])
    values["treated_unit"] = check_names([values["treated_unit"]], known,
                                         parameter="treated_unit", column=unit)[0]


def prepare(template: str | Template, values: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters made ready for a run: sample values, inferences, checks.

    Parameters
    ----------
    template : str or Template
        Template name (``its``) or a loaded template.
    values : mapping
        Parameter values, e.g. the notebook's ``globals()``; names that are not parameters
        are ignored.

    Returns
    -------
    dict
        Every parameter of the template, ``data`` an absolute path.

    Raises
    ------
    TemplateParameterError, DataError
        A parameter the data cannot settle, or a problem in the data; the message says what
        was expected, what was found and how to fix it.
    """
    tpl = template if isinstance(template, Template) else load_template(template)
    out = {p.name: values.get(p.name, p.default) for p in tpl.parameters}
    if os.environ.get(PREPARED_ENV) == "1":  # ``evalkit run`` prepared them before the kernel
        return out
    if "data" in out:
        if not _given(out["data"]):
            _sample_values(tpl, out)
        out["data"] = str(Path(str(out["data"])).expanduser().resolve())
        try:
            _resolve(tpl, out)
        except DataError as exc:
            raise DataError(as_lines(str(exc))) from None
    return out


