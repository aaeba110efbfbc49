"""Fixtures for the browser tests: the reports are built once, one headless Chromium serves all.

The browser is Debian's ``chromium`` at ``/usr/bin/chromium``, driven by Playwright's bundled
driver; Playwright's own browser downloads are never used (``playwright install`` needs the
internet). ``.ci/install-browser.sh`` installs Chromium. Without it the tests skip, except on
CI (environment variable ``CI`` set), where they fail: CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"

#: without the background-networking flags Chromium keeps calling home on a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: (template, language) of each report the browser tests open, keyed by a short id
REPORT_RUNS: dict[str, tuple[str, str]] = {
    "its_en": ("its", "en"),
    "did_fr": ("did", "fr"),
    "evaluation_en": ("evaluation", "en"),
}

_screenshots: list[Path] = []


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> NoReturn:
    """Skip (developer machine) or fail (CI) because the browser cannot be used."""
    if _on_ci():
        pytest.fail(f"{reason}. CI must run the browser tests: call .ci/install-browser.sh "
                    "before pytest (`make test` does).", pytrace=False)
    pytest.skip(f"{reason}; run .ci/install-browser.sh to install it")


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Path of the system Chromium; skip (or fail on CI) when it or Playwright is missing."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"headless browser tests need Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("headless browser tests need the Python package 'playwright' "
                     "(pip install -e '.[dev]')")
    return CHROMIUM


@dataclass(frozen=True)
class BuiltReport:
    """One report built for the browser tests."""

    key: str
    template: str
    lang: str
    html: Path
    results: dict[str, Any]

    @property
    def url(self) -> str:
        return self.html.as_uri()


@pytest.fixture(scope="session")
def built_reports(chromium_executable: Path, sample_reports) -> dict[str, BuiltReport]:
    """The reports of :data:`REPORT_RUNS`, taken from the session's ``sample_reports``
    (tests/conftest.py), so each template runs once per test session.

    Depends on ``chromium_executable`` so that a machine without a browser skips at once.
    """
    built = {}
    for key, (template, lang) in REPORT_RUNS.items():
        outcome = sample_reports[(template, lang)]
        built[key] = BuiltReport(key, template, lang, outcome.report, outcome.results)
    return built


@pytest.fixture(scope="session")
def browser(chromium_executable: Path, built_reports: dict[str, BuiltReport]) -> Iterator[Any]:
    """One headless Chromium for the whole session (Playwright sync API).

    Requests ``built_reports`` so the notebooks run before Playwright's event loop exists.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            instance = pw.chromium.launch(executable_path=str(chromium_executable),
                                          headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken install is as good as none
            _unavailable(f"Chromium at {chromium_executable} failed to start ({exc})")
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def screenshot_path() -> Callable[[str], Path]:
    """``screenshot_path("report_its_en.png")`` -> path in ``test-artifacts/`` (git-ignored).

    Every path handed out is listed at the end of the run.
    """
    def _path(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        if path not in _screenshots:
            _screenshots.append(path)
        return path

    return _path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _screenshots:
        terminalreporter.write_sep("-", "browser screenshots")
        for path in _screenshots:
            terminalreporter.write_line(str(path))
