"""The indicators template, the numbers it computes (evalkit.indicators.compute_indicators,
evalkit.designs.survey_profile.compute_survey) and its report functions
(evalkit.report.indicators)."""

from __future__ import annotations

import json
import re
import warnings
from html import unescape

import jsonschema
import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit._resources import samples_dir
from evalkit.designs.survey_profile import compute_survey, wave_order
from evalkit.errors import DataError, SpecError
from evalkit.indicators import IndicatorProfile, compute_harm, compute_indicators
from evalkit.report import DEFAULT_RULE, DisclosureRule
from evalkit.report import indicators as ri
from evalkit.report.results_json import SCHEMA_PATH
from evalkit.run.execute import run_template
from evalkit.run.inputs import resolve_survey

INDICATORS = ["burglary", "robbery"]
WEIGHTS = samples_dir() / "harm_weights_example.csv"


def tiny_city(small_name: str = "Petit") -> pd.DataFrame:
    """Two areas over 24 months; the small one has 1 to 4 events a year."""
    months = pd.period_range("2022-01", periods=24, freq="M").astype(str)
    rows = []
    for i, month in enumerate(months):
        rows.append({"district": small_name, "month": month, "population": 900,
                     "burglary": int(i in (2, 14, 15)), "robbery": 0})
        rows.append({"district": "Grand", "month": month, "population": 40_000,
                     "burglary": 20 + i % 5, "robbery": 6 + i % 3})
    return pd.DataFrame(rows)


KW = {"unit": "district", "time": "month", "indicators": INDICATORS}


def profile(data: object, *, rule: DisclosureRule = DEFAULT_RULE, **kw: object
            ) -> IndicatorProfile:
    """The numbers the template computes for ``rule`` (its withheld offences left out)."""
    return compute_indicators(data, withhold=rule.withholds, **kw)


def table(data: object, *, lang: str = "en", **kw: object) -> str:
    return ri.indicator_table(profile(data, **kw), lang=lang)


def survey_section(survey: object, *, areas: list[str] | None = None, lang: str = "en") -> str:
    numbers = None if survey is None else compute_survey(survey, areas=areas)
    return ri.survey_section(numbers, lang=lang)


