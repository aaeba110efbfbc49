"""The template runner, one tiny fixture notebook per behaviour (tests/templates/fixtures)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evalkit.errors import DataError, RunError, TemplateParameterError
from evalkit.run.execute import run_template
from evalkit.run.templates import Parameter, convert, load_template, resolve_parameters

FIX = Path(__file__).parent / "fixtures"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


def test_parameters_are_read_from_the_parameters_cell():
    tpl = load_template(FIX / "echo.ipynb")
    assert tpl.names == ["name", "count", "ratio", "flag", "items"]
    assert tpl.parameter("count") == Parameter("count", "int", 1, "a whole number")


def test_defaults_with_equals_and_hash_signs_are_read_whole(tmp_path):
    """The cell is read as Python (papermill's line regex would drop or cut these)."""
    nb = json.loads((FIX / "echo.ipynb").read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = ['title: str = "a = b"  # a title\n',
                                'colour: str = "#fff"  # a colour\n']
    path = tmp_path / "signs.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert load_template(path).parameters == (Parameter("title", "str", "a = b", "a title"),
                                              Parameter("colour", "str", "#fff", "a colour"))


def test_malformed_parameter_lines_are_refused(tmp_path):
    nb = json.loads((FIX / "echo.ipynb").read_text(encoding="utf-8"))
    path = tmp_path / "bad.ipynb"
    for source, match in ((["x = 3\n"], r"bad.ipynb: line 1 of the parameters cell is not of "
                                          r"the form `name: type = default  # help`"),
                          (["x: dict = {}\n"], r"parameter 'x' has unsupported type 'dict'")):
        nb["cells"][0]["source"] = source
        path.write_text(json.dumps(nb), encoding="utf-8")
        with pytest.raises(TemplateParameterError, match=match):
            load_template(path)


def test_values_converted_from_cli_and_yaml(tmp_path):
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("count: 3\nitems: [a, b]\nratio: 2\n", encoding="utf-8")
    proc = cli("run", str(FIX / "echo.ipynb"), "-f", str(yaml_file), "-p", "flag", "yes",
               "-p", "name", "Hôtel-de-Ville", "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    got = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert got["parameters"] == {"name": "Hôtel-de-Ville", "count": 3, "ratio": 2.0,
                                 "flag": True, "items": ["a", "b"]}
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.html", "report.ipynb",
                                                              "results.json", ".evalkit-report"}


def test_string_parameters_never_become_code(tmp_path):
    nasty = "x\"); __import__('os').system('touch HACKED'); (\"\n'''"
    out = run_template(FIX / "echo.ipynb", out=tmp_path / "out", text={"name": nasty},
                       progress=False)
    assert out.results["parameters"]["name"] == nasty
    assert not (tmp_path / "out" / "HACKED").exists() and not Path("HACKED").exists()


def test_unknown_parameter_is_an_error_listing_valid_ones(tmp_path):
    proc = cli("run", str(FIX / "echo.ipynb"), "-p", "cout", "3", "--out",
               str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "has no parameter 'cout'. Did you mean 'count'?" in proc.stderr
    assert "Valid parameters: name, count, ratio, flag, items" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "value", "match"), [
    ("count", "three", r"parameter 'count' expects a whole number; got 'three'"),
    ("ratio", "abc", r"parameter 'ratio' expects a number; got 'abc'"),
    ("flag", "perhaps", r"parameter 'flag' expects true or false; got 'perhaps'"),
    ("items", "[a, [b", r"parameter 'items' expects a list such as \[a, b\] or a,b"),
])
def test_wrong_types_are_rejected(name, value, match):
    tpl = load_template(FIX / "echo.ipynb")
    with pytest.raises(TemplateParameterError, match=match):
        resolve_parameters(tpl, text={name: value})


def test_yaml_types_are_checked_not_coerced():
    tpl = load_template(FIX / "echo.ipynb")
    with pytest.raises(TemplateParameterError, match=r"parameter 'count' expects a whole"):
        resolve_parameters(tpl, given={"count": 2.5})
    with pytest.raises(TemplateParameterError, match=r"expects a list of str"):
        resolve_parameters(tpl, given={"items": "a"})
    assert resolve_parameters(tpl, given={"ratio": 1})["ratio"] == 1.0
    assert convert(tpl.parameter("name"), 2021, from_text=False) == "2021"
    assert convert(tpl.parameter("items"), "a, b ,c", from_text=True) == ["a", "b", "c"]


