"""Reference: HonestDiD's Medicaid-expansion example, relative magnitudes (Delta^RM).

Published numbers (HonestDiD R package README and the Stata ``honestdid`` README, both
maintained by the authors, Rambachan & Roth): TWFE event study of ``dins`` on
``ehec_data`` (Mixtape-Sessions/Advanced-DID, Exercises/Data/ehec_data.csv), years
2008-2015, the 2015 cohort dropped, ``D = 1[yexp2 == 2014]``, reference year 2013,
state and year fixed effects, SEs clustered by state (fixest / reghdfe). 5 pre-period and
2 post-period coefficients; method C-LF (HonestDiD's default for Delta^RM), alpha = 0.05.

* R README, first post period (``l_vec = (1, 0)``), Mbar = 0.5, 1, 1.5, 2:
  (0.0240, 0.0672), (0.0170, 0.0720), (0.00824, 0.0797), (-0.000916, 0.0881);
  breakdown "Mbar = 2".
* Stata README, average of the two post periods (``l_vec = (0.5, 0.5)``), Mbar = 0 ..2:
  (0.041, 0.075), (0.033, 0.080), (0.020, 0.090), (0.006, 0.103), (-0.008, 0.117);
  original (Wald) CIs (0.029, 0.064) and (0.040, 0.075).

The packages do not print betahat and sigma, so the test re-estimates them from the
data (embedded below: the 43 states x 8 years of the estimation sample) with numpy (dummy
regression, cluster-robust sandwich with fixest's default small-sample factor
G/(G-1) (n-1)/(n-K), K = 7 + 7 year dummies + 1); the Wald CIs reproduce the published ones.

Tolerance. HonestDiD reports the extreme accepted points of a 1000-point grid (spacing
``40 se / 999``, 0.00037 here) and simulates its least-favourable critical value from
1000 draws of R's generator; evalkit refines the end points by bisection and uses 10,000
draws of numpy's generator. So evalkit's bounds may lie up to one grid step outside
HonestDiD's, plus the printing precision, plus Monte Carlo noise of the critical value
(measured: <= 0.0004 across seeds with 1000 draws). Tolerance = grid step + half a unit
of the last printed digit + 0.0003.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.inference.sensitivity import relative_magnitudes

# state, yexp2 (NA = not expanded), dins for 2008 ... 2015
EHEC = """
alabama NA .6814122 .6580621 .6313651 .6563886 .6708115 .6521544 .6886147 .7049411
alaska 2016 .4902744 .471383 .5238693 .5513518 .4731023 .5791751 .531309 .6222646
arizona 2014 .6098763 .6038413 .6221575 .6218184 .6052098 .6145284 .6884941 .7540561
arkansas 2014 .6238649 .6166095 .6019469 .6186749 .6472555 .660113 .7246239 .7809256
california 2014 .5766346 .5566983 .5607858 .5652276 .567108 .5869472 .6892559 .777474
colorado 2014 .60423 .6223597 .624326 .6217457 .6310782 .6531152 .7511546 .7928613
connecticut 2014 .7036601 .6937909 .6889572 .6788563 .7099507 .6968524 .7945667 .8186108
florida NA .5487086 .5348367 .5241162 .5269637 .5479365 .5492317 .6122136 .6683298
georgia NA .5599459 .5485352 .5415807 .5388681 .5546577 .5550773 .6043968 .6495978
hawaii 2014 .7850013 .7717041 .7831579 .7637015 .7981848 .7820048 .8518662 .8678843
idaho NA .6452607 .6291881 .6025975 .6333872 .5993702 .6144987 .709904 .6967976
illinois 2014 .6247448 .6003809 .5835595 .603168 .5948178 .6229177 .7212194 .7944734
iowa 2014 .7329469 .7414502 .7321184 .7500499 .768099 .7527962 .8207864 .8613235
kansas NA .6715692 .6544818 .6235881 .6649476 .6647856 .6508836 .7216428 .7433004
kentucky 2014 .6756547 .6495453 .6350862 .6417465 .6533939 .6423131 .7945616 .8475562
louisiana 2017 .5845971 .5809779 .5589961 .5628628 .5868679 .5929636 .6315237 .6665046
maine 2019 .7352178 .7457104 .7033234 .6828818 .714273 .7232717 .7623242 .7918917
maryland 2014 .6505839 .6346201 .6410042 .6576794 .6776429 .685596 .7492712 .789168
michigan 2014 .69056 .6654921 .6522786 .6606765 .6703054 .6913394 .7613778 .8353194
minnesota 2014 .7507716 .7512081 .7449474 .762849 .7460545 .7600102 .8067074 .8682727
mississippi NA .647132 .6169437 .6121933 .6227806 .6258935 .6085388 .6410151 .6603822
missouri NA .6852904 .6631287 .6664188 .6652361 .6511026 .6768019 .7149377 .7405193
montana 2016 .6214401 .6172815 .6501032 .5766492 .6155358 .6034593 .6815277 .7276235
nebraska NA .7023595 .7299535 .6861361 .7056484 .6997835 .6691276 .7291557 .7790463
nevada 2014 .5710957 .5450087 .5582165 .53939 .5418556 .5640745 .6748341 .7341996
new_jersey 2014 .6327685 .592813 .5843231 .5700157 .588118 .569653 .6353181 .716136
new_mexico 2014 .5920063 .5824076 .5877423 .5696653 .5874929 .618993 .6925197 .7636594
north_carolina NA .6355257 .60763 .6184343 .6052898 .611424 .6176155 .6778689 .7198848
north_dakota 2014 .7428152 .6957213 .7095507 .7106752 .7081445 .7111444 .7875783 .7891071
ohio 2014 .6651711 .6557886 .6462941 .6470984 .6564615 .6631119 .7412719 .8071672
oklahoma NA .5833684 .5772998 .5767068 .5771133 .6023735 .6055935 .6399955 .6606329
oregon 2014 .6186642 .5876785 .5906724 .6176501 .6336687 .6326413 .7539015 .8279694
rhode_island 2014 .6912599 .6841791 .6689332 .6770897 .6820772 .6444103 .8189201 .8543635
south_carolina NA .6236674 .6040146 .6026508 .5998988 .5897961 .614867 .6554503 .6921155
south_dakota NA .6913503 .6611788 .6908593 .6949736 .6963041 .6636507 .7257309 .6762812
tennessee NA .6455016 .6204717 .6237048 .6090915 .6361499 .6437094 .6772474 .7114374
texas NA .5282508 .5119539 .5184326 .5206313 .5278595 .5408732 .5891563 .6137073
utah NA .6457777 .6251684 .614554 .6063017 .6392333 .6341162 .6712528 .717406
virginia 2019 .6808553 .6792349 .6578167 .635681 .62221 .6477494 .6984549 .7123922
washington 2014 .6708972 .6472104 .6391173 .6344942 .6455252 .6370318 .7722495 .8293942
west_virginia 2014 .6937376 .6584075 .6712545 .668988 .6470681 .6692245 .7669487 .852476
wisconsin 2014 .7028762 .6782655 .700281 .7078812 .6953536 .7144675 .7842925 .8139718
wyoming NA .6160446 .6547553 .5756097 .599313 .628042 .6343244 .6557182 .726786
"""

R_FIRST_PERIOD = {  # Mbar: (lb, ub), R README
    0.5: (0.0240, 0.0672), 1.0: (0.0170, 0.0720), 1.5: (0.00824, 0.0797),
    2.0: (-0.000916, 0.0881),
}
STATA_AVERAGE = {  # Mbar: (lb, ub), Stata README
    0.0: (0.041, 0.075), 0.5: (0.033, 0.080), 1.0: (0.020, 0.090), 1.5: (0.006, 0.103),
    2.0: (-0.008, 0.117),
}
MC_SLACK = 0.0003


@pytest.fixture(scope="module")
def event_study() -> tuple[np.ndarray, np.ndarray]:
    """(betahat, sigma): 2008-2012 then 2014, 2015 coefficients, fixest cluster vcov."""
    rows = [line.split() for line in EHEC.strip().splitlines()]
    y = np.array([[float(v) for v in r[2:]] for r in rows])
    treated = np.array([r[1] == "2014" for r in rows], dtype=float)
    n_units, n_years = y.shape
    years = list(range(2008, 2016))
    coef_years = [t for t in years if t != 2013]
    x = np.zeros((n_units * n_years, n_units + n_years - 1 + len(coef_years)))
    for i in range(n_units):
        for t, year in enumerate(years):
            r = i * n_years + t
            x[r, i] = 1.0
            if t > 0:
                x[r, n_units + t - 1] = 1.0
            if year != 2013:
                x[r, n_units + n_years - 1 + coef_years.index(year)] = treated[i]
    yy = y.ravel()
    bread = np.linalg.inv(x.T @ x)
    b = bread @ x.T @ yy
    e = yy - x @ b
    scores = (x * e[:, None]).reshape(n_units, n_years, -1).sum(axis=1)
    n, k = len(yy), len(coef_years) + (n_years - 1) + 1
    v = bread @ (scores.T @ scores) @ bread
    v *= n_units / (n_units - 1) * (n - 1) / (n - k)
    sel = slice(n_units + n_years - 1, None)
    return b[sel], v[sel, sel]


def _wald(beta: np.ndarray, sigma: np.ndarray, lv: np.ndarray) -> tuple[float, float]:
    est = float(lv @ beta[5:])
    se = float(np.sqrt(lv @ sigma[5:, 5:] @ lv))
    z = stats.norm.ppf(0.975)
    return est - z * se, est + z * se


def test_reestimated_event_study_matches_published_wald_cis(event_study):
    beta, sigma = event_study
    assert beta.shape == (7,) and sigma.shape == (7, 7)
    lo, hi = _wald(beta, sigma, np.array([1.0, 0.0]))
    assert (round(lo, 3), round(hi, 3)) == (0.029, 0.064)
    lo, hi = _wald(beta, sigma, np.array([0.5, 0.5]))
    assert (round(lo, 3), round(hi, 3)) == (0.040, 0.075)


def _step(sigma: np.ndarray, lv: np.ndarray) -> float:
    return 40 * float(np.sqrt(lv @ sigma[5:, 5:] @ lv)) / 999


def test_first_post_period_matches_honestdid_r_readme(event_study):
    beta, sigma = event_study
    lv = np.array([1.0, 0.0])
    res = relative_magnitudes(beta[:5], beta[5:], sigma, mbar=sorted(R_FIRST_PERIOD),
                              l_vec=lv)
    tol = _step(sigma, lv) + 0.00005 + MC_SLACK
    for row in res.table.itertuples():
        lb, ub = R_FIRST_PERIOD[row.mbar]
        assert row.lb == pytest.approx(lb, abs=tol), row
        assert row.ub == pytest.approx(ub, abs=tol), row
        assert (row.lb > 0) == (lb > 0)
    # README: significant up to Mbar = 2 (the Mbar = 2 interval just includes zero)
    assert 1.5 < res.breakdown < 2.0


def test_average_effect_matches_stata_readme(event_study):
    beta, sigma = event_study
    lv = np.array([0.5, 0.5])
    res = relative_magnitudes(beta[:5], beta[5:], sigma, mbar=sorted(STATA_AVERAGE))
    np.testing.assert_allclose(res.l_vec, lv)  # equal weights are the default
    assert res.original_ci == pytest.approx(_wald(beta, sigma, lv))
    tol = _step(sigma, lv) + 0.0005 + MC_SLACK
    for row in res.table.itertuples():
        lb, ub = STATA_AVERAGE[row.mbar]
        assert row.lb == pytest.approx(lb, abs=tol), row
        assert row.ub == pytest.approx(ub, abs=tol), row
        assert (row.lb > 0) == (lb > 0)
    # the published table changes sign between Mbar = 1.5 and 2
    assert 1.5 < res.breakdown < 2.0


def test_honestdid_grid_mode_matches_to_printed_precision_plus_mc(event_study):
    """HonestDiD's own grid (+-20 se around zero, 1000 points, no refinement, 1000 draws):
    only the Monte Carlo noise of the least-favourable critical value remains."""
    beta, sigma = event_study
    lv = np.array([1.0, 0.0])
    se = float(np.sqrt(sigma[5, 5]))
    res = relative_magnitudes(beta[:5], beta[5:], sigma, mbar=sorted(R_FIRST_PERIOD),
                              l_vec=lv, grid_lb=-20 * se, grid_ub=20 * se, refine=False,
                              lf_draws=1000, breakdown=False)
    tol = 0.00005 + _step(sigma, lv) + MC_SLACK
    for row in res.table.itertuples():
        lb, ub = R_FIRST_PERIOD[row.mbar]
        assert abs(row.lb - lb) <= tol and abs(row.ub - ub) <= tol, row


def test_identified_set_matches_closed_form(event_study):
    """Independent check of the LP: with delta_pre = beta_pre and l >= 0 the RM identified
    set is theta_hat +- Mbar * max|pre-period step| * sum_t t * l_t."""
    beta, sigma = event_study
    steps = np.diff(np.append(beta[:5], 0.0))
    lv = np.array([0.5, 0.5])
    res = relative_magnitudes(beta[:5], beta[5:], sigma, mbar=(0, 1, 2), breakdown=False)
    half = res.table["mbar"] * np.max(np.abs(steps)) * (1 * 0.5 + 2 * 0.5)
    theta = float(lv @ beta[5:])
    np.testing.assert_allclose(res.table["id_lb"], theta - half, atol=1e-10)
    np.testing.assert_allclose(res.table["id_ub"], theta + half, atol=1e-10)
