"""Read tables from DataFrames, delimited text (European dialects), Parquet and Excel."""

from __future__ import annotations

import csv
import errno
import gzip
import hashlib
import io
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError

__all__ = ["data_fingerprint", "read_table"]

_TEXT = (".csv", ".txt", ".tsv")
_GZ = tuple(s + ".gz" for s in _TEXT)
_PARQUET = (".parquet", ".pq")
_EXCEL = (".xlsx", ".xls")
SUPPORTED = _TEXT + _GZ + _PARQUET + _EXCEL
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A"]
_SEPARATORS = (",", ";", "\t", "|")
_SPACES = " \u00a0\u202f"
# Bounds that keep a wrong or hostile file from exhausting memory: a table read into memory
# (decompressed) may take MAX_BYTES, and compressed data may inflate MAX_RATIO times (above
# _RATIO_FLOOR bytes). Both are raised with EVALKIT_MAX_BYTES and EVALKIT_MAX_RATIO.
MAX_BYTES = 512 << 20
MAX_RATIO = 200
_RATIO_FLOOR = 10 << 20


def _path(data: str | os.PathLike[str]) -> Path:
    """Resolve ``data`` to a readable regular file or raise a DataError saying what it is."""
    if not isinstance(data, str | os.PathLike):
        raise DataError(
            f"Expected a pandas DataFrame or a file path, but got {type(data).__name__}. "
            "Fix: pass a DataFrame or the path of a .csv, .parquet or .xlsx file."
        )
    path = Path(data).expanduser()
    check_readable_file(path, what="a data file")
    return path


def check_readable_file(path: Path, *, what: str) -> os.stat_result:
    """Check that ``path`` is a regular file this process can read; return its status.

    A folder, a FIFO or device (reading one would block or never end), a symbolic link
    loop, a missing file and a file without read permission each get their own message.

    Raises
    ------
    DataError
        Naming the absolute path and what it is instead.
    """
    where = f"(relative paths start from {Path.cwd()})"
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            found = "is a symbolic link that loops back on itself"
            fix = "point the link at the real file, or pass the file itself"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            found = "cannot be reached: permission denied on a folder of its path"
            fix = "ask for read access to the folder, or copy the file somewhere readable"
        elif path.is_symlink():
            found = "is a symbolic link to a file that does not exist"
            fix = f"point the link at the real file {where}"
        else:
            found = "does not exist"
            fix = f"check the path {where}"
        raise DataError(f"Expected {what}, but {path.absolute()} {found}. Fix: {fix}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("is a folder, not a file" if stat.S_ISDIR(info.st_mode) else
                "is a named pipe (FIFO), not a file" if stat.S_ISFIFO(info.st_mode) else
                "is a socket, not a file" if stat.S_ISSOCK(info.st_mode) else
                "is a device, not a file")
        raise DataError(f"Expected {what}, but {path.absolute()} {kind}. Fix: pass the path of "
                        f"the file itself {where}.")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise DataError(
            f"Expected {what} that can be read, but {path.absolute()} cannot be opened "
            f"({exc.strerror or exc}). Fix: give yourself read permission (chmod u+r), or copy "
            "the file somewhere readable."
        ) from None
    return info


