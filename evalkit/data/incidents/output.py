"""Incident files: writing a panel out (:func:`write_panel`, :func:`escape_formula`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from evalkit._atomic import atomic_path
from evalkit.data.incidents.files import _PARQUET
from evalkit.errors import SpecError


def _period_labels(periods: pd.Series) -> pd.Categorical:
    """Period text that :func:`evalkit.data.to_periods` reads back (weeks as ``2023-W05``)."""
    codes, uniques = pd.factorize(periods, sort=True)
    if isinstance(uniques, pd.PeriodIndex) and uniques.freqstr.startswith("W"):
        days = [p.start_time.date().isocalendar() for p in uniques]
        labels = [f"{year}-W{week:02d}" for year, week, _ in days]
    else:
        labels = [str(p) for p in uniques]
    return pd.Categorical.from_codes(codes, categories=labels)


# OWASP "CSV injection": a cell starting with one of these is run as a formula by
# spreadsheet programs; a leading apostrophe makes them show it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_MARKER = b"evalkit.panel"  # Parquet metadata key of the files write_panel writes
_CSV_HEADER = "unit_id,period,"  # the first line of every CSV write_panel writes


def escape_formula(text: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, which spreadsheet programs show as text; plain numbers such as
    ``-3`` or ``+1.5`` are left alone. Other values are returned unchanged.
    """
    if (isinstance(text, str) and text.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _escaped(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and column name escaped by :func:`escape_formula`."""
    out = table.rename(columns=lambda c: escape_formula(str(c)))
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if categories.dtype == object or pd.api.types.is_string_dtype(categories):
                escaped = [escape_formula(c) for c in categories]
                if escaped != list(categories):
                    out[column] = values.cat.rename_categories(escaped)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(escape_formula)
    return out


def _written_by_panel(out: Path) -> bool:
    """Whether ``out`` carries the mark of a file :func:`write_panel` wrote."""
    try:
        if out.name.lower().endswith(".csv"):
            with out.open("rb") as handle:
                return handle.read(len(_CSV_HEADER)).decode("utf-8", "replace") == _CSV_HEADER
        import pyarrow.parquet as pq

        return _MARKER in (pq.read_schema(out).metadata or {})
    except Exception:  # unreadable or not a table: not ours
        return False


def _same_file(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_output(out: Path, inputs: list[str], overwrite: bool) -> None:
    """Refuse any output that could destroy something evalkit panel did not write."""
    if out.is_symlink():
        raise SpecError(f"Expected a plain output file, but {out} is a symbolic link (to "
                        f"{os.readlink(out)}); evalkit never writes through a link. Fix: "
                        "name a new file, or remove the link first.")
    if not os.path.lexists(out):
        return
    if out.is_dir():
        raise SpecError(f"Expected an output file, but {out.resolve()} is a folder. Fix: name "
                        "a file inside it, e.g. {}.".format(out / "panel.parquet"))
    if any(_same_file(out, p) for p in inputs):
        raise SpecError(f"Expected an output file other than the inputs, but {out} is one of "
                        "them (inputs are never modified). Fix: choose another output name.")
    if not out.is_file():
        raise SpecError(f"Expected an output file, but {out.resolve()} is not a regular file "
                        "(a FIFO, socket or device). Fix: name a new file.")
    if not overwrite:
        raise SpecError(f"Expected a new output file, but {out.resolve()} already exists. Fix: "
                        "choose another name, or pass --overwrite (overwrite=True).")
    if not _written_by_panel(out):
        raise SpecError(
            f"Expected --overwrite to replace a panel that evalkit panel wrote, but "
            f"{out.resolve()} is not one (it lacks the {_MARKER.decode()!r} Parquet metadata, "
            f"or a CSV header starting with {_CSV_HEADER!r}), so it is left alone. Fix: choose "
            "another output name, or move that file away yourself.")


def write_panel(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                overwrite: bool = False) -> Path:
    """Write a panel to ``.csv`` or ``.parquet`` atomically: whole or not at all.

    Parameters
    ----------
    frame : pandas.DataFrame
        A panel from :func:`panel_from_incidents`; periods are written as text that
        :func:`evalkit.load_panel` reads back.
    path : str or os.PathLike
        Output file, ending in ``.csv``, ``.parquet`` or ``.pq``; its folder is created.
    overwrite : bool, default False
        Replace an existing file, but only one that ``write_panel`` wrote: a Parquet file
        with the ``evalkit.panel`` metadata key, or a CSV whose header starts with
        ``unit_id,period,``. Never one of the panel's inputs (incident files and the
        exposure file, however they are named: hard links count), a folder, a symbolic link
        or anything else.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    SpecError
        For another suffix, an existing file without ``overwrite`` or not written by
        ``write_panel``, an input file, a folder, a symbolic link, or a file that cannot be
        written (the message gives the system's reason).

    Notes
    -----
    The file is written to a hidden temporary file in the same folder, then renamed over
    the output in one step (``os.replace``): a reader sees the old file or the new one,
    never part of one. In a CSV, text that a spreadsheet would run as a formula (a unit,
    indicator or other label starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return, except plain numbers such as ``-3``) is written with a leading apostrophe
    (``'=HYPERLINK(...)``), as OWASP advises against CSV injection; Parquet keeps the text
    as it is.
    """
    out = Path(path).expanduser()
    suffix = out.name.lower()
    if not suffix.endswith((".csv", *_PARQUET)):
        raise SpecError(f"Expected an output file ending in .csv or .parquet, but got "
                        f"'{out.name}'. Fix: name the output e.g. panel.parquet.")
    ingest = frame.attrs.get("ingest", {})
    inputs = [*ingest.get("files", []), *filter(None, [ingest.get("exposure_file")])]
    _check_output(out, inputs, overwrite)
    table = frame.copy(deep=False)
    if isinstance(table["period"].dtype, pd.PeriodDtype):
        table["period"] = _period_labels(table["period"])
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            if suffix.endswith(".csv"):
                _escaped(table).to_csv(tmp, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                arrow = pa.Table.from_pandas(table, preserve_index=False)
                arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                                       _MARKER: b"1"})
                pq.write_table(arrow, tmp)
            _check_output(out, inputs, overwrite)  # nothing changed while writing
    except OSError as exc:
        raise SpecError(f"Expected to write {out.absolute()}, but the system refused: "
                        f"{exc.strerror or exc}. Fix: check that the folder can be written "
                        "and that the disk has space.") from None
    return out
