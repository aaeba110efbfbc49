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