def _limit(name: str, default: int) -> int:
    """A positive whole-number limit from the environment variable ``name``."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise DataError(f"Expected the environment variable {name} to be a positive whole "
                        f"number, but it is {os.environ[name]!r}. Fix: set e.g. "
                        f"{name}={default}, or unset it for the default.")
    return int(text)


def max_bytes() -> int:
    """Most bytes a table may take once read or decompressed (``EVALKIT_MAX_BYTES``)."""
    return _limit("EVALKIT_MAX_BYTES", MAX_BYTES)


def max_ratio() -> int:
    """Largest decompressed / compressed size ratio (``EVALKIT_MAX_RATIO``)."""
    return _limit("EVALKIT_MAX_RATIO", MAX_RATIO)


def _too_big(path: Path, size: int, what: str) -> DataError:
    limit = max_bytes()
    return DataError(
        f"Expected a table of at most {limit:,} bytes (the limit set by EVALKIT_MAX_BYTES), "
        f"but {path} {what} {size:,} bytes or more. Fix: check that this is the right file; "
        f"if it is, raise the limit, e.g. EVALKIT_MAX_BYTES={2 * max(size, limit)}, or read "
        "it in parts yourself."
    )


def _too_inflated(path: Path, packed: int, size: int) -> DataError:
    ratio = max_ratio()
    return DataError(
        f"Expected compressed data to grow at most {ratio} times when decompressed (the limit "
        f"set by EVALKIT_MAX_RATIO), but {path} grows from {packed:,} to {size:,} bytes or "
        "more, as a decompression bomb does. Fix: check where the file comes from; if it is "
        f"genuine, raise the limit, e.g. EVALKIT_MAX_RATIO={ratio * 10}."
    )


def _check_inflation(path: Path, packed: int, size: int) -> None:
    """Refuse decompressed data above the byte limit, or inflated beyond the ratio (small
    files may compress very well, so the ratio counts only above _RATIO_FLOOR bytes)."""
    if size > max_bytes():
        raise _too_big(path, size, "decompresses to")
    if size > _RATIO_FLOOR and size > max_ratio() * max(packed, 1):
        raise _too_inflated(path, packed, size)


def _gunzip(path: Path, packed: int) -> bytes:
    """Decompress a gzip file in blocks, stopping as soon as a limit is passed."""
    out = bytearray()
    try:
        with gzip.open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                out += block
                _check_inflation(path, packed, len(out))
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"Expected gzip-compressed text in {path}, but it could not be decompressed: "
            f"{exc}. Fix: check the file or decompress it yourself."
        ) from exc
    return bytes(out)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise DataError(
        f"Expected a file ending in one of {', '.join(SUPPORTED)}, but got '{path.name}'. "
        "Fix: save the table in one of these formats, or read it yourself and pass a DataFrame."
    )


def _decode(raw: bytes, path: Path) -> str:
    """Decode text: UTF-16 (with BOM), UTF-8 (with or without BOM), then cp1252, latin-1.

    A file whose lines are partly UTF-8 and partly another encoding (two exports pasted
    together) is refused: decoding it either way would garble one kind of line.
    """
    encodings = ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ()
    for encoding in (*encodings, "utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            if encoding == "utf-8-sig":
                _check_mixed(raw, path)
            continue
        if "\x00" not in text:
            return text
    raise DataError(
        f"Expected a text table in {path}, but it looks binary (it contains NUL bytes or "
        "cannot be decoded as UTF-8, UTF-16, cp1252 or latin-1). Fix: export the table as "
        "CSV text, or check that this is the right file."
    )


def _lines_list(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5]))
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{_more_text(len(numbers))}"


def _more_text(n: int) -> str:
    return f" and {n - 5} more" if n > 5 else ""


def _check_mixed(raw: bytes, path: Path) -> None:
    """Refuse text that is not UTF-8 as a whole but has UTF-8 lines with accents."""
    utf8, other = [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
        else:
            utf8.append(number)
    if utf8 and other:
        raise DataError(
            f"Expected one text encoding in {path}, but it mixes UTF-8 ({_lines_list(utf8)}) "
            f"with another encoding such as Windows cp1252 or latin-1 ({_lines_list(other)}), "
            "so accented letters would be misread in one kind of line. Fix: open the file in "
            "an editor, correct the lines in the other encoding, and save it all as UTF-8."
        )


def _sniff_sep(text: str) -> str:
    """Pick the separator that splits the first lines into the same number (> 1) of fields."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:50]
    best, best_score = ",", (0.0, 1)
    for sep in _SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _cells(df: pd.DataFrame) -> pd.Series:
    """Stripped non-missing text cells of the first 10,000 rows, as one Series."""
    head = df.head(10_000)
    parts = [head[c].dropna().astype(str).str.strip() for c in head.columns]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=str)


def _decimal(df: pd.DataFrame, sep: str) -> str:
    """``","`` when numeric-looking cells use a decimal comma (never with ``,`` separators)."""
    if sep == ",":
        return "."
    cells = _cells(df)
    commas = cells.str.fullmatch(r"[+-]?(\d{1,3}([.\u00a0\u202f ]\d{3})+|\d*),\d+").sum()
    dots = cells.str.fullmatch(r"[+-]?\d*\.\d+").sum()
    grouped = cells.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+").sum()
    return "," if commas > 0 and commas >= dots - grouped else "."


