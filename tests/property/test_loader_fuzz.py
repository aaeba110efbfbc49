"""Fuzz read_table: arbitrary bytes in a .csv either load or raise DataError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.data import read_table
from evalkit.errors import DataError

_CSV_ALPHABET = st.sampled_from(list(b'a1,;\t|"\n\r .-9\xe9\xff\x00NA'))
_CONTENT = st.one_of(
    st.binary(max_size=300),
    st.lists(_CSV_ALPHABET, max_size=300).map(bytes),
)


@settings(max_examples=100, deadline=None)
@given(content=_CONTENT)
def test_arbitrary_bytes_load_or_raise_data_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        try:
            df = read_table(path)
        except DataError:
            return
        assert isinstance(df, pd.DataFrame)
        assert len(df) > 0
        assert path.read_bytes() == content
