"""The report's HTML blocks (MarkupSafe): text is escaped once, trusted HTML is kept."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from evalkit.i18n import t
from evalkit.report.html import Html, join, table, tag

ATTACK = "\"'><img src=x onerror=alert(1)>"


def test_tag_escapes_text_and_attributes_and_keeps_markup():
    html = tag("p", ATTACK, Markup("<b>kept</b>"), 3, cls=ATTACK)
    assert isinstance(html, Html)
    assert "<img" not in html and "<b>kept</b>" in html and "3</p>" in html
    assert html.startswith('<p class="&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;">')


def test_join_and_concatenation_escape_plain_text_once():
    assert join(["<a>", Markup("<b/>")], sep="&") == "&lt;a&gt;&amp;<b/>"
    assert tag("p", "x") + "<y>" == "<p>x</p>&lt;y&gt;"
    assert tag("p", tag("i", "&")) == "<p><i>&amp;</i></p>"  # not escaped twice


def test_table_escapes_headers_and_cells_and_blanks_missing_values():
    html = table(pd.DataFrame({"a": [ATTACK, None]}), headers=["<h>"])
    assert "<img" not in html and "<th>&lt;h&gt;</th>" in html and "<td></td>" in html


def test_catalogue_sentence_with_markup_goes_into_a_tag_unescaped_with_its_values_escaped():
    html = tag("p", t("its.methods", "en", link=ATTACK, freq_name="month"))
    assert "β<sub>2</sub>" in html and "<img" not in html and "&lt;img" in html


def test_an_ipython_kernel_displays_markup_as_html():
    from IPython.core.interactiveshell import InteractiveShell

    import evalkit.report.html as module

    shell = InteractiveShell.instance()
    try:
        module._display_in_notebooks()
        data, _ = shell.display_formatter.format(tag("p", "x<"))
    finally:
        InteractiveShell.clear_instance()
    assert data["text/html"] == "<p>x&lt;</p>"