def _number_pattern(decimal: str) -> tuple[re.Pattern[str], str]:
    dec = re.escape(decimal)
    thousands = f"[.{_SPACES}']" if decimal == "," else f"[,{_SPACES}']"
    plain = rf"[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+)(?:[eE][+-]?\d+)?"
    grouped = rf"[+-]?\d{{1,3}}(?:{thousands}\d{{3}})+(?:{dec}\d+)?"
    return re.compile(f"{plain}|{grouped}"), thousands


def _to_number(s: pd.Series, decimal: str) -> pd.Series | None:
    """The column as numbers if every non-missing cell is one, else None (kept as text).

    Codes with leading zeros (``01004``) stay text so that they keep their zeros.
    """
    present = s.dropna().astype(str).str.strip()
    if present.empty:
        return pd.to_numeric(s, errors="coerce").astype("float64")
    pattern, thousands = _number_pattern(decimal)
    if not present.str.fullmatch(pattern).all() or present.str.fullmatch(r"[+-]?0\d+").any():
        return None
    cleaned = present.str.replace(thousands, "", regex=True).str.replace(decimal, ".")
    try:
        numbers = pd.to_numeric(cleaned)
    except (ValueError, TypeError, OverflowError):
        return None
    if numbers.dtype == object:
        return None
    if len(numbers) == len(s):
        return numbers.set_axis(s.index).rename(s.name)
    return numbers.reindex(s.index).astype("float64").rename(s.name)


def _read_text(path: Path, raw: bytes) -> pd.DataFrame:
    text = _decode(raw, path)
    sep = _sniff_sep(text)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=NA_VALUES,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError:
        _raise_empty(path)
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        shown = {"\t": "tab"}.get(sep, repr(sep))
        raise DataError(
            f"Expected a delimited table in {path} (separator detected: {shown}), but it could "
            f"not be parsed: {str(exc).strip()}. Fix: check that every line has the same "
            "number of fields and that text containing the separator is quoted."
        ) from exc
    df.columns = names = [str(c).strip() for c in df.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"Expected distinct column names in {path}, but {', '.join(map(repr, repeated))} "
            "appear more than once (after trimming spaces). Fix: rename the repeated columns."
        )
    decimal = _decimal(df, sep)
    for column in df.columns:
        converted = _to_number(df[column], decimal)
        if converted is not None:
            df[column] = converted
    return df


