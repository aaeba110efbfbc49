"""Staggered roll-out: Callaway & Sant'Anna (2021) group-time average treatment effects.

Districts join a programme in different periods (cohorts). Two-way fixed effects then mix
already-treated units into the comparison (Goodman-Bacon 2021); this design instead
estimates one clean 2x2 comparison per cohort ``g`` and period ``t``, ATT(g,t), and
aggregates them. It follows R ``did`` 2.x (``att_gt`` + ``aggte``) for balanced panels:

* ATT(g,t) compares the change in the outcome between a base period and ``t`` for the
  units first treated in ``g`` with the same change in a comparison group: never-treated
  units, or units not yet treated by ``max(t, base) + anticipation``.
* ``base_period="varying"``: before treatment, ``t`` is compared with the period before it;
  from ``g - anticipation`` on, with ``g - 1 - anticipation`` (the last untreated period).
  ``"universal"``: always ``g - 1 - anticipation`` (that cell is 0 by construction).
* ``method``: ``"reg"`` outcome regression (``DRDID::reg_did_panel``), ``"ipw"``
  normalised inverse probability weighting (``DRDID::std_ipw_did_panel``, Abadie 2005),
  ``"dr"`` the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020),
  ``DRDID::drdid_panel`` — the one R ``did`` calls for panel data with ``est_method="dr"``
  (OLS outcome model for the comparison group, logit propensity score, propensity scores
  of comparison units trimmed at 0.995). Without covariates all three coincide.
* Covariates enter through their value in the earlier of the two periods compared (the
  base period, except before treatment under a universal base), as R ``did`` does.
* Standard errors come from the influence functions, clustered at the unit
  (``se = sqrt(mean(IF^2) / n)``); aggregations include the estimation effect of the
  cohort-share weights, as R ``aggte`` does. ``bootstrap=B`` adds a multiplier bootstrap
  with Mammen weights (R ``did``'s default), bootstrap standard errors (normalised
  interquartile range, as R) and sup-t uniform bands for ATT(g,t) and the event study.

Balanced panels only: units with missing periods are refused with a message naming them
(R ``did`` silently drops such units when ``allow_unbalanced_panel=FALSE``).
"""

from __future__ import annotations

from evalkit.designs.staggered.api import StaggeredExtras, staggered_did

__all__ = ["StaggeredExtras", "staggered_did"]
