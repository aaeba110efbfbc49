"""The training course in notebooks/: English and French notebooks that match cell for cell,
are stored without outputs, use the French terms, and run cleanly with papermill.

Running the twelve notebooks is the slow part (about 2 minutes of CPU on an idle machine,
module 6 alone runs three report templates); it is the only way to know that every worked
example still recovers its simulated truth, because each notebook raises when it does not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[2] / "notebooks"
LANGS = ("en", "fr")
NAMES = sorted(p.name for p in (ROOT / "en").glob("*.ipynb"))
PATHS = [ROOT / lang / name for lang in LANGS for name in NAMES]
MODULES = ("01_indicators", "02_before_after", "03_interrupted_time_series",
           "04_difference_in_differences", "05_one_treated_area", "06_automated_reports")
COUNCIL = {"en": "What to say to the council", "fr": "Ce qu'il faut dire au conseil municipal"}
GOALS = {"en": "By the end of this module you can", "fr": "la fin de ce module, vous saurez"}
# French terms the course must use (DOMAIN vocabulary), by module
FRENCH_TERMS = {
    "01_indicators": ("cambriolage", "délinquance", "sentiment d'insécurité", "intervalle"),
    "02_before_after": ("régression vers la moyenne", "différence de différences"),
    "03_interrupted_time_series": ("série temporelle interrompue", "contrefactuel",
                                   "saisonnalité"),
    "04_difference_in_differences": ("différence de différences", "tendances parallèles",
                                     "déploiement échelonné", "étude d'événement"),
    "05_one_treated_area": ("contrôle synthétique", "effet de déplacement",
                            "effet minimal détectable"),
    "06_automated_reports": ("modèle de rapport", "ordonnanceur"),
}
# words that betray an untranslated sentence
ENGLISH_WORDS = re.compile(r"\b(the|and|with|which|should|would)\b")
FRENCH_WORDS = re.compile(r"\b(les|des|une|avec|sont|dans)\b")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def prose(cell: nbformat.NotebookNode) -> str:
    """A markdown cell's text without code spans, code blocks and link targets."""
    text = re.sub(r"```.*?```", " ", cell.source, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


class _MaskStrings(ast.NodeTransformer):
    """Replace every string literal (plain or f-string) by one placeholder."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant("<text>") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.Constant("<text>")


def literals(source: str) -> list[str]:
    """The text of each string literal of a cell, in order (an f-string's fixed parts joined)."""
    found: list[str] = []

    def walk(node: ast.AST) -> None:
        if isinstance(node, ast.JoinedStr):
            found.append(" ".join(v.value for v in node.values if isinstance(v, ast.Constant)))
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        for child in ast.iter_child_nodes(node):
            walk(child)

    walk(ast.parse(source))
    return found


def code_shape(source: str) -> str:
    """The code of a cell with its strings masked (comments vanish in the AST anyway)."""
    return ast.dump(_MaskStrings().visit(ast.parse(source)))


# -- structure -------------------------------------------------------------------------------
def test_six_modules_in_both_languages():
    assert [name.removesuffix(".ipynb") for name in NAMES] == list(MODULES)
    assert sorted(p.name for p in (ROOT / "fr").glob("*.ipynb")) == NAMES
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert readme.count(f"| `{name}` |") == 2, f"README: {name} missing from a session table"
    assert "make lab" in readme and "clear-output" in readme and "solution" in readme


@pytest.mark.parametrize("name", NAMES)
def test_english_and_french_match_cell_for_cell(name):
    en, fr = read(ROOT / "en" / name), read(ROOT / "fr" / name)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in fr.cells]
    for i, (a, b) in enumerate(zip(en.cells, fr.cells, strict=True)):
        assert a.metadata == b.metadata, f"cell {i}: metadata differ"
        if a.cell_type == "code":
            assert code_shape(a.source) == code_shape(b.source), (
                f"cell {i}: the code differs beyond its strings and comments:\n{a.source}")
        else:
            assert a.source != b.source, f"cell {i}: markdown not translated"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_stored_clean_with_the_course_elements(path):
    nb = read(path)
    nbformat.validate(nb)
    lang = path.parent.name
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), \
        "store notebooks without outputs (see notebooks/README.md, 'Reset the notebooks')"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert GOALS[lang] in nb.cells[0].source
    assert re.search(rf"^> ### {re.escape(COUNCIL[lang])}$", markdown, flags=re.M)
    source = "\n".join(c.source for c in code)
    assert "check_inside(" in source.split("def check_outside")[1], "no check against the truth"
    assert "check_outside(" in source.split("def check_outside")[1], "no naive method shown"
    assert "import evalkit as ek" in source
    solutions = [c for c in code if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2
    for cell in solutions:
        assert cell.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    hidden = [c for c in nb.cells if c.metadata.get("jupyter")]
    assert hidden == solutions, "only solution cells are collapsed"


@pytest.mark.parametrize("name", NAMES)
def test_french_text_is_french(name):
    fr = [prose(c) for c in read(ROOT / "fr" / name).cells if c.cell_type == "markdown"]
    en = [prose(c) for c in read(ROOT / "en" / name).cells if c.cell_type == "markdown"]
    text = "\n".join(fr).lower()
    for term in FRENCH_TERMS[name.removesuffix(".ipynb")]:
        assert term in text, f"{name}: the French text never says « {term} »"
    assert len(re.findall(r"[éèêàâùûçôîœ]", text)) > 100, "French without accents"
    for cell in fr:
        assert not ENGLISH_WORDS.search(cell.lower()), f"{name}: English in French cell:\n{cell}"
    for cell in en:
        assert not FRENCH_WORDS.search(cell.lower()), f"{name}: French in English cell:\n{cell}"


@pytest.mark.parametrize("name", NAMES)
def test_french_code_strings_are_translated(name):
    pairs = zip(read(ROOT / "en" / name).cells, read(ROOT / "fr" / name).cells, strict=True)
    translated = 0
    for a, b in pairs:
        if a.cell_type != "code":
            continue
        for en_text, fr_text in zip(literals(a.source), literals(b.source), strict=True):
            if en_text != fr_text:
                translated += 1
                assert not ENGLISH_WORDS.search(fr_text.lower()), f"{name}: {fr_text!r}"
    assert translated >= 5


# -- execution -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebook_runs_and_recovers_the_truth(path, tmp_path, monkeypatch):
    # module 6 writes its reports with tempfile: keep them inside pytest's tmp_path
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    out = tmp_path / path.name
    pm.execute_notebook(str(path), str(out), cwd=str(path.parent), kernel_name="python3",
                        start_timeout=300,
                        progress_bar=False, log_output=False,
                        extra_arguments=["--log-level=CRITICAL"])
    nb = read(out)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "✔" in printed and "✘" in printed  # truth recovered; naive method shown failing
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= (0 if path.stem.startswith("06") else 2)
    stored = [c for c in read(path).cells if c.cell_type == "code"]
    assert all(c.outputs == [] for c in stored)  # papermill wrote elsewhere, not in place