def test_failing_cell_exits_1_names_the_cell_and_leaves_nothing(tmp_path):
    proc = cli("run", str(FIX / "fails.ipynb"), "--out", str(tmp_path / "out"),
               "--no-progress")
    assert proc.returncode == 1
    assert "failed in cell 3 (\"raise ValueError" in proc.stderr
    assert "boom in the fixture" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_data_error_inside_a_template_exits_2(tmp_path):
    proc = cli("run", str(FIX / "bad_data.ipynb"), "--out", str(tmp_path / "out"),
               "--no-progress")
    assert proc.returncode == 2
    assert 'column "count" has negative values in rows 3, 4' in proc.stderr
    with pytest.raises(DataError, match="negative values"):
        run_template(FIX / "bad_data.ipynb", out=tmp_path / "o2", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_template_without_results_json_fails(tmp_path):
    with pytest.raises(RunError, match=r"wrote no results.json"):
        run_template(FIX / "no_results.ipynb", out=tmp_path / "out", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_template_without_parameters_cell_is_refused(tmp_path):
    with pytest.raises(TemplateParameterError, match=r"exactly one cell tagged 'parameters'"):
        run_template(FIX / "no_params.ipynb", out=tmp_path / "out", progress=False)


def test_unknown_template_lists_the_available_ones():
    proc = cli("run", "nonexistent", "--out", "/tmp/never")
    assert proc.returncode == 2
    assert "unknown template 'nonexistent'. Available templates:" in proc.stderr
    assert "its" in proc.stderr


def test_existing_output_needs_overwrite(tmp_path):
    run_template(FIX / "echo.ipynb", out=tmp_path / "out", progress=False)
    (tmp_path / "out" / "keep.txt").write_text("x")  # an evalkit report folder, edited
    proc = cli("run", str(FIX / "echo.ipynb"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert (tmp_path / "out" / "keep.txt").exists()
    run_template(FIX / "echo.ipynb", out=tmp_path / "out", overwrite=True, progress=False)
    assert not (tmp_path / "out" / "keep.txt").exists()
    assert (tmp_path / "out" / "results.json").exists()


def test_killed_run_leaves_no_output_folder(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "evalkit", "run", str(FIX / "slow.ipynb"),
                             "-p", "count", "30", "--out", str(out), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.tmp-*/report.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists()


def test_data_option_must_exist(tmp_path):
    proc = cli("run", "its", "--data", str(tmp_path / "missing.csv"), "--out",
               str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "data file not found" in proc.stderr


def test_show_code_keeps_code_for_training(tmp_path):
    hidden = run_template(FIX / "echo.ipynb", out=tmp_path / "a", progress=False)
    shown = run_template(FIX / "echo.ipynb", out=tmp_path / "b", show_code=True,
                         progress=False)
    assert "results.json" not in hidden.report.read_text(encoding="utf-8")
    assert "results.json" in shown.report.read_text(encoding="utf-8")


def test_templates_command_lists_parameters_with_types_and_help():
    proc = cli("templates")
    assert proc.returncode == 0
    assert "its — Interrupted time series" in proc.stdout
    assert "    intervention: str = ''  # first period under the partnership (required)" \
        in proc.stdout


# -- h-libs: the report page loads nothing from the internet ------------------------------------
class _ExternalLoads(HTMLParser):
    """Every http(s) URL that a page would load: ``src`` attributes, ``<link href>``, script
    text and CSS ``url(...)``/``@import``. A link in the report's text (``<a href>``, a
    reference) is content, not a load, and so is a URL in a CSS comment."""

    _URL = re.compile(r"https?://[^\s\"'`)]+")
    _CSS_LOAD = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])(https?://[^\s\"')]+)")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        loads = ("src", "href") if tag == "link" else ("src",)
        self.found += [v for k, v in attrs if k in loads and v and self._URL.match(v.strip())]
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.found += self._URL.findall(data)
        elif self._in == "style":
            self.found += self._CSS_LOAD.findall(re.sub(r"/\*.*?\*/", "", data, flags=re.S))


def _external_loads(html: str) -> list[str]:
    parser = _ExternalLoads()
    parser.feed(html)
    return parser.found


def _notebook_with_heading(path: Path, heading: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("report.header()", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": f"<h1>{heading}</h1><p>See "
                              "<a href=\"https://example.org/paper\">the paper</a>.</p>",
                              "text/plain": "header"})])]
    nbformat.write(nb, path)
    return path


def test_nbconvert_lab_page_loads_from_the_internet_so_the_scan_can_fail(tmp_path):
    from nbconvert import HTMLExporter

    nb = _notebook_with_heading(tmp_path / "r.ipynb", "Title")
    body, _ = HTMLExporter(template_name="lab").from_filename(str(nb))
    assert any("mermaid" in url for url in _external_loads(body))
    assert any("require" in url for url in _external_loads(body))


def test_report_page_loads_nothing_from_the_internet(tmp_path):
    outcome = run_template(FIX / "echo.ipynb", out=tmp_path / "out", progress=False)
    html = outcome.report.read_text(encoding="utf-8")
    assert "<style" in html  # the page keeps its styles, and they were scanned
    assert _external_loads(html) == []


def test_report_page_has_the_reports_language_and_first_heading_as_title(tmp_path):
    from evalkit.run.execute import export_html

    nb = _notebook_with_heading(tmp_path / "r.ipynb", "Cambriolages &amp; <i>vols</i>")
    html = export_html(nb, tmp_path / "r.html", lang="fr").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    assert "<title>Cambriolages &amp; vols</title>" in html
    # a link written in the report's text is content: it stays, and is not a load
    assert '<a href="https://example.org/paper">' in html
    assert _external_loads(html) == []


def test_sample_reports_load_nothing_and_carry_their_language(sample_reports):
    """The shipped templates' reports (figures, tables, markup from the catalogue)."""
    for (name, lang), outcome in sample_reports.items():
        html = outcome.report.read_text(encoding="utf-8")
        assert _external_loads(html) == [], name
        assert f'<html lang="{lang}">' in html and 'src="data:image/png;base64,' in html, name
