"""Strings from the data and the parameters are shown as text in the HTML reports, never run.

A copy of the sample city gets hostile names: the district Hôtel-de-Ville becomes
``<img src=x onerror=alert(1)>``, the burglary column ``<script>alert(2)</script>``, the
district Centre a string that breaks out of an HTML attribute (``"'><svg onload=alert(3)>``),
and the data file, the harm weight table's name, a survey area and a survey wave look like
tags too. The its, did (French), indicators and evaluation templates run on it, with hostile
titles, partnership names, labels and EMMIE texts given as parameters. Each report is built
once and opened in headless Chromium, offline.

Any payload that ran would open a dialog, write to the console, request the missing file
``x`` or set ``window.__xss``; any payload that was parsed would leave an ``on…`` attribute,
an ``<img src="x">`` or a ``<script>`` in the DOM. Escaped, each payload reads as literal
text on the page.

The browser is driven from a worker thread: Playwright's sync API refuses to start inside the
event loop of the session's ``browser`` fixture, and requesting that fixture would also build
the sample reports of ``test_reports_in_browser.py``, which this module does not need.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from .conftest import CHROMIUM_ARGS, REPO_ROOT

SAMPLES = REPO_ROOT / "data_samples"

# -- payloads ----------------------------------------------------------------------------------
#: a district name (treated unit of the ITS, profiled area) and a survey area
UNIT_IMG = "<img src=x onerror=alert(1)>"
#: the outcome column (its, did) and an indicator column (indicators)
OUTCOME_SCRIPT = "<script>alert(2)</script>"
#: a district name that closes a quoted attribute first (ITS control, profiled area)
UNIT_SVG = "\"'><svg onload=alert(3)>"
#: the data file's name, shown in the data section and the parameters table
FILE_IMG = "<img src=x onerror=alert(4)>"
#: the harm weight table's ``name`` column, quoted in the harm section
HARM_IMG = "<img src=x onerror=alert(5)>"
#: a survey wave, shown in the survey table
WAVE_IFRAME = "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>"
#: string parameters
ITS_TITLE = "<script>window.__xss=1;console.log('xss-title')</script>"
ITS_PARTNERSHIP = "\"><img src=x onerror=\"window.__xss=1;console.log('xss-partnership')\">"
DID_LABEL = "</p><svg onload=window.__xss=1;console.log('xss-label')>"
DID_PARTNERSHIP = "'><script>window.__xss=1;console.log('xss-partnership')</script>"

#: the evaluation template's free-text EMMIE parameters
EVAL_MECHANISM = "<img src=x onerror=\"window.__xss=1;console.log('xss-mechanism')\">"
EVAL_CURRENCY = "<b onmouseover=alert(6)>$</b>"

ALL_PAYLOADS = (UNIT_IMG, OUTCOME_SCRIPT, UNIT_SVG, FILE_IMG, HARM_IMG, WAVE_IFRAME, ITS_TITLE,
                ITS_PARTNERSHIP, DID_LABEL, DID_PARTNERSHIP, EVAL_MECHANISM, EVAL_CURRENCY)

#: what a payload that ran would print or call (console texts are searched for these)
_TRACES = re.compile(r"xss|alert")


@dataclass(frozen=True)
class Case:
    """One template run on the hostile data and what its report must show as text."""

    key: str
    template: str
    #: template parameters; the values "HARM" and "SURVEY" stand for the files written by
    #: ``_hostile_inputs``
    parameters: dict[str, Any]
    #: payloads that must be readable on the page
    shown: tuple[str, ...]
    #: payloads that must be part of the tab title
    in_title: tuple[str, ...]


CASES = [
    Case("its", "its",
         {"outcome": OUTCOME_SCRIPT, "units": [UNIT_IMG], "control": [UNIT_SVG],
          "intervention": "2021-01", "title": ITS_TITLE, "partnership": ITS_PARTNERSHIP},
         shown=(UNIT_IMG, UNIT_SVG, OUTCOME_SCRIPT, FILE_IMG, ITS_TITLE, ITS_PARTNERSHIP),
         in_title=(ITS_TITLE,)),
    Case("did_fr", "did",
         {"outcome": OUTCOME_SCRIPT, "outcome_label": DID_LABEL,
          "partnership": DID_PARTNERSHIP, "lang": "fr"},
         shown=(OUTCOME_SCRIPT, FILE_IMG, DID_LABEL, DID_PARTNERSHIP),
         in_title=(DID_LABEL,)),
    Case("indicators", "indicators",
         {"indicators": [OUTCOME_SCRIPT, "robbery"], "areas": [UNIT_IMG, UNIT_SVG, "Moulins"],
          "harm_weights": "HARM", "survey": "SURVEY"},
         shown=(UNIT_IMG, UNIT_SVG, OUTCOME_SCRIPT, FILE_IMG, HARM_IMG, WAVE_IFRAME),
         in_title=(UNIT_IMG, UNIT_SVG)),
    Case("evaluation", "evaluation",
         {"outcome": OUTCOME_SCRIPT, "survey": "SURVEY", "survey_response":
          "feel_unsafe_after_dark", "survey_area": "area", "survey_before": ["before"],
          "survey_after": [WAVE_IFRAME], "survey_weight": "weight", "survey_strata": "stratum",
          "survey_psu": "psu", "mechanism": EVAL_MECHANISM, "cost": 1000.0,
          "currency": EVAL_CURRENCY, "partnership": ITS_PARTNERSHIP},
         shown=(UNIT_IMG, OUTCOME_SCRIPT, FILE_IMG, EVAL_MECHANISM, EVAL_CURRENCY,
                ITS_PARTNERSHIP),
         in_title=(OUTCOME_SCRIPT,)),
]


# -- data and reports --------------------------------------------------------------------------
def _hostile_inputs(folder: Path) -> dict[str, Path]:
    """The sample city, harm weights and survey with hostile names, written to ``folder``."""
    city = pd.read_csv(SAMPLES / "city_monthly.csv")
    city["district"] = city["district"].replace({"Hôtel-de-Ville": UNIT_IMG, "Centre": UNIT_SVG})
    city = city.rename(columns={"burglary": OUTCOME_SCRIPT})
    data = folder / f"{FILE_IMG}.csv"
    city.to_csv(data, index=False)

    weights = pd.read_csv(SAMPLES / "harm_weights_example.csv")
    weights["code"] = weights["code"].replace({"burglary": OUTCOME_SCRIPT})
    weights["name"] = HARM_IMG
    harm = folder / "harm_weights.csv"
    weights.to_csv(harm, index=False)

    survey = pd.read_csv(SAMPLES / "survey.csv")
    survey["area"] = survey["area"].replace({"Hôtel-de-Ville": UNIT_IMG})
    survey["wave"] = survey["wave"].replace({"after": WAVE_IFRAME})
    survey_file = folder / "survey.csv"
    survey.to_csv(survey_file, index=False)
    return {"data": data, "HARM": harm, "SURVEY": survey_file}


@dataclass(frozen=True)
class PageFindings:
    """What one report did and showed in the browser (plain data, read after the thread)."""

    source: str  # the report.html file as written
    dialogs: list[str]
    console: list[str]
    page_errors: list[str]
    requests: list[str]
    dom: dict[str, Any]
    text: str  # the body's rendered text, whitespace collapsed
    title: str
    visible: dict[str, bool]  # payload -> its first text match is visible


_DOM_PROBE = """() => {
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      if (name.toLowerCase().startsWith('on')) handlers.push(`${el.localName}[${name}]`);
    }
  }
  const trace = /alert|__xss|xss-/;
  return {
    handlers: handlers,
    img_x: document.querySelectorAll('img[src="x"]').length,
    svg_onload: document.querySelectorAll('svg[onload]').length,
    iframes: document.querySelectorAll('iframe').length,
    payload_scripts: Array.from(document.scripts).filter(s => trace.test(s.text)).length,
    xss: window.__xss === undefined ? null : window.__xss,
  };
}"""


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _inspect(executable: Path, reports: dict[str, tuple[Path, tuple[str, ...]]]
             ) -> dict[str, PageFindings]:
    """Open each report in a fresh offline page of one headless Chromium; runs in a thread."""
    from playwright.sync_api import sync_playwright

    findings = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            for key, (html, shown) in reports.items():
                context = browser.new_context(viewport={"width": 1200, "height": 900})
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith(("file:", "data:", "about:"))
                              else route.abort("internetdisconnected"))
                page = context.new_page()
                dialogs: list[str] = []
                console: list[str] = []
                errors: list[str] = []
                requests: list[str] = []

                def _dialog(dialog: Any, dialogs: list[str] = dialogs) -> None:
                    dialogs.append(f"{dialog.type}: {dialog.message}")
                    dialog.dismiss()

                page.on("dialog", _dialog)
                page.on("console", lambda msg, out=console: out.append(
                    f"{msg.type}: {msg.text} ({(msg.location or {}).get('url', '')})"))
                page.on("pageerror", lambda exc, out=errors: out.append(str(exc)))
                page.on("request", lambda req, out=requests: out.append(req.url))
                page.goto(html.as_uri(), wait_until="load")
                # give handlers of late events (image errors, svg loads) their chance to run
                page.wait_for_function(
                    "Array.from(document.images).every(img => img.complete)", timeout=10_000)
                page.wait_for_timeout(200)
                findings[key] = PageFindings(
                    source=html.read_text(encoding="utf-8"),
                    dialogs=dialogs, console=console, page_errors=errors, requests=requests,
                    dom=page.evaluate(_DOM_PROBE),
                    text=_normalise(page.locator("body").inner_text()),
                    title=page.title(),
                    visible={p: page.get_by_text(p, exact=False).first.is_visible()
                             for p in shown},
                )
                context.close()
        finally:
            browser.close()
    return findings


@pytest.fixture(scope="module")
def pages(chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, PageFindings]:
    """Every case run once on the hostile data, then inspected in one headless Chromium."""
    from evalkit.run.execute import run_template

    root = tmp_path_factory.mktemp("xss")
    inputs = _hostile_inputs(root)
    reports = {}
    for case in CASES:
        parameters = {k: str(inputs[v]) if isinstance(v, str) and v in inputs else v
                      for k, v in case.parameters.items()}
        outcome = run_template(case.template, out=root / case.key, data=inputs["data"],
                               parameters=parameters, progress=False)
        reports[case.key] = (outcome.report, case.shown)
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(_inspect, chromium_executable, reports).result()


@pytest.fixture(params=CASES, ids=lambda c: c.key)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


# -- tests -------------------------------------------------------------------------------------
def test_no_payload_left_unescaped_in_the_html_file(pages, case):
    source = pages[case.key].source
    raw = [p for p in ALL_PAYLOADS if p in source]
    assert raw == [], f"{case.key}/report.html holds unescaped payload(s): {raw}"


def test_no_dialog_opened(pages, case):
    assert pages[case.key].dialogs == [], f"a payload ran in the {case.key} report"


def test_no_script_ran(pages, case):
    found = pages[case.key]
    assert found.dom["xss"] is None, f"window.__xss = {found.dom['xss']!r}: a payload ran"
    assert found.page_errors == [], f"JavaScript errors in the {case.key} report"


def test_no_console_message_from_payloads(pages, case):
    traces = [m for m in pages[case.key].console if _TRACES.search(m) or m.endswith("/x)")]
    assert traces == [], f"console messages from payloads in the {case.key} report"


def test_payload_image_never_requested(pages, case):
    fetched = [u for u in pages[case.key].requests if u.rsplit("/", 1)[-1] == "x"]
    assert fetched == [], f"an <img src=x> from a payload was loaded: {fetched}"


def test_no_element_built_from_payloads(pages, case):
    dom = pages[case.key].dom
    assert dom["handlers"] == [], f"event-handler attributes in the DOM: {dom['handlers']}"
    assert dom["img_x"] == 0, "an <img src=\"x\"> from a payload is in the DOM"
    assert dom["svg_onload"] == 0, "an <svg onload> from a payload is in the DOM"
    assert dom["iframes"] == 0, "an <iframe> from a payload is in the DOM"
    assert dom["payload_scripts"] == 0, "a <script> from a payload is in the DOM"


def test_payloads_read_as_literal_text(pages, case):
    found = pages[case.key]
    missing = [p for p in case.shown if _normalise(p) not in found.text]
    assert missing == [], f"payload(s) not shown as text in the {case.key} report: {missing}"
    hidden = [p for p, shown in found.visible.items() if not shown]
    assert hidden == [], f"payload text present but not visible: {hidden}"


def test_tab_title_holds_payloads_as_text(pages, case):
    title = pages[case.key].title
    missing = [p for p in case.in_title if p not in title]
    assert missing == [], f"tab title {title!r} lacks {missing}"
