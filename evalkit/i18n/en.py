"""English texts. Keys and placeholders must match fr.py exactly (tested)."""

TEXT: dict[str, str] = {
    # -- synthetic control template --
    "synth.title": "Synthetic control: {outcome}",
    "synth.headline": (
        "After the start, {noun} in the partnership area differed from its synthetic control "
        "by {est} per {freq_name} on average ({level}% CI {lo} to {hi}); permutation p-value "
        "{p} against {n} placebo areas."),
    "synth.headline.noci": (
        "After the start, {noun} in the partnership area differed from its synthetic control "
        "by {est} per {freq_name} on average; permutation p-value {p} against {n} placebo "
        "areas (too few placebos for a {level}% interval)."),
    "synth.design": (
        "A <b>synthetic control</b> (Abadie, Diamond & Hainmueller 2010) builds the "
        "comparison for a single area as a weighted average of other areas (the donors), "
        "chosen so that it tracks the area's own series before the start. After the start, "
        "the gap between the area and its synthetic twin estimates the effect. Whether the "
        "gap is unusual is judged by giving the same treatment to every donor in turn "
        "(placebos)."),
    "synth.design.weakness": (
        "It can be trusted only if the synthetic control follows the area closely before the "
        "start, and if no donor was itself affected by the partnership (for example through "
        "displacement). Noisy monthly counts in a small area make a close fit hard: see the "
        "checks below."),
    "synth.plot.title": "{outcome}: the partnership area and its synthetic control",
    "synth.plot.y": "{outcome} per {freq_name}",
    "synth.plot.observed": "Partnership area (observed)",
    "synth.plot.synthetic": "Synthetic control",
    "synth.plot.gap_title": "Gap: the partnership area against the placebo areas",
    "synth.plot.gap_y": "Observed minus synthetic",
    "synth.plot.gap": "Partnership area",
    "synth.plot.placebo": "Placebo areas (donors treated in turn)",
    "synth.weights": "Donor weights",
    "synth.weight": "Weight",
    "synth.methods": (
        "Donor weights on the simplex minimise the pre-period mean squared gap (or, with "
        "predictors, a nested optimisation of their importance as in the R Synth package). "
        "Inference by placebo in space: {n} donors refitted as if treated; the p-value is the "
        "share of areas whose post/pre RMSPE ratio is at least the treated one; intervals "
        "invert this test under a constant additive effect (for a % change: the observed level "
        "against the untreated level each accepted effect implies). Placebo in time and "
        "leave-one-out donors check robustness."),
    "synth.ref": (
        "References: Abadie A, Diamond A, Hainmueller J (2010), J Am Stat Assoc 105:493–505; "
        "Abadie A, Gardeazabal J (2003), Am Econ Rev 93:113–132."),
    "report.diag.pre_fit": (
        "Pre-period fit — RMSPE is {statistic:.2f} times its reference: for counts, the "
        "error that count noise alone would leave with a perfect fit (a close fit stays "
        "below a limit of 1.1 to 1.7, higher with fewer pre-periods); for other outcomes, "
        "the standard deviation of the area's series (a close fit is below 0.5)."),
    "report.diag.placebo_space": (
        "Placebo in space — post/pre RMSPE ratio {statistic:.2f}, permutation p {p}."),
    "report.diag.placebo_time": (
        "Placebo in time — average gap {statistic:.3g} after a fake start in the "
        "pre-period (should be close to 0)."),
    "report.diag.leave_one_out": (
        "Leave-one-out donors — the effect changes by at most {statistic:.3g} when one donor "
        "is left out (passed when its sign never changes)."),
    # -- reoffending cohorts (evalkit.designs.cohort, templates/reoffending.ipynb) --
    "cohort.title": "Reoffending: the programme cohort against a matched comparison",
    "cohort.cohort": "Programme cohort",
    "cohort.pool": "Comparison pool",
    "cohort.measures": "Measures",
    "cohort.people": "{n:,} people",
    "cohort.measure.binary": "reoffenders per 100 offenders (binary rate)",
    "cohort.measure.frequency": "reoffences per 100 offenders (frequency)",
    "cohort.adjustment.match": "matching",
    "cohort.adjustment.weight": "weighting",
    "cohort.comparison.match": "the matched comparison group",
    "cohort.comparison.weight": "the weighted comparison group",
    "cohort.headline.binary": (
        "{treated} in 100 people of the programme cohort reoffended, against {comparison} "
        "in 100 for {group}: {change}."),
    "cohort.headline.frequency": (
        "The programme cohort had {treated} proven reoffences (or reconviction events) per "
        "100 offenders, against {comparison} for {group}: {change}."),
    "cohort.change.reduction": "a relative reduction of {pct}% ({level}% CI {lo}% to {hi}%)",
    "cohort.change.increase": "a relative increase of {pct}% ({level}% CI {lo}% to {hi}%)",
    "cohort.change.undefined": "no relative change can be computed (a rate is zero)",
    "cohort.payment.headline": (
        "Outcome payment: the threshold is a {threshold}% reduction in {measure}. The "
        "estimate {verdict} it; the probability that the true reduction exceeds it is "
        "{prob}%."),
    "cohort.payment.passes": "reaches",
    "cohort.payment.fails": "does not reach",
    "cohort.data": (
        "{n:,} individuals: {n_treated:,} in the programme cohort (everyone, whether or not "
        "they engaged) and {n_comparison:,} in the comparison pool."),
    "cohort.data.matched": (
        "{n_matched:,} of the {n_treated:,} people in the cohort were matched to {n_used:,} "
        "people of the comparison pool."),
    "cohort.data.weighted": (
        "Everyone is kept; the comparison pool is weighted to resemble the cohort (effective "
        "sample size {ess:,.0f})."),
    "cohort.design": (
        "People who join a programme differ from other offenders (age, criminal history, "
        "offence), and these differences also drive reoffending, so a raw comparison is "
        "biased. A <b>propensity score</b> (Rosenbaum & Rubin 1983) summarises them: the "
        "probability of being in the cohort given the covariates, from a logistic regression. "
        "Comparing the cohort with people of the pool who had the same score compares like "
        "with like on these covariates. Everyone in the cohort counts, whether or not they "
        "engaged (intention to treat), as in the Peterborough social impact bond, which paid "
        "on reconviction events per 100 released prisoners against a propensity-matched "
        "national comparison."),
    "cohort.design.match": (
        "Each person in the cohort is matched to {ratio} {ratio:person|people} of the pool with the "
        "nearest score ({replace}), {caliper}."),
    "cohort.design.replace.True": "with replacement: one person of the pool can be reused",
    "cohort.design.replace.False": "without replacement: each person of the pool is used once",
    "cohort.design.caliper": (
        "no further than {caliper} standard deviations of the logit of the score; people "
        "without such a match are left out"),
    "cohort.design.no_caliper": "without a caliper: every person in the cohort is matched",
    "cohort.design.weight": (
        "Everyone in the pool is weighted by the odds of their score, e / (1 − e), so the "
        "weighted pool has the cohort's covariate profile; nobody is left out."),
    "cohort.design.weakness": (
        "The comparison is only as good as the covariates: differences that were not "
        "recorded (motivation, family support, the prison regime) are not adjusted for. "
        "Check the balance table and the overlap of scores below."),
    "cohort.table.note": (
        "Rates per 100 offenders; differences per 100 offenders (percentage points for the "
        "binary rate). A positive relative reduction means less reoffending in the cohort."),
    "cohort.table.measure": "Measure",
    "cohort.table.treated": "Programme cohort",
    "cohort.table.comparison": "Comparison after {adjustment}",
    "cohort.table.difference": "Difference ({level}% CI)",
    "cohort.table.reduction": "Relative reduction ({level}% CI)",
    "cohort.table.unadjusted": "Before adjustment: the raw groups",
    "cohort.unadjusted.note": (
        "The raw comparison ignores who is in each group; it shows how much the adjustment "
        "matters. Exact intervals (Clopper–Pearson for the binary rate, Poisson for the "
        "frequency)."),
    "cohort.table.treated_all": "Programme cohort ({level}% CI)",
    "cohort.table.pool": "Whole comparison pool ({level}% CI)",
    "cohort.table.naive": "Naive difference",
    "cohort.yes": "yes",
    "cohort.no": "no",
    "cohort.payment.title": "Outcome-payment test",
    "cohort.payment.measure": "Measure judged",
    "cohort.payment.threshold": "Payment threshold (relative reduction)",
    "cohort.payment.estimate": "Estimated relative reduction ({level}% CI)",
    "cohort.payment.point": "The point estimate reaches the threshold",
    "cohort.payment.lower": "The lower confidence bound reaches the threshold",
    "cohort.payment.probability": "Probability that the true reduction exceeds the threshold",
    "cohort.payment.note": (
        "The probability comes from the normal approximation of the log rate ratio that "
        "gives the confidence interval: it reads the uncertainty of the estimate, it is not "
        "the chance that the programme works. The Peterborough bond paid for a 10% reduction "
        "in one cohort or 7.5% over the whole pilot."),
    "cohort.balance.title": "Covariate balance",
    "cohort.balance.covariate": "Covariate",
    "cohort.balance.mean_treated": "Mean, cohort",
    "cohort.balance.mean_before": "Mean, whole pool",
    "cohort.balance.mean_after": "Mean, pool after {adjustment}",
    "cohort.balance.smd_before": "SMD before",
    "cohort.balance.smd_after": "SMD after {adjustment}",
    "cohort.balance.vr_after": "Variance ratio after {adjustment}",
    "cohort.balance.note": (
        "SMD: standardised mean difference, the difference in means divided by the pooled "
        "standard deviation of the unadjusted groups; an absolute value of 0.1 or less is "
        "usually taken as balanced. A variance ratio near 1 is good. For a text covariate "
        "each level is a share between 0 and 1."),
    "cohort.methods": (
        "Propensity score: logistic regression of cohort membership on the covariates (main "
        "effects, text covariates one-hot encoded), fitted by Newton's method. Rates: mean "
        "outcome of the (matched) cohort against the mean of its comparison, per 100 "
        "offenders. Effect on the treated (ATT) = difference of the two; relative reduction "
        "= (comparison − cohort) / comparison."),
    "cohort.methods.match": (
        "Nearest-neighbour matching on the logit of the score; without replacement the "
        "cohort is matched greedily in a random order drawn from the seed, in one round per "
        "match. Standard errors: Abadie & Imbens (2006) matching variance, which accounts "
        "for reused comparisons (the score is treated as known)."),
    "cohort.methods.weight": (
        "Odds weighting for the effect on the treated. Standard errors: M-estimation "
        "sandwich stacking the logistic model with the weighted means, so the estimation of "
        "the score is accounted for."),
    "cohort.methods.relative": (
        "The interval of the relative reduction comes from the delta method on the log of "
        "the rate ratio (cohort / comparison), mapped back; the payment probability uses "
        "the same normal approximation."),
    "cohort.ref": (
        "References: Rosenbaum PR, Rubin DB (1983), Biometrika 70:41–55; Austin PC (2011), "
        "Pharm Stat 10:150–161 (caliper 0.2); Abadie A, Imbens GW (2006), Econometrica "
        "74:235–267; Jolliffe D, Hedderman C (2014), Peterborough Social Impact Bond: final "
        "report on cohort 1 analysis, Ministry of Justice."),
    "cohort.plot.love.title": "Covariate balance before and after {adjustment}",
    "cohort.plot.love.x": "Standardised mean difference, cohort − pool (in pooled SD)",
    "cohort.plot.love.y": "Covariate",
    "cohort.plot.before": "Before (whole pool)",
    "cohort.plot.after": "After {adjustment}",
    "cohort.plot.limit": "Balance limit (±0.1)",
    "cohort.plot.overlap.title": "Propensity scores of the cohort and the comparison pool",
    "cohort.plot.overlap.x": "Propensity score (probability of being in the cohort, 0 to 1)",
    "cohort.plot.overlap.y": "Share of the group (%)",
    "cohort.plot.treated": "Programme cohort",
    "cohort.plot.pool": "Whole comparison pool",
    "cohort.plot.adjusted": "Comparison after {adjustment}",
    "report.diag.covariate_balance": (
        "Covariate balance — largest absolute standardised mean difference after adjustment "
        "{statistic:.3f} (balanced at 0.1 or less)."),
    "report.diag.overlap": (
        "Overlap — {statistic:.1%} of the cohort have a propensity score outside the range "
        "of the comparison pool."),
    "report.diag.treated_matched": (
        "Matched cohort — {statistic:.1%} of the cohort found a comparison within the "
        "caliper."),
    "report.diag.outcome_payment": (
        "Outcome payment — probability {statistic:.0%} that the true relative reduction "
        "exceeds the threshold (passed when the point estimate reaches it)."),
    "caveat.cohort_treated_dropped": (
        "{n} of the {n_treated} people in the cohort ({share:.0%}) had no comparison within "
        "the caliper ({caliper} SD) and were left out: the estimate is the effect on the "
        "matched part of the cohort, not on the whole cohort. Widen the caliper or use "
        "weighting to keep everyone."),
    "caveat.cohort_ratio_short": (
        "{n} {n:person|people} in the cohort found fewer than {ratio} comparisons within the "
        "caliper; they keep those found."),
    "caveat.cohort_reuse": (
        "Matching with replacement: {n_distinct} people of the pool serve as comparisons for "
        "{n_matched} people in the cohort, one of them up to {max_uses} times."),
    "caveat.cohort_heavy_weight": (
        "One person of the pool carries {share:.0%} of the comparison weight (effective "
        "sample size {ess:.0f} of {n}): the estimate rests on few people. Consider matching "
        "with a caliper instead."),
    "caveat.cohort_imbalance": (
        "Covariates still imbalanced after adjustment (|standardised mean difference| "
        "above {limit}): {covariates}. Residual confounding may bias the estimate: add "
        "squares or interactions of these covariates, use a caliper or more comparisons."),
    "caveat.cohort_small_events": (
        "Few outcome events (cohort {n_t}, comparison {n_c}; fewer than {limit} in a group): "
        "the intervals rely on large-sample approximations and may be too narrow."),
    "caveat.cohort_zero_rate": (
        "A rate is zero, so the relative reduction has no interval: read the difference "
        "per 100 instead."),
    # -- displacement template --
    "disp.title": "Displacement: {outcome}",
    "disp.response": "Partnership area",
    "disp.buffer": "Neighbouring area (buffer)",
    "disp.control": "Control area",
    "disp.buffer_control": "Control for the buffer",
    "disp.headline": (
        "Relative to the control areas, {noun} changed by {local} in the partnership area "
        "({level}% CI {local_lo} to {local_hi}) and by {disp} next door ({disp_lo} to "
        "{disp_hi}): a net change of {total} ({total_lo} to {total_hi})."),
    "disp.design": (
        "Two measures answer “did crime just move next door?”. The <b>weighted displacement "
        "difference</b> (WDD, Wheeler & Ratcliffe 2018) compares the change in the "
        "partnership area with the change in a control area, and the change in the "
        "neighbouring buffer with the change in its own control; it comes with a standard "
        "error. The <b>weighted displacement quotient</b> (WDQ, Bowers & Johnson 2003) "
        "relates the buffer's relative change to the partnership area's: above 0, benefits "
        "spread to the neighbours (diffusion); below 0, crime moved there (displacement); "
        "at −1 or below, displacement cancels the gain. It has no standard error, so it is "
        "always read with the WDD."),
    "disp.design.weakness": (
        "Both rest on the control areas: if they changed for other reasons, so do the "
        "measures. Displacement to places outside the buffer or to other offence types is "
        "not measured."),
    "disp.plot.title": "{outcome}: before and after the start, by area",
    "disp.plot.x": "Area",
    "disp.plot.y": "{outcome} (count over the window)",
    "disp.plot.before": "Before ({n} periods)",
    "disp.plot.after": "After ({n} periods)",
    "disp.part.local": "Local effect (partnership area vs control)",
    "disp.part.displacement": "Displacement (buffer vs its control)",
    "disp.part.total": "Net effect",
    "disp.col.crimes": "Change in counts",
    "disp.measure.sm": "Success measure (SM)",
    "disp.measure.bm": "Buffer measure (BM)",
    "disp.measure.wdq": "Weighted displacement quotient (WDQ = BM / SM)",
    "disp.measure.tne": "Total net effect (TNE: crimes prevented if positive, more crimes if negative)",
    "disp.methods": (
        "With R, D, C, Dc the counts of the partnership area, buffer, control and buffer "
        "control, b before and a after: SM = Ra/Ca − Rb/Cb, BM = Da/Ca − Db/Cb, WDQ = BM/SM "
        "(computed only when SM &lt; 0 and no count is 0), TNE = [Rb·Ca/Cb − Ra] + "
        "[Db·Ca/Cb − Da]; WDD = (ΔR − ΔC) + (ΔD − ΔDc), Var = sum of the eight counts "
        "(Poisson), z = WDD/√Var."),
    "disp.ref": (
        "References: Bowers KJ, Johnson SD (2003), J Quant Criminol 19:275–301; Wheeler AP, "
        "Ratcliffe JH (2018), Crime Science 7:11."),
    # -- design choice (did template) --
    "caveat.choice_common": (
        "Every partnership area started at the same date ({start}): two-way fixed effects "
        "compare them with the other areas, and the event study shows the periods before "
        "and after."),
    "caveat.choice_staggered": (
        "The partnership started at {n} different dates (staggered roll-out). Two-way fixed "
        "effects can then be biased, because areas that started earlier serve as controls "
        "for later ones; group-time estimates (Callaway & Sant'Anna 2021) compare each "
        "cohort only with areas not yet or never treated. The two-way estimate is shown for "
        "comparison, with its Goodman-Bacon decomposition."),
    "caveat.choice_requested": "The design was set by the evaluator (design = {design}).",
    "caveat.choice_not_yet_treated": (
        "No area is never treated: later cohorts serve as controls (not-yet-treated)."),
    "caveat.choice_few_treated": (
        "Only {n_treated} treated of {n_units} areas: ordinary cluster-robust tests "
        "over-reject with so few clusters, so p-values and intervals come from a wild "
        "cluster bootstrap (linear model) or randomization inference (Poisson)."),
    "report.choice": "Why this design",
    "report.comparison": "For comparison: two-way fixed effects",
    "staggered.design": (
        "<b>Group-time difference-in-differences</b> (Callaway & Sant'Anna 2021) estimates "
        "one effect per cohort of areas (areas that started in the same period) and per "
        "period, each from a clean comparison with areas not yet or never treated, then "
        "averages them. The outcome is modelled in levels, so the effect is a difference in "
        "{outcome} per area and {freq_name}."),
    "staggered.methods": (
        "ATT(g,t) by the {estimator} estimator with {control} as comparison group and a "
        "{base} base period; aggregations weighted by cohort size as R's did::aggte."),
    "staggered.control.never_treated": "never-treated areas",
    "staggered.control.not_yet_treated": "not-yet-treated areas",
    "staggered.base.varying": "varying",
    "staggered.base.universal": "universal",
    "staggered.ref": (
        "Reference: Callaway B, Sant'Anna PHC (2021). Difference-in-differences with multiple "
        "time periods. J Econometrics 225:200–230."),
    "did.term.att_simple": "Average effect over all treated areas and periods",
    "did.term.att_group": "Average of the cohort effects",
    "did.term.att_event": "Average over periods since the start",
    "did.term.att_calendar": "Average over calendar periods",
    "did.term.cohort": "Areas starting in {g}",
    # -- readable names of common outcome columns (used when no outcome_label is given) --
    "label.burglary": "Burglaries",
    "label.robbery": "Robberies",
    "label.violence": "Violent offences",
    "label.antisocial_behaviour": "Antisocial behaviour",
    "noun.burglary": "burglaries",
    "noun.robbery": "robberies",
    "noun.violence": "violent offences",
    "noun.antisocial_behaviour": "antisocial behaviour incidents",
    "noun.default": "recorded events",
    "word.area": "area",
    "word.areas": "areas",
    "report.data.series": (
        "{n_periods} {freq_plural}, from {first} to {last}, for {n_units} {areas} summed into "
        "one series."),
    "report.headline.caveats": "{n} {n:caveat applies|caveats apply}: see “Checks and caveats” below.",
    "report.diag.accounted": "taken into account by the model",
    "report.table.change": "Change ({level}% CI)",
    "report.event_table": "Event-study coefficients",
    "demo.partnership": "Prevention council: night patrols with local businesses",
    # -- caveats and notes recorded in results (Caveat codes) ------------------------------
    "caveat.autocorrelation_ols": (
        "The residuals are autocorrelated (lag-1 r = {rho:.2f}, Ljung–Box p {p:p}): "
        "confidence intervals are likely too narrow. Re-run with se='ar1' (GLS with AR(1) "
        "errors) or use a control series; if the model has no seasonality, try adding it."),
    "caveat.autocorrelation_counts": (
        "The residuals are autocorrelated (lag-1 r = {rho:.2f}, Ljung–Box p {p:p}): "
        "confidence intervals are likely too narrow. Re-run with se='hac' or use a control "
        "series; if the model has no seasonality, try adding it."),
    "caveat.autocorrelation_hac": (
        "The residuals remain autocorrelated (lag-1 r = {rho:.2f}, Ljung–Box p {p:p}); "
        "Newey–West intervals are known to be too narrow on short autocorrelated series. "
        "Prefer se='ar1' with family='ols', or a control series."),
    "caveat.overdispersion": (
        "The counts are overdispersed (dispersion {dispersion:.2f}, p {p:p}): Poisson "
        "model-based intervals are too narrow. Use family='quasipoisson' or 'negbin', or "
        "se='robust'."),
    "caveat.short_pre_period": (
        "Only {n_pre} monthly periods before the intervention; at least 24 are recommended "
        "to separate trend and seasonality."),
    "caveat.short_post_period": (
        "Only {n_post} {n_post:period|periods} after the intervention: the slope change and the cumulative "
        "effect rest on very little data."),
    "caveat.small_counts": (
        "Very small counts ({before} events before, {after} after): estimates are imprecise "
        "and approximations may fail."),
    "caveat.covid": (
        "The series overlaps the COVID-19 disruption ({start} to {end}), which changed crime "
        "and recording everywhere; check the result with that window excluded or with a "
        "control series."),
    "caveat.ols_rate": (
        "OLS models the rate per {base:,} {exposure}; the cumulative effect is converted back "
        "to counts."),
    "caveat.units_summed": "{n} units summed into the treated series.",
    "caveat.robust_fallback": (
        "No unit or cluster column: heteroskedasticity-robust (HC1) standard errors used "
        "instead of cluster-robust ones."),
    "caveat.unbalanced": "Unbalanced panel: fixed effects absorbed by alternating projections.",
    "caveat.poisson_all_zero": (
        "{n} rows dropped: areas or periods whose counts are all zero carry no information in "
        "a Poisson model with fixed effects."),
    "caveat.dropped_missing": "{n} rows dropped because of missing values in {columns}.",
    "caveat.pre_trend": (
        "The pre-treatment coefficients are jointly different from zero (p {p:p}): "
        "parallel trends are doubtful, so the post-treatment estimates may be biased."),
    "caveat.staggered_event_study": (
        "Treatment starts at {n} different dates. With effects that change over time, TWFE "
        "event-study coefficients can mix in other periods' effects (Sun & Abraham 2021); "
        "compare with a group-time (Callaway–Sant'Anna) estimator."),
    "caveat.staggered_twfe": (
        "Treatment starts at {n} different dates (staggered roll-out). Two-way fixed effects "
        "can then be biased when effects vary over time, because already-treated units serve "
        "as controls (Goodman-Bacon 2021); prefer a group-time (Callaway–Sant'Anna) "
        "estimator."),
    "caveat.no_never_treated": (
        "Every unit is treated at some point: the effect is identified only from differences "
        "in timing, with no never-treated comparison."),
    "caveat.switching_off": (
        "Treatment switches off in some units; TWFE then compares switchers with stayers, "
        "which assumes no lasting effect after the switch."),
    "caveat.few_clusters": (
        "Only {n} clusters: cluster-robust standard errors are unreliable below about "
        "{threshold} clusters and intervals tend to be too narrow. Treat them with caution "
        "(a wild cluster bootstrap or permutation inference is more reliable)."),
    "caveat.pre_trend_untestable": (
        "No pre-treatment period is left to test parallel trends (all leads are binned into "
        "the reference period); the pre-trend check cannot fail. Increase leads."),
    "caveat.rho_at_bound": (
        "The estimated AR(1) correlation of the errors is at its bound ({rho:.2f}): the series "
        "may be non-stationary (a random walk), and the intervals are unreliable. Model the "
        "trend better or use a control series."),
    "caveat.bacon_forbidden": (
        "{share:.0%} of the TWFE estimate's weight comes from comparisons that use "
        "already-treated areas as controls (Goodman-Bacon decomposition): if the effect "
        "changes over time, these comparisons bias the estimate."),
    "caveat.bacon_skipped_model": (
        "The Goodman-Bacon decomposition was not computed: it applies to the linear TWFE "
        "without covariates or weights."),
    "caveat.bacon_skipped_data": (
        "The Goodman-Bacon decomposition was not computed: it needs a balanced panel with a "
        "0/1 treatment that never switches off."),
    "report.diag.randomization": (
        "Randomization inference — p {p} when the partnership is re-assigned to other areas "
        "(agrees with the reported test when marked passed)."),
    "report.diag.sensitivity": (
        "Sensitivity to violations of parallel trends (Rambachan & Roth 2023) — the average "
        "effect stays significant unless post-period violations exceed {statistic:.2f} times "
        "the largest pre-period one (passed when at least 1)."),
    "report.diag.displacement": (
        "Displacement to the buffer — z = {statistic:.2f}, p {p} (a significant positive "
        "change next door would mean crime moved there)."),
    "report.diag.survey_reliability": (
        "Survey cells — {statistic:.0f} of the 4 cells (treated and comparison areas, before "
        "and after) too small or too imprecise to publish (fewer than 30 respondents or a "
        "relative standard error above 50%)."),
    "report.diag.wdq": "Weighted displacement quotient — WDQ = {statistic:.2f}.",
    "report.diag.bacon": (
        "Goodman-Bacon decomposition — share of the weight from comparisons with "
        "already-treated areas: {statistic:.1%}."),
    "caveat.inference_wild": (
        "Few (treated) clusters: the p-value and interval come from a wild cluster "
        "bootstrap-t with Webb weights and the null imposed ({reps} replications), which "
        "holds its level where cluster-robust t tests over-reject."),
    "caveat.inference_permutation_ci": (
        "Few treated areas: the p-value comes from randomization inference (re-assigning the "
        "partnership to other areas). No interval is shown: the cluster-robust one would be "
        "too narrow and could contradict the p-value. For an interval, model rates or log "
        "counts with family ols, where the wild cluster bootstrap applies."),
    "caveat.few_treated": (
        "Only {n} treated {n:unit|units}: cluster-robust inference over-rejects with so few treated "
        "clusters; prefer permutation (placebo) inference or synthetic control."),
    # -- survey difference in differences (evalkit.designs.survey_did) -------------------
    "caveat.survey_unreliable": (
        "Survey cells below the publication rule (fewer than {min_n} respondents or a "
        "relative standard error above {rse_max:.0%}): {cells}; the difference in "
        "differences rests on unreliable shares; pool more waves or areas."),
    "caveat.survey_caution": (
        "Survey cells with a relative standard error between {rse_low:.0%} and "
        "{rse_max:.0%}: {cells}. Read their shares with caution."),
    # -- staggered roll-out (Callaway–Sant'Anna, evalkit.designs.staggered) ---------------
    "caveat.cs_small_cohort": (
        "The cohort first treated in {cohort} has only {n} {n:unit|units}: its group-time effects "
        "rest on very few areas and are imprecise."),
    "caveat.cs_few_clusters": (
        "Only {n} units: the analytic (influence-function) standard errors, clustered by "
        "unit, may be unreliable below about {threshold} units and intervals tend to be "
        "too narrow. Treat them with caution; with so few units permutation (placebo) "
        "inference or synthetic control is more reliable."),
    "caveat.cs_pre_trend": (
        "The pre-treatment group-time effects are jointly different from zero (p {p:p}): "
        "parallel trends are doubtful, so the post-treatment estimates may be biased."),
    "caveat.cs_dropped_first_period": (
        "{n} {n:unit|units} treated in the first period ({first}) or before {n:was|were} dropped: they have "
        "no pre-treatment period to compare with."),
    "caveat.cs_late_cohort_never": (
        "{n} {n:unit|units} first treated after the last period ({last}) {n:is|are} counted as never "
        "treated."),
    "caveat.cs_last_cohort_control": (
        "No unit is never treated: the last cohort ({cohort}, {n} {n:unit|units}) serves as the "
        "comparison group and the periods from its start on were dropped."),
    "caveat.cs_cells_skipped": (
        "{n} group-time {n:effect|effects} could not be estimated for lack of treated or comparison "
        "units: {cells}."),
    # -- plots ------------------------------------------------------------------------------
    "plot.its.title": "{outcome}: observed and expected without the partnership",
    "plot.its.x": "Period ({freq_name})",
    "plot.its.y": "{outcome} ({units})",
    "plot.its.observed": "Observed",
    "plot.its.fitted": "Model fit",
    "plot.its.counterfactual": "Expected without the partnership",
    "plot.its.band": "{level}% confidence band",
    "plot.its.intervention": "Start of the partnership ({period})",
    "plot.its.control_axis": "Control series ({units}, right axis)",
    "plot.its.control": "Control series (observed)",
    "plot.event.title": "{outcome}: effect by period relative to the start",
    "plot.event.x": "Periods since the start of the partnership ({freq_name})",
    "plot.event.y": "Effect on {outcome} (difference from period {reference})",
    "plot.event.y_gt": "{outcome}: effect per area",
    "plot.event.estimate": "Estimate with {level}% confidence interval",
    "plot.event.start": "Start of the partnership",
    "plot.trends.title": "{outcome}: average per area, treated vs comparison",
    "plot.trends.x": "Period",
    "plot.trends.y": "Mean {outcome} per area",
    "plot.trends.treated": "Partnership areas",
    "plot.trends.comparison": "Comparison areas",
    "plot.rates.title": "{indicator} per {per} {exposure}",
    "plot.rates.x": "Period",
    "plot.rates.y": "Rate per {per} {exposure}",
    "plot.rates.band": "{level}% exact confidence interval",
    "plot.season.title": "{indicator}: average by {season_name}",
    "plot.season.x": "{season_name}",
    "plot.season.y": "Mean count per {freq_name}",
    "units.count_per_period": "count per {freq_name}",
    "units.rate": "per {per} {exposure}",
    "freq.M": "month",
    "freq.Q": "quarter",
    "freq.Y": "year",
    "freq.W": "week",
    "freq.D": "day",
    "freqs.M": "months",
    "freqs.Q": "quarters",
    "freqs.Y": "years",
    "freqs.W": "weeks",
    "freqs.D": "days",
    # -- report: common -----------------------------------------------------------------------
    "report.data": "The data used",
    "report.design": "The design and why it fits",
    "report.results": "Results",
    "report.figures": "Figures",
    "report.diagnostics": "Checks and caveats",
    "report.methods": "Methods appendix",
    "report.parameters": "Parameters and versions",
    "report.who": "Partnership",
    "report.where": "Areas",
    "report.when": "Start",
    "report.what": "Outcome",
    "report.period": "Data period",
    "report.generated": "Generated by evalkit {version} on {date}.",
    "report.data.rows": (
        "{n_obs:,} observations: {n_units} {areas} × {n_periods} {freq_plural}, from "
        "{first} to {last}."),
    "report.data.file": "Data file: {name} (SHA-256 {sha}…).",
    "report.data.none_dropped": "No rows were dropped.",
    "report.data.notes": "Notes on the data:",
    "report.headline.label": "Main finding",
    "report.pct_range": "{lo}% to {hi}%",
    "report.uncertainty.clear": (
        "The {level}% confidence interval excludes no change, so chance alone is an "
        "unlikely explanation."),
    "report.uncertainty.unclear": (
        "The {level}% confidence interval includes no change: the data cannot distinguish "
        "this effect from chance."),
    "report.headline.not_credible": (
        "But the design failed its own check ({why}): this number cannot be read as the "
        "partnership's effect. See the checks below."),
    "report.diag.none": "No diagnostic applies to this design.",
    "report.diag.passed": "passed",
    "report.diag.failed": "needs attention",
    "report.diag.autocorrelation": (
        "Residual autocorrelation — lag-1 correlation {rho:.2f}, Ljung–Box p {p}."),
    "report.diag.overdispersion": (
        "Overdispersion — dispersion statistic {statistic:.2f} (1 = Poisson variance), "
        "p {p}."),
    "report.diag.pre_trend": (
        "Parallel trends before the start — test of the pre-period coefficients, "
        "statistic {statistic:.3g}, p {p}."),
    "report.caveats": "Caveats",
    "report.caveats.none": "No caveat was raised.",
    "report.table.term": "Effect",
    "report.table.p": "p-value",
    "report.param.name": "Parameter",
    "report.param.value": "Value",
    "report.versions": "evalkit {evalkit}, statsmodels {statsmodels}, pandas {pandas}, Python {python}.",
    "report.seed": "Random seed: {seed}.",
    # -- ITS ----------------------------------------------------------------------------------
    "its.title": "Interrupted time series: {outcome}",
    "its.term.level_change": "Immediate change at the start",
    "its.term.slope_change": "Change in the trend, per {freq_name}",
    "its.term.cumulative_effect": "Cumulative effect over the {n_post} {freq_plural} after",
    "its.headline.fall": (
        "{outcome} fell by {pct}% ({level}% CI {lo}% to {hi}%) over the {n_post} "
        "{freq_plural} after the start, relative to what the trend predicted: about {n:,.0f} "
        "fewer {noun} ({n_lo:,.0f} to {n_hi:,.0f})."),
    "its.headline.rise": (
        "{outcome} rose by {pct}% ({level}% CI {lo}% to {hi}%) over the {n_post} "
        "{freq_plural} after the start, relative to what the trend predicted: about {n:,.0f} "
        "more {noun} ({n_lo:,.0f} to {n_hi:,.0f})."),
    "its.headline.unclear": (
        "No clear change in {outcome}: over the {n_post} {freq_plural} after the start it was "
        "{signed}% relative to what the trend predicted ({level}% CI {lo}% to {hi}%)."),
    "its.design": (
        "An <b>interrupted time series</b> compares what was recorded after the start of the "
        "partnership with what the trend before the start predicted for the same period. The "
        "model is a segmented {family_name} regression of the {freq_name}ly series, with "
        "{seasonality_text}{exposure_text}."),
    "its.design.fit": (
        "It fits here because the partnership started at a known date ({intervention}) and "
        "{n_pre} {freq_plural} of data are available before it (at least 24 months of monthly "
        "data, or 8 points of quarterly or yearly data, are recommended)."),
    "its.design.weakness": (
        "Its main weakness: anything else that changed at the same time (another policy, a "
        "change in recording practice) is attributed to the partnership."),
    "its.design.control": (
        "A control series ({control}) that was not exposed to the partnership shares the trend "
        "and seasonality, which guards against such coincidences."),
    "its.design.no_control": (
        "No control series was given; adding one would guard against such coincidences."),
    "its.seasonality.none": "no seasonal adjustment",
    "its.seasonality.month": "one effect per {season_name} for seasonality",
    "its.seasonality.fourier": "{harmonics} pairs of Fourier terms for seasonality",
    "its.exposure": ", and {exposure} as the denominator (an offset)",
    "its.methods": (
        "Model: g(E[y<sub>t</sub>]) = β<sub>0</sub> + β<sub>1</sub> t + β<sub>2</sub> "
        "post<sub>t</sub> + β<sub>3</sub> (t − t<sub>0</sub>) post<sub>t</sub> + seasonality "
        "+ covariates, with g the {link} link. The level change is β<sub>2</sub>, the slope "
        "change β<sub>3</sub> per {freq_name}; for log links they are reported as rate ratios "
        "exp(β). The counterfactual sets β<sub>2</sub> = β<sub>3</sub> = 0; the cumulative "
        "effect is the sum over the post-period of fitted minus counterfactual values; its "
        "p-value, its interval and its % change all come from one delta-method interval for "
        "the log ratio of the two totals."),
    "its.methods.se": "Standard errors: {vcov}.",
    "its.methods.ref": (
        "Reference: Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series "
        "regression for the evaluation of public health interventions: a tutorial. Int J "
        "Epidemiol 46(1):348–355."),
    "family.ols": "linear (least squares)",
    "family.poisson": "Poisson",
    "family.quasipoisson": "quasi-Poisson",
    "family.negbin": "negative binomial",
    "link.ols": "identity",
    "link.count": "log",
    "se.model": "model-based",
    "se.robust": "heteroskedasticity-robust (sandwich)",
    "se.hac": "Newey–West (HAC) with {lags} lags",
    "se.ar1": "generalised least squares with AR(1) errors (correlation estimated by REML)",
    "se.classical": "classical (independent errors)",
    "se.cluster": (
        "cluster-robust by {cluster} ({n_clusters} clusters; small-sample correction as R "
        "fixest's default)"),
    "season.M": "month of the year",
    "season.Q": "quarter",
    "season.W": "week of the year",
    "season.D": "day of the week",
    "season.Y": "year",
    # -- DiD ----------------------------------------------------------------------------------
    "did.title": "Difference-in-differences: {outcome}",
    "did.term.att": "Effect of the partnership (average, treated areas)",
    "did.headline.fall": (
        "In the partnership areas, {outcome} fell by {pct}% ({level}% CI {lo}% to {hi}%) "
        "compared with what the comparison areas suggest would have happened without it."),
    "did.headline.rise": (
        "In the partnership areas, {outcome} rose by {pct}% ({level}% CI {lo}% to {hi}%) "
        "compared with what the comparison areas suggest would have happened without it."),
    "did.headline.unclear": (
        "No clear change in {outcome} in the partnership areas compared with the comparison "
        "areas: {signed}% ({level}% CI {lo}% to {hi}%)."),
    "did.headline.additive": (
        "In the partnership areas, {outcome} changed by {est} per area and period ({level}% "
        "CI {lo} to {hi}) compared with the comparison areas."),
    "did.design": (
        "A <b>difference-in-differences</b> compares the change in {outcome} in the "
        "partnership areas ({n_treated} of {n_units}) with the change in the other areas over "
        "the same {n_periods} {freq_plural}. Area and period fixed effects (two-way fixed "
        "effects) remove stable differences between areas and shocks common to all{model}."),
    "did.design.poisson": "; counts are modelled with Poisson pseudo-likelihood, so the effect is a rate ratio",
    "did.design.assumption": (
        "It relies on <b>parallel trends</b>: without the partnership, both groups would have "
        "evolved alike. The event-study figure shows the differences before the start; they "
        "should hover around zero."),
    "did.methods": (
        "Model: y<sub>it</sub> = α<sub>i</sub> + λ<sub>t</sub> + δ D<sub>it</sub> + "
        "covariates, with D the treated share of the period{poisson}. Fixed effects are "
        "absorbed exactly. The event study replaces D by indicators of the periods relative "
        "to the start, the period before the start being the reference."),
    "did.methods.poisson": ", estimated by Poisson pseudo-maximum likelihood (log link)",
    "did.methods.ref": (
        "References: Wooldridge JM, Introductory Econometrics, ch. 13; Goodman-Bacon A (2021), "
        "Difference-in-differences with variation in treatment timing, J Econometrics "
        "225:254–277."),
    "es.term": "{k:+d} {freq_plural} from the start",
    # -- indicators -------------------------------------------------------------------------
    "ind.title": "Indicator profile: {area}",
    "ind.counts": "Counts and rates",
    "ind.counts.text": (
        "Counts over the last {window_len} ({last}) and the {window_len} before ({previous}); "
        "rates per {per} {exposure} per {freq_name}, with exact (Garwood) {level}% "
        "confidence intervals, and the rate ratio between the two windows."),
    "ind.trends": "Trends",
    "ind.season": "Seasonality",
    "ind.harm": "Harm-weighted totals",
    "ind.harm.text": (
        "Offences weighted by the harm table “{name}” dated {date}. Harm totals are "
        "volatile: a single serious offence can dominate a period."),
    "ind.harm.none": "No harm weight table was given (parameter harm_weights).",
    "ind.survey": "Feeling of insecurity (survey)",
    "ind.survey.text": (
        "Weighted share answering {answers} to the question {question}, with {level}% "
        "confidence intervals ({method}). Cells with an RSE above 25% are flagged, above 50% "
        "or fewer than 30 respondents suppressed."),
    "ind.survey.design": "design-based standard errors",
    "ind.survey.kish": "Kish effective sample size",
    "ind.survey.none": "No survey file was given (parameter survey).",
    "ind.col.area": "Area",
    "ind.col.indicator": "Indicator",
    "ind.col.count_prev": "Count (previous)",
    "ind.col.count_last": "Count (last)",
    "ind.col.rate_prev": "Rate per {freq_name} (previous)",
    "ind.col.rate_last": "Rate per {freq_name} (last)",
    "ind.col.ci_last": "{level}% CI (last)",
    "ind.col.ratio": "Rate ratio",
    "ind.col.ratio_ci": "{level}% CI (ratio)",
    "ind.col.change": "Change",
    "ind.col.harm": "Harm",
    "ind.col.top_share": "Share of harm from the top offence",
    "ind.col.top": "Top offence",
    "ind.col.share": "Share",
    "ind.col.n": "Respondents",
    "ind.col.rse": "RSE",
    "ind.col.reliability": "Reliability",
    "ind.reliability.ok": "ok",
    "ind.reliability.caution": "caution",
    "ind.reliability.suppressed": "suppressed",
    "ind.methods": (
        "Rates: count / exposure × {per}, the exposure summed over the periods counted, so "
        "every rate is per period of the data (per month for monthly data). Exact Poisson (Garwood) intervals: lower = "
        "χ²(α/2; 2x)/2, upper = χ²(1−α/2; 2x+2)/2. Rate ratios between two periods: exact "
        "conditional (binomial) interval. Survey shares: weighted estimates with Wilson "
        "intervals on the effective sample size."),
    # -- indicators: added for the indicators template -------------------------------------
    "ind.all_areas": "all areas",
    "ind.total": "Total of these areas",
    "ind.combined": "{n} areas combined",
    "ind.summary.indicators": "Indicators",
    "ind.summary.exposure": "Denominator",
    "ind.summary.data": "Data file",
    "ind.name.burglary": "Burglary",
    "ind.name.robbery": "Robbery",
    "ind.name.violence": "Violence",
    "ind.name.antisocial_behaviour": "Antisocial behaviour",
    "ind.exposure.population": "residents",
    "ind.exposure.dwellings": "dwellings",
    "disc.lead": "Disclosure control (applied to everything this report shows, results.json included; the models use the exact data):",
    "disc.counts": (
        "counts from {low} to {high} in an area are shown as “{label}”, and any rate, ratio, "
        "change or total computed from them as “–”;"),
    "disc.secondary": (
        "where a total is shown, a second cell is hidden so that no hidden count can be "
        "recovered by subtraction;"),
    "disc.sensitive": "sexual offences, domestic abuse and homicide are not shown below district level;",
    "disc.district": "the areas are districts or larger: counts and all offences are shown;",
    "disc.survey": (
        "survey cells with fewer than {n} respondents or a relative standard error above "
        "{max}% are suppressed, and flagged from {flag}%."),
    "disc.withheld": (
        "Not shown at this geographic level (sensitive offences, disclosure control): {names}."),
    "disc.gaps": (
        "{n} values from counts shown as “{label}” are left out of the figure (disclosure "
        "control)."),
    "ind.trends.text": (
        "Rate per {per} {exposure} per {freq_name}, in every {freq_name}, with its exact "
        "(Garwood) {level}% confidence band; wide bands mean few events."),
    "ind.season.text": (
        "Mean count per {season_name} over {first} – {last}: months that are regularly higher "
        "should not be mistaken for an effect."),
    "ind.col.harm_prev": "Harm (previous)",
    "ind.col.harm_last": "Harm (last)",
    "ind.col.wave": "Wave",
    "ind.col.ci": "{level}% CI",
    "ind.or": "or",
    "ind.survey.question": "“How safe do you feel walking alone in your area after dark?”",
    "ind.survey.no_areas": (
        "None of the selected areas appears in the survey file (areas in the survey: {areas})."),
    "ind.survey.file": "Survey file: {name}, {n:,} respondents.",
    "ind.plot.rates.title": "Recorded offences per {per} {exposure} per {freq_name}",
    "ind.plot.rates.y": "Rate per {per} {exposure} per {freq_name}",
    "plot.season.suptitle": "Mean count by {season_name}",
    "plot.season.months": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
    "ind.counts.window": "Previous window: {previous}; last window: {last}.",
    "ind.season.none": "Yearly data has no seasonality to show.",
    "ind.wave.before": "before",
    "ind.wave.after": "after",
    # -- displacement: WDQ and WDD (evalkit.designs.displacement) -------------------------
    "caveat.wdq_zero_count": (
        "WDQ not computed: a count is 0 ({areas}). The quotient divides by counts and is "
        "undefined or meaningless with empty cells; use the WDD test, or larger areas or "
        "longer windows."),
    "caveat.wdq_no_fall": (
        "WDQ not computed: crime did not fall in the response area relative to the control "
        "area (success measure {sm:+.3f}, not negative), so there is no gain that could "
        "have been displaced (Bowers & Johnson 2003). Report the WDD test instead."),
    "caveat.wdq_small_counts": (
        "Small counts (the smallest is {smallest}): the WDQ has no standard error and a few "
        "crimes more or less can change it a lot; read it together with the WDD test."),
    "caveat.wdq_no_se": (
        "The WDQ is a ratio without a standard error: pair it with the WDD test (ek.wdd) "
        "to judge whether the changes exceed chance."),
    "caveat.wdq_buffer_control_unused": (
        "The buffer control area is not used by the WDQ (the buffer is compared with the "
        "control area, as in Bowers & Johnson 2003); it is used by the WDD test."),
    "caveat.wdq_windows": (
        "Counts summed over {n_before} {n_before:period|periods} before ({before}) and {n_after} "
        "{n_after:period|periods} after ({after}) the start."),
    "caveat.wdq_label_diffusion_exceeds": (
        "WDQ = {wdq:.2f} (above 1): diffusion of benefits to the buffer, larger than the "
        "direct effect."),
    "caveat.wdq_label_diffusion": (
        "WDQ = {wdq:.2f} (between 0 and 1): diffusion of benefits to the buffer."),
    "caveat.wdq_label_no_change": "WDQ = {wdq:.2f}: no change in the buffer area.",
    "caveat.wdq_label_displacement": (
        "WDQ = {wdq:.2f} (between −1 and 0): displacement to the buffer, smaller than the "
        "gain (net benefit)."),
    "caveat.wdq_label_cancels": (
        "WDQ = {wdq:.2f} (−1 or below): displacement to the buffer cancels the gain."),
    "caveat.wdd_local_only": (
        "No buffer areas were given: the WDD test covers the response area only (ΔR − ΔC); "
        "displacement was not measured."),
    "caveat.wdd_unequal_periods": (
        "The before window ({n_before} periods) and the after window ({n_after} periods) "
        "differ in length: before counts were rescaled to the after window, so the WDD is "
        "in crimes over the after window."),
    "caveat.wdd_mde": (
        "With these counts, a net change must reach about {mde_significance:.0f} crimes to "
        "be significant at the {level:g}% level, and about {mde_power:.0f} crimes to be "
        "detected with {power_pct}% power."),
    "caveat.wdd_small_counts": (
        "Small counts (the smallest is {smallest}): the normal approximation behind the WDD "
        "test is rough, and only a net change of about {mde_power:.0f} crimes or more could "
        "be detected with {power_pct}% power."),
    # -- power and minimum detectable effects (evalkit.designs.power) ---------------------
    "caveat.power_few_treated": (
        "With only {n} treated {n:area|areas}, cluster-robust tests reject too often, so this "
        "simulated power is overstated; read it as an upper bound and analyse with wild "
        "bootstrap or permutation inference."),
    "caveat.power_autocorrelation": (
        "The data were simulated with autocorrelated errors (lag-1 correlation {ar1:.2f}): the analytic "
        "MDE assumes correct standard errors, while model-based and HAC intervals are too "
        "narrow on short autocorrelated series, so the simulated power may be inflated."),
    "caveat.power_not_reached": (
        "No effect in the grid reached {power_pct}% power (the largest tested was a rate "
        "ratio of {largest:.2f}): the minimum detectable effect is larger still."),
    "caveat.power_mde_ratio": (
        "With this data, only a change larger than {pct:.2g}% could be detected with "
        "{power_pct}% power: a smaller true effect would probably go unnoticed, so a "
        "non-significant result does not show that there was no effect."),
    "caveat.power_mde_additive": (
        "With this data, only a change larger than {mde:,.3g} in absolute value could be "
        "detected with {power_pct}% power: a smaller true effect would probably go "
        "unnoticed, so a non-significant result does not show that there was no effect."),
    # -- synthetic control (evalkit.designs.synth) -----------------------------------------
    "caveat.synth_convex_hull": (
        "Before the intervention the treated outcome lies outside the range of every donor "
        "in {n} of {n_pre} periods: no weighted average of donors can reproduce it, so the "
        "synthetic control is biased towards the donors' level. Compare with a "
        "difference-in-differences design (which allows a level difference) or model rates "
        "instead of counts."),
    "caveat.synth_poor_fit": (
        "The synthetic control fits the treated unit poorly before the intervention: the "
        "pre-period RMSPE ({rmspe:.3g}) is {ratio:.2f} times the standard deviation of the "
        "treated outcome (a close fit is below {limit}). The gaps after the intervention "
        "then mix the effect with the lack of fit."),
    "caveat.synth_short_pre": (
        "Only {n_pre} periods before the intervention ({recommended} or more recommended): "
        "a close pre-period fit over so few points can arise by chance."),
    "caveat.synth_permutation": (
        "Inference is by permutation (placebo in space, Abadie, Diamond & Hainmueller "
        "2010): each of the {n} placebos is refitted as if treated; the p-value is the share "
        "of placebos and treated whose post/pre RMSPE ratio is at least the treated one. "
        "Intervals invert this test under a constant additive effect (for a % change: the "
        "observed level against the untreated level each accepted effect implies); no "
        "standard error is reported."),
    "caveat.synth_several_treated": (
        "{n} treated units: each is fitted against the untreated donors and the gaps are "
        "averaged. The placebo distribution is that of the average gap of {n} donors at a "
        "time (donor sets used: {sets})."),
    "caveat.synth_few_placebos": (
        "Only {n} {n:placebo|placebos}: the smallest attainable p-value, {p_min:.3g}, exceeds "
        "alpha = {alpha}, so the permutation test cannot detect any effect and the "
        "intervals are unbounded. Add donor units."),
    "caveat.synth_ci_empty": (
        "No constant additive effect is compatible with the placebo distribution: the "
        "post-period gaps vary too much over time. The interval for att is left empty; "
        "read the gaps period by period."),
    "caveat.synth_no_placebo": (
        "placebo=False: no placebo refits, hence no p-values, intervals or robustness "
        "checks."),
    "caveat.synth_constant_predictor": (
        "Predictors that take the same value for every unit carry no information and were "
        "ignored: {predictors}."),
    "caveat.synth_loo_sign": (
        "Leaving out one of these donors reverses the sign of the estimated effect, so the "
        "result hinges on them: {donors}."),
    "caveat.synth_placebo_time": (
        "Placebo in time: refitted with a fake intervention in {fake}, the synthetic "
        "control already departs from the treated unit before the real intervention (mean "
        "gap {gap:.3g}, more than {limit:.3g}); the pre-period fit may not carry over."),
    "caveat.synth_placebo_time_skipped": (
        "Placebo in time skipped: {n_pre} pre-intervention periods are too few to split."),
    # -- evaluation template: designs run and their credibility --
    "caveat.eval_its_first_cohort": (
        "The partnership started at {n_starts} different dates; the interrupted time series "
        "sums the {n} {n:area|areas} that started first, in {start}."),
    "caveat.eval_controlled_its": (
        "{n} treated {n:area|areas}, fewer than {few}: the difference in differences is estimated as "
        "a controlled interrupted time series (the treated series against the comparison "
        "areas' summed series), because cluster-robust intervals with so few treated areas "
        "are far too narrow."),
    "caveat.eval_controlled_its_clusters": (
        "Only {n} areas in all, fewer than {few}: the difference in differences is estimated "
        "as a controlled interrupted time series (the treated series against the comparison "
        "areas' summed series), because cluster-robust intervals with so few areas are too "
        "narrow."),
    "caveat.eval_no_synth": (
        "No synthetic control: it needs exactly one treated area, and there are {n}."),
    "caveat.eval_no_buffer": (
        "No displacement test: no buffer areas were given (parameters buffer and "
        "buffer_control)."),
    "caveat.eval_unchecked": (
        "{design}: its assumption could not be checked (no period before the start to test); "
        "not counted in the agreement or the evidence grade."),
    "caveat.eval_short_pre": (
        "{design}: fewer than 12 periods before the start, too few to learn the trend; not "
        "counted in the agreement or the evidence grade."),
    "caveat.eval_pre_trend": (
        "{design}: the pre-trend test fails (treated and comparison areas already drifted "
        "apart before the start); not counted in the agreement or the evidence grade."),
    "caveat.eval_synth_fit": (
        "{design}: the synthetic control does not follow the area closely before the start; "
        "not counted in the agreement or the evidence grade."),
    "caveat.eval_survey_reliability": (
        "{design}: at least one survey cell is too small or too imprecise to publish; "
        "interpret the survey result with care."),
    # -- evaluation template --
    "eval.title": "Evaluation of the partnership: {outcome}",
    "eval.comparison_areas": "Comparison areas",
    "eval.n_areas": "{n} areas",
    "eval.n_areas.one": "1 area",
    "eval.buffer_areas": "Buffer areas",
    "eval.headline.label": "What the evaluation finds",
    "eval.verdict.reduction": ("The strongest credible design, the {design}, finds a clear "
                               "reduction in {outcome}: {est} ({level}% CI {lo} to {hi})."),
    "eval.verdict.increase": ("The strongest credible design, the {design}, finds a clear "
                              "increase in {outcome}: {est} ({level}% CI {lo} to {hi})."),
    "eval.verdict.no_clear_change": ("The strongest credible design, the {design}, cannot tell "
                                     "the change in {outcome} apart from chance: {est} ({level}% "
                                     "CI {lo} to {hi}); the data are compatible with no effect."),
    "eval.verdict.contested": ("The credible designs disagree: the {a} estimates {a_est} and "
                               "the {b} {b_est}, further apart than chance would put them (test "
                               "of the difference: {p}). At least one of them is biased, so no "
                               "conclusion is drawn on the partnership's effect until the "
                               "reason is found."),
    "eval.verdict.none": ("No design with comparison areas passed its checks, so the data "
                          "cannot support a conclusion about the partnership's effect."),
    "eval.verdict.lowered": ("The {design} estimates a change of {est} in {outcome} ({level}% CI "
                             "{lo} to {hi}), but the partnership areas were chosen after an "
                             "unusual peak (below): a return to normal cannot be told apart "
                             "from the partnership's effect, so no conclusion is drawn."),
    "eval.concern.eval_its_uncalibrated": "interval not calibrated (too few comparison areas)",
    "caveat.eval_its_uncalibrated": (
        "The {design} is not counted: with too few comparison areas its interval could not be "
        "calibrated by placebos, and model-based intervals of district counts are too narrow."),
    "eval.agree.same": ("The {design} ({est}, {level}% CI {lo} to {hi}) does not differ "
                        "significantly from it (test of the difference: {p})."),
    "eval.agree.untested": ("The {design} ({est}) has an interval without bounds, so its "
                            "difference from it cannot be tested."),
    "eval.context": ("For context only: a before/after comparison in the partnership areas, "
                     "without comparison areas, would suggest {est} ({level}% CI {lo} to "
                     "{hi}); it cannot separate the partnership from whatever else changed in "
                     "the city."),
    "caveat.eval_its_citywide": (
        "The {design} is not counted: the comparison areas changed too at the start, so its "
        "before/after change cannot be told apart from that citywide change."),
    "eval.concern.eval_its_citywide": "the whole city changed at the start",
    "eval.credible.best": "yes: the best estimate",
    "eval.credible.context": "yes: context only (no comparison areas)",
    "eval.credible.sensitivity": "sensitivity only: not in the verdict",
    "eval.variant.slope_change": "{design}, with a change of trend after the start",
    "eval.agree.single": "No other credible design with comparison areas could cross-check it.",
    "eval.headline.grade": "Strength of evidence: Maryland Scientific Methods Scale level {level} ({meaning}).",
    "eval.headline.nograde": ("Strength of evidence: below level 2 of the Maryland Scientific "
                              "Methods Scale, because no design passed its checks."),
    "eval.sms.2": "before and after in the partnership area, without comparison areas",
    "eval.sms.3": "a comparison with comparable areas without the partnership",
    "eval.sms.4": "many areas with and without the partnership, compared",
    "eval.sms.text": ("The evidence reaches level {level} of the Maryland Scientific Methods "
                      "Scale: the strongest design that passed its checks is the {design} "
                      "({meaning})."),
    "eval.sms.scale": ("Maryland Scientific Methods Scale (Sherman et al. 1997): 1 correlation "
                       "at one point in time; 2 before/after without comparison; 3 before/after "
                       "with comparable comparison areas; 4 many areas with and without the "
                       "programme, with controls; 5 random assignment. Level 3 is the usual "
                       "minimum for saying what works."),
    "eval.buffer.displacement": ("In the buffer areas, crime rose by about {n} more than in "
                                 "their comparison areas ({level}% CI {lo} to {hi}): displacement."),
    "eval.buffer.diffusion": ("In the buffer areas, crime fell by about {n} more than in their "
                              "comparison areas ({level}% CI {lo} to {hi}): diffusion of "
                              "benefits."),
    "eval.buffer.unclear": ("In the buffer areas the change against their comparison areas "
                            "({level}% CI {lo} to {hi} crimes) shows neither clear "
                            "displacement nor clear diffusion."),
    "eval.survey.clear": ("Residents feeling unsafe after dark: {est} percentage points against "
                          "the comparison areas ({level}% CI {lo} to {hi})."),
    "eval.survey.unclear": ("Residents feeling unsafe after dark: {est} percentage points "
                            "against the comparison areas ({level}% CI {lo} to {hi}), not "
                            "distinguishable from no change."),
    "eval.designs": "Designs used",
    "eval.designs.intro": ("Each design answers the same question — what would have happened "
                           "without the partnership? — with a different comparison. When "
                           "designs resting on different assumptions agree, the conclusion is "
                           "stronger."),
    "eval.comparison": "The designs side by side",
    "eval.comparison.intro": ("Effects on crime are shown as a percentage change against what "
                              "each design estimates would have happened; the displacement "
                              "test counts crimes in the buffer areas and the survey counts "
                              "percentage points."),
    "eval.comparison.overlap": ("Overlapping intervals do not show that two designs agree: the "
                                "verdict compares the strong designs by a test of their "
                                "difference, and takes its best estimate from a design order "
                                "fixed in advance (DiD, then controlled time series, then "
                                "synthetic control), never from the narrowest interval."),
    "eval.table.design": "Design",
    "eval.table.measure": "Measure",
    "eval.table.sms": "SMS level",
    "eval.table.credible": "Passes its checks",
    "eval.unit.percent": "% change",
    "eval.unit.crimes": "crimes in the buffer",
    "eval.unit.percentage_points": "percentage points",
    "eval.no_interval": "no interval",
    "eval.credible.yes": "yes",
    "eval.credible.no": "no: {why}",
    "eval.concern.eval_unchecked": "assumption cannot be checked",
    "eval.emmie.unknown": ("Cost {cost}; the number of crimes prevented could not be computed "
                           "(missing values), so there is no cost per crime prevented."),
    "eval.concern.eval_short_pre": "too few periods before the start",
    "eval.concern.eval_pre_trend": "pre-trend test fails",
    "eval.concern.eval_synth_fit": "poor fit before the start",
    "eval.concern.eval_survey_reliability": "survey cells too small or imprecise",
    "eval.design.its": "interrupted time series",
    "eval.design.controlled_its": "controlled interrupted time series",
    "eval.design.did": "difference in differences",
    "eval.design.staggered_did": "group-time difference in differences",
    "eval.design.synth": "synthetic control",
    "eval.design.wdd": "displacement test (WDD)",
    "eval.design.survey_did": "survey difference in differences",
    "eval.design.event_study": "event study",
    "eval.forest.title": "{outcome}: the estimate of each design",
    "eval.and": " and the ",
    "eval.forest.x": "Change against the design's counterfactual (%, {level}% CI)",
    "eval.methods.controlled_its": "Methods: controlled interrupted time series",
    "eval.methods.did": "Methods: difference in differences",
    "eval.methods.staggered_did": "Methods: group-time difference in differences",
    "eval.forest.not_credible": "* hollow, grey: fails its own check, not counted",
    "eval.evidence": "Strength of evidence",
    "eval.emmie": "EMMIE summary",
    "eval.emmie.intro": ("EMMIE (Johnson, Tilley & Bowers 2015) asks five questions of any "
                         "crime-prevention evidence. Effect comes from the designs above; "
                         "mechanism, moderators and implementation are the evaluators' own "
                         "account; economics uses the cost they gave."),
    "eval.emmie.part": "Question",
    "eval.emmie.finding": "What this evaluation says",
    "eval.emmie.effect": "Effect",
    "eval.emmie.mechanism": "Mechanism",
    "eval.emmie.moderators": "Moderators",
    "eval.emmie.implementation": "Implementation",
    "eval.emmie.economics": "Economics",
    "eval.emmie.missing": "Not documented by the evaluators.",
    "eval.emmie.no_cost": "No cost was given (parameter cost), so the cost per crime prevented is not computed.",
    "eval.emmie.no_effect": "Cost {cost}; no credible design, so no cost per crime prevented.",
    "eval.emmie.none_prevented": ("Cost {cost}. The {design} estimates {prevented} {noun} "
                                  "prevented ({level}% CI {p_lo} to {p_hi}): no crime prevented "
                                  "can be claimed, so there is no cost per crime prevented."),
    "eval.emmie.cost": ("Cost {cost}. The {design} estimates {prevented} {noun} prevented "
                        "({level}% CI {p_lo} to {p_hi}): {per} per crime prevented ({lo} to "
                        "{hi})."),
    "eval.emmie.cost_unbounded": ("Cost {cost}. The {design} estimates {prevented} {noun} "
                                  "prevented ({level}% CI {p_lo} to {p_hi}): {per} per crime "
                                  "prevented, at least {lo}; the interval includes no crime "
                                  "prevented, so there is no upper bound."),
    "eval.figures": "Each design in detail",
    "ind.survey.did.title": "Change against the other surveyed areas",
    "ind.survey.did.clear": (
        "Between the {before} and the {after} wave, the share feeling unsafe in the selected "
        "areas changed by {est} percentage points relative to the other surveyed areas "
        "(difference in differences, {level}% CI {lo} to {hi}; {method})."),
    "ind.survey.did.unclear": (
        "Between the {before} and the {after} wave, the share feeling unsafe in the selected "
        "areas changed by {est} percentage points relative to the other surveyed areas "
        "(difference in differences, {level}% CI {lo} to {hi}; {method}): not "
        "distinguishable from no difference."),
    "ind.survey.did.suppressed": (
        "The change between the {before} and the {after} wave against the other surveyed "
        "areas is not shown: at least one of its cells is too small or too imprecise."),
    # -- evaluation: always-treated areas, failed designs, cohorts named, rows by design --
    "caveat.eval_always_treated": (
        "{n} areas were under the partnership from their first period in the data "
        "({areas}): with no period before the start, no design can compare them with "
        "anything, so they are left out of every design."),
    "caveat.eval_always_treated_one": (
        "One area, {areas}, was under the partnership from its first period in the data: "
        "with no period before the start, no design can compare it with anything, so it is "
        "left out of every design."),
    "caveat.eval_its_first_cohort_one": (
        "The partnership started at {n_starts} different dates; the interrupted time series "
        "follows the area that started first, {area}, in {start}."),
    "caveat.eval_not_run_its": (
        "The {design} could not be estimated on these data: {message} It needs enough "
        "periods before the first start ({start}): data that begin earlier, or a simpler "
        "model (seasonality none, slope_change false), let it run."),
    "caveat.eval_not_run_panel": (
        "The {design} could not be estimated on these data: {message} It needs areas never "
        "under the partnership (parameter comparison) and periods before each start (data "
        "that begin earlier)."),
    "caveat.eval_not_run_synth": (
        "The {design} could not be estimated on these data: {message} It builds the area's "
        "counterfactual from the comparison areas, which need the outcome in every period "
        "(choose them with the parameter comparison)."),
    "caveat.eval_not_run_wdd": (
        "The {design} could not be estimated on these data: {message} It counts {window} "
        "periods before and after the start ({start}): a smaller window (parameter "
        "window), or data covering those periods, let it run."),
    "caveat.eval_no_relative": (
        "{design}: the design gives no percentage change, so it cannot be compared with the "
        "others; not counted in the agreement or the evidence grade."),
    "eval.concern.eval_no_relative": "no percentage change",
    "caveat.eval_small_cohort_one": (
        "The cohort first treated in {cohort} is a single area, {areas}: its group-time "
        "effects rest on that area alone and are imprecise."),
    "caveat.eval_small_cohort": (
        "The cohort first treated in {cohort} has only {n} areas ({areas}): its group-time "
        "effects rest on very few areas and are imprecise."),
    "eval.diag.design": "{design}: ",
    "eval.diag.data": "Check of the data",
    "caveat.eval_autocorrelation": (
        "The residuals are autocorrelated (lag-1 r = {rho:.2f}, Ljung–Box p {p:p}): this "
        "design's confidence intervals are likely too narrow; give more weight to the "
        "designs with comparison areas (with monthly data, seasonality month may account "
        "for it)."),
    "caveat.eval_overdispersion": (
        "The counts are overdispersed (dispersion {dispersion:.2f}, p {p:p}): Poisson "
        "intervals are too narrow. Use family quasipoisson or negbin."),
    "eval.always_treated_areas": "Left out (under the partnership from the first period)",
    # -- h-words: periods counted, plurals (issue 14) ----------------------------------------
    "ind.periods.M": "{n} {n:month|months}",
    "ind.periods.Q": "{n} {n:quarter|quarters}",
    "ind.periods.Y": "{n} {n:year|years}",
    "ind.periods.W": "{n} {n:week|weeks}",
    "ind.periods.D": "{n} {n:day|days}",
    "eval.emmie.more": (
        "Cost {cost}. The {design} estimates {more} more {noun} than without the partnership "
        "({level}% CI {m_lo} to {m_hi} more): no crime prevented can be claimed, so there is "
        "no cost per crime prevented."),
    "eval.emmie.more_unclear": (
        "Cost {cost}. The {design} estimates {more} more {noun} than without the partnership "
        "({level}% CI from {m_lo} fewer to {m_hi} more): no crime prevented can be claimed, "
        "so there is no cost per crime prevented."),
    "caveat.rate_change_wald_zero": (
        "{n} {n:row has|rows have} a zero count, so the Wald interval is (0, inf); use "
        "method='exact'."),
    "caveat.rate_change_small": (
        "{n} {n:row has|rows have} fewer than 10 events in a period: the change is very "
        "uncertain (exact intervals are valid but wide)."),
    "caveat.survey_no_unsafe": (
        "No answer in column {column!r} matches unsafe={unsafe}; values found: {seen}. Check "
        "the labels."),
    "plot.rates.rate": "Rate",
    # -- h-did: clustering, weights, exposure, one treated cluster, auto control group --
    'caveat.cs_control_auto': "Only {n} {n:area is|areas are} never treated, fewer than the {threshold} needed to compare every cohort with them (R did's rule): their own changes would pass for effects. Each cohort is therefore compared with the areas not yet treated at the time (and the never-treated ones) — control group not_yet_treated.",
    'caveat.inference_one_treated_ri': 'Only one treated cluster: the wild cluster bootstrap and cluster-robust intervals are not valid with a single treated cluster (MacKinnon & Webb 2017). The p-value comes from randomization inference (the partnership given to each comparison area in turn) and the interval from inverting that test for a constant effect.',
    'caveat.inference_one_treated_no_ci': "Only one treated cluster: the wild cluster bootstrap and cluster-robust intervals are not valid with a single treated cluster (MacKinnon & Webb 2017). The p-value comes from randomization inference (the partnership given to each comparison area in turn); no confidence interval is given. For an interval, model rates with family='ols' and exposure, or use synthetic control.",
    'caveat.inference_one_treated_none': 'Only one treated cluster: neither cluster-robust nor wild bootstrap inference is valid, so no p-value or interval is given. Give the area and period columns (two-way design) for randomization inference, or use synthetic control.',
    'staggered.methods.cluster': 'Standard errors from the influence functions, summed within each {cluster} ({n} clusters).',
    'staggered.methods.weights': 'Areas are weighted by {weights} (one value per area) in every group-time comparison and in the cohort shares of the averages.',
    'staggered.methods.unweighted': 'Every area counts equally (no weights).',
    'staggered.methods.auto': 'The comparison group was chosen automatically: {control}.',
    'did.term.cohort_one': '{name} (from {g})',
    'did.methods.offset': 'The Poisson model has log({exposure}) as an offset: the effect is a ratio of rates per unit of {exposure}, so growth of {exposure} is not counted as an effect.',
    'did.methods.rate': 'The outcome is modelled as a rate: {outcome} per 100,000 {exposure}.',
    # -- h-synth: ITS seasonality, synthetic-control donors and checks --
    "caveat.synth_left_out_exclude": "Left out of the donors as asked (exclude): {units}.",
    "caveat.synth_left_out_treated": (
        "Left out of the donors because column {column} marks them as treated in some period "
        "of the data: {units}. A donor under the same kind of intervention would make the "
        "synthetic control absorb the effect."),
    "synth.headline.empty": (
        "After the start, {noun} in the partnership area differed from its synthetic control "
        "by {est} per {freq_name} on average; permutation p-value {p} against {n} placebo "
        "areas. The gap varies too much from one {freq_name} to the next for any constant "
        "effect to fit, so there is no {level}% interval: read the gaps {freq_name} by "
        "{freq_name} in the figure."),
    "synth.uncertainty.few": (
        "With {n} placebo areas the smallest attainable p-value is {p_min}, so this test "
        "cannot tell any effect from chance."),
    "synth.plot.trimmed": (
        "Not shown: {n} of {total} placebo areas whose fit before the start is poor (mean "
        "squared prediction error more than {times} times that of {area}, as in Abadie, "
        "Diamond & Hainmueller 2010)."),
    "synth.plot.treated_areas": "the partnership areas",
    "synth.check.placebo_space": (
        "Placebo in space — post/pre RMSPE ratio {statistic:.2f}, compared with {n} placebo "
        "areas: permutation p {p}."),
    "synth.check.stands_out": "the gap stands out from the placebo areas",
    "synth.check.not_out": "the gap does not stand out from the placebo areas",
    "synth.check.few": "too few placebo areas to tell",
    # -- h-disclosure: disclosure in every output ------------------------------------------
    "caveat.wdq_small_counts_hidden": (
        "Small counts (the smallest is below {below}): the WDQ has no standard error and a few "
        "crimes more or less can change it a lot; read it together with the WDD test."),
    "caveat.wdd_small_counts_hidden": (
        "Small counts (the smallest is below {below}): the normal approximation behind the WDD "
        "test is rough, and only a net change of about {mde_power:.0f} crimes or more could "
        "be detected with {power_pct}% power."),
    "caveat.small_counts_hidden": (
        "Very small counts (fewer than {below} events before or after the start): estimates "
        "are imprecise and approximations may fail."),
    "disc.sensitive_figure": (
        "{outcome} is a sensitive offence: its values are not drawn at this geographic level "
        "(disclosure control)."),
    "disc.rates_unchecked": (
        "The observed rates are not drawn: the counts behind them cannot be checked against "
        "disclosure control."),
    # -- h-libs: one interval separator per language (format_interval) ---------------------
    "interval": "{low} to {high}",
    # -- h-sdid: synthetic difference in differences (issue 17) ------------------------
    "eval.design.sdid": "synthetic difference in differences",
    # -- h-conformal: conformal inference for the synthetic control ----------------------------
    "caveat.synth_conformal": (
        "Inference is conformal (Chernozhukov, Wüthrich & Zhu 2021): under each hypothesised "
        "effect the synthetic control is refitted on every period and its residuals are "
        "permuted in moving blocks over the {n} periods it uses; intervals gather the "
        "effects the test does not reject. The interval of the average effect assumes the "
        "same effect in every post period; the cumulative effect is the sum of the gaps "
        "over the post-period. No standard error is reported."),
    "caveat.synth_conformal_few_periods": (
        "Only {n} periods enter each conformal test: the smallest attainable p-value, "
        "{p_min:.3g}, exceeds alpha = {alpha}, so the test cannot detect any effect and the "
        "intervals are unbounded. Use a longer pre-period."),
    # --- issue 17: controlled ITS calibrated by placebo-in-space ---
    "caveat.its_placebo": (
        "Intervals calibrated by placebo-in-space: the controlled ITS was refitted {n} "
        "{n:time|times} with comparison areas (of {areas}) as fake treated areas, and the "
        "variance their effects show beyond the model's is added to the real one's: the "
        "cumulative effect's standard error is {factor:.2f} times the model's (t reference "
        "with {df:.0f} degrees of freedom)."),
    "caveat.its_excluded": (
        "{n:One period|{n} periods} before the start {n:was|were} left out of the fit "
        "(exclude)."),
    "caveat.its_placebo_few": (
        "The controlled ITS interval is not calibrated: placebo-in-space needs at least "
        "{min} comparison areas given as separate areas (unit=, control=[...]), and there "
        "{n:is|are} {n} here. Its model-based interval ignores shocks that last several "
        "months in one area, and is then often too narrow."),
    "caveat.its_placebo_extreme": (
        "The comparison areas' placebo effects vary far more than the model expects: "
        "they widen the cumulative effect's standard error {factor:.1f} times (more than "
        "{max:g}). The controlled ITS describes these series poorly, and even its widened "
        "interval rests on a weak comparison."),
    # the registry's concern codes for a controlled ITS (wired by the integrator)
    "caveat.eval_its_placebo": (
        "{design}: the comparison areas' placebo effects vary far more than the model "
        "expects, so its series describe them poorly; not counted in the agreement or the "
        "evidence grade."),
    "caveat.eval_its_autocorrelation": (
        "{design}: the residuals are autocorrelated and too few comparison areas calibrate "
        "the interval by placebos, which is then too narrow; not counted in the agreement "
        "or the evidence grade."),
    "eval.concern.eval_its_placebo": "placebo areas vary far more than the model expects",
    "eval.concern.eval_its_autocorrelation": "autocorrelated residuals, interval not calibrated",
    "report.diag.placebo_calibration": (
        "Placebo in space — the comparison areas' placebo effects widen the cumulative "
        "effect's standard error {statistic:.2f} times (at most 3 expected); rank of the "
        "real effect among them, p {p}."),
    # --- issue 17: confound checks (citywide change, selection on a peak) ---
    "caveat.eval_citywide_change": (
        "The comparison areas also changed at the start date ({pct:+g}%, p {p:p}): "
        "something citywide happened then, so a before/after comparison without comparison "
        "areas cannot be trusted."),
    "caveat.eval_citywide_change_none": (
        "The comparison areas did not change clearly at the start date ({pct:+g}%, p {p:p}): "
        "no sign of a citywide change then."),
    "caveat.eval_peak_selection": (
        "The partnership areas appear to have been chosen after an unusual peak (in their "
        "last {window} {window:month|months} before the start they were at {ratio:.1f} times "
        "their earlier level, higher than {share:.0f}% of {m:comparison areas|comparison "
        "groups of the same size}): part of any fall may be a return to normal (regression to "
        "the mean). Re-run with exclude_before={window} to leave the selection months out."),
    "caveat.eval_peak_selection_periods": (
        "The partnership areas appear to have been chosen after an unusual peak (in their "
        "last {window} {window:period|periods} before the start they were at {ratio:.1f} "
        "times their earlier level, higher than {share:.0f}% of {m:comparison "
        "areas|comparison groups of the same size}): part of any fall may be a return to "
        "normal (regression to the mean). Re-run with exclude_before={window} to leave the "
        "selection periods out."),
    "caveat.eval_peak_selection_none": (
        "No sign that the partnership areas were chosen after an unusual peak: just before "
        "the start they were at {ratio:.1f} times their earlier level, higher than "
        "{share:.0f}% of {m:comparison areas|comparison groups of the same size}."),
    "eval.concern.eval_citywide_change": "the comparison areas changed too at the start",
    "eval.concern.eval_peak_selection": "areas chosen after an unusual peak",
    "eval.concern.eval_peak_selection_periods": "areas chosen after an unusual peak",
    "caveat.eval_check_not_run_citywide_change": (
        "The check for a citywide change at the start could not be run: {message}"),
    "caveat.eval_check_not_run_peak_selection": (
        "The check for areas chosen after an unusual peak could not be run: {message}"),
    "caveat.eval_peak_excluded": (
        "The partnership areas appear to have been chosen after an unusual peak (just before "
        "the start they were at {ratio:.1f} times their earlier level, higher than "
        "{share:.0f}% of {m:comparison areas|comparison groups of the same size}). {k:The period|"
        "The {k} periods} just before the start {k:was|were} left out of every design, so that a "
        "return to normal after the peak is not counted as the partnership's effect "
        "(parameter exclude_before)."),
    "caveat.eval_excluded": (
        "{k:The period|The {k} periods} just before the start {k:was|were} left out of every "
        "design, as asked (parameter exclude_before)."),
    # --- issue 17: displacement test calibrated on real counts (WDD variance) ---
    "caveat.wdd_placebo": (
        "Each WDD part compares the after count with the count expected from its control's "
        "change (before × control after / control before), and its variance allows for "
        "overdispersed counts and for shocks of single areas, fitted on the {n} control and "
        "buffer control areas at the same dates (dispersion {dispersion:.2f}; beyond counting "
        "noise an area's change varies by about {between_sd:.0f}%)."),
    "caveat.wdd_poisson_auto": (
        "The WDD's variance is the textbook Poisson one (the sum of the counts): area totals "
        "alone cannot show how noisy the counts are. Recorded crime usually varies more than "
        "Poisson counts, so the interval is probably too narrow; give the panel (data=) with "
        "at least {min_placebos} control and buffer control areas for a calibrated test."),
    "caveat.wdd_few_placebos": (
        "Only {n} control and buffer control areas, and at least {min_placebos} are needed "
        "to measure how noisy the counts are: the WDD falls back on the textbook Poisson "
        "variance, too narrow on real counts, so the data cannot tell whether crime moved "
        "to the buffer. Give more control areas."),
    "caveat.wdd_cannot_tell": (
        "The data cannot tell whether crime moved to the buffer: its counts vary so much "
        "that only a rise of about {mde:.0f}% or more would be detected with {power_pct}% "
        "power (a test should detect {max_mde:.0f}%). No significant change here is not "
        "evidence of no displacement; longer windows or larger buffers would help."),
    "report.diag.displacement_power": (
        "Power of the displacement test — the smallest rise in the buffer it would likely "
        "detect is {statistic:.0f}%."),
    "eval.buffer.cannot_tell": ("The data cannot tell whether crime moved to the buffer areas: "
                                "their change against their comparison areas ({level}% CI "
                                "{lo} to {hi} crimes) is too uncertain to detect a plausible "
                                "displacement."),
    "eval.concern.eval_wdd_cannot_tell": "too noisy to detect displacement",
    "caveat.eval_wdd_cannot_tell": (
        "{design}: the buffer counts are too variable, or the comparison areas too few, to "
        "detect a plausible displacement; the test says neither that crime moved nor that it "
        "did not."),
    "disp.cannot_tell": ("The data cannot tell whether crime moved to the buffer: only a rise of "
                         "about {mde}% or more would be detected with {power_pct}% power."),
    "disp.cannot_tell_few": ("The data cannot tell whether crime moved to the buffer: there are "
                             "too few control areas to measure how noisy the counts are."),
    "disp.methods.placebo": (
        "With the default variance (placebo, used when at least 6 control and buffer control "
        "areas are given), each part compares the after count with the count expected from "
        "its control's change (Ra − Rb·Ca/Cb and Da − Db·Dca/Dcb) rather than raw "
        "differences. On the log scale the change of a group of areas has variance "
        "φ(1/Ga + 1/Gb) + κΣw²: counting noise inflated by a dispersion φ ≥ 1, plus "
        "independent shocks of variance κ in each area (w its share of the group's counts). "
        "φ and κ are fitted by weighted least squares on every control and buffer control "
        "area compared with all the others over the same windows."),
    # --- issue 17: synthetic-control fit on the scale of count noise ---
    "caveat.synth_poor_fit_counts": (
        "The synthetic control fits the treated area poorly before the intervention: the "
        "pre-period RMSPE ({rmspe:.3g}) is {ratio:.2f} times the {reference:.3g} that count "
        "noise alone would leave with a perfect fit (a close fit stays below {limit:.2f}). "
        "The gaps after the intervention then mix the effect with the lack of fit."),
}
