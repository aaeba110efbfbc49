"""Disclosure control (DOMAIN.md §6): each rule, its configuration, and the sections using it."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.errors import SpecError
from evalkit.indicators import compute_indicators
from evalkit.report import indicators as ri
from evalkit.report.disclosure import DEFAULT_RULE, DisclosureRule, secondary_suppression


def _text(html) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", str(html)))


# -- rule 1: small counts ---------------------------------------------------------------------
def test_small_counts_one_to_four_are_hidden_by_default():
    rule = DEFAULT_RULE
    assert rule.hides([0, 1, 4, 5, 12]).tolist() == [False, True, True, False, False]
    assert rule.label == "<5"
    assert rule.count(3, "en") == "<5"
    assert rule.count(0, "en") == "0"
    assert rule.count(float("nan"), "en") == "–"
    assert rule.count(12_345, "fr") == "12\u202f345"


def test_threshold_and_level_are_configurable():
    assert DisclosureRule.from_parameters(min_count=10).label == "<10"
    assert DisclosureRule.from_parameters(min_count=10).hides([9, 10]).tolist() == [True, False]
    assert not DisclosureRule.from_parameters(min_count=0).hides([1, 2, 3]).any()
    district = DisclosureRule.from_parameters(level="district")
    assert not district.hides([1, 2, 3]).any()
    assert "districts or larger" in district.text("en")
    assert "<5" not in district.text("en")


def test_bad_configuration_is_refused():
    with pytest.raises(SpecError, match=r"0 <= low <= high"):
        DisclosureRule(low=5, high=2)
    with pytest.raises(SpecError, match=r"'small_area' or 'district'.*got 'region'"):
        DisclosureRule.from_parameters(level="region")
    with pytest.raises(SpecError, match=r"min_count must be a whole number >= 0.*got -1"):
        DisclosureRule.from_parameters(min_count=-1)
    with pytest.raises(SpecError, match=r"survey thresholds"):
        DisclosureRule(survey_flag_rse=0.6, survey_max_rse=0.5)


# -- rule 2: secondary suppression (no recovery by subtraction) --------------------------------
def test_a_lone_hidden_cell_takes_the_next_smallest_with_it():
    values = np.array([[3, 10, 40], [25, 12, 30]])
    out = secondary_suppression(values, DEFAULT_RULE.hides(values))
    # row 0: 3 is hidden, 10 (next smallest) follows; then column 1 has one hidden cell
    # (10), so 12 follows; row 1 then has one hidden cell (12), so 25 follows, and so on
    for line in [*out, *out.T]:
        assert line.sum() != 1
    assert out[0, 0] and out[0, 1]


def test_zeros_are_not_used_while_a_non_zero_cell_is_left():
    out = secondary_suppression(np.array([[2, 0, 9, 30]]), np.array([[True, False, False,
                                                                       False]]), columns=False)
    assert out.tolist() == [[True, False, True, False]]


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.integers(0, 30)))
def test_no_hidden_count_can_be_recovered_from_row_and_column_totals(values):
    hidden = secondary_suppression(values, DEFAULT_RULE.hides(values))
    assert (hidden | ~DEFAULT_RULE.hides(values)).all()  # primary cells stay hidden
    for line_values, line_hidden in [*zip(values, hidden, strict=True),
                                     *zip(values.T, hidden.T, strict=True)]:
        n_hidden = int(line_hidden.sum())
        if n_hidden == 1:
            # subtraction would give this one back: only allowed if nothing else is left
            assert line_hidden.all()
        if n_hidden:
            total = line_values.sum()
            shown = line_values[~line_hidden].sum()
            # what subtraction gives is a sum of at least two hidden cells, not one cell
            assert total - shown == line_values[line_hidden].sum()


def test_shape_mismatch_is_refused():
    with pytest.raises(SpecError, match=r"same shape"):
        secondary_suppression(np.zeros((2, 2)), np.zeros((2, 3), dtype=bool))


# -- rule 3: sensitive offences ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["sexual_offences", "Rape", "domestic_abuse",
                                  "violences_sexuelles", "violences_intrafamiliales",
                                  "homicide", "Murder"])
def test_sensitive_offences_are_withheld_below_district_level(name):
    assert DEFAULT_RULE.withholds(name)
    assert not DisclosureRule(level="district").withholds(name)


def test_ordinary_offences_are_shown():
    shown, withheld = DEFAULT_RULE.shown(["burglary", "robbery", "sexual_offences"])
    assert shown == ["burglary", "robbery"]
    assert withheld == ["sexual_offences"]


# -- rule 5: survey cells ----------------------------------------------------------------------
@pytest.mark.parametrize(("n", "rse", "status"), [(29, 0.1, "suppressed"), (30, 0.1, "ok"),
                                                  (100, 0.25, "ok"), (100, 0.3, "caution"),
                                                  (100, 0.5, "caution"),
                                                  (100, 0.51, "suppressed")])
def test_survey_cells(n, rse, status):
    assert DEFAULT_RULE.survey_status(n, rse) == status


# -- rule 6: the footer names the rule applied -------------------------------------------------
def test_footer_text_in_both_languages():
    en, fr = DEFAULT_RULE.text("en"), DEFAULT_RULE.text("fr")
    assert "“<5”" in en and "recovered by subtraction" in en and "30 respondents" in en
    assert "«\u202f<5\u202f»" in fr and "soustraction" in fr and "30 répondants" in fr
    assert "“<10”" in DisclosureRule(high=9).text("en")


# -- the indicator sections ---------------------------------------------------------------------
def _city() -> pd.DataFrame:
    months = pd.period_range("2022-01", periods=24, freq="M").astype(str)
    rows = []
    for i, month in enumerate(months):
        for area, pop, burg, sex in (("Small", 900, int(i in (2, 14, 15)), int(i == 20)),
                                     ("Mid", 5_000, 3 + i % 2, 1),
                                     ("Big", 40_000, 20 + i % 5, 4)):
            rows.append({"district": area, "month": month, "population": pop,
                         "burglary": burg, "sexual_offences": sex})
    return pd.DataFrame(rows)


KW = {"unit": "district", "time": "month", "exposure": "population"}


def _profile(rule: DisclosureRule = DEFAULT_RULE, **kw: object):
    return compute_indicators(_city(), withhold=rule.withholds, **KW, **kw)


def test_indicator_table_withholds_sensitive_offences_and_adds_protected_totals():
    html = ri.indicator_table(_profile(indicators=["burglary", "sexual_offences"]))
    text = _text(html)
    assert "Not shown at this geographic level" in text and "exual" in text
    rows = re.findall(r"<tr>(.*?)</tr>", str(html), flags=re.S)
    body = [[_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
            for r in rows]
    body = [r for r in body if r]
    assert len(body) == 4  # burglary: three areas and their total; no sexual offences row
    small = next(r for r in body if r[1] == "Small")
    mid = next(r for r in body if r[1] == "Mid")
    total = next(r for r in body if r[1] == "Total of these areas")
    assert small[2] == "<5" and small[3] == "<5"
    # the column totals are shown, so a second cell of each column is hidden ("–")
    assert mid[2] == "–" or mid[3] == "–"
    assert total[2] == "61" or total[2].replace(",", "").isdigit()


def test_district_level_shows_everything():
    district = DisclosureRule(level="district")
    html = ri.indicator_table(_profile(district, indicators=["burglary", "sexual_offences"]),
                              rule=district)
    text = _text(html)
    assert "<5" not in text and "Not shown" not in text
    assert "Sexual" in text or "sexual" in text


def test_rate_figure_leaves_gaps_for_small_counts():
    html = ri.rates_figure(_profile(indicators=["burglary"], areas=["Small"]))
    assert "are left out of the figure" in _text(html)
    html = ri.rates_figure(_profile(indicators=["burglary"], areas=["Big"]))
    assert "left out" not in _text(html)


@pytest.mark.usefixtures("quiet")
def test_its_figure_leaves_out_hidden_counts_and_says_so():
    import evalkit as ek
    from evalkit.report.plots import plot_its

    months = pd.period_range("2020-01", periods=36, freq="M").astype(str)
    counts = [2, 7, 3, 9, 8, 1, 6, 12, 10, 4, 8, 9] * 3
    res = ek.its(pd.DataFrame({"month": months, "thefts": counts}), outcome="thefts",
                 time="month", intervention="2021-07")
    fig = plot_its(res)
    drawn = fig.axes[0].collections[0].get_offsets()
    assert len(drawn) == 36 - 12  # the twelve months with 1 to 4 thefts are not drawn
    note = fig.legends[0].get_title().get_text()  # the legend's caption, clear of the axes
    assert "12 values from counts shown as “<5” are left out" in note
    everything = plot_its(res, rule=DisclosureRule(level="district"))
    assert len(everything.axes[0].collections[0].get_offsets()) == 36
