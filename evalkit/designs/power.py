"""Power and minimum detectable effects (MDE) for ITS and difference-in-differences.

Answers "with this data, what effect could we detect with 80 % power?" — so that a report
can say when a null result is uninformative (DOMAIN.md §4: "MDE/power printed").

Simulation
    Series (:func:`evalkit.data.simulate.simulate_series`) or panels (built here with
    numpy) are simulated under a grid of true rate ratios and analysed with evalkit's own
    estimators: the segmented regression of :func:`evalkit.designs.its.its` (its design
    matrix and fitting routine, called directly so that a replication costs one GLM fit
    instead of a full validated run; the test suite checks that both give the same
    estimate and standard error) and the Poisson two-way fixed-effects fit behind
    :func:`evalkit.designs.did.did`. Power is the share of replications whose two-sided
    test rejects at ``alpha`` with an estimate in the direction of the true effect; the
    same random numbers are used for every effect size (common random numbers), so the
    power curve is smooth; the MDE is where the curve crosses ``power`` (linear
    interpolation on the log rate ratio).

Analytic approximation
    For a log-link count model the asymptotic variance of the coefficients is the
    sandwich ``A⁻¹ B A⁻¹`` with ``A = X' diag(w) X`` and ``B = X' D Σ D X`` computed from
    the design matrix and the expected counts ``m`` (``w = m`` and ``D = I`` for Poisson
    and quasi-Poisson fits; ``w = m / (1 + m/θ)``, ``D = diag(1 / (1 + m/θ))`` for the
    negative binomial), with ``Σ`` the true covariance of the counts: ``m + m²(e^{σ²}(1 +
    1/θ) − 1)`` on the diagonal and ``m_t m_s (e^{σ² ρ^{|t−s|}} − 1)`` between periods of
    a unit (gamma overdispersion of shape ``θ``, latent AR(1) log-scale noise of standard
    deviation ``σ`` and correlation ``ρ``). For Poisson counts this is exactly the inverse
    information. The level change's variance therefore includes the design effect of the
    trend (and seasonality) terms; with constant ``μ`` and no trend it reduces to
    ``(1/(n_pre μ) + 1/(n_post μ)) (1 + μ/θ)``. The MDE solves
    ``RR = exp(−(z_{1−α/2} + z_power) · SE(RR))`` (a fixed point, since ``SE`` depends on
    the post-period mean). It assumes the test's standard error is right: it ignores
    the over-rejection of cluster-robust tests with few clusters and of model-based or
    HAC errors under autocorrelation, which the simulation includes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._checks import FEW_CLUSTERS, FEW_TREATED, check_alpha, check_choice
from evalkit._progress import progress
from evalkit.errors import EvalkitError, SpecError
from evalkit.i18n import Caveat, round_percent
from evalkit.results import EvaluationResult, json_safe

__all__ = [
    "PowerResult",
    "did_power",
    "its_power",
    "mde_from_result",
    "mde_note",
    "mde_notes",
    "simulate_did_panel",
]

Method = Literal["simulation", "analytic", "both"]
SEASON_AMPLITUDE = 0.1  # log-scale amplitude of the simulated yearly cycle (simulate_series)
_GRID = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # multiples of the analytic log-MDE


@dataclass(frozen=True)
class PowerResult:
    """Power of a design and its minimum detectable effect.

    Attributes
    ----------
    mde : float
        Minimum detectable effect as a rate ratio below 1 (0.82 = an 18 % fall) detected
        with probability ``power`` at level ``alpha``: the simulated MDE when simulation
        was run (NaN if no effect in the grid reached ``power``), else the analytic one.
    table : DataFrame
        One row per true rate ratio ``effect``: ``power_simulated`` with its Monte Carlo
        standard error ``mcse`` and/or ``power_analytic``.
    method : str
        What was computed, in words (estimator, test, simulation settings, caveats).
    analytic_mde : float or None
        MDE from the analytic approximation, when available.
    simulated_mde : float or None
        MDE from the simulation, when run.
    alpha, power : float
    parameters : Mapping
        Every setting, seed included.
    notes : tuple of str
        Caveats (:class:`evalkit.i18n.Caveat`).
    """

    mde: float
    table: pd.DataFrame = field(compare=False)
    method: str
    analytic_mde: float | None
    simulated_mde: float | None = None
    alpha: float = 0.05
    power: float = 0.8
    parameters: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def sentence(self, lang: str = "en") -> str:
        """The report sentence "with this data, only a change larger than X % ..."."""
        if not np.isfinite(self.mde):
            largest = float(self.table["effect"].min())
            return Caveat("power_not_reached", power_pct=round(100 * self.power),
                          largest=largest).render(lang)
        return Caveat("power_mde_ratio", pct=100 * (1 - self.mde),
                      power_pct=round(100 * self.power)).render(lang)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return json_safe({
            "mde": self.mde, "analytic_mde": self.analytic_mde,
            "simulated_mde": self.simulated_mde, "alpha": self.alpha, "power": self.power,
            "method": self.method, "table": self.table.to_dict(orient="records"),
            "parameters": dict(self.parameters), "notes": list(self.notes),
        })


# -- ITS -----------------------------------------------------------------------------------
def its_power(
    *,
    n_pre: int,
    n_post: int,
    baseline: float,
    overdispersion: float | None = None,
    ar1: float = 0.0,
    noise_sd: float | None = None,
    seasonality: bool = False,
    slope_change: bool = True,
    family: Literal["poisson", "quasipoisson", "negbin"] | None = None,
    se: Literal["model", "robust", "hac"] = "model",
    alpha: float = 0.05,
    power: float = 0.8,
    effects: Sequence[float] | None = None,
    reps: int = 200,
    seed: int = 0,
    method: Method = "both",
) -> PowerResult:
    """Power and MDE of the level change in an interrupted time series of monthly counts.

    Parameters
    ----------
    n_pre, n_post : int
        Months before and from the intervention.
    baseline : float
        Expected count per month (before seasonality and noise).
    overdispersion : float, optional
        Negative binomial shape ``θ`` of the counts (variance ``μ + μ²/θ``); None for
        Poisson counts.
    ar1, noise_sd : float
        Lag-1 autocorrelation and standard deviation of a latent log-scale AR(1) error
        (``simulate_series``; ``noise_sd`` defaults to 0.1 when ``ar1 != 0``).
    seasonality : bool
        Simulate a yearly cycle (log amplitude 0.1) and fit month-of-year effects.
    slope_change : bool
        Fit a slope change too, as :func:`evalkit.designs.its.its` does by default (the
        true slope change is none); its presence widens the level change's interval.
    family : {"poisson", "quasipoisson", "negbin"}, optional
        Model fitted; default Poisson for Poisson counts, else quasi-Poisson.
    se : {"model", "robust", "hac"}
        Standard errors of the fitted model, as in ``its``.
    alpha : float
        Two-sided significance level.
    power : float
        Target power for the MDE.
    effects : sequence of float, optional
        True level changes (rate ratios) to tabulate; default a grid around the analytic
        MDE. The MDE is read from the ratios below 1.
    reps : int
        Simulated series per effect size (Monte Carlo SE of a power near 0.8 is about
        ``0.4 / sqrt(reps)``).
    seed : int
        Seed; the same seed gives the same table.
    method : {"both", "simulation", "analytic"}

    Returns
    -------
    PowerResult
    """
    from evalkit.designs.its import _design, _fit, newey_west_lags

    check_choice("method", method, ("simulation", "analytic", "both"))
    check_choice("se", se, ("model", "robust", "hac"))
    family = family or ("poisson" if overdispersion is None else "quasipoisson")
    check_choice("family", family, ("poisson", "quasipoisson", "negbin"))
    n_pre = _int(n_pre, "n_pre", 3 + (11 if seasonality else 0))
    n_post = _int(n_post, "n_post", 1)
    _common(baseline, overdispersion, ar1, alpha, power, reps, seed)
    sigma = _noise_sd(ar1, noise_sd)
    n = n_pre + n_post
    periods = pd.period_range("2017-01", periods=n, freq="M")
    frame = pd.DataFrame({"_period": periods, "_group": 1, "_y": 0.0})
    t0 = periods[n_pre]
    x, names, effect_cols = _design(frame, t0, "M", seasonality="month" if seasonality
                                    else "none", harmonics=2, slope_change=slope_change,
                                    covariates=[])
    j = names.index(effect_cols["level_change"])
    moy = np.asarray(periods.month)
    season = SEASON_AMPLITUDE * np.cos(2 * np.pi * (moy - 1) / 12) if seasonality else 0.0
    mu0 = baseline * np.exp(np.zeros(n) + season)
    post = np.arange(n) >= n_pre
    theta_fit = overdispersion if family == "negbin" else None

    def se_at(rr: float) -> float:
        m = mu0 * np.where(post, rr, 1.0) * math.exp(sigma**2 / 2)
        return _sandwich_se(x, [m], j, theta=overdispersion, sigma=sigma, rho=ar1,
                            theta_fit=theta_fit)

    analytic = _analytic_mde(se_at, alpha, power)
    grid = _grid(effects, analytic)
    notes: list[Caveat] = []
    if ar1:
        notes.append(Caveat("power_autocorrelation", ar1=ar1))
    lags = newey_west_lags(n)
    table = pd.DataFrame({"effect": grid})
    if method != "simulation":
        table["power_analytic"] = [_analytic_power(e, se_at(e), alpha) for e in grid]
    simulated = None
    if method != "analytic":
        from evalkit.data.simulate import simulate_series

        seeds = np.random.SeedSequence(seed).generate_state(reps)
        reject = np.zeros((len(grid), reps), dtype=bool)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fitting noise (perfect fits, IRLS) is counted
            for k, e in enumerate(grid):
                for r in progress(range(reps), desc=f"power simulation ({k + 1}/{len(grid)})",
                                  unit="series"):
                    sim = simulate_series(
                        n_months=n, intervention_month=n_pre, baseline=baseline,
                        level_change=e, slope_change=1.0, trend=0.0,
                        seasonality=SEASON_AMPLITUDE if seasonality else 0.0,
                        overdispersion=overdispersion, ar1=ar1, noise_sd=sigma,
                        seed=int(seeds[r]))
                    y = sim.data["count"].to_numpy(float)
                    reject[k, r] = _its_reject(y, x, j, e, family=family, se=se, lags=lags,
                                               alpha=alpha, fit=_fit)
        table["power_simulated"] = reject.mean(axis=1)
        table["mcse"] = np.sqrt(table["power_simulated"] * (1 - table["power_simulated"])
                                / reps)
        simulated = _crossing(table, power, alpha)
        if not np.isfinite(simulated):
            notes.append(Caveat("power_not_reached", power_pct=round(100 * power),
                                largest=float(min(grid))))
    text = (
        f"level change of a segmented {family} regression (its(): trend"
        f"{', slope change' if slope_change else ''}"
        f"{', month-of-year effects' if seasonality else ''}; {se} standard errors) on "
        f"{n_pre} + {n_post} months, baseline {baseline:g} per month"
        + (f", negative binomial counts (shape {overdispersion:g})" if overdispersion else
           ", Poisson counts")
        + (f", latent AR(1) noise (rho {ar1:g}, sd {sigma:g})" if sigma else "")
        + f"; two-sided test at alpha = {alpha:g}. "
        + (f"Simulation: {reps} series per effect with simulate_series (seed {seed}). "
           if method != "analytic" else "")
        + ("Analytic: sandwich variance of the level coefficient from X'WX at the expected "
           "counts." if method != "simulation" else "")
    )
    params = {"design": "its", "n_pre": n_pre, "n_post": n_post, "baseline": baseline,
              "overdispersion": overdispersion, "ar1": ar1, "noise_sd": sigma,
              "seasonality": seasonality, "slope_change": slope_change, "family": family,
              "se": se, "alpha": alpha, "power": power, "reps": reps, "seed": seed,
              "method": method, "effects": list(grid)}
    return _result(table, text, analytic, simulated, method, alpha, power, params, notes)


def _its_reject(y, x, j, effect, *, family, se, lags, alpha, fit) -> bool:
    try:
        _, res, vcov, _, df_t = fit(y, x, None, family=family, se=se, lags=lags)
    except Exception:  # a degenerate draw (e.g. all zeros) counts as no rejection
        return False
    b = float(np.asarray(res.params)[j])
    s = math.sqrt(vcov[j, j])
    return _rejects(b, s, effect, alpha, df_t)


def _rejects(b: float, s: float, effect: float, alpha: float, df_t: float | None) -> bool:
    if not (s > 0 and np.isfinite(s) and np.isfinite(b)):
        return False
    dist = stats.norm if df_t is None else stats.t(df_t)
    p = 2 * float(dist.sf(abs(b) / s))
    return p < alpha and (b < 0) == (effect < 1)


# -- DiD -----------------------------------------------------------------------------------
def did_power(
    *,
    n_treated: int,
    n_control: int,
    n_pre: int,
    n_post: int,
    baseline: float,
    overdispersion: float | None = None,
    unit_sd: float = 0.3,
    ar1: float = 0.0,
    noise_sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    effects: Sequence[float] | None = None,
    reps: int = 200,
    seed: int = 0,
    inference: Literal["cluster", "wild"] = "cluster",
    boot_reps: int = 199,
    method: Method = "both",
) -> PowerResult:
    """Power and MDE of a Poisson two-way fixed-effects DiD with few treated areas.

    Parameters
    ----------
    n_treated, n_control : int
        Treated and comparison areas (clusters).
    n_pre, n_post : int
        Periods before and from the common start.
    baseline : float
        Mean count per area and period.
    overdispersion : float, optional
        Negative binomial shape of the counts; None for Poisson.
    unit_sd : float
        Standard deviation of the areas' log levels (absorbed by the unit effects).
    ar1, noise_sd : float
        Within-area latent AR(1) log-scale error (``noise_sd`` defaults to 0.1 when
        ``ar1 != 0``): serial correlation that cluster-robust errors must absorb.
    alpha, power : float
    effects : sequence of float, optional
        True rate ratios; default a grid around the analytic MDE.
    reps : int
        Simulated panels per effect size.
    seed : int
    inference : {"cluster", "wild"}
        ``"cluster"``: the cluster-robust (CR1) Wald test of ``did(family="poisson")``.
        ``"wild"``: a restricted wild cluster *score* bootstrap (Kline & Santos 2012,
        Rademacher weights, all sign vectors when ``2**G <= boot_reps``), computed here;
        it holds its level better with few treated areas, and can have almost no power
        with one or two.
    boot_reps : int
        Bootstrap draws per simulated panel for ``inference="wild"``.
    method : {"both", "simulation", "analytic"}
        The analytic MDE is the sandwich approximation (see the module docstring); it
        assumes the standard error is right, so with few treated clusters it is
        optimistic.

    Returns
    -------
    PowerResult
        With few treated clusters the cluster-robust test over-rejects, so the simulated
        "power" is overstated; ``method`` and ``notes`` say so.
    """
    from evalkit.core.fit import fit

    check_choice("method", method, ("simulation", "analytic", "both"))
    check_choice("inference", inference, ("cluster", "wild"))
    n_treated = _int(n_treated, "n_treated", 1)
    n_control = _int(n_control, "n_control", 1)
    n_pre = _int(n_pre, "n_pre", 1)
    n_post = _int(n_post, "n_post", 1)
    boot_reps = _int(boot_reps, "boot_reps", 19)
    _common(baseline, overdispersion, ar1, alpha, power, reps, seed)
    if isinstance(unit_sd, bool) or not isinstance(unit_sd, int | float) or not unit_sd >= 0:
        raise SpecError(f"unit_sd must be a number >= 0; got {unit_sd!r}.")
    sigma = _noise_sd(ar1, noise_sd)
    g, t_len = n_treated + n_control, n_pre + n_post
    unit = np.repeat(np.arange(g), t_len)
    period = np.tile(np.arange(t_len), g)
    d = ((unit < n_treated) & (period >= n_pre)).astype(float)
    x_full = np.column_stack([(unit[:, None] == np.arange(g)).astype(float),
                              (period[:, None] == np.arange(1, t_len)).astype(float), d])
    j = x_full.shape[1] - 1

    def se_at(rr: float) -> float:
        m = baseline * np.where(d > 0, rr, 1.0) * math.exp(sigma**2 / 2)
        return _sandwich_se(x_full, np.split(m, g), j, theta=overdispersion, sigma=sigma,
                            rho=ar1, theta_fit=None, blocks=np.split(x_full, g))

    analytic = _analytic_mde(se_at, alpha, power)
    grid = _grid(effects, analytic)
    notes: list[Caveat] = []
    if inference == "cluster" and (n_treated < FEW_TREATED or g < FEW_CLUSTERS):
        notes.append(Caveat("power_few_treated", n=n_treated))
    if ar1:
        notes.append(Caveat("power_autocorrelation", ar1=ar1))
    table = pd.DataFrame({"effect": grid})
    if method != "simulation":
        table["power_analytic"] = [_analytic_power(e, se_at(e), alpha) for e in grid]
    simulated = None
    if method != "analytic":
        seeds = np.random.SeedSequence(seed).generate_state(reps)
        reject = np.zeros((len(grid), reps), dtype=bool)
        for r in progress(range(reps), desc="power simulation", unit="panel"):
            rng = np.random.default_rng(int(seeds[r]))
            base = _panel_base(rng, g, t_len, baseline=baseline, unit_sd=unit_sd,
                               sigma=sigma, rho=ar1, overdispersion=overdispersion)
            uniforms = rng.random(g * t_len)
            signs = _signs(rng, g, boot_reps) if inference == "wild" else None
            for k, e in enumerate(grid):
                lam = base * np.where(d > 0, e, 1.0)
                y = stats.poisson.ppf(uniforms, lam)  # common random numbers across effects
                if inference == "cluster":
                    reject[k, r] = _cluster_reject(fit, y, d, unit, period, e, alpha)
                else:
                    reject[k, r] = _wild_score_reject(y, d, unit, period, e, alpha, signs)
        table["power_simulated"] = reject.mean(axis=1)
        table["mcse"] = np.sqrt(table["power_simulated"] * (1 - table["power_simulated"])
                                / reps)
        simulated = _crossing(table, power, alpha)
        if not np.isfinite(simulated):
            notes.append(Caveat("power_not_reached", power_pct=round(100 * power),
                                largest=float(min(grid))))
    test = ("cluster-robust (CR1) Wald test by area, as did(family='poisson'); with few "
            "treated clusters this test over-rejects, so the simulated power is overstated"
            if inference == "cluster" else
            f"restricted wild cluster score bootstrap (Kline & Santos 2012; Rademacher, "
            f"{min(boot_reps, 2**g)} draws)")
    text = (
        f"att of a Poisson two-way fixed-effects DiD on {n_treated} treated and "
        f"{n_control} comparison areas, {n_pre} + {n_post} periods, baseline {baseline:g} "
        f"per area and period, area sd {unit_sd:g}"
        + (f", negative binomial counts (shape {overdispersion:g})" if overdispersion else
           ", Poisson counts")
        + (f", latent AR(1) noise (rho {ar1:g}, sd {sigma:g})" if sigma else "")
        + f"; {test}; two-sided at alpha = {alpha:g}. "
        + (f"Simulation: {reps} panels per effect (seed {seed}). " if method != "analytic"
           else "")
        + ("Analytic: sandwich variance of the att coefficient from X'WX at the expected "
           "counts (ignores the small-cluster bias of the test)." if method != "simulation"
           else "")
    )
    params = {"design": "did", "n_treated": n_treated, "n_control": n_control,
              "n_pre": n_pre, "n_post": n_post, "baseline": baseline,
              "overdispersion": overdispersion, "unit_sd": unit_sd, "ar1": ar1,
              "noise_sd": sigma, "alpha": alpha, "power": power, "reps": reps, "seed": seed,
              "inference": inference, "boot_reps": boot_reps, "method": method,
              "effects": list(grid)}
    return _result(table, text, analytic, simulated, method, alpha, power, params, notes)


def simulate_did_panel(
    *, n_treated: int, n_control: int, n_pre: int, n_post: int, baseline: float,
    effect: float, overdispersion: float | None = None, unit_sd: float = 0.3,
    ar1: float = 0.0, noise_sd: float | None = None, seed: int = 0,
) -> pd.DataFrame:
    """One panel as simulated by :func:`did_power`, as a DataFrame for ``ek.did``.

    Columns ``area, month, count, treated`` (``treated`` = 1 in treated area-months);
    months start in 2020-01.
    """
    sigma = _noise_sd(ar1, noise_sd)
    g, t_len = n_treated + n_control, n_pre + n_post
    rng = np.random.default_rng(seed)
    base = _panel_base(rng, g, t_len, baseline=baseline, unit_sd=unit_sd, sigma=sigma,
                       rho=ar1, overdispersion=overdispersion)
    unit = np.repeat(np.arange(g), t_len)
    period = np.tile(np.arange(t_len), g)
    d = ((unit < n_treated) & (period >= n_pre)).astype(int)
    y = stats.poisson.ppf(rng.random(g * t_len), base * np.where(d > 0, effect, 1.0))
    months = pd.period_range("2020-01", periods=t_len, freq="M").astype(str)
    return pd.DataFrame({"area": [f"A{u:02d}" for u in unit], "month": months[period],
                         "count": y.astype(int), "treated": d})


def _panel_base(rng, g, t_len, *, baseline, unit_sd, sigma, rho, overdispersion):
    """Expected counts without the effect: area level x latent AR(1) noise x gamma."""
    u = rng.normal(0.0, unit_sd, g) - unit_sd**2 / 2
    e = np.zeros((g, t_len))
    if sigma > 0:
        e[:, 0] = rng.normal(0.0, sigma, g)
        shocks = rng.normal(0.0, sigma * math.sqrt(1 - rho**2), (g, t_len))
        for t in range(1, t_len):
            e[:, t] = rho * e[:, t - 1] + shocks[:, t]
    lam = baseline * np.exp(u[:, None] + e)
    if overdispersion is not None:
        lam = lam * rng.gamma(overdispersion, 1 / overdispersion, (g, t_len))
    return lam.ravel()


def _cluster_reject(fit, y, d, unit, period, effect, alpha) -> bool:
    try:
        f = fit(y, d[:, None], ["att"], fixed_effects=[unit, period], family="poisson",
                se="cluster", clusters=unit)
    except Exception:  # separation (no treated event) or a degenerate panel
        return False
    return _rejects(float(f.params[0]), float(f.se()[0]), effect, alpha, f.df_t)


def _signs(rng, g: int, boot_reps: int) -> np.ndarray:
    if 2**g <= boot_reps:  # every sign vector once
        return 1.0 - 2.0 * ((np.arange(2**g)[:, None] >> np.arange(g)) & 1)
    return rng.choice([-1.0, 1.0], size=(boot_reps, g))


def _wild_score_reject(y, d, unit, period, effect, alpha, signs) -> bool:
    """Restricted wild cluster score bootstrap test of ``att = 0`` (Kline & Santos 2012).

    Under the null the Poisson two-way fixed-effects fit of a complete panel has the
    closed form ``mu_it = y_i. y_.t / y_..``; the score of ``att`` is ``sum x~ (y - mu)``
    with ``x~`` the treatment partialled out of the fixed effects (weights ``mu``). The
    statistic ``S / sqrt(sum_g s_g^2)`` is compared with its sign-flipped replications.
    """
    from evalkit.core.absorb import demean

    g = int(unit.max()) + 1
    total = y.sum()
    if total <= 0:
        return False
    row = np.bincount(unit, weights=y, minlength=g)
    col = np.bincount(period, weights=y)
    mu = row[unit] * col[period] / total
    ok = mu > 0
    if not ok.any():
        return False
    xt = np.zeros(len(y))
    xt[ok] = demean(d[ok, None], [unit[ok], period[ok]], weights=mu[ok])[:, 0]
    s = np.bincount(unit, weights=xt * (y - mu), minlength=g)
    norm = math.sqrt(float(np.sum(s**2)))
    if norm <= 0:
        return False
    t_obs = s.sum() / norm
    t_boot = (signs @ s) / norm
    p = float(np.mean(np.abs(t_boot) >= abs(t_obs) - 1e-12))
    return p < alpha and (t_obs < 0) == (effect < 1)


# -- MDE from a fitted result --------------------------------------------------------------
_DEFAULT_TERMS = ("level_change", "att", "att_simple", "wdd_total")


def mde_from_result(
    result: EvaluationResult,
    *,
    power: float = 0.8,
    term: str | None = None,
    direction: Literal["decrease", "increase"] = "decrease",
) -> float:
    """Minimum detectable effect implied by a fitted result's standard error.

    ``exp(∓(q + z_power) · se)`` for log-scale terms (``level_change``, ``att`` of a
    Poisson DiD: a rate ratio) and ``∓(q + z_power) · se`` for additive ones, with ``q``
    the critical value the result used for its interval (``z_{1−α/2}``, or the t
    quantile of a small-sample reference), recovered from the interval itself.

    Parameters
    ----------
    result : EvaluationResult
        An ITS, DiD, staggered or WDD result.
    power : float
        Target power (default 0.8).
    term : str, optional
        Effects term; default the first of ``level_change``, ``att``, ``att_simple``,
        ``wdd_total`` present.
    direction : {"decrease", "increase"}
        A fall (rate ratio below 1, negative additive change; the default) or a rise.

    Returns
    -------
    float
        A rate ratio for log-scale terms (0.82 = an 18 % fall), else a change on the
        term's own scale.
    """
    check_choice("direction", direction, ("decrease", "increase"))
    _power(power)
    if not isinstance(result, EvaluationResult):
        raise SpecError("mde_from_result needs an EvaluationResult (from ek.its, ek.did, "
                        f"...); got {type(result).__name__}.")
    terms = list(result.effects["term"])
    if term is None:
        term = next((t for t in _DEFAULT_TERMS if t in terms), None)
        if term is None:
            raise SpecError(f"no default term in this {result.method} result; give term= "
                            f"(available: {', '.join(terms)}).")
    row = result.effect(term)
    se = float(row["std_error"])
    if not (np.isfinite(se) and se > 0):
        raise SpecError(f"term {term!r} has no standard error, so no detectable effect can "
                        "be derived from it (the WDQ has none: use the WDD result).")
    if row["scale"] not in ("log", "additive"):
        raise SpecError(f"term {term!r} is on the {row['scale']!r} scale; an MDE needs a "
                        "log or additive term.")
    q = (float(row["ci_high"]) - float(row["estimate"])) / se
    if not np.isfinite(q) or q <= 0:
        q = float(stats.norm.ppf(1 - float(result.spec.get("alpha", 0.05)) / 2))
    shift = (q + float(stats.norm.ppf(power))) * se
    sign = -1.0 if direction == "decrease" else 1.0
    return math.exp(sign * shift) if row["scale"] == "log" else sign * shift


def mde_note(result: EvaluationResult, *, power: float = 0.8, term: str | None = None
             ) -> Caveat:
    """The report sentence for :func:`mde_from_result` (a Caveat: ``.render("fr")``).

    "With this data, only a change larger than 18% could be detected with 80% power: ..."
    """
    value = mde_from_result(result, power=power, term=term)
    row = result.effect(term or next(t for t in _DEFAULT_TERMS
                                     if t in set(result.effects["term"])))
    if row["scale"] == "log":
        return Caveat("power_mde_ratio", pct=100 * (1 - value), power_pct=round(100 * power))
    return Caveat("power_mde_additive", mde=abs(value), power_pct=round(100 * power))


def mde_notes(result: EvaluationResult, *, power: float = 0.8) -> dict[str, Caveat]:
    """The MDE sentence of every effects term it can be derived for, keyed by term.

    What a report's headline adds when its interval includes no change, in the units of
    the headline: a term with a relative interval (a rate ratio, or the ITS cumulative
    effect) gets a % MDE — the relative interval is symmetric on the log scale, so its
    half-width is ``q · se`` of the log ratio and the MDE is ``1 − exp(−(q + z_power) · se)``
    with ``q = z_{1−α/2}`` — and a log or additive term gets :func:`mde_note`. Terms with
    neither (no standard error, another scale) are left out.
    """
    notes = {}
    for row in result.effects.to_dict(orient="records"):
        lo, hi = row.get("relative_ci_low"), row.get("relative_ci_high")
        if row.get("scale") != "log" and lo is not None and hi is not None and pd.notna(lo) \
                and pd.notna(hi) and 0 < lo < hi < math.inf:
            q = float(stats.norm.ppf(1 - float(result.spec.get("alpha", 0.05)) / 2))
            se = (math.log(hi) - math.log(lo)) / (2 * q)
            ratio = math.exp(-(q + float(stats.norm.ppf(power))) * se)
            notes[row["term"]] = Caveat("power_mde_ratio", pct=round_percent(100 * (1 - ratio)),
                                        power_pct=round(100 * power))
            continue
        try:
            notes[row["term"]] = mde_note(result, power=power, term=row["term"])
        except EvalkitError:
            continue
    return notes


# -- shared --------------------------------------------------------------------------------
def _sandwich_se(x, means, j, *, theta, sigma, rho, theta_fit, blocks=None) -> float:
    """SE of coefficient ``j`` from ``A⁻¹ B A⁻¹`` (see the module docstring).

    ``means`` and ``blocks`` are the expected counts and design rows of each independent
    unit (one block for a single series).
    """
    blocks = [x] if blocks is None else blocks
    extra = math.exp(sigma**2) * (1 + (1 / theta if theta else 0.0)) - 1
    a = np.zeros((x.shape[1], x.shape[1]))
    b = np.zeros_like(a)
    for xb, m in zip(blocks, means, strict=True):
        lag = np.abs(np.subtract.outer(np.arange(len(m)), np.arange(len(m))))
        cov = np.outer(m, m) * (np.exp(sigma**2 * rho**lag) - 1) if sigma else \
            np.zeros((len(m), len(m)))
        cov[np.diag_indices_from(cov)] = m + m**2 * extra
        dw = 1 / (1 + m / theta_fit) if theta_fit else np.ones(len(m))
        a += xb.T @ (xb * (m * dw)[:, None])
        b += (xb * dw[:, None]).T @ cov @ (xb * dw[:, None])
    a_inv = np.linalg.pinv(a)
    return math.sqrt(float((a_inv @ b @ a_inv)[j, j]))


def _analytic_mde(se_at, alpha: float, power: float) -> float:
    k = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    rr = 1.0
    for _ in range(50):
        new = math.exp(-k * se_at(rr))
        if abs(new - rr) < 1e-10:
            return new
        rr = new
    return rr


def _analytic_power(effect: float, se: float, alpha: float) -> float:
    z = float(stats.norm.ppf(1 - alpha / 2))
    shift = abs(math.log(effect)) / se
    return float(stats.norm.cdf(shift - z))  # the right direction only, as simulated


def _grid(effects: Sequence[float] | None, analytic: float) -> list[float]:
    if effects is None:
        log_mde = math.log(analytic)
        return [round(math.exp(f * log_mde), 4) for f in _GRID]
    try:
        values = [float(e) for e in effects]
    except (TypeError, ValueError):
        raise SpecError(f"effects must be a list of rate ratios, e.g. [0.7, 0.8, 0.9]; got "
                        f"{effects!r}.") from None
    if not values or any(not (v > 0 and np.isfinite(v)) or v == 1 for v in values):
        raise SpecError(f"effects must be positive rate ratios other than 1; got {effects!r}.")
    return sorted(set(values))


def _crossing(table: pd.DataFrame, power: float, alpha: float) -> float:
    """Where the simulated power of falls first reaches ``power`` (log-linear interpolation,
    on the running maximum so Monte Carlo wiggles cannot create several crossings)."""
    falls = table[table["effect"] < 1].sort_values("effect", ascending=False)
    if falls.empty:
        return math.nan
    size = np.abs(np.log(falls["effect"].to_numpy()))
    pw = np.maximum.accumulate(falls["power_simulated"].to_numpy())
    size = np.concatenate([[0.0], size])
    pw = np.concatenate([[alpha / 2], pw])
    hit = np.flatnonzero(pw >= power)
    if not hit.size:
        return math.nan
    i = int(hit[0])
    if i == 0:
        return 1.0
    frac = (power - pw[i - 1]) / (pw[i] - pw[i - 1])
    return math.exp(-(size[i - 1] + frac * (size[i] - size[i - 1])))


def _result(table, text, analytic, simulated, method, alpha, power, params, notes):
    mde = simulated if method != "analytic" else analytic
    return PowerResult(mde=float(mde), table=table, method=text,
                       analytic_mde=None if method == "simulation" else float(analytic),
                       simulated_mde=None if simulated is None else float(simulated),
                       alpha=alpha, power=power, parameters=params, notes=tuple(notes))


def _int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise SpecError(f"{name} must be a whole number >= {low}; got {value!r}.")
    return int(value)


def _power(power: object) -> float:
    if isinstance(power, bool) or not isinstance(power, int | float) or not 0 < power < 1:
        raise SpecError(f"power must be strictly between 0 and 1 (e.g. 0.8); got {power!r}.")
    return float(power)


def _common(baseline, overdispersion, ar1, alpha, power, reps, seed) -> None:
    if isinstance(baseline, bool) or not isinstance(baseline, int | float) or \
            not (baseline > 0 and math.isfinite(baseline)):
        raise SpecError(f"baseline must be a positive expected count per period; got "
                        f"{baseline!r}.")
    if overdispersion is not None and (isinstance(overdispersion, bool) or not isinstance(
            overdispersion, int | float) or not overdispersion > 0):
        raise SpecError(f"overdispersion must be a positive negative-binomial shape or None; "
                        f"got {overdispersion!r}.")
    if isinstance(ar1, bool) or not isinstance(ar1, int | float) or not -1 < ar1 < 1:
        raise SpecError(f"ar1 must be strictly between -1 and 1; got {ar1!r}.")
    check_alpha(alpha)
    _power(power)
    _int(reps, "reps", 10)
    _int(seed, "seed", 0)


def _noise_sd(ar1: float, noise_sd: float | None) -> float:
    if noise_sd is None:
        return 0.1 if ar1 else 0.0
    if isinstance(noise_sd, bool) or not isinstance(noise_sd, int | float) or \
            not noise_sd >= 0:
        raise SpecError(f"noise_sd must be a number >= 0; got {noise_sd!r}.")
    return float(noise_sd)
