"""Incident files: finding the files, reading their headers, and the DuckDB scans over them."""

from __future__ import annotations

import csv
import glob
import gzip
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, Literal

from evalkit.data.incidents.sql import _NA, _lit
from evalkit.data.io import _check_mixed, _sniff_sep, check_readable_file
from evalkit.data.validate import _more
from evalkit.errors import DataError

Source = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_PARQUET = (".parquet", ".pq")


@dataclass(frozen=True)
class _File:
    path: Path
    kind: Literal["csv", "parquet"]
    columns: tuple[str, ...]
    delim: str = ","
    encoding: str = "utf-8"


def _kind(path: Path) -> Literal["csv", "parquet"] | None:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    return "csv" if name.endswith(_CSV) else None


def _expand(source: Source) -> list[Path]:
    """The files named by a path, a folder, a glob pattern or a list of these."""
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not items:
        raise DataError("Expected at least one incident file, but got an empty list. Fix: pass "
                        "a path, a glob pattern such as 'data/*.csv', or a list of paths.")
    paths: list[Path] = []
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise DataError(f"Expected file paths or glob patterns, but got "
                            f"{type(item).__name__}. Fix: pass str or pathlib.Path values.")
        text = os.path.expanduser(os.fspath(item))
        if re.search(r"[*?[]", text):
            found = [Path(f) for f in sorted(glob.glob(text, recursive=True)) if Path(f).is_file()]
            if not found:
                raise DataError(f"Expected incident files matching {text!r}, but the pattern "
                                f"matches no file. Fix: check the pattern (relative patterns "
                                f"start from {Path.cwd()}).")
            paths += found
        elif Path(text).is_dir():
            found = sorted(p for p in Path(text).rglob("*") if p.is_file() and _kind(p))
            if not found:
                raise DataError(f"Expected CSV or Parquet files in the folder "
                                f"{Path(text).resolve()}, but it has none. Fix: pass the folder "
                                "that holds the downloaded files, or the files themselves.")
            paths += found
        else:  # a missing, unreadable or special file (FIFO, link loop) has its own message
            check_readable_file(Path(text), what="an incident file")
            paths.append(Path(text))
    unique = list(dict.fromkeys(p.resolve() for p in paths))
    for path in unique:
        if _kind(path) is None:
            raise DataError(f"Expected CSV or Parquet incident files (ending in "
                            f"{', '.join(_CSV + _PARQUET)}), but got '{path}'. Fix: leave this "
                            "file out, or convert it (Excel: save as CSV).")
    return unique


def _inspect(path: Path) -> _File:
    """Read a file's column names (and, for text, its separator and encoding)."""
    if _kind(path) == "parquet":
        import pyarrow.parquet as pq

        try:
            return _File(path, "parquet", tuple(pq.read_schema(path).names))
        except Exception as exc:
            raise DataError(f"Expected a Parquet file in {path}, but it could not be read: "
                            f"{exc}. Fix: check that the file is complete and really Parquet."
                            ) from exc
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(1 << 16)
    except (OSError, EOFError) as exc:
        raise DataError(f"Expected a readable text file in {path}, but: {exc}. Fix: check the "
                        "file (and that a .gz file is complete).") from exc
    if not head.strip():
        raise DataError(f"Expected a table in {path}, but the file is empty. Fix: check that "
                        "the download finished, or leave this file out.")
    encoding = "utf-8"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == 1 << 16:  # a character cut by the read
            text = head[: exc.start].decode("utf-8-sig")
        else:
            _check_mixed(head[: head.rfind(b"\n") + 1] or head, path)
            encoding, text = "latin-1", head.decode("latin-1")
    if "\x00" in text:
        raise DataError(f"Expected a text table in {path}, but it looks binary. Fix: export the "
                        "table as CSV text or Parquet, or check that this is the right file.")
    delim = _sniff_sep(text)
    header = [h.strip() for h in next(csv.reader([text.splitlines()[0]], delimiter=delim))]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise DataError(f"Expected distinct column names in {path}, but "
                        f"{', '.join(map(repr, repeated))} appear more than once. Fix: rename "
                        "the repeated columns.")
    return _File(path, "csv", tuple(header), delim, encoding)


def _scan(files: list[_File]) -> str:
    """A DuckDB table function reading files that share a format and a header."""
    paths = "[" + ", ".join(_lit(str(f.path)) for f in files) + "]"
    first = files[0]
    if first.kind == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in first.columns) + "}"
    return (f"read_csv({paths}, header = true, auto_detect = false, columns = {columns}, "
            f"delim = {_lit(first.delim)}, quote = '\"', escape = '\"', "
            f"encoding = {_lit(first.encoding)}, "
            f"nullstr = [{', '.join(_lit(v) for v in _NA)}])")


def _groups(files: list[_File]) -> list[list[_File]]:
    """Files that one DuckDB scan can read together."""
    def key(f: _File) -> tuple:
        return (f.kind, f.delim, f.encoding, f.columns if f.kind == "csv" else ())
    return [list(g) for _, g in groupby(sorted(files, key=key), key=key)]


def _names(files: list[_File]) -> str:
    return ", ".join(f.path.name for f in files[:3]) + _more(len(files), 3)
