"""A simulated reoffending cohort and comparison pool with a known programme effect.

A programme cohort (e.g. prisoners released from one prison into a resettlement scheme) and a
national pool of comparable offenders differ on age, sex, prior convictions and offence
type, and these also drive reoffending, so a naive comparison of the two groups is biased.
Matching or weighting on the propensity score recovers the true effect.

Within each group the covariates are independent: age is normal (same spread, rounded and
kept between 18 and 75), prior convictions are Poisson, sex and offence type categorical.
The log odds of being in the programme are therefore (up to the rounding) linear in age and
prior convictions with one term per sex and offence type: a main-effects logistic propensity
model is correctly specified.

Reconviction events follow a gamma–Poisson (negative binomial) model. Without the programme
an offender's expected number of events is ::

    m0 = baseline × exp(−0.03 (age − 35) + 0.08 (priors − 4) + 0.25 male + offence effect)

(offence effect: violence 0, acquisitive +0.3, drugs +0.1, other −0.2); with it,
``m1 = effect × m0``. Given a gamma frailty of shape ``overdispersion`` (mean 1), the
probability of at least one event is ``1 − (1 + m / k)^(−k)``. ``reoffended`` is
``reconviction_events ≥ 1``. The truth is the expected effect on the treated cohort as
simulated (conditional on its covariates): the relative reduction in events is exactly
``1 − effect``; the one in the binary rate is computed from the formula above.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.simulate.common import SimulatedCity, _int, _positive, _round, _seed
from evalkit.errors import SpecError

__all__ = ["OFFENCE_TYPES", "simulate_cohort"]

#: Offence types of the index offence and their effect on the log expected events.
OFFENCE_TYPES: dict[str, float] = {"violence": 0.0, "acquisitive": 0.3, "drugs": 0.1,
                                   "other": -0.2}
_OFFENCE_SHARES = {"comparison": (0.30, 0.30, 0.20, 0.20),
                   "treated": (0.25, 0.42, 0.17, 0.16)}
_AGE_MEAN, _AGE_SD, _AGE_SHIFT = 35.0, 10.0, -4.0
_PRIORS_MEAN, _PRIORS_LOG_SHIFT = 4.0, 0.35
_MALE_SHARE, _MALE_LOGIT_SHIFT = 0.82, 0.5
_COEF = {"age": -0.03, "priors": 0.08, "male": 0.25}


def _expected_events(frame: pd.DataFrame, baseline: float) -> np.ndarray:
    offence = frame["offence_type"].map(OFFENCE_TYPES).to_numpy(float)
    lin = (_COEF["age"] * (frame["age"].to_numpy(float) - _AGE_MEAN)
           + _COEF["priors"] * (frame["prior_convictions"].to_numpy(float) - _PRIORS_MEAN)
           + _COEF["male"] * (frame["sex"].to_numpy() == "male") + offence)
    return baseline * np.exp(lin)


def _p_any(m: np.ndarray, shape: float) -> np.ndarray:
    return 1.0 - (1.0 + m / shape) ** (-shape)


def _group(n: int, *, treated: bool, confounding: float,
           rng: np.random.Generator) -> pd.DataFrame:
    c = confounding if treated else 0.0
    age = np.clip(np.round(rng.normal(_AGE_MEAN + c * _AGE_SHIFT, _AGE_SD, n)), 18, 75)
    priors = rng.poisson(_PRIORS_MEAN * np.exp(c * _PRIORS_LOG_SHIFT), n)
    logit_male = np.log(_MALE_SHARE / (1 - _MALE_SHARE)) + c * _MALE_LOGIT_SHIFT
    male = rng.random(n) < 1 / (1 + np.exp(-logit_male))
    base = np.array(_OFFENCE_SHARES["comparison"])
    shares = base * (np.array(_OFFENCE_SHARES["treated"]) / base) ** c
    offence = rng.choice(list(OFFENCE_TYPES), size=n, p=shares / shares.sum())
    return pd.DataFrame({"programme": int(treated), "age": age.astype(int),
                         "sex": np.where(male, "male", "female"),
                         "prior_convictions": priors.astype(int), "offence_type": offence})


def simulate_cohort(
    *,
    n_treated: int = 500,
    n_comparison: int = 3000,
    effect: float = 0.80,
    baseline: float = 0.9,
    overdispersion: float = 2.0,
    confounding: float = 1.0,
    engagement: float = 0.7,
    seed: int = 2026,
) -> SimulatedCity:
    """Simulate a programme cohort and a comparison pool with a known effect on reoffending.

    Parameters
    ----------
    n_treated, n_comparison : int
        Sizes of the programme cohort and of the comparison pool.
    effect : float
        True rate ratio of reconviction events in the programme cohort (1 = no effect, 0.8 =
        a 20 % relative reduction).
    baseline : float
        Expected reconviction events per untreated offender aged 35, female, with 4 prior
        convictions and a violent index offence.
    overdispersion : float
        Shape of the gamma frailty (smaller = more overdispersed counts).
    confounding : float
        Strength of the differences between the groups (0 = the cohort is a random sample
        of the pool's population, 1 = default: younger, more prior convictions, more men
        and more acquisitive offences in the cohort).
    engagement : float
        Share of the cohort who engaged with the programme (column ``engaged``; people with
        fewer prior convictions engage more). Not used by the effect: everyone in the cohort
        receives ``effect``, as in an intention-to-treat design.
    seed : int

    Returns
    -------
    SimulatedCity
        ``data``: one row per offender with ``person_id, programme, age, sex,
        prior_convictions, offence_type, engaged, reoffended, reconviction_events``
        (``engaged`` is empty in the comparison pool). ``truth``: the parameters and, for
        the cohort, the expected untreated and treated binary rates and events per 100, the
        differences and the relative reductions.

    Raises
    ------
    SpecError
        Sizes below 2, a non-positive effect, baseline or overdispersion, negative
        confounding, an engagement share outside [0, 1] or a bad seed.
    """
    seed = _seed(seed)
    n_treated = _int(n_treated, "n_treated", 2)
    n_comparison = _int(n_comparison, "n_comparison", 2)
    effect = _positive(effect, "effect")
    baseline = _positive(baseline, "baseline")
    overdispersion = _positive(overdispersion, "overdispersion")
    if isinstance(confounding, bool) or not isinstance(confounding, int | float) \
            or not 0 <= confounding < 10:
        raise SpecError(f"confounding must be a number from 0 (none) to below 10, got "
                        f"{confounding!r}")
    if isinstance(engagement, bool) or not isinstance(engagement, int | float) \
            or not 0 <= engagement <= 1:
        raise SpecError(f"engagement must be a share between 0 and 1, got {engagement!r}")
    rng = np.random.default_rng(seed)
    frame = pd.concat([_group(n_treated, treated=True, confounding=confounding, rng=rng),
                       _group(n_comparison, treated=False, confounding=confounding, rng=rng)],
                      ignore_index=True)
    treated = frame["programme"].to_numpy() == 1
    m0 = _expected_events(frame, baseline)
    m = np.where(treated, effect * m0, m0)
    frailty = rng.gamma(overdispersion, 1 / overdispersion, len(frame))
    events = rng.poisson(m * frailty)
    # engagement: more likely with fewer prior convictions; a share `engagement` engages
    score = -0.15 * frame["prior_convictions"].to_numpy(float) + rng.logistic(size=len(frame))
    cut = np.quantile(score[treated], 1 - engagement) if engagement < 1 else -np.inf
    engaged = pd.array(np.where(treated, (score >= cut).astype(int) if engagement > 0 else 0,
                                0), dtype="Int64")
    engaged[~treated] = pd.NA
    frame.insert(0, "person_id", [f"P{i:05d}" for i in range(1, len(frame) + 1)])
    frame["engaged"] = engaged
    frame["reoffended"] = (events > 0).astype(int)
    frame["reconviction_events"] = events.astype(int)
    # shuffle so that group membership cannot be read from the row order
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    cohort = frame[frame["programme"] == 1]
    truth = {
        "generator": "evalkit.data.simulate_cohort.simulate_cohort",
        "seed": seed,
        "parameters": {"n_treated": n_treated, "n_comparison": n_comparison,
                       "effect": effect, "baseline": baseline,
                       "overdispersion": overdispersion, "confounding": float(confounding),
                       "engagement": float(engagement)},
        "design": {"treated": "programme", "outcomes": {"binary": "reoffended",
                                                        "frequency": "reconviction_events"},
                   "covariates": ["age", "sex", "prior_convictions", "offence_type"],
                   "estimand": "att (the programme cohort, engaged or not)"},
        "effects": _truth(cohort, baseline=baseline, effect=effect, shape=overdispersion),
        "notes": ("Expectations are over the reoffending process given the cohort's "
                  "covariates; rates per 100 offenders; difference = treated - untreated "
                  "(negative = less reoffending); relative_reduction = (untreated - "
                  "treated) / untreated."),
    }
    return SimulatedCity(frame, truth)


def _truth(cohort: pd.DataFrame, *, baseline: float, effect: float,
           shape: float) -> dict[str, Any]:
    m0 = _expected_events(cohort, baseline)
    m1 = effect * m0
    out: dict[str, Any] = {}
    for measure, (r0, r1) in {"binary": (_p_any(m0, shape), _p_any(m1, shape)),
                              "frequency": (m0, m1)}.items():
        untreated, treated = 100 * r0.mean(), 100 * r1.mean()
        out[measure] = {"untreated_per_100": _round(untreated),
                        "treated_per_100": _round(treated),
                        "difference_per_100": _round(treated - untreated),
                        "relative_reduction": _round(1 - treated / untreated)}
    return out
