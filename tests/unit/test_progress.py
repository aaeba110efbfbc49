"""Progress bars: shown only for slow loops, silenced by EVALKIT_PROGRESS=0."""

from __future__ import annotations

import time

import pytest

from evalkit import _progress
from evalkit._progress import progress, progress_enabled


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("false", False), ("no", False),
                                                 ("1", True), ("", True)])
def test_environment_switch(monkeypatch, value, expected):
    monkeypatch.setenv("EVALKIT_PROGRESS", value)
    assert progress_enabled() is expected


def test_slow_loop_shows_a_bar_and_keeps_items(monkeypatch, capsys):
    monkeypatch.setenv("EVALKIT_PROGRESS", "1")
    monkeypatch.setattr(_progress, "DELAY", 0.05)
    out = []
    for i in progress(range(3), desc="placebo fits", unit="fit"):
        time.sleep(0.05)
        out.append(i)
    assert out == [0, 1, 2]
    assert "placebo fits" in capsys.readouterr().err


def test_quick_or_disabled_loops_are_silent(monkeypatch, capsys):
    monkeypatch.setenv("EVALKIT_PROGRESS", "1")
    assert list(progress(range(3), desc="quick")) == [0, 1, 2]
    monkeypatch.setenv("EVALKIT_PROGRESS", "0")
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    assert list(progress(iter("ab"), desc="off", total=2)) == ["a", "b"]
    assert capsys.readouterr().err == ""