# -- table: numbers, suppression, language, escaping ---------------------------------------------
def test_window_rates_match_the_indicator_functions():
    frame = profile(tiny_city(), exposure="population", **KW).window_rates
    row = frame[(frame["area"] == "Grand") & (frame["indicator"] == "burglary")].iloc[0]
    data = tiny_city()
    grand = data[data["district"] == "Grand"]
    last, prev = grand["burglary"].iloc[12:].sum(), grand["burglary"].iloc[:12].sum()
    expected = ek.rate(last, 40_000 * 12)  # per month: the exposure of 12 months
    assert row["count_last"] == last and row["count_prev"] == prev
    assert row["rate_last"] == pytest.approx(last / (40_000 * 12) * 100_000)
    assert row["ci_low_last"] == pytest.approx(expected["ci_low"].iloc[0])
    assert row["ci_high_last"] == pytest.approx(expected["ci_high"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        change = ek.rate_change(prev, 40_000, last, 40_000)
    assert row["ratio_ci_low"] == pytest.approx(change["ci_low"].iloc[0])
    assert frame.attrs["last"] == "2023-01 – 2023-12"


def test_rates_are_per_period_in_the_table_as_in_the_figure():
    """Finding 1 (issue 14): the table gave the rate over the whole window (3 years of a
    yearly panel) next to a figure per year."""
    data = tiny_city()
    yearly = data.assign(year=data["month"].str[:4].astype(int) - 2022 + 2019)
    yearly = yearly.groupby(["district", "year"], as_index=False).agg(
        population=("population", "first"), burglary=("burglary", "sum"),
        robbery=("robbery", "sum"))
    yearly = pd.concat([yearly.assign(year=yearly["year"] - 2 * k) for k in range(3)])
    kw = {**KW, "time": "year"}
    frame = profile(yearly, exposure="population", window=3, **kw).window_rates
    row = frame[(frame["area"] == "Grand") & (frame["indicator"] == "burglary")].iloc[0]
    grand = yearly[yearly["district"] == "Grand"].sort_values("year")
    per_year = grand["burglary"].iloc[3:].sum() / (3 * 40_000) * 100_000
    assert row["rate_last"] == pytest.approx(per_year)
    html = unescape(table(yearly, exposure="population", window=3, lang="en",
                                       **kw))
    assert "rates per 100,000 residents per year" in html
    assert "Rate per year (last)" in html and "the last 3 years" in html
    fr = unescape(table(yearly, exposure="population", window=3, lang="fr", **kw))
    assert "taux pour 100\u202f000 habitants par année" in fr and "3 ans" in fr
    figure = unescape(ri.rates_figure(profile(yearly, exposure="population", window=3, **kw),
                                      lang="en"))
    assert "Rate per 100,000 residents per year" in figure


def test_totals_are_computed():
    """Finding 1: the total rows showed "–" for every rate."""
    data = tiny_city()
    frame = profile(data, exposure="population", **KW).window_rates
    total = frame[frame["total"] & (frame["indicator"] == "robbery")].iloc[0]
    areas = frame[~frame["total"] & (frame["indicator"] == "robbery")]
    assert total["count_last"] == areas["count_last"].sum()
    expected = ek.rate(areas["count_last"].sum(), (900 + 40_000) * 12)
    assert total["rate_last"] == pytest.approx(expected["rate"].iloc[0])
    assert total["ci_high_last"] == pytest.approx(expected["ci_high"].iloc[0])
    html = table(data, exposure="population", lang="en", **KW)
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    cells = re.findall(r"<td>(.*?)</td>",
                       next(r for r in rows if "Total" in r and "Robbery" in r))
    assert "–" not in cells[4:], cells


def test_small_counts_are_shown_as_less_than_five_and_their_rates_suppressed():
    data = tiny_city()
    before = data.copy()
    html = table(data, exposure="population", lang="en", **KW)
    pd.testing.assert_frame_equal(data, before)  # presentation never changes the data
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    small = next(r for r in rows if "Petit" in r and "Burglary" in r)
    cells = re.findall(r"<td>(.*?)</td>", small)
    assert cells[2:4] == ["&lt;5", "&lt;5"]  # counts 1 and 2
    assert set(cells[4:]) == {"–"}
    zero = re.findall(r"<td>(.*?)</td>", next(r for r in rows if "Petit" in r and "Robbery" in r))
    assert zero[2:6] == ["0", "0", "0", "0"]  # zero is not hidden
    assert "counts from 1 to 4" in html


def test_table_is_localised():
    data = tiny_city()
    en = table(data, exposure="population", per=1000, lang="en", **KW)
    fr = table(data, exposure="population", per=1000, lang="fr", **KW)
    assert "<h2>Counts and rates</h2>" in en and "per 1,000 residents" in en
    assert "<h2>Nombres et taux</h2>" in fr and "pour 1\u202f000 habitants" in fr
    assert "Cambriolages" in fr and "Secteur" in fr
    assert re.search(r"<td>\d+,\d+</td>", fr) and not re.search(r"<td>\d+\.\d+</td>", fr)
    assert re.search(r"<td>\d+\.\d+</td>", en)
    # one French interval separator in every report (format_interval): "1,2 à 3,4"
    assert re.search(r"\d à \d", fr) and not re.search(r"\d ; \d", fr)
    assert re.search(r"\d to \d", en)


def test_area_names_are_escaped():
    data = tiny_city(small_name="<b>x</b>")
    html = table(data, exposure="population", lang="en", **KW)
    head = ri.header(profile(data, exposure="population", **KW), lang="en")
    for text in (html, head):
        assert "<b>x</b>" not in text
        assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_bad_input_is_refused_with_clear_messages():
    data = tiny_city()
    with pytest.raises(DataError, match=r"areas: 1 name not found in column 'district': 'Nowhere'"):
        table(data, exposure="population", areas=["Nowhere"], **KW)
    with pytest.raises(SpecError, match=r"needs 48 periods; the data has 24"):
        table(data, exposure="population", window=24, **KW)
    with pytest.raises(SpecError, match=r"window must be a whole number"):
        table(data, exposure="population", window=0, **KW)
    with pytest.raises(SpecError, match=r"indicators is empty"):
        table(data, exposure="population", **{**KW, "indicators": []})
    with pytest.raises(SpecError, match=r"exposure is empty"):
        table(data, exposure="", **KW)
    with pytest.raises(SpecError, match=r"per must be a positive number"):
        table(data, exposure="population", per=0, **KW)
    with pytest.raises(DataError, match=r"no such column"):
        table(data, exposure="population", **{**KW, "indicators": ["arson"]})
    no_window = profile(data, exposure="population", window=None, **KW)
    assert no_window.window_rates is None and no_window.previous == ()
    with pytest.raises(SpecError, match=r"computed without a window; give window="):
        ri.indicator_table(no_window)
    with pytest.raises(SpecError, match=r"harm totals compare two windows"):
        compute_harm(no_window, WEIGHTS)
    short = data[~((data["district"] == "Petit") & (data["month"] >= "2023-11"))]
    with pytest.raises(DataError, match=r"\['Petit'\] do not cover all of 2022-01 – 2023-12"):
        table(short, exposure="population", **KW)


# -- harm, survey, figures -----------------------------------------------------------------------
def test_harm_section_with_and_without_weights(tmp_path):
    data = tiny_city()
    numbers = profile(data, **KW)
    none = ri.harm_section(numbers, None, lang="fr")
    assert "Aucune table de pondération" in none
    html = ri.harm_section(numbers, compute_harm(numbers, WEIGHTS), lang="en")
    assert "ILLUSTRATIVE example weights" in html and "2026-01" in html
    assert "single serious offence can dominate" in html
    petit = next(r for r in re.findall(r"<tr>(.*?)</tr>", html) if "Petit" in r)
    assert set(re.findall(r"<td>(.*?)</td>", petit)[1:]) == {"–"}  # built on hidden counts
    bad = tmp_path / "w.csv"
    bad.write_text("code,weight\nburglary,1\nrobbery,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"has no 'name'"):
        compute_harm(numbers, bad)
    html = ri.harm_section(numbers, compute_harm(numbers, bad, name="Mine",
                                                 version_date="2024"))
    assert "Mine" in html


def survey_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n_big, n_small = 200, 12
    return pd.DataFrame({
        "wave": ["before"] * (n_big + n_small),
        "area": ["Grand"] * n_big + ["Petit"] * n_small,
        "weight": rng.uniform(50, 150, n_big + n_small),
        "feel_unsafe_after_dark": rng.choice(["unsafe", "very safe", "fairly safe"],
                                             n_big + n_small),
    })


def test_survey_section_hides_suppressed_cells():
    frame = survey_frame()
    expected = ek.survey_share(frame, response="feel_unsafe_after_dark", weight="weight",
                               by=["wave", "area"])
    small = expected[expected["area"] == "Petit"].iloc[0]
    assert small["reliability"] == "suppressed"
    html = survey_section(frame, lang="fr")
    row = re.findall(r"<td>(.*?)</td>", next(r for r in re.findall(r"<tr>(.*?)</tr>", html)
                                             if "Petit" in r))
    assert row == ["avant", "Petit", "–", "–", "12", "–", "masquée"]
    shown = f"{100 * small['share']:.1f}".replace(".", ",")
    assert shown not in row
    assert "Kish" in html  # no strata/psu columns
    assert "Aucun fichier d&#39;enquête" in survey_section(None, lang="fr")
    assert "None of the selected areas" in survey_section(frame, areas=["Gare"])


def test_survey_section_shows_the_difference_in_differences_of_the_selected_areas():
    survey = samples_dir() / "survey.csv"
    treated = ["Hôtel-de-Ville", "Cathédrale", "Moulins"]
    res = ek.survey_did(survey, response="feel_unsafe_after_dark", area="area", wave="wave",
                        treated_areas=treated, before="before", after="after",
                        weight="weight", strata="stratum", psu="psu")
    row = res.effect("att")
    text = unescape(re.sub(r"<[^>]+>", " ", survey_section(survey, areas=treated)))
    assert (f"changed by {row['estimate']:+.1f} percentage points relative to the other "
            f"surveyed areas") in text
    assert f"95% CI {row['ci_low']:+.1f} to {row['ci_high']:+.1f}" in text
    assert row["ci_low"] < -7 < row["ci_high"]  # the sample's true DiD: -7 points
    # no comparison areas left (all selected) or a single wave: no DiD paragraph
    everyone = sorted(pd.read_csv(survey)["area"].unique())
    assert "relative to the other" not in survey_section(survey, areas=everyone)
    one_wave = pd.read_csv(survey).query("wave == 'before'")
    assert "relative to the other" not in survey_section(one_wave, areas=treated)


def test_survey_did_takes_the_waves_in_time_order_whatever_the_row_order():
    survey = pd.read_csv(samples_dir() / "survey.csv")
    treated = ["Hôtel-de-Ville", "Cathédrale", "Moulins"]

    def did_sentence(frame: pd.DataFrame) -> str:
        text = unescape(re.sub(r"<[^>]+>", " ", survey_section(frame, areas=treated)))
        return re.search(r"changed by (\S+) percentage points.*?CI (\S+) to (\S+);",
                         text).groups()

    expected = did_sentence(survey)
    assert float(expected[0]) < 0  # the sample's partnership areas feel safer after
    flipped = survey.iloc[::-1]  # the first respondent is now from the after wave
    assert did_sentence(flipped) == expected
    dated = survey.assign(wave=survey["wave"].map({"before": "2020", "after": "2022"}))
    assert did_sentence(dated.iloc[::-1]) == expected
    assert wave_order(["2023", "2019", "2021"]) == ["2019", "2021", "2023"]
    assert wave_order(["spring", "autumn"]) == ["spring", "autumn"]


def test_survey_did_paragraph_is_withheld_when_a_cell_is_suppressed():
    before = survey_frame()
    two_waves = pd.concat([before, before.assign(wave="after")], ignore_index=True)
    html = survey_section(two_waves, areas=["Petit"])  # Petit: 12 respondents a wave
    assert "at least one of its cells is too small" in html


def test_resolve_survey():
    assert resolve_survey("sample", data="") == samples_dir() / "survey.csv"
    assert resolve_survey("sample", data="mine.csv") is None
    assert resolve_survey("", data="") is None


def test_figures_have_images_in_both_languages():
    data = tiny_city()
    en = ri.rates_figure(profile(data, exposure="population", **KW), lang="en")
    fr = ri.season_figure(profile(data, **KW), lang="fr")
    assert "<h2>Trends</h2>" in en and "<img" in en and "per 100,000 residents" in en
    assert "<h2>Saisonnalité</h2>" in fr and "<img" in fr


# -- the report formats numbers computed once ----------------------------------------------------
def test_the_sections_render_from_the_computed_numbers_alone(tmp_path, monkeypatch):
    """The report layer never reads data or estimates (issue 16): once the numbers are
    computed, the data and survey files can be gone and no estimator is called again."""
    data, survey = tmp_path / "city.csv", tmp_path / "survey.csv"
    tiny_city().to_csv(data, index=False)
    pd.read_csv(samples_dir() / "survey.csv").to_csv(survey, index=False)
    numbers = profile(data, exposure="population", **KW)
    harm = compute_harm(numbers, WEIGHTS)
    treated = ["Hôtel-de-Ville", "Cathédrale", "Moulins"]
    answers = compute_survey(survey, areas=treated)
    data.unlink()
    survey.unlink()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report computed something")

    import evalkit.designs.survey_profile as sp
    import evalkit.indicators.profile as ip

    for module, name in ((ip, "rate"), (ip, "rate_change"), (ip, "harm_total"),
                         (ip, "read_table"), (ip, "load_panel"), (sp, "survey_did"),
                         (sp, "survey_share"), (sp, "read_table")):
        monkeypatch.setattr(module, name, refuse)
    html = "".join(map(str, [
        ri.header(numbers, lang="fr"), ri.indicator_table(numbers, lang="fr"),
        ri.rates_figure(numbers, lang="fr"), ri.season_figure(numbers, lang="fr"),
        ri.harm_section(numbers, harm, lang="fr"), ri.survey_section(answers, lang="fr")]))
    assert "city.csv (SHA-256" in html and "Totaux pondérés" in html
    assert "par rapport aux autres secteurs enquêtés (double différence" in unescape(html)
    assert len(ri.indicator_results(numbers)) == 2


def test_a_series_without_area_column_is_all_areas_in_the_report_language():
    grand = tiny_city().query("district == 'Grand'").drop(columns="district")
    numbers = profile(grand, unit=None, time="month", indicators=INDICATORS,
                      exposure="population")
    assert numbers.areas == ("all areas",)
    assert "tous les secteurs" in ri.header(numbers, lang="fr")
    assert "<td>tous les secteurs</td>" in ri.indicator_table(numbers, lang="fr")
    terms = set(ri.indicator_results(numbers)[0].effects["term"])
    assert terms == {"rate_previous_all areas", "rate_last_all areas",
                     "rate_ratio_all areas"}  # results.json names do not depend on lang


# -- the template, run with papermill (about 8 s per run) ----------------------------------------
def validate(results: dict) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)


def test_template_english_on_the_sample_with_harm_weights(tmp_path):
    outcome = run_template("indicators", out=tmp_path / "en", lang="en", progress=False,
                           parameters={"harm_weights": str(WEIGHTS),
                                       "areas": ["Hôtel-de-Ville", "Gare"]})
    validate(outcome.results)
    assert outcome.results["template"] == "indicators"
    assert outcome.results["data"]["rows"] == 1920
    rows = {(e["outcome"], e["term"]): e for e in outcome.results["estimates"]}
    frame = profile(samples_dir() / "city_monthly.csv", exposure="population",
                            unit="district", time="month", areas=["Hôtel-de-Ville", "Gare"],
                            indicators=["burglary", "robbery", "violence",
                                        "antisocial_behaviour"]).window_rates
    for r in frame.itertuples():
        suffix = "" if r.total else f"_{r.area}"
        last, ratio = rows[r.indicator, "rate_last" + suffix], rows[r.indicator,
                                                                    "rate_ratio" + suffix]
        assert last["estimate"] == pytest.approx(r.rate_last)
        assert (last["ci_low"], last["ci_high"]) == pytest.approx((r.ci_low_last,
                                                                   r.ci_high_last))
        assert ratio["relative_effect"] == pytest.approx(r.rate_ratio)
        assert ratio["p_value"] == pytest.approx(r.p_value)
        assert rows[r.indicator, "rate_previous" + suffix]["estimate"] == pytest.approx(
            r.rate_prev)
    assert len(rows) == 4 * 3 * 3  # 4 indicators x (2 areas + total) x 3 terms
    html = unescape(outcome.report.read_text(encoding="utf-8"))
    for heading in ("Indicator profile: Hôtel-de-Ville, Gare", "Counts and rates", "Trends",
                    "Seasonality", "Harm-weighted totals", "Feeling of insecurity (survey)",
                    "Methods appendix", "Parameters and versions"):
        assert f">{heading}</h" in html, heading
    assert html.count("<img") >= 2
    assert "ILLUSTRATIVE example weights" in html
    assert "Weighted share answering" in html  # the shipped survey goes with the sample data


def test_template_french_on_small_areas(tmp_path):
    path = tmp_path / "tiny.csv"
    tiny_city().to_csv(path, index=False)
    outcome = run_template("indicators", out=tmp_path / "fr", data=path, lang="fr",
                           progress=False, text={"indicators": "burglary,robbery", "areas": ""})
    validate(outcome.results)
    html = outcome.report.read_text(encoding="utf-8")
    text = unescape(html)
    for heading in ("Profil d'indicateurs\u202f: tous les secteurs", "Nombres et taux",
                    "Évolutions", "Saisonnalité", "Totaux pondérés par la gravité",
                    "Sentiment d'insécurité (enquête)", "Annexe méthodologique"):
        assert f">{heading}</h" in text, heading
    assert "&lt;5" in html
    assert "Aucun fichier d'enquête" in text  # own data: no sample survey
    assert "Aucune table de pondération" in text
    assert html.count("<img") >= 2
