"""Open the HTML reports in headless Chromium and check them the way a reader would.

Each report is built once per session (``built_reports``), opened once per module in a
1200 px wide page with every network request blocked (the report must stand alone on an
offline machine), screenshotted to ``test-artifacts/``, and then inspected by small tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

VIEWPORT = {"width": 1200, "height": 900}


@dataclass(frozen=True)
class Expected:
    """What a reader should find in one report."""

    key: str  # a key of conftest.REPORT_RUNS
    headline_label: str
    headline_start: str
    min_figures: int
    headings: tuple[str, ...]
    #: headings of the other language that must not appear (untranslated sections)
    foreign_headings: tuple[str, ...]
    html_lang: str

    @property
    def screenshot(self) -> str:
        return f"report_{self.key}.png"


_EN_HEADINGS = ("The data used", "Figures", "Results", "Checks and caveats",
                "Methods appendix", "Parameters and versions")
_FR_HEADINGS = ("Les données utilisées", "Graphiques", "Résultats", "Vérifications et réserves",
                "Annexe méthodologique", "Paramètres et versions")

EXPECTED = [
    Expected("its_en", headline_label="Main finding", headline_start="Burglaries fell by",
             min_figures=1, headings=_EN_HEADINGS, foreign_headings=_FR_HEADINGS,
             html_lang="en"),
    Expected("did_fr", headline_label="Résultat principal",
             headline_start="Cambriolages",
             min_figures=2, headings=_FR_HEADINGS, foreign_headings=_EN_HEADINGS,
             html_lang="fr"),
    Expected("evaluation_en", headline_label="What the evaluation finds",
             headline_start="The strongest credible design, the controlled interrupted",
             min_figures=5,
             headings=("The designs side by side", "Strength of evidence", "EMMIE summary",
                       "Designs used", "Each design in detail", "Checks and caveats",
                       "Methods appendix", "Parameters and versions"),
             foreign_headings=("Les plans côte à côte", "Niveau de preuve", "Synthèse EMMIE",
                               *_FR_HEADINGS), html_lang="en"),
]


@dataclass
class OpenedReport:
    """A report loaded in the browser, with what the page reported while loading."""

    expected: Expected
    url: str
    page: Any  # playwright.sync_api.Page
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    return url.startswith(("file:", "data:", "blob:", "about:"))


@pytest.fixture(scope="module", params=EXPECTED, ids=lambda e: e.key)
def report(request, browser, built_reports, screenshot_path):
    """Load one report in a fresh 1200 px page, offline, and take a full-page screenshot."""
    expected: Expected = request.param
    built = built_reports[expected.key]
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1,
                                  locale="fr-FR" if expected.html_lang == "fr" else "en-GB")
    page = context.new_page()
    opened = OpenedReport(expected, built.url, page, screenshot_path(expected.screenshot))

    def _route(route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            opened.blocked_requests.append(url)
            route.abort("internetdisconnected")

    def _console(msg):
        if msg.type != "error":
            return
        # a request blocked above also logs "Failed to load resource"; test_needs_no_network
        # reports those, here only real page errors count
        source = (msg.location or {}).get("url", "")
        if source in opened.blocked_requests and "Failed to load resource" in msg.text:
            return
        opened.console_errors.append(f"{msg.text} ({source or 'unknown source'})")

    context.route("**/*", _route)
    page.on("console", _console)
    page.on("pageerror", lambda exc: opened.page_errors.append(str(exc)))
    page.goto(built.url, wait_until="load")
    page.wait_for_function(
        "Array.from(document.images).every(img => img.complete)", timeout=10_000)
    page.screenshot(path=str(opened.screenshot), full_page=True)
    yield opened
    context.close()


def test_no_console_or_page_errors(report):
    assert report.page_errors == [], f"uncaught JavaScript errors in {report.url}"
    assert report.console_errors == [], f"console errors in {report.url}"


def test_headline_visible_with_main_finding(report):
    box = report.page.locator(".evalkit-headline")
    assert box.count() == 1, "expected exactly one headline box"
    assert box.is_visible(), "the headline box is not visible"
    text = " ".join(box.text_content().split())
    assert text.startswith(report.expected.headline_label), text
    assert report.expected.headline_start in text, text
    # the headline sits near the top: a reader should not scroll to find it
    top = box.bounding_box()["y"]
    assert top < VIEWPORT["height"], f"headline starts {top:.0f} px down, below the first screen"


def test_figures_loaded_with_alt_text(report):
    figures = report.page.locator("figure.evalkit-figure")
    assert figures.count() >= report.expected.min_figures
    images = report.page.evaluate("""() => Array.from(document.images).map(img => ({
        alt: (img.getAttribute('alt') || '').trim(),
        width: img.naturalWidth,
        inFigure: img.closest('figure.evalkit-figure') !== null,
        shown: img.getBoundingClientRect().width,
    }))""")
    in_figures = [img for img in images if img["inFigure"]]
    assert len(in_figures) >= report.expected.min_figures
    for i, img in enumerate(images):
        assert img["width"] > 0, f"image {i} ({img['alt']!r}) did not load"
        assert img["shown"] > 0, f"image {i} ({img['alt']!r}) is not displayed"
        assert img["alt"], f"image {i} has no alt text"
    for i in range(figures.count()):
        alt = figures.nth(i).locator("img").first.get_attribute("alt") or ""
        assert alt.strip(), f"figure {i} has an image without alt text"


def test_section_headings_in_report_language(report):
    headings = [" ".join(h.split()) for h in report.page.locator("h1, h2, h3").all_inner_texts()]
    for heading in report.expected.headings:
        assert heading in headings, f"heading {heading!r} missing; page has {headings}"
        locator = report.page.get_by_role("heading", name=heading, exact=True).first
        assert locator.is_visible(), f"heading {heading!r} is not visible"
    untranslated = [h for h in report.expected.foreign_headings if h in headings]
    assert untranslated == [], f"headings in the wrong language: {untranslated}"


def test_no_code_or_raw_output_visible(report):
    page = report.page
    # what nbconvert's lab template renders for code cells and prompts
    for selector in (".jp-InputArea", ".jp-CodeCell .jp-Cell-inputWrapper", ".jp-InputPrompt",
                     ".jp-OutputPrompt", ".jp-CodeMirrorEditor", ".highlight pre"):
        shown = [el for el in page.locator(selector).all() if el.is_visible()]
        assert shown == [], f"{len(shown)} visible {selector} element(s): code shown to readers"
    # warnings, tracebacks and bare Python values printed by the template
    raw = page.locator('[data-mime-type="application/vnd.jupyter.stderr"], '
                       '[data-mime-type="application/vnd.jupyter.stdout"], '
                       '[data-mime-type="text/plain"], .jp-OutputArea-output pre')
    texts = [t.strip()[:200] for t in raw.all_inner_texts() if t.strip()]
    assert texts == [], f"raw notebook output shown to readers: {texts}"


def test_no_horizontal_overflow_at_1200px(report):
    sizes = report.page.evaluate("""() => {
      const client = document.documentElement.clientWidth;
      return {
        scroll: document.documentElement.scrollWidth,
        client: client,
        wide: Array.from(document.querySelectorAll('main *'))
            .filter(el => el.getBoundingClientRect().right > client + 1)
            .slice(0, 5)
            .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')),
      };
    }""")
    assert sizes["scroll"] <= sizes["client"], (
        f"page is {sizes['scroll']} px wide in a {sizes['client']} px window; "
        f"too wide: {sizes['wide']}")


def test_screenshot_saved(report, record_property):
    path = report.screenshot
    assert path.is_file() and path.stat().st_size > 10_000, f"no usable screenshot at {path}"
    record_property("screenshot", str(path))
    print(f"screenshot: {path}")


def test_needs_no_network(report):
    assert report.blocked_requests == [], (
        "an offline reader's browser tries to fetch: " + ", ".join(report.blocked_requests))


def test_page_language_and_title(report):
    page = report.page
    assert page.evaluate("document.documentElement.lang") == report.expected.html_lang
    title = " ".join(page.title().split())  # French narrow no-break spaces read as spaces
    h1 = " ".join(page.locator("h1").first.inner_text().split())
    assert title and h1.startswith(title), f"tab title {title!r} does not match heading {h1!r}"