def _visible_sheet(path: Path) -> str | None:
    """The sheet Excel shows on opening an .xlsx: the active one if visible, else the
    first visible one (a hidden first sheet is not what the user sees)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
        active = book.active
        if active is not None and active.title in visible:
            return active.title
        return visible[0] if visible else None
    finally:
        book.close()


def _check_zip(path: Path) -> None:
    """Refuse an .xlsx (a zip archive) that would inflate beyond the limits."""
    packed = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # the reader reports a damaged workbook in its own words
    _check_inflation(path, packed, size)


def _formulas_without_values(path: Path, sheet: str | int, df: pd.DataFrame) -> None:
    """Refuse formula cells that have no saved result (a workbook written by a program and
    never opened in a spreadsheet): they would read as missing values."""
    if not df.isna().to_numpy().any():
        return
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    values = load_workbook(path, read_only=True, data_only=True)
    try:
        name = sheet if isinstance(sheet, str) else book.sheetnames[sheet]
        cells = []
        rows = zip(book[name].iter_rows(), values[name].iter_rows(), strict=False)
        for formulas, saved in rows:
            for cell, value in zip(formulas, saved, strict=False):
                if cell.data_type == "f" and value.value is None:
                    cells.append(cell.coordinate)
    finally:
        book.close()
        values.close()
    if cells:
        n = len(cells)
        shown = ", ".join(cells[:5]) + _more_text(n)
        raise DataError(
            f"Expected values in sheet {name!r} of {path}, but cell{'s' if n > 1 else ''} "
            f"{shown} hold{'s' if n == 1 else ''} a formula with no saved value (the workbook "
            "was written by a program and never opened in a spreadsheet). Fix: open and save "
            "the file in a spreadsheet program (Excel, LibreOffice), which computes and saves "
            "the values, or export the sheet as CSV."
        )


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    xlsx = path.suffix.lower() == ".xlsx"
    engine = "openpyxl" if xlsx else None
    if xlsx:
        _check_zip(path)
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            names = [str(n) for n in book.sheet_names]
            if (
                sheet is not None
                and sheet not in names
                and not (isinstance(sheet, int) and 0 <= sheet < len(names))
            ):
                raise DataError(
                    f"Expected sheet {sheet!r} in {path}, but the workbook has sheets "
                    f"{', '.join(repr(n) for n in names)}. Fix: pass sheet= one of these names "
                    "or a 0-based position."
                )
            if sheet is None:
                sheet = (_visible_sheet(path) if xlsx else None) or 0
            df = pd.read_excel(book, sheet_name=sheet)
        if xlsx:
            _formulas_without_values(path, sheet, df)
        return df
    except DataError:
        raise
    except ImportError as exc:
        raise DataError(
            f"Expected to read {path}, but the engine for this Excel format is not installed "
            f"({exc}). Fix: save it as .xlsx or .csv, or install xlrd for .xls files."
        ) from exc
    except Exception as exc:
        raise DataError(
            f"Expected an Excel workbook in {path}, but it could not be read: {exc}. Fix: open "
            "and re-save it in Excel, or export the sheet as CSV."
        ) from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        # in memory every cell takes at least 8 bytes, however well it is encoded on disk
        size = max(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)),
                   8 * meta.num_rows * meta.num_columns)
    except Exception as exc:
        raise DataError(
            f"Expected a Parquet file in {path}, but it could not be read: {exc}. Fix: check "
            "that the file is complete and really Parquet."
        ) from exc
    _check_inflation(path, path.stat().st_size, size)
    try:
        return pd.read_parquet(path)
    except Exception as exc:
        raise DataError(
            f"Expected a Parquet file in {path}, but it could not be read: {exc}. Fix: check "
            "that the file is complete and really Parquet."
        ) from exc


def _raise_empty(path: Path) -> None:
    raise DataError(
        f"Expected a table in {path}, but the file is empty. Fix: check that the export "
        "finished and that this is the right file."
    )


def _read_path(path: Path, sheet: str | int | None) -> pd.DataFrame:
    suffix = _suffix(path)
    size = path.stat().st_size
    if size > max_bytes():
        raise _too_big(path, size, "takes")
    if suffix in _PARQUET:
        return _read_parquet(path)
    if suffix in _EXCEL:
        return _read_excel(path, sheet)
    raw = _gunzip(path, size) if suffix in _GZ else path.read_bytes()
    if not raw.strip():
        _raise_empty(path)
    return _read_text(path, raw)


def read_table(
    data: pd.DataFrame | str | os.PathLike[str], *, sheet: str | int | None = None
) -> pd.DataFrame:
    """Read a table from a DataFrame or a file, never modifying either.

    Parameters
    ----------
    data : pandas.DataFrame, str or os.PathLike
        A DataFrame (a copy is returned: deep with pandas 2, shallow with pandas 3, whose
        copy-on-write keeps the two frames independent) or a path ending in ``.csv``, ``.txt``,
        ``.tsv`` (optionally ``.gz``), ``.parquet``/``.pq`` or ``.xlsx``/``.xls``. Text files
        are read with their separator (``,`` ``;`` tab ``|``) sniffed, encoding UTF-8 (with
        or without BOM) or else cp1252/latin-1, ``NA`` and empty cells as missing, decimal
        commas and thousands separators understood. Columns whose cells are all numbers
        become numeric, except codes with leading zeros (``01004``), which stay text.
    sheet : str or int, optional
        Excel sheet name or 0-based position. By default the sheet Excel shows on opening
        an ``.xlsx``: the active sheet, or the first visible one (never a hidden sheet).

    Returns
    -------
    pandas.DataFrame
        A new DataFrame.

    Raises
    ------
    DataError
        For a missing, unreadable or special file (folder, FIFO, link loop), an unsupported
        suffix, an empty file, a header without data rows, a file that cannot be decoded or
        parsed, text mixing UTF-8 and another encoding (the lines are named), Excel formulas
        without a saved value (the cells are named), or a file over the size limits.

    Notes
    -----
    Reading is bounded so that a wrong or hostile file fails with a message instead of
    exhausting memory: a file, or its decompressed content (``.gz``; the parts of an
    ``.xlsx``; a Parquet file's row groups uncompressed, at least 8 bytes a cell), may take
    at most 512 MiB, and compressed data may inflate at most 200 times (counted above 10 MiB).
    Raise the limits with the environment variables ``EVALKIT_MAX_BYTES`` (bytes) and
    ``EVALKIT_MAX_RATIO``.
    """
    if isinstance(data, pd.DataFrame):
        # pandas >= 3 copies on write: a shallow copy can never change the caller's frame,
        # and copying millions of rows up front is wasted when nothing is written
        return data.copy(deep=not _COPY_ON_WRITE)
    path = _path(data)
    df = _read_path(path, sheet)
    if df.shape[1] == 0:
        _raise_empty(path)
    if df.shape[0] == 0:
        raise DataError(
            f"Expected data rows in {path}, but it has only a header "
            f"({', '.join(map(str, df.columns))}). Fix: check that the export included the data."
        )
    return df


def data_fingerprint(data: pd.DataFrame | str | os.PathLike[str]) -> str:
    """Return a sha256 hex digest identifying the data.

    Parameters
    ----------
    data : pandas.DataFrame, str or os.PathLike
        A path (the file's bytes are hashed) or a DataFrame (its values, index, column
        names and dtypes are hashed).

    Returns
    -------
    str
        64 hexadecimal characters.

    Raises
    ------
    DataError
        If the path is not an existing file.

    Notes
    -----
    A DataFrame is hashed in one pass over its memory, without converting any cell: its
    shape, column names and dtypes, then the index (a ``RangeIndex`` by its start, stop and
    step) and each column in turn, numbers as their raw bytes and text in Arrow storage as
    the 64-bit offsets of the strings (from 0) followed by their concatenated UTF-8 bytes
    (independent of how Arrow splits the column into chunks). Other columns (Python-object
    text, categories, periods, nullable numbers) are hashed as integer codes of their
    distinct values plus a hash of those values. Any change of a value, the row order, a
    name or a dtype changes the digest; the same frame always gives the same digest with
    the same pandas version.
    """
    digest = hashlib.sha256()
    if not isinstance(data, pd.DataFrame):
        path = _path(data)
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    digest.update(repr((data.shape, [(repr(c), str(t)) for c, t in data.dtypes.items()]))
                  .encode())
    index = data.index
    if isinstance(index, pd.RangeIndex):
        digest.update(repr(("range", index.start, index.stop, index.step)).encode())
    try:
        columns = [] if isinstance(index, pd.RangeIndex) else [index.to_series()]
        for values in [*columns, *(data.iloc[:, j] for j in range(data.shape[1]))]:
            _hash_column(digest, values)
    except TypeError:  # unhashable cells such as lists
        digest.update(data.to_json(orient="split", date_format="iso").encode())
    return digest.hexdigest()


def _hash_column(digest: hashlib._Hash, values: pd.Series) -> None:
    """Feed one column to the digest (see :func:`data_fingerprint`), copying as little as
    possible: numpy buffers and Arrow string buffers go to sha256 as they are."""
    array = values.array
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biufcmM":
        digest.update(np.ascontiguousarray(values.to_numpy()).view(np.uint8))
        return
    chunks = _arrow_string_chunks(array)
    if chunks is not None:
        digest.update(b"arrow-utf8")
        end = 0
        for i, (offsets, _) in enumerate(chunks):  # the column's 64-bit offsets from 0 ...
            if offsets.dtype != np.int64 or offsets[0] != end:
                offsets = offsets.astype(np.int64) + (end - int(offsets[0]))
            digest.update((offsets if i == 0 else offsets[1:]).view(np.uint8))
            end = int(offsets[-1])
        for offsets, data in chunks:  # ... then all the bytes
            digest.update(data[offsets[0]:offsets[-1]])
        return
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    digest.update(codes.view(np.uint8))
    # the types too: pandas hashes mixed objects as text, so 1, "1" and True would collide
    digest.update(repr([type(u).__name__ for u in uniques]).encode())
    digest.update(pd.util.hash_pandas_object(pd.Series(uniques, dtype=object), index=False)
                  .to_numpy().view(np.uint8))


def _arrow_string_chunks(array: object) -> list[tuple[np.ndarray, memoryview]] | None:
    """Offsets and data buffers of an Arrow-backed text column without missing values.

    Returns None for anything else (the caller then hashes codes and distinct values).
    """
    chunked = getattr(array, "_pa_array", None)
    if chunked is None or chunked.null_count:
        return None
    import pyarrow as pa

    if not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return None
    width = np.int64 if pa.types.is_large_string(chunked.type) else np.int32
    out = []
    for chunk in chunked.chunks:
        _, offsets, data = chunk.buffers()
        offs = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        out.append((offs, memoryview(data) if data is not None else memoryview(b"")))
    return out
