"""The English and French catalogues have the same keys and placeholders."""

from __future__ import annotations

import string

import pytest

from evalkit.errors import SpecError
from evalkit.i18n import LANGUAGES, t


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_catalogues_have_the_same_keys_and_placeholders():
    en, fr = LANGUAGES["en"], LANGUAGES["fr"]
    assert set(en) == set(fr)
    for key in en:
        assert fields(en[key]) == fields(fr[key]), key
        assert fr[key].strip(), key


#: texts that are legitimately the same in both languages
IDENTICAL = {"plot.its.y", "plot.its.intervention", "plot.season.x", "report.versions"}


def test_french_is_not_a_copy_of_english():
    en, fr = LANGUAGES["en"], LANGUAGES["fr"]
    same = {k for k in en if en[k] == fr[k] and len(en[k]) > 12}
    assert same <= IDENTICAL, same - IDENTICAL


def test_t_formats_and_rejects_unknown_language():
    assert t("freq.M", "fr") == "mois"
    with pytest.raises(SpecError, match=r"lang must be one of en, fr; got 'de'"):
        t("freq.M", "de")


def test_caveat_is_english_text_that_renders_in_french():
    import json
    import pickle

    from evalkit.i18n import Caveat

    c = Caveat("few_clusters", n=12, threshold=20)
    assert c == ("Only 12 clusters: cluster-robust standard errors are unreliable below "
                 "about 20 clusters and intervals tend to be too narrow. Treat them with "
                 "caution (a wild cluster bootstrap or permutation inference is more reliable).")
    assert c.render("fr").startswith("Seulement 12 grappes")
    assert json.loads(json.dumps([c])) == [str(c)]
    back = pickle.loads(pickle.dumps(c))
    assert back.code == "few_clusters" and back.render("fr") == c.render("fr")


def test_numbers_are_localised_in_french():
    assert t("caveat.overdispersion", "fr", dispersion=2.5, p=0.001).startswith(
        "Les comptages sont surdispersés (dispersion 2,50")
    assert t("caveat.ols_rate", "fr", base=100_000, exposure="habitants").startswith(
        "Les MCO modélisent le taux pour 100\u202f000 habitants")


# -- words-and-figures review (issue 14) ---------------------------------------------------------
def test_no_catalogue_string_hedges_a_plural_with_s_in_brackets():
    for lang, texts in LANGUAGES.items():
        hedged = {k: v for k, v in texts.items() if "(s)" in v}
        assert not hedged, (lang, hedged)


@pytest.mark.parametrize(("lang", "n", "word"), [
    ("en", 0, "sectors"), ("en", 1, "sector"), ("en", 2, "sectors"), ("en", 1.5, "sectors"),
    ("fr", 0, "sector"), ("fr", 1, "sector"), ("fr", 1.5, "sector"), ("fr", 2, "sectors"),
])
def test_plural_spec_follows_each_language_rule(lang, n, word):
    from evalkit.i18n import _Formatter

    assert _Formatter(lang).format("{n:sector|sectors}", n=n) == word


def test_french_plurals_agree_with_the_number():
    one = t("caveat.few_treated", "fr", n=1)
    many = t("caveat.few_treated", "fr", n=3)
    assert one.startswith("Seulement 1 secteur traité\u202f:")
    assert many.startswith("Seulement 3 secteurs traités\u202f:")
    assert t("caveat.cs_dropped_first_period", "fr", n=1, first="2020-01").startswith(
        "1 secteur traité dès la première période (2020-01) ou avant a été écarté\u202f:")
    assert t("report.headline.caveats", "en", n=1).startswith("1 caveat applies:")
    assert t("report.headline.caveats", "fr", n=2).startswith("2 réserves s'appliquent")


def test_no_scientific_notation_in_prose():
    from evalkit.i18n import format_number, format_p

    text = t("caveat.overdispersion", "en", dispersion=12.5, p=1.2e-11)
    assert "e-" not in text and "p < 0.001" in text
    assert "p < 0,001" in t("caveat.overdispersion", "fr", dispersion=12.5, p=1.2e-11)
    assert "p = 0.042" in t("caveat.pre_trend", "en", p=0.0421)
    assert format_number(18199.3, "en", ".3g") == "18,200"
    assert format_number(18199.3, "fr", ".3g") == "18\u202f200"
    assert format_number(3.2e-5, "en", ".2g") == "0.000032"
    assert format_p(1e-11, "en") == "< 0.001" and format_p(0.5, "fr") == "0,500"
    for lang in LANGUAGES:  # every p-value spec of the catalogue goes through {p:p}
        for key, text in LANGUAGES[lang].items():
            assert "p = {p:" not in text and "{p:.3g}" not in text, (lang, key)


def test_french_reads_as_french():
    """Finding 7: one spelling, advice in the imperative, no article that assumes a design's
    gender, agreement with the number."""
    fr = LANGUAGES["fr"]
    text = " ".join(fr.values())
    for wrong in ("p-valeur", "erreur type", "Relancer avec", "Utiliser family", "la {design}",
                  "de la {a}", "Seule la {clear}", "se sont écartés", "suivants\"",
                  "{outcome} moyen", "{outcome} a varié"):
        assert wrong not in text, wrong
    assert fr["its.term.cumulative_effect"].endswith("suivant le démarrage")
    assert t("caveat.units_summed", "fr", n=1) == "1 secteur additionné dans la série traitée."
    assert t("caveat.dropped_missing", "fr", n=1, columns="x").startswith("1 ligne écartée")
    assert "\u202f:" in t("ind.title", "fr", area="Centre")  # French typography


def test_french_percent_formats_take_babels_no_break_space():
    """Babel's French percent pattern (CLDR) puts a no-break space before the sign; the
    catalogue's "95 %" gets the same one, so a report writes every percentage alike."""
    from evalkit.i18n import format_number, format_percent

    assert format_number(0.125, "fr", ".1%") == "12,5\u00a0%"
    assert format_number(0.125, "en", ".1%") == "12.5%"
    assert format_percent(12.5, "fr") == "12,5\u00a0%" == format_number(0.125, "fr", ".1%")
    assert format_percent(-3.25, "en", ".1f") == "-3.2%"
    assert format_percent("+1,50", "fr") == "+1,50\u00a0%"  # text already formatted
    key = next(k for k, v in LANGUAGES["fr"].items() if "(IC à {level} % : {lo} % à" in v)
    assert "(IC à 95\u00a0%\u202f: 1,5\u00a0% à 3\u00a0%)" in t(
        key, "fr", **{f: 0 for f in fields(LANGUAGES["fr"][key])} | dict(level=95, lo=1.5, hi=3))


# -- h-libs: Babel for every number -------------------------------------------------------------
@pytest.mark.parametrize(("lang", "expected"), [("en", "1.2 to 3.4"), ("fr", "1,2 à 3,4")])
def test_interval_has_one_separator_per_language(lang, expected):
    from evalkit.i18n import format_interval, format_number

    assert format_interval(format_number(1.2, lang, ".1f"), format_number(3.4, lang, ".1f"),
                           lang) == expected


def test_money_places_the_currency_as_the_locale_does():
    from evalkit.i18n import format_money

    assert format_money(1234.4, "en", "€") == "€1,234"
    assert format_money(1234.6, "fr", "€") == "1\u202f235\u00a0€"
    assert format_money(float("inf"), "fr", "€") == "∞"


@pytest.mark.parametrize(("lang", "n", "form"), [
    ("en", 1, "one"), ("en", 1.0, "one"), ("en", -1, "one"), ("en", 0, "other"),
    ("fr", 0, "one"), ("fr", 1.99, "one"), ("fr", 2, "other"),
    ("fr", 1_000_000, "other"),  # CLDR's French "many": the catalogues have two forms
    ("en", float("nan"), "other"),
])
def test_plural_uses_babels_rules_with_the_catalogues_two_forms(lang, n, form):
    from evalkit.i18n import plural

    assert plural(n, lang) == form


def test_number_in_an_unknown_language_is_a_spec_error():
    from evalkit.i18n import format_number

    with pytest.raises(SpecError, match=r"lang must be one of en, fr; got 'de'"):
        format_number(1.5, "de", ".1f")


def test_markup_entries_escape_their_values_and_plain_entries_stay_text():
    from markupsafe import Markup

    html = t("did.methods", "en", poisson="<script>x</script> & y")
    assert isinstance(html, Markup)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; y" in html and "<sub>" in html
    assert "<script>" not in html
    kept = t("did.methods", "en", poisson=Markup("<i>kept</i>"))
    assert "<i>kept</i>" in kept
    entity = t("disp.methods", "fr")  # an entity is markup too: "&lt;" stays one
    assert isinstance(entity, Markup) and "SM &lt; 0" in entity
    plain = t("its.exposure", "en", exposure="<b>")
    assert not isinstance(plain, Markup) and "<b>" in plain
    # the catalogue's number and plural specs still apply inside markup
    did = t("did.design", "fr", outcome="a<b", n_treated=1, n_units=1_200, n_periods=2.5,
            freq_plural="mois", model="")
    assert "a&lt;b" in did and "1\u202f200" in did


def test_figures_draw_babels_french_spaces():
    """Babel's French numbers carry U+202F (thousands) and U+00A0 (before % and €): the
    figures' font has both glyphs, so matplotlib draws them without a missing-glyph warning."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit.i18n import format_money, format_percent

    text = f"{format_percent(12.5, 'fr')} {format_money(1234, 'fr', '€')}"
    assert "\u202f" in text and "\u00a0" in text
    fig = plt.figure()
    try:
        fig.text(0.1, 0.5, text)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a warning
            fig.canvas.draw()
    finally:
        plt.close(fig)


def test_money_keeps_its_sign_and_says_when_an_amount_is_missing_or_unbounded():
    from evalkit.i18n import format_money

    assert format_money(-1234.5, "en", "€") == "-€1,235"
    assert format_money(-1234.5, "fr", "€") == "-1\u202f235\u00a0€"
    assert format_money(2.5, "en", "€") == "€3"  # half away from zero, not to even
    assert format_money(float("nan"), "fr", "€") == "–"
    assert format_money(float("-inf"), "en", "€") == "-∞"
    assert format_money(float("inf"), "fr", "€") == "∞"
