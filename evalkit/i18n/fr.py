"""Textes français. Mêmes clés et mêmes champs que en.py (vérifié par les tests)."""

TEXT: dict[str, str] = {
    # -- modèle contrôle synthétique --
    "synth.title": "Contrôle synthétique : {outcome}",
    "synth.headline": (
        "Après le démarrage, l'écart moyen entre le secteur du partenariat et son contrôle "
        "synthétique est de {est} {noun} par {freq_name} (IC à {level} % : {lo} à {hi}) ; "
        "valeur p par permutation {p} face à {n} {n:secteur placebo|secteurs placebo}."),
    "synth.headline.noci": (
        "Après le démarrage, l'écart moyen entre le secteur du partenariat et son contrôle "
        "synthétique est de {est} {noun} par {freq_name} ; valeur p par permutation {p} face "
        "à {n} {n:secteur placebo|secteurs placebo} (trop peu de placebos pour un intervalle à {level} %)."),
    "synth.design": (
        "Un <b>contrôle synthétique</b> (Abadie, Diamond & Hainmueller 2010) construit la "
        "comparaison d'un seul secteur comme une moyenne pondérée d'autres secteurs (les "
        "donneurs), choisie pour suivre la série du secteur avant le démarrage. Après le "
        "démarrage, l'écart entre le secteur et son jumeau synthétique estime l'effet. On juge "
        "si cet écart est inhabituel en traitant tour à tour chaque donneur de la même façon "
        "(placebos)."),
    "synth.design.weakness": (
        "On ne peut s'y fier que si le contrôle synthétique suit de près le secteur avant le "
        "démarrage, et si aucun donneur n'a lui-même été touché par le partenariat (par "
        "exemple par déplacement). Des comptages mensuels bruités dans un petit secteur "
        "rendent l'ajustement difficile : voir les vérifications ci-dessous."),
    "synth.plot.title": "{outcome} : le secteur du partenariat et son contrôle synthétique",
    "synth.plot.y": "{outcome} par {freq_name}",
    "synth.plot.observed": "Secteur du partenariat (observé)",
    "synth.plot.synthetic": "Contrôle synthétique",
    "synth.plot.gap_title": "Écart : le secteur du partenariat face aux secteurs placebo",
    "synth.plot.gap_y": "Observé moins synthétique",
    "synth.plot.gap": "Secteur du partenariat",
    "synth.plot.placebo": "Secteurs placebo (donneurs traités tour à tour)",
    "synth.weights": "Poids des donneurs",
    "synth.weight": "Poids",
    "synth.methods": (
        "Les poids des donneurs, positifs et de somme 1, minimisent l'écart quadratique moyen "
        "d'avant le démarrage (ou, avec des prédicteurs, une optimisation emboîtée de leur "
        "importance comme le package R Synth). Inférence par placebo dans l'espace : {n} "
        "donneurs réestimés comme s'ils étaient traités ; la valeur p est la part des secteurs "
        "dont le rapport RMSPE après/avant atteint celui du secteur traité ; les intervalles "
        "inversent ce test sous un effet additif constant (pour une variation en % : le niveau "
        "observé face au niveau sans intervention qu'implique chaque effet accepté). Placebo "
        "dans le temps et retrait d'un donneur vérifient la robustesse."),
    "synth.ref": (
        "Références : Abadie A, Diamond A, Hainmueller J (2010), J Am Stat Assoc 105:493–505 ; "
        "Abadie A, Gardeazabal J (2003), Am Econ Rev 93:113–132."),
    "report.diag.pre_fit": (
        "Ajustement avant le démarrage — l'erreur quadratique moyenne de prévision (RMSPE) "
        "vaut {statistic:.2f} fois sa référence : pour des effectifs, l'erreur que laisserait "
        "le seul aléa des effectifs avec un ajustement parfait (un bon ajustement reste sous "
        "une limite de 1,1 à 1,7, plus haute quand les périodes avant l'intervention sont "
        "peu nombreuses) ; pour les autres indicateurs, l'écart-type de la série du secteur "
        "(un bon ajustement reste sous 0,5)."),
    "report.diag.placebo_space": (
        "Placebo dans l'espace — rapport RMSPE après/avant {statistic:.2f}, valeur p par "
        "permutation {p}."),
    "report.diag.placebo_time": (
        "Placebo dans le temps — écart moyen {statistic:.3g} après un faux démarrage dans la "
        "période d'avant (devrait être proche de 0)."),
    "report.diag.leave_one_out": (
        "Retrait d'un donneur — l'effet varie au plus de {statistic:.3g} quand un donneur est "
        "retiré (satisfaisant si son signe ne change jamais)."),
    # -- cohortes et récidive (evalkit.designs.cohort, templates/reoffending.ipynb) --
    "cohort.title": "Récidive : la cohorte du programme face à un groupe de comparaison apparié",
    "cohort.cohort": "Cohorte du programme",
    "cohort.pool": "Vivier de comparaison",
    "cohort.measures": "Mesures",
    "cohort.people": "{n:,} personnes",
    "cohort.measure.binary": "récidivistes pour 100 personnes (taux binaire)",
    "cohort.measure.frequency": "nouvelles infractions pour 100 personnes (fréquence)",
    "cohort.adjustment.match": "appariement",
    "cohort.adjustment.weight": "pondération",
    "cohort.comparison.match": "le groupe de comparaison apparié",
    "cohort.comparison.weight": "le groupe de comparaison pondéré",
    "cohort.headline.binary": (
        "{treated} personnes sur 100 de la cohorte du programme ont récidivé, contre "
        "{comparison} sur 100 pour {group} : {change}."),
    "cohort.headline.frequency": (
        "La cohorte du programme compte {treated} nouvelles infractions établies (ou "
        "condamnations) pour 100 personnes, contre {comparison} pour {group} : {change}."),
    "cohort.change.reduction": (
        "une baisse relative de {pct} % (IC à {level} % : {lo} % à {hi} %)"),
    "cohort.change.increase": (
        "une hausse relative de {pct} % (IC à {level} % : {lo} % à {hi} %)"),
    "cohort.change.undefined": "aucune variation relative n'est calculable (un taux est nul)",
    "cohort.payment.headline": (
        "Paiement au résultat : le seuil est une baisse de {threshold} % des {measure}. "
        "L'estimation {verdict} ; la probabilité que la vraie baisse le dépasse est de "
        "{prob} %."),
    "cohort.payment.passes": "l'atteint",
    "cohort.payment.fails": "ne l'atteint pas",
    "cohort.data": (
        "{n:,} personnes : {n_treated:,} dans la cohorte du programme (toutes, qu'elles aient "
        "participé ou non) et {n_comparison:,} dans le vivier de comparaison."),
    "cohort.data.matched": (
        "{n_matched:,} des {n_treated:,} personnes de la cohorte ont été appariées à "
        "{n_used:,} personnes du vivier de comparaison."),
    "cohort.data.weighted": (
        "Tout le monde est conservé ; le vivier de comparaison est pondéré pour ressembler à "
        "la cohorte (taille effective {ess:,.0f})."),
    "cohort.design": (
        "Les personnes qui entrent dans un programme diffèrent des autres (âge, passé "
        "judiciaire, infraction), et ces différences pèsent aussi sur la récidive : une "
        "comparaison brute est biaisée. Un <b>score de propension</b> (Rosenbaum & Rubin "
        "1983) les résume : la probabilité d'appartenir à la cohorte compte tenu des "
        "covariables, estimée par régression logistique. Comparer la cohorte aux personnes "
        "du vivier de même score compare des profils semblables sur ces covariables. Toute "
        "la cohorte compte, que les personnes aient participé ou non (intention de traiter), "
        "comme dans le contrat à impact social de Peterborough, qui payait selon les "
        "condamnations pour 100 sortants de prison face à une comparaison nationale "
        "appariée sur le score de propension."),
    "cohort.design.match": (
        "Chaque personne de la cohorte est appariée à {ratio:une personne|{ratio} personnes} du "
        "vivier au score le plus proche ({replace}), {caliper}."),
    "cohort.design.replace.True": (
        "avec remise : une personne du vivier peut servir plusieurs fois"),
    "cohort.design.replace.False": (
        "sans remise : chaque personne du vivier ne sert qu'une fois"),
    "cohort.design.caliper": (
        "à au plus {caliper} {caliper:écart-type|écarts-types} du logit du score ; les personnes sans appariement "
        "possible sont écartées"),
    "cohort.design.no_caliper": "sans distance maximale : toute la cohorte est appariée",
    "cohort.design.weight": (
        "Chaque personne du vivier est pondérée par la cote de son score, e / (1 − e), de "
        "sorte que le vivier pondéré a le profil de la cohorte ; personne n'est écarté."),
    "cohort.design.weakness": (
        "La comparaison ne vaut que par ses covariables : les différences non enregistrées "
        "(motivation, soutien familial, régime de détention) ne sont pas corrigées. "
        "Vérifiez l'équilibre des covariables et le recouvrement des scores ci-dessous."),
    "cohort.table.note": (
        "Taux pour 100 personnes ; différences pour 100 personnes (points de pourcentage "
        "pour le taux binaire). Une baisse relative positive signifie moins de récidive "
        "dans la cohorte."),
    "cohort.table.measure": "Mesure",
    "cohort.table.treated": "Cohorte du programme",
    "cohort.table.comparison": "Comparaison après {adjustment}",
    "cohort.table.difference": "Différence (IC à {level} %)",
    "cohort.table.reduction": "Baisse relative (IC à {level} %)",
    "cohort.table.unadjusted": "Avant ajustement : les groupes bruts",
    "cohort.unadjusted.note": (
        "La comparaison brute ignore qui compose chaque groupe ; elle montre l'importance de "
        "l'ajustement. Intervalles exacts (Clopper–Pearson pour le taux binaire, Poisson "
        "pour la fréquence)."),
    "cohort.table.treated_all": "Cohorte du programme (IC à {level} %)",
    "cohort.table.pool": "Vivier de comparaison entier (IC à {level} %)",
    "cohort.table.naive": "Différence brute",
    "cohort.yes": "oui",
    "cohort.no": "non",
    "cohort.payment.title": "Test du paiement au résultat",
    "cohort.payment.measure": "Mesure jugée",
    "cohort.payment.threshold": "Seuil de paiement (baisse relative)",
    "cohort.payment.estimate": "Baisse relative estimée (IC à {level} %)",
    "cohort.payment.point": "L'estimation ponctuelle atteint le seuil",
    "cohort.payment.lower": "La borne basse de l'intervalle atteint le seuil",
    "cohort.payment.probability": "Probabilité que la vraie baisse dépasse le seuil",
    "cohort.payment.note": (
        "La probabilité vient de l'approximation normale du log du rapport de taux qui donne "
        "l'intervalle de confiance : elle traduit l'incertitude de l'estimation, ce n'est "
        "pas la chance que le programme marche. Le contrat de Peterborough payait pour une "
        "baisse de 10 % dans une cohorte ou de 7,5 % sur l'ensemble du pilote."),
    "cohort.balance.title": "Équilibre des covariables",
    "cohort.balance.covariate": "Covariable",
    "cohort.balance.mean_treated": "Moyenne, cohorte",
    "cohort.balance.mean_before": "Moyenne, vivier entier",
    "cohort.balance.mean_after": "Moyenne, vivier après {adjustment}",
    "cohort.balance.smd_before": "DMS avant",
    "cohort.balance.smd_after": "DMS après {adjustment}",
    "cohort.balance.vr_after": "Rapport des variances après {adjustment}",
    "cohort.balance.note": (
        "DMS : différence de moyennes standardisée, la différence des moyennes divisée par "
        "l'écart-type commun des groupes non ajustés ; une valeur absolue de 0,1 ou moins "
        "passe pour équilibrée. Un rapport des variances proche de 1 est bon. Pour une "
        "covariable texte, chaque modalité est une part entre 0 et 1."),
    "cohort.methods": (
        "Score de propension : régression logistique de l'appartenance à la cohorte sur les "
        "covariables (effets principaux, covariables texte codées en indicatrices), "
        "estimée par la méthode de Newton. Taux : moyenne du résultat de la cohorte "
        "(appariée) face à la moyenne de sa comparaison, pour 100 personnes. Effet sur les "
        "traités (ATT) = leur différence ; baisse relative = (comparaison − cohorte) / "
        "comparaison."),
    "cohort.methods.match": (
        "Appariement au plus proche voisin sur le logit du score ; sans remise, la cohorte "
        "est appariée de façon gloutonne dans un ordre aléatoire tiré de la graine, en un "
        "tour par appariement. Erreurs-types : variance d'appariement d'Abadie & Imbens "
        "(2006), qui tient compte des comparaisons réutilisées (le score est supposé connu)."),
    "cohort.methods.weight": (
        "Pondération par la cote pour l'effet sur les traités. Erreurs-types : sandwich de "
        "M-estimation empilant le modèle logistique et les moyennes pondérées, ce qui tient "
        "compte de l'estimation du score."),
    "cohort.methods.relative": (
        "L'intervalle de la baisse relative vient de la méthode delta sur le log du rapport "
        "de taux (cohorte / comparaison), ramené à l'échelle d'origine ; la probabilité de "
        "paiement utilise la même approximation normale."),
    "cohort.ref": (
        "Références : Rosenbaum PR, Rubin DB (1983), Biometrika 70:41–55 ; Austin PC (2011), "
        "Pharm Stat 10:150–161 (distance maximale 0,2) ; Abadie A, Imbens GW (2006), "
        "Econometrica 74:235–267 ; Jolliffe D, Hedderman C (2014), Peterborough Social Impact "
        "Bond: final report on cohort 1 analysis, ministère de la Justice britannique."),
    "cohort.plot.love.title": "Équilibre des covariables avant et après {adjustment}",
    "cohort.plot.love.x": "Différence de moyennes standardisée, cohorte − vivier (en écarts-types)",
    "cohort.plot.love.y": "Covariable",
    "cohort.plot.before": "Avant (vivier entier)",
    "cohort.plot.after": "Après {adjustment}",
    "cohort.plot.limit": "Limite d'équilibre (±0,1)",
    "cohort.plot.overlap.title": "Scores de propension de la cohorte et du vivier de comparaison",
    "cohort.plot.overlap.x": (
        "Score de propension (probabilité d'appartenir à la cohorte, de 0 à 1)"),
    "cohort.plot.overlap.y": "Part du groupe (%)",
    "cohort.plot.treated": "Cohorte du programme",
    "cohort.plot.pool": "Vivier de comparaison entier",
    "cohort.plot.adjusted": "Comparaison après {adjustment}",
    "report.diag.covariate_balance": (
        "Équilibre des covariables — plus grande différence de moyennes standardisée (en "
        "valeur absolue) après ajustement : {statistic:.3f} (équilibré à 0,1 ou moins)."),
    "report.diag.overlap": (
        "Recouvrement — {statistic:.1%} de la cohorte a un score de propension hors de "
        "l'étendue de celui du vivier de comparaison."),
    "report.diag.treated_matched": (
        "Cohorte appariée — {statistic:.1%} de la cohorte a trouvé une comparaison dans "
        "la distance maximale."),
    "report.diag.outcome_payment": (
        "Paiement au résultat — probabilité de {statistic:.0%} que la vraie baisse relative "
        "dépasse le seuil (satisfaisant quand l'estimation ponctuelle l'atteint)."),
    "caveat.cohort_treated_dropped": (
        "{n} des {n_treated} personnes de la cohorte ({share:.0%}) {n:n'avait|n'avaient} aucune "
        "comparaison dans la distance maximale ({caliper} {caliper:écart-type|écarts-types}) "
        "et {n:a été écartée|ont été écartées} : "
        "l'estimation porte sur la partie appariée de la cohorte, pas sur toute la cohorte. "
        "Élargissez la distance maximale ou utilisez la pondération pour garder tout le "
        "monde."),
    "caveat.cohort_ratio_short": (
        "{n} {n:personne|personnes} de la cohorte {n:a|ont} trouvé moins de {ratio} comparaisons dans la "
        "distance maximale ; {n:elle garde|elles gardent} celles trouvées."),
    "caveat.cohort_reuse": (
        "Appariement avec remise : {n_distinct} personnes du vivier servent de comparaison à "
        "{n_matched} personnes de la cohorte, l'une jusqu'à {max_uses} fois."),
    "caveat.cohort_heavy_weight": (
        "Une personne du vivier porte {share:.0%} du poids de la comparaison (taille "
        "effective {ess:.0f} sur {n}) : l'estimation repose sur peu de personnes. Préférez "
        "un appariement avec distance maximale."),
    "caveat.cohort_imbalance": (
        "Covariables encore déséquilibrées après ajustement (différence de moyennes "
        "standardisée au-delà de {limit} en valeur absolue) : {covariates}. Un biais de "
        "confusion résiduel est possible : ajoutez des carrés ou interactions de ces "
        "covariables, une distance maximale ou davantage de comparaisons."),
    "caveat.cohort_small_events": (
        "Peu d'événements (cohorte {n_t}, comparaison {n_c} ; moins de {limit} dans un "
        "groupe) : les intervalles reposent sur des approximations asymptotiques et peuvent "
        "être trop étroits."),
    "caveat.cohort_zero_rate": (
        "Un taux est nul : la baisse relative n'a pas d'intervalle ; lisez plutôt la "
        "différence pour 100."),
    # -- modèle déplacement --
    "disp.title": "Déplacement : {outcome}",
    "disp.response": "Secteur du partenariat",
    "disp.buffer": "Zone tampon (voisinage)",
    "disp.control": "Secteur témoin",
    "disp.buffer_control": "Témoin de la zone tampon",
    "disp.headline": (
        "Par rapport aux secteurs témoins, les {noun} ont varié de {local} dans le secteur du "
        "partenariat (IC à {level} % : {local_lo} à {local_hi}) et de {disp} dans le voisinage "
        "({disp_lo} à {disp_hi}) : une variation nette de {total} ({total_lo} à {total_hi})."),
    "disp.design": (
        "Deux mesures répondent à la question « la délinquance s'est-elle simplement "
        "déplacée ? ». Le test de la <b>différence de déplacement pondérée</b> (WDD, Wheeler "
        "& Ratcliffe 2018) compare l'évolution du secteur du partenariat à celle d'un secteur "
        "témoin, et celle de la zone tampon voisine à celle de son propre témoin ; il a une "
        "erreur-type. Le <b>quotient de déplacement pondéré</b> (WDQ, Bowers & Johnson 2003) "
        "rapporte l'évolution relative de la zone tampon à celle du secteur : au-dessus de 0, "
        "les bénéfices s'étendent aux voisins (diffusion) ; en dessous, la délinquance s'y "
        "est déplacée ; à −1 ou moins, le déplacement annule le gain. Sans erreur-type, il se "
        "lit toujours avec le test WDD."),
    "disp.design.weakness": (
        "Les deux reposent sur les secteurs témoins : s'ils ont changé pour d'autres raisons, "
        "les mesures aussi. Un déplacement hors de la zone tampon ou vers d'autres "
        "infractions n'est pas mesuré."),
    "disp.plot.title": "{outcome} : avant et après le démarrage, par secteur",
    "disp.plot.x": "Secteur",
    "disp.plot.y": "{outcome} (nombre sur la fenêtre)",
    "disp.plot.before": "Avant ({n} {n:période|périodes})",
    "disp.plot.after": "Après ({n} {n:période|périodes})",
    "disp.part.local": "Effet local (secteur du partenariat contre témoin)",
    "disp.part.displacement": "Déplacement (zone tampon contre son témoin)",
    "disp.part.total": "Effet net",
    "disp.col.crimes": "Variation du nombre de faits",
    "disp.measure.sm": "Mesure de succès (SM)",
    "disp.measure.bm": "Mesure de la zone tampon (BM)",
    "disp.measure.wdq": "Quotient de déplacement pondéré (WDQ = BM / SM)",
    "disp.measure.tne": "Effet net total (TNE : faits évités si positif, faits en plus si négatif)",
    "disp.methods": (
        "Avec R, D, C, Dc les nombres du secteur du partenariat, de la zone tampon, du témoin "
        "et du témoin de la zone tampon, b avant et a après : SM = Ra/Ca − Rb/Cb, "
        "BM = Da/Ca − Db/Cb, WDQ = BM/SM (calculé seulement si SM &lt; 0 et aucun nombre nul), "
        "TNE = [Rb·Ca/Cb − Ra] + [Db·Ca/Cb − Da] ; WDD = (ΔR − ΔC) + (ΔD − ΔDc), Var = somme "
        "des huit nombres (Poisson), z = WDD/√Var."),
    "disp.ref": (
        "Références : Bowers KJ, Johnson SD (2003), J Quant Criminol 19:275–301 ; Wheeler AP, "
        "Ratcliffe JH (2018), Crime Science 7:11."),
    # -- choix de la méthode (modèle did) --
    "caveat.choice_common": (
        "Tous les secteurs du partenariat ont démarré à la même date ({start}) : le modèle à "
        "double effet fixe les compare aux autres secteurs, et l'étude d'événement montre "
        "les périodes d'avant et d'après."),
    "caveat.choice_staggered": (
        "Le partenariat a démarré à {n} dates différentes (déploiement échelonné). Le modèle "
        "à double effet fixe peut alors être biaisé, car les secteurs entrés plus tôt servent "
        "de témoins aux suivants ; les estimations par cohorte et période (Callaway & "
        "Sant'Anna 2021) comparent chaque cohorte aux seuls secteurs pas encore ou jamais "
        "traités. L'estimation à double effet fixe est donnée pour comparaison, avec sa "
        "décomposition de Goodman-Bacon."),
    "caveat.choice_requested": "La méthode a été fixée par l'évaluateur (design = {design}).",
    "caveat.choice_not_yet_treated": (
        "Aucun secteur n'est jamais traité : les cohortes plus tardives servent de témoins "
        "(pas encore traités)."),
    "caveat.choice_few_treated": (
        "Seulement {n_treated} {n_treated:secteur traité|secteurs traités} sur {n_units} : "
        "les tests par grappe "
        "ordinaires rejettent trop souvent avec si peu de grappes ; valeurs p et intervalles "
        "viennent donc d'un bootstrap sauvage par grappe (modèle linéaire) ou d'une "
        "inférence par permutation (Poisson)."),
    "report.choice": "Pourquoi cette méthode",
    "report.comparison": "Pour comparaison : double effet fixe",
    "staggered.design": (
        "La <b>différence de différences par cohorte et période</b> (Callaway & Sant'Anna "
        "2021) estime un effet par cohorte de secteurs (ceux qui ont démarré à la même période) "
        "et par période, chacun par une comparaison propre avec des secteurs pas encore ou "
        "jamais traités, puis en fait la moyenne. L'indicateur est modélisé en niveau : "
        "l'effet est un écart dans l'unité de l'indicateur ({outcome}), par secteur et par "
        "{freq_name}."),
    "staggered.methods": (
        "ATT(g,t) par l'estimateur {estimator} avec comme groupe de comparaison les {control} "
        "et une période de base {base} ; agrégations pondérées par la taille des cohortes "
        "comme did::aggte sous R."),
    "staggered.control.never_treated": "secteurs jamais traités",
    "staggered.control.not_yet_treated": "secteurs pas encore traités",
    "staggered.base.varying": "glissante",
    "staggered.base.universal": "universelle",
    "staggered.ref": (
        "Référence : Callaway B, Sant'Anna PHC (2021). Difference-in-differences with "
        "multiple time periods. J Econometrics 225:200–230."),
    "did.term.att_simple": "Effet moyen sur l'ensemble des secteurs et périodes traités",
    "did.term.att_group": "Moyenne des effets par cohorte",
    "did.term.att_event": "Moyenne selon le temps écoulé depuis le démarrage",
    "did.term.att_calendar": "Moyenne par période calendaire",
    "did.term.cohort": "Secteurs entrés en {g}",
    # -- noms lisibles des colonnes courantes (quand outcome_label n'est pas fourni) --
    "label.burglary": "Cambriolages",
    "label.robbery": "Vols avec violence",
    "label.violence": "Violences",
    "label.antisocial_behaviour": "Incivilités",
    "noun.burglary": "cambriolages",
    "noun.robbery": "vols avec violence",
    "noun.violence": "faits de violence",
    "noun.antisocial_behaviour": "incivilités",
    "noun.default": "faits enregistrés",
    "word.area": "secteur",
    "word.areas": "secteurs",
    "report.data.series": (
        "{n_periods} {freq_plural}, de {first} à {last}, pour {n_units} {areas}"
        "{n_units:| additionnés en une seule série}."),
    "report.headline.caveats": "{n} {n:réserve s'applique|réserves s'appliquent} : voir « Vérifications et réserves » ci-dessous.",
    "report.diag.accounted": "pris en compte par le modèle",
    "report.table.change": "Variation (IC à {level} %)",
    "report.event_table": "Coefficients de l'étude d'événement",
    "demo.partnership": "Conseil de prévention : patrouilles de nuit avec les commerçants",
    # -- avertissements et notes enregistrés dans les résultats ------------------------------
    "caveat.autocorrelation_ols": (
        "Les résidus sont autocorrélés (r d'ordre 1 = {rho:.2f}, Ljung–Box p {p:p}) : "
        "les intervalles de confiance sont probablement trop étroits. Relancez avec "
        "se='ar1' (MCG avec erreurs AR(1)) ou ajoutez une série témoin ; si le modèle n'a "
        "pas de saisonnalité, essayez de l'ajouter."),
    "caveat.autocorrelation_counts": (
        "Les résidus sont autocorrélés (r d'ordre 1 = {rho:.2f}, Ljung–Box p {p:p}) : "
        "les intervalles de confiance sont probablement trop étroits. Relancez avec "
        "se='hac' ou ajoutez une série témoin ; si le modèle n'a pas de saisonnalité, "
        "essayez de l'ajouter."),
    "caveat.autocorrelation_hac": (
        "Les résidus restent autocorrélés (r d'ordre 1 = {rho:.2f}, Ljung–Box p {p:p}) ; "
        "les intervalles de Newey–West sont connus pour être trop étroits sur des séries "
        "courtes et autocorrélées. Préférez se='ar1' avec family='ols', ou une série témoin."),
    "caveat.overdispersion": (
        "Les comptages sont surdispersés (dispersion {dispersion:.2f}, p {p:p}) : les "
        "intervalles du modèle de Poisson sont trop étroits. Utilisez family='quasipoisson' "
        "ou 'negbin', ou se='robust'."),
    "caveat.short_pre_period": (
        "Seulement {n_pre} mois avant l'intervention ; au moins 24 sont recommandés pour "
        "séparer tendance et saisonnalité."),
    "caveat.short_post_period": (
        "Seulement {n_post} {n_post:période|périodes} après l'intervention : le changement de pente et "
        "l'effet cumulé reposent sur très peu de données."),
    "caveat.small_counts": (
        "Très petits effectifs ({before} {before:fait|faits} avant, {after} après) : estimations "
        "imprécises, les approximations peuvent être fausses."),
    "caveat.covid": (
        "La série recouvre la perturbation liée au COVID-19 ({start} à {end}), qui a modifié "
        "partout la délinquance et son enregistrement ; vérifiez le résultat en excluant "
        "cette fenêtre ou avec une série témoin."),
    "caveat.ols_rate": (
        "Les MCO modélisent le taux pour {base:,} {exposure} ; l'effet cumulé est reconverti "
        "en nombre de faits."),
    "caveat.units_summed": "{n} {n:secteur additionné|secteurs additionnés} dans la série traitée.",
    "caveat.robust_fallback": (
        "Aucune colonne de secteur ou de grappe : erreurs-types robustes à "
        "l'hétéroscédasticité (HC1) au lieu d'erreurs-types par grappe."),
    "caveat.unbalanced": (
        "Panel non cylindré : effets fixes absorbés par projections alternées."),
    "caveat.poisson_all_zero": (
        "{n} {n:ligne écartée|lignes écartées} : les secteurs ou périodes dont tous les comptages sont nuls "
        "n'apportent aucune information à un modèle de Poisson à effets fixes."),
    "caveat.dropped_missing": "{n} {n:ligne écartée|lignes écartées} pour valeurs manquantes dans {columns}.",
    "caveat.pre_trend": (
        "Les coefficients d'avant le démarrage diffèrent conjointement de zéro (p {p:p}) : "
        "l'hypothèse de tendances parallèles est douteuse, les estimations d'après peuvent "
        "être biaisées."),
    "caveat.staggered_event_study": (
        "Le dispositif démarre à {n} dates différentes. Si l'effet évolue dans le temps, les "
        "coefficients de l'étude d'événement à double effet fixe peuvent mêler les effets "
        "d'autres périodes (Sun & Abraham 2021) ; comparez avec un estimateur par cohorte et "
        "période (Callaway–Sant'Anna)."),
    "caveat.staggered_twfe": (
        "Le dispositif démarre à {n} dates différentes (déploiement échelonné). Le modèle à "
        "double effet fixe peut alors être biaisé si l'effet varie dans le temps, car des "
        "secteurs déjà traités servent de témoins (Goodman-Bacon 2021) ; préférez un "
        "estimateur par cohorte et période (Callaway–Sant'Anna)."),
    "caveat.no_never_treated": (
        "Tous les secteurs sont traités à un moment : l'effet n'est identifié que par les "
        "différences de calendrier, sans secteur jamais traité pour comparer."),
    "caveat.switching_off": (
        "Le dispositif s'arrête dans certains secteurs ; le modèle compare alors ceux qui "
        "changent à ceux qui restent, ce qui suppose l'absence d'effet durable après l'arrêt."),
    "caveat.few_clusters": (
        "Seulement {n} {n:grappe|grappes} : les erreurs-types par grappe sont peu fiables en "
        "dessous "
        "d'environ {threshold} grappes et les intervalles tendent à être trop étroits. À "
        "prendre avec prudence (un bootstrap sauvage par grappe ou une inférence par "
        "permutation est plus fiable)."),
    "caveat.pre_trend_untestable": (
        "Aucune période d'avant ne reste pour tester les tendances parallèles (toutes sont "
        "regroupées dans la période de référence) ; ce test ne peut pas échouer. Augmentez le "
        "paramètre leads."),
    "caveat.rho_at_bound": (
        "La corrélation AR(1) estimée des erreurs atteint sa borne ({rho:.2f}) : la série est "
        "peut-être non stationnaire (marche aléatoire) et les intervalles sont peu fiables. "
        "Modélisez mieux la tendance ou utilisez une série témoin."),
    "caveat.bacon_forbidden": (
        "{share:.0%} du poids de l'estimation à double effet fixe vient de comparaisons qui "
        "utilisent des secteurs déjà traités comme témoins (décomposition de Goodman-Bacon) : "
        "si l'effet évolue dans le temps, ces comparaisons biaisent l'estimation."),
    "caveat.bacon_skipped_model": (
        "La décomposition de Goodman-Bacon n'a pas été calculée : elle s'applique au modèle "
        "linéaire à double effet fixe sans covariables ni pondérations."),
    "caveat.bacon_skipped_data": (
        "La décomposition de Goodman-Bacon n'a pas été calculée : elle demande un panel "
        "cylindré et un traitement 0/1 qui ne s'arrête jamais."),
    "report.diag.randomization": (
        "Inférence par permutation — p {p} quand le partenariat est réattribué à d'autres "
        "secteurs (concorde avec le test retenu quand il est satisfaisant)."),
    "report.diag.sensitivity": (
        "Sensibilité aux écarts aux tendances parallèles (Rambachan & Roth 2023) — l'effet "
        "moyen reste significatif tant que les écarts d'après ne dépassent pas {statistic:.2f} "
        "fois le plus grand écart d'avant (satisfaisant à partir de 1)."),
    "report.diag.displacement": (
        "Déplacement vers la zone tampon — z = {statistic:.2f}, p {p} (une hausse "
        "significative dans le voisinage signifierait que la délinquance s'y est déplacée)."),
    "report.diag.survey_reliability": (
        "Cellules de l'enquête — {statistic:.0f} sur 4 (secteurs traités et de comparaison, "
        "avant et après) trop petites ou trop imprécises pour être publiées (moins de 30 "
        "répondants ou erreur relative au-delà de 50 %)."),
    "report.diag.wdq": "Quotient de déplacement pondéré — WDQ = {statistic:.2f}.",
    "report.diag.bacon": (
        "Décomposition de Goodman-Bacon — part du poids venant de comparaisons avec des "
        "secteurs déjà traités : {statistic:.1%}."),
    "caveat.inference_wild": (
        "Peu de grappes (traitées) : la valeur p et l'intervalle viennent d'un bootstrap "
        "sauvage par grappe (poids de Webb, hypothèse nulle imposée, {reps} réplications), qui "
        "garde son niveau là où les tests par grappe rejettent trop souvent."),
    "caveat.inference_permutation_ci": (
        "Peu de secteurs traités : la valeur p vient d'une inférence par permutation "
        "(réattribution du partenariat à d'autres secteurs). Aucun intervalle n'est donné : "
        "celui des erreurs-types par grappe serait trop étroit et pourrait contredire la "
        "valeur p. Pour obtenir un intervalle, modélisez des taux ou des log-comptages avec "
        "la famille ols, où le bootstrap sauvage par grappe s'applique."),
    "caveat.few_treated": (
        "Seulement {n} {n:secteur traité|secteurs traités} : l'inférence par grappe rejette trop souvent "
        "avec si peu de grappes traitées ; préférez une inférence par permutation (placebo) "
        "ou le contrôle synthétique."),
    # -- différence de différences sur enquête (evalkit.designs.survey_did) ---------------
    "caveat.survey_unreliable": (
        "Cellules d'enquête sous la règle de diffusion (moins de {min_n} répondants ou "
        "erreur relative au-delà de {rse_max:.0%}) : {cells} ; la différence de "
        "différences repose sur des parts peu fiables ; regroupez davantage de vagues ou "
        "de secteurs."),
    "caveat.survey_caution": (
        "Cellules d'enquête dont l'erreur relative est comprise entre {rse_low:.0%} et "
        "{rse_max:.0%} : {cells}. Lisez leurs parts avec prudence."),
    # -- déploiement échelonné (Callaway–Sant'Anna, evalkit.designs.staggered) ------------
    "caveat.cs_small_cohort": (
        "La cohorte entrée dans le dispositif en {cohort} ne compte {n:qu'un secteur|que {n} "
        "secteurs} : ses effets par groupe et période reposent sur très peu de secteurs et "
        "sont imprécis."),
    "caveat.cs_few_clusters": (
        "Seulement {n} {n:secteur|secteurs} : les erreurs-types analytiques (fonction "
        "d'influence, par "
        "grappe de secteur) sont peu fiables en dessous d'environ {threshold} secteurs et les "
        "intervalles tendent à être trop étroits. À prendre avec prudence ; avec si peu de "
        "secteurs, une inférence par permutation (placebo) ou le contrôle synthétique est "
        "plus fiable."),
    "caveat.cs_pre_trend": (
        "Les effets par groupe et période avant le démarrage sont conjointement différents "
        "de zéro (p {p:p}) : l'hypothèse de tendances parallèles est douteuse et les "
        "estimations après le démarrage peuvent être biaisées."),
    "caveat.cs_dropped_first_period": (
        "{n} {n:secteur traité|secteurs traités} dès la première période ({first}) ou avant "
        "{n:a été écarté|ont été écartés} : aucune période antérieure ne permet de {n:le|les} comparer."),
    "caveat.cs_late_cohort_never": (
        "{n} {n:secteur entré|secteurs entrés} dans le dispositif après la dernière période "
        "({last}) {n:est compté comme jamais traité|sont comptés comme jamais traités}."),
    "caveat.cs_last_cohort_control": (
        "Aucun secteur n'est jamais traité : la dernière cohorte ({cohort}, {n} {n:secteur|secteurs}) "
        "sert de groupe de comparaison et les périodes à partir de son démarrage ont été "
        "écartées."),
    "caveat.cs_cells_skipped": (
        "{n} {n:effet|effets} par groupe et période {n:n'a pas pu être estimé|n'ont pas pu être estimés}, faute de secteurs "
        "traités ou de comparaison : {cells}."),
    # -- graphiques -------------------------------------------------------------------------
    "plot.its.title": "{outcome} : observé et attendu sans le partenariat",
    "plot.its.x": "Période ({freq_name})",
    "plot.its.y": "{outcome} ({units})",
    "plot.its.observed": "Observé",
    "plot.its.fitted": "Ajustement du modèle",
    "plot.its.counterfactual": "Attendu sans le partenariat",
    "plot.its.band": "Bande de confiance à {level} %",
    "plot.its.intervention": "Démarrage du partenariat ({period})",
    "plot.its.control_axis": "Série témoin ({units}, axe de droite)",
    "plot.its.control": "Série témoin (observée)",
    "plot.event.title": "{outcome} : effet selon la période depuis le démarrage",
    "plot.event.x": "Périodes depuis le démarrage du partenariat ({freq_name})",
    "plot.event.y": "Effet sur {outcome} (écart à la période {reference})",
    "plot.event.y_gt": "{outcome} : effet par secteur",
    "plot.event.estimate": "Estimation avec intervalle de confiance à {level} %",
    "plot.event.start": "Démarrage du partenariat",
    "plot.trends.title": "{outcome} : moyenne par secteur, partenariat et comparaison",
    "plot.trends.x": "Période",
    "plot.trends.y": "{outcome} : moyenne par secteur",
    "plot.trends.treated": "Secteurs du partenariat",
    "plot.trends.comparison": "Secteurs de comparaison",
    "plot.rates.title": "{indicator} pour {per} {exposure}",
    "plot.rates.x": "Période",
    "plot.rates.y": "Taux pour {per} {exposure}",
    "plot.rates.band": "Intervalle de confiance exact à {level} %",
    "plot.season.title": "{indicator} : moyenne par {season_name}",
    "plot.season.x": "{season_name}",
    "plot.season.y": "Nombre moyen par {freq_name}",
    "units.count_per_period": "nombre par {freq_name}",
    "units.rate": "pour {per} {exposure}",
    "freq.M": "mois",
    "freq.Q": "trimestre",
    "freq.Y": "année",
    "freq.W": "semaine",
    "freq.D": "jour",
    "freqs.M": "mois",
    "freqs.Q": "trimestres",
    "freqs.Y": "années",
    "freqs.W": "semaines",
    "freqs.D": "jours",
    # -- rapport : commun ---------------------------------------------------------------------
    "report.data": "Les données utilisées",
    "report.design": "La méthode et pourquoi elle convient",
    "report.results": "Résultats",
    "report.figures": "Graphiques",
    "report.diagnostics": "Vérifications et réserves",
    "report.methods": "Annexe méthodologique",
    "report.parameters": "Paramètres et versions",
    "report.who": "Partenariat",
    "report.where": "Secteurs",
    "report.when": "Démarrage",
    "report.what": "Indicateur",
    "report.period": "Période couverte",
    "report.generated": "Produit par evalkit {version} le {date}.",
    "report.data.rows": (
        "{n_obs:,} observations : {n_units} {areas} × {n_periods} {freq_plural}, de "
        "{first} à {last}."),
    "report.data.file": "Fichier de données : {name} (SHA-256 {sha}…).",
    "report.data.none_dropped": "Aucune ligne n'a été écartée.",
    "report.data.notes": "Remarques sur les données :",
    "report.headline.label": "Résultat principal",
    "report.pct_range": "{lo} % à {hi} %",
    "report.uncertainty.clear": (
        "L'intervalle de confiance à {level} % exclut l'absence de changement : le hasard "
        "seul est une explication peu probable."),
    "report.uncertainty.unclear": (
        "L'intervalle de confiance à {level} % inclut l'absence de changement : les données "
        "ne permettent pas de distinguer cet effet du hasard."),
    "report.headline.not_credible": (
        "Mais le plan n'a pas passé sa propre vérification ({why}) : ce chiffre ne peut pas "
        "être lu comme l'effet du partenariat. Voir les vérifications plus bas."),
    "report.diag.none": "Aucun diagnostic ne s'applique à cette méthode.",
    "report.diag.passed": "satisfaisant",
    "report.diag.failed": "à examiner",
    "report.diag.autocorrelation": (
        "Autocorrélation des résidus — corrélation d'ordre 1 = {rho:.2f}, Ljung–Box "
        "p {p}."),
    "report.diag.overdispersion": (
        "Surdispersion — statistique de dispersion {statistic:.2f} (1 = variance de Poisson), "
        "p {p}."),
    "report.diag.pre_trend": (
        "Tendances parallèles avant le démarrage — test des coefficients d'avant, "
        "statistique {statistic:.3g}, p {p}."),
    "report.caveats": "Réserves",
    "report.caveats.none": "Aucune réserve n'a été relevée.",
    "report.table.term": "Effet",
    "report.table.p": "Valeur p",
    "report.param.name": "Paramètre",
    "report.param.value": "Valeur",
    "report.versions": "evalkit {evalkit}, statsmodels {statsmodels}, pandas {pandas}, Python {python}.",
    "report.seed": "Graine aléatoire : {seed}.",
    # -- séries temporelles interrompues ------------------------------------------------------
    "its.title": "Série temporelle interrompue : {outcome}",
    "its.term.level_change": "Changement immédiat au démarrage",
    "its.term.slope_change": "Changement de tendance, par {freq_name}",
    "its.term.cumulative_effect": "Effet cumulé sur les {n_post} {freq_plural} suivant le démarrage",
    "its.headline.fall": (
        "{outcome} : baisse de {pct} % (IC à {level} % : {lo} % à {hi} %) sur les {n_post} "
        "{freq_plural} suivant le démarrage, par rapport à ce que prévoyait la tendance, soit "
        "environ {n:,.0f} {noun} de moins ({n_lo:,.0f} à {n_hi:,.0f})."),
    "its.headline.rise": (
        "{outcome} : hausse de {pct} % (IC à {level} % : {lo} % à {hi} %) sur les {n_post} "
        "{freq_plural} suivant le démarrage, par rapport à ce que prévoyait la tendance, soit "
        "environ {n:,.0f} {noun} de plus ({n_lo:,.0f} à {n_hi:,.0f})."),
    "its.headline.unclear": (
        "{outcome} : pas de changement net sur les {n_post} {freq_plural} suivant le "
        "démarrage ; l'écart à la tendance prévue est de {signed} % (IC à {level} % : {lo} % "
        "à {hi} %)."),
    "its.design": (
        "Une <b>série temporelle interrompue</b> compare ce qui a été enregistré après le "
        "démarrage du partenariat à ce que la tendance d'avant prévoyait pour la même "
        "période. Le modèle est une régression segmentée {family_name} de la série par "
        "{freq_name}, avec {seasonality_text}{exposure_text}."),
    "its.design.fit": (
        "Elle convient ici car le partenariat a démarré à une date connue ({intervention}) et "
        "{n_pre} {freq_plural} de données sont disponibles avant (au moins 24 mois de données "
        "mensuelles, ou 8 points de données trimestrielles ou annuelles, sont recommandés)."),
    "its.design.weakness": (
        "Sa principale faiblesse : tout autre changement survenu au même moment (une autre "
        "politique, une modification des pratiques d'enregistrement) est attribué au "
        "partenariat."),
    "its.design.control": (
        "Une série témoin ({control}), non exposée au partenariat, partage la tendance et la "
        "saisonnalité, ce qui protège contre de telles coïncidences."),
    "its.design.no_control": (
        "Aucune série témoin n'a été fournie ; en ajouter une protégerait contre de telles "
        "coïncidences."),
    "its.seasonality.none": "aucun ajustement saisonnier",
    "its.seasonality.month": "un effet par {season_name} pour la saisonnalité",
    "its.seasonality.fourier": "{harmonics} paires de termes de Fourier pour la saisonnalité",
    "its.exposure": ", et la colonne {exposure} comme dénominateur (terme de décalage)",
    "its.methods": (
        "Modèle : g(E[y<sub>t</sub>]) = β<sub>0</sub> + β<sub>1</sub> t + β<sub>2</sub> "
        "post<sub>t</sub> + β<sub>3</sub> (t − t<sub>0</sub>) post<sub>t</sub> + saisonnalité "
        "+ covariables, g étant le lien {link}. Le changement de niveau est β<sub>2</sub>, le "
        "changement de pente β<sub>3</sub> par {freq_name} ; avec un lien logarithmique ils "
        "sont présentés comme rapports de taux exp(β). Le contrefactuel fixe β<sub>2</sub> = "
        "β<sub>3</sub> = 0 ; l'effet cumulé est la somme, sur la période d'après, des valeurs "
        "ajustées moins les valeurs contrefactuelles ; sa valeur p, son intervalle et sa "
        "variation en % viennent tous d'un même intervalle par la méthode delta sur le log du "
        "rapport des deux totaux."),
    "its.methods.se": "Erreurs-types : {vcov}.",
    "its.methods.ref": (
        "Référence : Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series "
        "regression for the evaluation of public health interventions: a tutorial. Int J "
        "Epidemiol 46(1):348–355."),
    "family.ols": "linéaire (moindres carrés)",
    "family.poisson": "de Poisson",
    "family.quasipoisson": "de quasi-Poisson",
    "family.negbin": "binomiale négative",
    "link.ols": "identité",
    "link.count": "logarithmique",
    "se.model": "issues du modèle",
    "se.robust": "robustes à l'hétéroscédasticité (sandwich)",
    "se.hac": "Newey–West (HAC) avec {lags} retards",
    "se.ar1": "moindres carrés généralisés avec erreurs AR(1) (corrélation estimée par REML)",
    "se.classical": "classiques (erreurs indépendantes)",
    "se.cluster": (
        "robustes par grappe (colonne {cluster}, {n_clusters} grappes ; correction pour "
        "petits échantillons identique à celle de fixest sous R)"),
    "season.M": "mois de l'année",
    "season.Q": "trimestre",
    "season.W": "semaine de l'année",
    "season.D": "jour de la semaine",
    "season.Y": "année",
    # -- différence de différences ----------------------------------------------------------
    "did.title": "Différence de différences : {outcome}",
    "did.term.att": "Effet du partenariat (moyenne, secteurs traités)",
    "did.headline.fall": (
        "Dans les secteurs du partenariat, {outcome} : baisse de {pct} % (IC à {level} % : "
        "{lo} % à {hi} %) par rapport à ce que les secteurs de comparaison laissent attendre "
        "sans le partenariat."),
    "did.headline.rise": (
        "Dans les secteurs du partenariat, {outcome} : hausse de {pct} % (IC à {level} % : "
        "{lo} % à {hi} %) par rapport à ce que les secteurs de comparaison laissent attendre "
        "sans le partenariat."),
    "did.headline.unclear": (
        "{outcome} : pas de changement net dans les secteurs du partenariat par rapport aux "
        "secteurs de comparaison ({signed} %, IC à {level} % : {lo} % à {hi} %)."),
    "did.headline.additive": (
        "Dans les secteurs du partenariat, {outcome} : variation de {est} par secteur et par "
        "période (IC à {level} % : {lo} à {hi}) par rapport aux secteurs de comparaison."),
    "did.design": (
        "Une <b>différence de différences</b> compare l'évolution de l'indicateur "
        "({outcome}) dans les secteurs du partenariat ({n_treated} sur {n_units}) à celle des autres secteurs sur "
        "les mêmes {n_periods} {freq_plural}. Des effets fixes de secteur et de période "
        "(double effet fixe) éliminent les écarts stables entre secteurs et les chocs communs "
        "à tous{model}."),
    "did.design.poisson": " ; les comptages sont modélisés par pseudo-vraisemblance de Poisson, l'effet est donc un rapport de taux",
    "did.design.assumption": (
        "Elle repose sur l'hypothèse de <b>tendances parallèles</b> : sans le partenariat, les "
        "deux groupes auraient évolué de la même façon. Le graphique d'étude d'événement "
        "montre les écarts avant le démarrage ; ils devraient rester proches de zéro."),
    "did.methods": (
        "Modèle : y<sub>it</sub> = α<sub>i</sub> + λ<sub>t</sub> + δ D<sub>it</sub> + "
        "covariables, D étant la part de la période sous traitement{poisson}. Les effets fixes "
        "sont absorbés exactement. L'étude d'événement remplace D par des indicatrices des "
        "périodes relatives au démarrage, la période précédant le démarrage servant de "
        "référence."),
    "did.methods.poisson": ", estimé par pseudo-maximum de vraisemblance de Poisson (lien logarithmique)",
    "did.methods.ref": (
        "Références : Wooldridge JM, Introductory Econometrics, chap. 13 ; Goodman-Bacon A "
        "(2021), Difference-in-differences with variation in treatment timing, J Econometrics "
        "225:254–277."),
    "es.term": "Période {k:+d} par rapport au démarrage ({freq_plural})",
    # -- indicateurs ------------------------------------------------------------------------
    "ind.title": "Profil d'indicateurs : {area}",
    "ind.counts": "Nombres et taux",
    "ind.counts.text": (
        "Nombres sur la période récente de {window_len} ({last}) et sur la période "
        "précédente de même durée ({previous}) ; taux pour {per} {exposure} par "
        "{freq_name}, avec leurs intervalles de confiance exacts (Garwood) à {level} %, et "
        "rapport de taux entre les deux périodes."),
    "ind.trends": "Évolutions",
    "ind.season": "Saisonnalité",
    "ind.harm": "Totaux pondérés par la gravité",
    "ind.harm.text": (
        "Infractions pondérées par la table de gravité « {name} » datée du {date}. Les "
        "totaux pondérés sont volatils : une seule infraction grave peut dominer une période."),
    "ind.harm.none": "Aucune table de pondération n'a été fournie (paramètre harm_weights).",
    "ind.survey": "Sentiment d'insécurité (enquête)",
    "ind.survey.text": (
        "Part pondérée des personnes répondant {answers} à la question {question}, avec des "
        "intervalles de confiance à {level} % ({method}). Les cellules dont l'erreur relative "
        "dépasse 25 % sont signalées ; au-delà de 50 % ou sous 30 répondants, elles sont "
        "masquées."),
    "ind.survey.design": "erreurs-types tenant compte du plan de sondage",
    "ind.survey.kish": "taille d'échantillon effective de Kish",
    "ind.survey.none": "Aucun fichier d'enquête n'a été fourni (paramètre survey).",
    "ind.col.area": "Secteur",
    "ind.col.indicator": "Indicateur",
    "ind.col.count_prev": "Nombre (avant)",
    "ind.col.count_last": "Nombre (récent)",
    "ind.col.rate_prev": "Taux par {freq_name} (avant)",
    "ind.col.rate_last": "Taux par {freq_name} (récent)",
    "ind.col.ci_last": "IC à {level} % (récent)",
    "ind.col.ratio": "Rapport de taux",
    "ind.col.ratio_ci": "IC à {level} % (rapport)",
    "ind.col.change": "Évolution",
    "ind.col.harm": "Gravité",
    "ind.col.top_share": "Part de la gravité due à l'infraction principale",
    "ind.col.top": "Infraction principale",
    "ind.col.share": "Part",
    "ind.col.n": "Répondants",
    "ind.col.rse": "Erreur relative",
    "ind.col.reliability": "Fiabilité",
    "ind.reliability.ok": "correcte",
    "ind.reliability.caution": "prudence",
    "ind.reliability.suppressed": "masquée",
    "ind.methods": (
        "Taux : nombre / exposition × {per}, l'exposition étant additionnée sur les périodes "
        "comptées : chaque taux s'entend par période des données (par mois pour des données "
        "mensuelles). Intervalles exacts de Poisson (Garwood) : borne "
        "basse = χ²(α/2 ; 2x)/2, borne haute = χ²(1−α/2 ; 2x+2)/2. Rapports de taux entre deux "
        "périodes : intervalle exact conditionnel (binomial). Parts d'enquête : estimations "
        "pondérées avec intervalles de Wilson sur la taille effective."),
    # -- indicateurs : ajouts du modèle « indicators » -------------------------------------
    "ind.all_areas": "tous les secteurs",
    "ind.total": "Total de ces secteurs",
    "ind.combined": "{n} secteurs réunis",
    "ind.summary.indicators": "Indicateurs",
    "ind.summary.exposure": "Dénominateur",
    "ind.summary.data": "Fichier de données",
    "ind.name.burglary": "Cambriolages",
    "ind.name.robbery": "Vols avec violence",
    "ind.name.violence": "Violences",
    "ind.name.antisocial_behaviour": "Incivilités",
    "ind.exposure.population": "habitants",
    "ind.exposure.dwellings": "logements",
    "disc.lead": "Secret statistique (appliqué à tout ce que montre ce rapport, results.json compris ; les modèles utilisent les données exactes) :",
    "disc.counts": (
        "les nombres de {low} à {high} dans un secteur sont affichés « {label} », et tout "
        "taux, rapport, évolution ou total calculé à partir d'eux « – » ;"),
    "disc.secondary": (
        "lorsqu'un total est affiché, une seconde case est masquée pour qu'aucun nombre masqué "
        "ne puisse être retrouvé par soustraction ;"),
    "disc.sensitive": (
        "les violences sexuelles, les violences intrafamiliales et les homicides ne sont pas "
        "affichés en dessous du niveau de l'arrondissement ou de la commune ;"),
    "disc.district": (
        "les secteurs sont des communes ou arrondissements, ou plus grands : tous les nombres "
        "et toutes les infractions sont affichés ;"),
    "disc.survey": (
        "les cellules d'enquête de moins de {n} répondants ou dont l'erreur relative dépasse "
        "{max} % sont masquées, et signalées à partir de {flag} %."),
    "disc.withheld": (
        "Non affichés à ce niveau géographique (infractions sensibles, secret statistique) : "
        "{names}."),
    "disc.gaps": (
        "{n} {n:valeur issue|valeurs issues} de nombres affichés « {label} » {n:est omise|sont "
        "omises} de la figure (secret statistique)."),
    "ind.trends.text": (
        "Taux pour {per} {exposure} par {freq_name}, {freq_name} par {freq_name}, avec sa bande "
        "de confiance exacte (Garwood) à {level} % ; une bande large signale peu de faits."),
    "ind.season.text": (
        "Nombre moyen par {season_name} sur la période {first} – {last} : des mois régulièrement plus "
        "élevés ne doivent pas être pris pour un effet."),
    "ind.col.harm_prev": "Gravité (avant)",
    "ind.col.harm_last": "Gravité (récent)",
    "ind.col.wave": "Vague",
    "ind.col.ci": "IC à {level} %",
    "ind.or": "ou",
    "ind.survey.question": (
        "« Vous sentez-vous en sécurité lorsque vous marchez sans compagnie dans votre "
        "quartier une fois la nuit tombée ? »"),
    "ind.survey.no_areas": (
        "Aucun des secteurs retenus ne figure dans le fichier d'enquête (secteurs de "
        "l'enquête : {areas})."),
    "ind.survey.file": "Fichier d'enquête : {name}, {n:,} répondants.",
    "ind.plot.rates.title": "Faits constatés pour {per} {exposure} par {freq_name}",
    "ind.plot.rates.y": "Taux pour {per} {exposure} par {freq_name}",
    "plot.season.suptitle": "Nombre moyen par {season_name}",
    "plot.season.months": "janv.,févr.,mars,avr.,mai,juin,juil.,août,sept.,oct.,nov.,déc.",
    "ind.counts.window": "Période précédente : {previous} ; période récente : {last}.",
    "ind.season.none": "Avec des données annuelles, il n'y a pas de saisonnalité à montrer.",
    "ind.wave.before": "avant",
    "ind.wave.after": "après",
    # -- déplacement : WDQ et WDD (evalkit.designs.displacement) --------------------------
    "caveat.wdq_zero_count": (
        "WDQ non calculé : un effectif est nul ({areas}). Le quotient divise par des "
        "effectifs et n'a pas de sens avec des cases vides ; utilisez le test WDD, ou des "
        "secteurs plus grands ou des fenêtres plus longues."),
    "caveat.wdq_no_fall": (
        "WDQ non calculé : la délinquance n'a pas baissé dans le secteur du partenariat par "
        "rapport au secteur témoin (mesure de succès {sm:+.3f}, non négative) ; il n'y a donc pas de "
        "gain qui aurait pu être déplacé (Bowers et Johnson 2003). Présentez plutôt le "
        "test WDD."),
    "caveat.wdq_small_counts": (
        "Effectifs faibles (le plus petit vaut {smallest}) : le WDQ n'a pas d'erreur-type et "
        "quelques faits de plus ou de moins peuvent le modifier fortement ; lisez-le avec le "
        "test WDD."),
    "caveat.wdq_no_se": (
        "Le WDQ est un rapport sans erreur-type : associez-le au test WDD (ek.wdd) pour "
        "juger si les évolutions dépassent le hasard."),
    "caveat.wdq_buffer_control_unused": (
        "Le témoin de la zone tampon n'est pas utilisé par le WDQ (la zone tampon est "
        "comparée au secteur témoin, comme chez Bowers et Johnson 2003) ; il sert au test "
        "WDD."),
    "caveat.wdq_windows": (
        "Effectifs cumulés sur {n_before} {n_before:période|périodes} avant ({before}) et "
        "{n_after} {n_after:période|périodes} après ({after}) le démarrage."),
    "caveat.wdq_label_diffusion_exceeds": (
        "WDQ = {wdq:.2f} (supérieur à 1) : diffusion des bénéfices vers la zone tampon, "
        "plus forte que l'effet direct."),
    "caveat.wdq_label_diffusion": (
        "WDQ = {wdq:.2f} (entre 0 et 1) : diffusion des bénéfices vers la zone tampon."),
    "caveat.wdq_label_no_change": "WDQ = {wdq:.2f} : aucune évolution dans la zone tampon.",
    "caveat.wdq_label_displacement": (
        "WDQ = {wdq:.2f} (entre −1 et 0) : déplacement vers la zone tampon, inférieur au "
        "gain (bénéfice net)."),
    "caveat.wdq_label_cancels": (
        "WDQ = {wdq:.2f} (−1 ou moins) : le déplacement vers la zone tampon annule le "
        "gain."),
    "caveat.wdd_local_only": (
        "Aucune zone tampon n'a été fournie : le test WDD ne porte que sur le secteur du "
        "partenariat (ΔR − ΔC) ; le déplacement n'a pas été mesuré."),
    "caveat.wdd_unequal_periods": (
        "Les fenêtres avant ({n_before} {n_before:période|périodes}) et après ({n_after} "
        "{n_after:période|périodes}) n'ont pas la "
        "même durée : les effectifs d'avant ont été ramenés à la durée de la fenêtre après ; "
        "le WDD s'exprime donc en faits sur la fenêtre après."),
    "caveat.wdd_mde": (
        "Avec ces effectifs, une variation nette doit atteindre environ "
        "{mde_significance:.0f} faits pour être significative au seuil de {level:g} %, et "
        "environ {mde_power:.0f} faits pour être détectée avec une puissance de "
        "{power_pct} %."),
    "caveat.wdd_small_counts": (
        "Effectifs faibles (le plus petit vaut {smallest}) : l'approximation normale du test "
        "WDD est grossière, et seule une variation nette d'environ {mde_power:.0f} faits ou "
        "plus serait détectée avec une puissance de {power_pct} %."),
    # -- puissance et effet minimal détectable (evalkit.designs.power) --------------------
    "caveat.power_few_treated": (
        "Avec seulement {n} {n:secteur traité|secteurs traités}, les tests robustes par grappes rejettent "
        "trop souvent : la puissance simulée est donc surestimée. Lisez-la comme une borne "
        "supérieure et analysez avec un bootstrap sauvage ou une inférence par permutation."),
    "caveat.power_autocorrelation": (
        "Les données ont été simulées avec des erreurs autocorrélées (corrélation d'ordre 1 : {ar1:.2f}) : "
        "l'effet minimal détectable analytique suppose des erreurs-types correctes, alors "
        "que les intervalles fondés sur le modèle ou HAC sont trop étroits sur des séries "
        "courtes autocorrélées ; la puissance simulée peut donc être surestimée."),
    "caveat.power_not_reached": (
        "Aucun effet de la grille n'atteint une puissance de {power_pct} % (le plus grand "
        "testé était un rapport de taux de {largest:.2f}) : l'effet minimal détectable est "
        "encore plus grand."),
    "caveat.power_mde_ratio": (
        "Avec ces données, seule une variation de plus de {pct:.2g} % pourrait être détectée "
        "avec une puissance de {power_pct} % : un effet réel plus petit passerait "
        "probablement inaperçu, et un résultat non significatif ne prouve donc pas "
        "l'absence d'effet."),
    "caveat.power_mde_additive": (
        "Avec ces données, seule une variation de plus de {mde:,.3g} en valeur absolue "
        "pourrait être détectée avec une puissance de {power_pct} % : un effet réel plus "
        "petit passerait probablement inaperçu, et un résultat non significatif ne prouve "
        "donc pas l'absence d'effet."),
    # -- contrôle synthétique (evalkit.designs.synth) --------------------------------------
    "caveat.synth_convex_hull": (
        "Avant l'intervention, l'indicateur du secteur traité sort de l'étendue des secteurs "
        "donneurs sur {n} des {n_pre} périodes : aucune moyenne pondérée de donneurs ne peut "
        "le reproduire, et le contrôle synthétique est tiré vers leur niveau. Comparez avec "
        "une double différence (qui admet un écart de niveau) ou modélisez des taux plutôt "
        "que des effectifs."),
    "caveat.synth_poor_fit": (
        "Le contrôle synthétique reproduit mal le secteur traité avant l'intervention : "
        "l'erreur quadratique moyenne avant l'intervention ({rmspe:.3g}) vaut {ratio:.2f} "
        "fois l'écart-type de l'indicateur du secteur traité (un bon ajustement reste "
        "sous {limit}). Les écarts après l'intervention mêlent alors l'effet et le défaut "
        "d'ajustement."),
    "caveat.synth_short_pre": (
        "Seulement {n_pre} {n_pre:période|périodes} avant l'intervention (au moins "
        "{recommended} recommandées) : un bon ajustement sur si peu de points peut être dû au hasard."),
    "caveat.synth_permutation": (
        "L'inférence se fait par permutation (placebos dans l'espace, Abadie, Diamond et "
        "Hainmueller 2010) : chacun des {n} placebos est réestimé comme s'il avait été "
        "traité ; la valeur p est la part des placebos et du traité dont le rapport des "
        "erreurs quadratiques après/avant atteint au moins celui du traité. Les intervalles "
        "inversent ce test sous un effet additif constant (pour une variation en % : le niveau "
        "observé face au niveau sans intervention qu'implique chaque effet accepté) ; aucune "
        "erreur-type n'est donnée."),
    "caveat.synth_several_treated": (
        "{n} secteurs traités : chacun est ajusté sur les donneurs non traités et les écarts "
        "sont moyennés. La distribution placebo est celle de l'écart moyen de {n} donneurs "
        "pris ensemble (ensembles de donneurs utilisés : {sets})."),
    "caveat.synth_few_placebos": (
        "Seulement {n} {n:placebo|placebos} : la plus petite valeur p possible, {p_min:.3g}, dépasse "
        "alpha = {alpha} ; le test par permutation ne peut détecter aucun effet et les "
        "intervalles sont infinis. Ajoutez des secteurs donneurs."),
    "caveat.synth_ci_empty": (
        "Aucun effet additif constant n'est compatible avec la distribution placebo : les "
        "écarts après l'intervention varient trop dans le temps. L'intervalle de l'effet "
        "moyen est laissé vide ; lisez les écarts période par période."),
    "caveat.synth_no_placebo": (
        "placebo=False : aucun placebo n'est réestimé, donc ni valeurs p, ni intervalles, "
        "ni contrôles de robustesse."),
    "caveat.synth_constant_predictor": (
        "Prédicteurs qui prennent la même valeur pour tous les secteurs, sans apporter "
        "d'information, et ont donc été ignorés : {predictors}."),
    "caveat.synth_loo_sign": (
        "Retirer l'un de ces donneurs inverse le signe de l'effet estimé ; le résultat "
        "repose donc sur eux : {donors}."),
    "caveat.synth_placebo_time": (
        "Placebo dans le temps : réestimé avec une intervention fictive en {fake}, le "
        "contrôle synthétique s'écarte déjà du secteur traité avant la vraie intervention "
        "(écart moyen {gap:.3g}, au-delà de {limit:.3g}) ; l'ajustement d'avant "
        "l'intervention pourrait ne pas tenir."),
    "caveat.synth_placebo_time_skipped": (
        "Placebo dans le temps non réalisé : {n_pre} {n_pre:période|périodes} avant "
        "l'intervention, c'est "
        "trop peu pour les scinder en deux."),
    # -- modèle evaluation : plans estimés et crédibilité --
    "caveat.eval_its_first_cohort": (
        "Le partenariat a démarré à {n_starts} dates différentes ; la série temporelle "
        "interrompue additionne {n:le premier secteur entré|les {n} premiers secteurs entrés}, "
        "en {start}."),
    "caveat.eval_controlled_its": (
        "{n} {n:secteur traité|secteurs traités} (moins de {few}) : la double différence est estimée par une "
        "série temporelle interrompue contrôlée (la série traitée face à la somme des "
        "secteurs de comparaison), car les intervalles robustes par grappe sont bien trop "
        "étroits avec si peu de secteurs traités."),
    "caveat.eval_controlled_its_clusters": (
        "Seulement {n} secteurs en tout (moins de {few}) : la double différence est estimée "
        "par une série temporelle interrompue contrôlée (la série traitée face à la somme "
        "des secteurs de comparaison), car les intervalles robustes par grappe sont trop "
        "étroits avec si peu de secteurs."),
    "caveat.eval_no_synth": (
        "Pas de contrôle synthétique : il faut exactement un secteur traité, il y en a {n}."),
    "caveat.eval_no_buffer": (
        "Pas de test de déplacement : aucune zone tampon n'a été donnée (paramètres buffer "
        "et buffer_control)."),
    "caveat.eval_unchecked": (
        "{design} : son hypothèse n'a pas pu être vérifiée (aucune période avant le démarrage "
        "à tester) ; ce plan n'est compté ni dans l'accord ni dans le niveau de preuve."),
    "caveat.eval_short_pre": (
        "{design} : moins de 12 périodes avant le démarrage, trop peu pour connaître la "
        "tendance ; ce plan n'est compté ni dans l'accord ni dans le niveau de preuve."),
    "caveat.eval_pre_trend": (
        "{design} : le test de tendances parallèles échoue (secteurs traités et de "
        "comparaison s'écartaient déjà avant le démarrage) ; ce plan n'est compté ni dans "
        "l'accord ni dans le niveau de preuve."),
    "caveat.eval_synth_fit": (
        "{design} : le contrôle synthétique ne suit pas le secteur d'assez près avant le "
        "démarrage ; ce plan n'est compté ni dans l'accord ni dans le niveau de preuve."),
    "caveat.eval_survey_reliability": (
        "{design} : au moins une cellule de l'enquête est trop petite ou trop imprécise pour "
        "être publiée ; résultat d'enquête à interpréter avec prudence."),
    # -- modèle evaluation --
    "eval.title": "Évaluation du partenariat : {outcome}",
    "eval.comparison_areas": "Secteurs de comparaison",
    "eval.n_areas": "{n} secteurs",
    "eval.n_areas.one": "1 secteur",
    "eval.buffer_areas": "Zones tampons",
    "eval.headline.label": "Ce que montre l'évaluation",
    "eval.verdict.reduction": ("Le plan crédible le plus solide ({design}) trouve une baisse "
                               "nette des {outcome} : {est} (IC à {level} % de {lo} à {hi})."),
    "eval.verdict.increase": ("Le plan crédible le plus solide ({design}) trouve une hausse "
                              "nette des {outcome} : {est} (IC à {level} % de {lo} à {hi})."),
    "eval.verdict.no_clear_change": ("Le plan crédible le plus solide ({design}) ne distingue "
                                     "pas la variation des {outcome} du hasard : {est} (IC à "
                                     "{level} % de {lo} à {hi}) ; les données sont compatibles "
                                     "avec une absence d'effet."),
    "eval.verdict.contested": ("Les plans crédibles divergent : « {a} » estime {a_est} et "
                               "« {b} » {b_est}, un écart plus grand que ce que le hasard "
                               "produirait (test de la différence : {p}). L'un des deux au "
                               "moins est biaisé : aucune conclusion n'est tirée sur l'effet du "
                               "partenariat tant que la raison n'est pas trouvée."),
    "eval.verdict.none": ("Aucun plan avec des secteurs de comparaison n'a passé ses "
                          "vérifications : les données ne permettent pas de conclure sur "
                          "l'effet du partenariat."),
    "eval.verdict.lowered": ("Le plan « {design} » estime une variation de {est} des {outcome} "
                             "(IC à {level} % de {lo} à {hi}), mais les secteurs du partenariat "
                             "ont été choisis après un pic inhabituel (voir plus bas) : un "
                             "retour à la normale ne se distingue pas de l'effet du "
                             "partenariat, donc aucune conclusion n'est tirée."),
    "eval.concern.eval_its_uncalibrated": ("intervalle non calibré (trop peu de secteurs de "
                                           "comparaison)"),
    "caveat.eval_its_uncalibrated": (
        "Le plan « {design} » n'est pas compté : avec trop peu de secteurs de comparaison, son "
        "intervalle n'a pas pu être calibré par des placebos, et les intervalles du modèle "
        "sont trop étroits pour des comptages de quartiers."),
    "eval.agree.same": ("Le plan « {design} » ({est}, IC à {level} % de {lo} à {hi}) n'en "
                        "diffère pas significativement (test de la différence : {p})."),
    "eval.agree.untested": ("Le plan « {design} » ({est}) a un intervalle non borné : son écart "
                            "avec lui ne peut pas être testé."),
    "eval.context": ("Pour information seulement : une comparaison avant/après dans les "
                     "secteurs du partenariat, sans secteurs de comparaison, suggérerait {est} "
                     "(IC à {level} % de {lo} à {hi}) ; elle ne peut pas séparer le partenariat "
                     "de ce qui a changé par ailleurs dans la ville."),
    "caveat.eval_its_citywide": (
        "Le plan « {design} » n'est pas compté : les secteurs de comparaison ont eux aussi "
        "changé au démarrage, donc sa variation avant/après ne se distingue pas de ce "
        "changement de toute la ville."),
    "eval.concern.eval_its_citywide": "toute la ville a changé au démarrage",
    "eval.credible.best": "oui : la meilleure estimation",
    "eval.credible.context": "oui : pour information (sans secteurs de comparaison)",
    "eval.credible.sensitivity": "analyse de sensibilité : hors du verdict",
    "eval.variant.slope_change": "{design}, avec un changement de tendance après le démarrage",
    "eval.agree.single": ("Aucun autre plan crédible avec des secteurs de comparaison n'a pu le "
                          "recouper."),
    "eval.headline.grade": "Niveau de preuve : niveau {level} de l'échelle de Maryland ({meaning}).",
    "eval.headline.nograde": ("Niveau de preuve : inférieur au niveau 2 de l'échelle de "
                              "Maryland, car aucun plan n'a passé ses vérifications."),
    "eval.sms.2": "avant et après dans le secteur du partenariat, sans secteurs de comparaison",
    "eval.sms.3": "une comparaison avec des secteurs comparables sans le partenariat",
    "eval.sms.4": "de nombreux secteurs avec et sans le partenariat, comparés",
    "eval.sms.text": ("Les éléments de preuve atteignent le niveau {level} de l'échelle de "
                      "Maryland (Scientific Methods Scale) : le plan le plus solide ayant passé "
                      "ses vérifications est « {design} » ({meaning})."),
    "eval.sms.scale": ("Échelle de Maryland (Sherman et al. 1997) : 1 corrélation à un instant "
                       "donné ; 2 avant/après sans comparaison ; 3 avant/après avec des secteurs "
                       "de comparaison comparables ; 4 de nombreux secteurs avec et sans le "
                       "programme, avec contrôles ; 5 affectation aléatoire. Le niveau 3 est le "
                       "minimum habituel pour dire ce qui marche."),
    "eval.buffer.displacement": ("Dans les zones tampons, la délinquance a augmenté d'environ "
                                 "{n} faits de plus que dans leurs secteurs de comparaison (IC à "
                                 "{level} % de {lo} à {hi}) : déplacement."),
    "eval.buffer.diffusion": ("Dans les zones tampons, la délinquance a baissé d'environ {n} "
                              "faits de plus que dans leurs secteurs de comparaison (IC à "
                              "{level} % de {lo} à {hi}) : diffusion des bénéfices."),
    "eval.buffer.unclear": ("Dans les zones tampons, la variation par rapport à leurs secteurs de "
                            "comparaison (IC à {level} % de {lo} à {hi} faits) ne montre ni "
                            "déplacement ni diffusion nets."),
    "eval.survey.clear": ("Habitants qui ne se sentent pas en sécurité le soir : {est} points "
                          "face aux secteurs de comparaison (IC à {level} % de {lo} à {hi})."),
    "eval.survey.unclear": ("Habitants qui ne se sentent pas en sécurité le soir : {est} points "
                            "face aux secteurs de comparaison (IC à {level} % de {lo} à {hi}), "
                            "indiscernable d'une absence de variation."),
    "eval.designs": "Plans d'évaluation utilisés",
    "eval.designs.intro": ("Chaque plan répond à la même question — que se serait-il passé "
                           "sans le partenariat ? — avec une comparaison différente. Quand des "
                           "plans reposant sur des hypothèses différentes concordent, la "
                           "conclusion est plus solide."),
    "eval.comparison": "Les plans côte à côte",
    "eval.comparison.intro": ("Les effets sur la délinquance sont donnés en variation en "
                              "pourcentage par rapport à ce que chaque plan estime qu'il se "
                              "serait passé ; le test de déplacement compte des faits dans les "
                              "zones tampons, et l'enquête, des points de pourcentage."),
    "eval.comparison.overlap": ("Des intervalles qui se recouvrent ne montrent pas que deux plans "
                                "concordent : le verdict compare les plans solides par un test "
                                "de leur différence, et prend sa meilleure estimation dans un "
                                "ordre des plans fixé à l'avance (double différence, puis série "
                                "temporelle contrôlée, puis contrôle synthétique), jamais dans "
                                "l'intervalle le plus étroit."),
    "eval.table.design": "Plan",
    "eval.table.measure": "Mesure",
    "eval.table.sms": "Niveau SMS",
    "eval.table.credible": "Passe ses vérifications",
    "eval.unit.percent": "variation en %",
    "eval.unit.crimes": "faits dans la zone tampon",
    "eval.unit.percentage_points": "points de pourcentage",
    "eval.no_interval": "pas d'intervalle",
    "eval.credible.yes": "oui",
    "eval.credible.no": "non : {why}",
    "eval.concern.eval_unchecked": "hypothèse non vérifiable",
    "eval.emmie.unknown": ("Coût {cost} ; le nombre de faits évités n'a pas pu être calculé "
                           "(valeurs manquantes), donc pas de coût par fait évité."),
    "eval.concern.eval_short_pre": "trop peu de périodes avant le démarrage",
    "eval.concern.eval_pre_trend": "le test de tendances parallèles échoue",
    "eval.concern.eval_synth_fit": "mauvais ajustement avant le démarrage",
    "eval.concern.eval_survey_reliability": "cellules d'enquête trop petites ou imprécises",
    "eval.design.its": "série temporelle interrompue",
    "eval.design.controlled_its": "série temporelle interrompue contrôlée",
    "eval.design.did": "double différence",
    "eval.design.staggered_did": "double différence par cohorte et période",
    "eval.design.synth": "méthode du contrôle synthétique",
    "eval.design.wdd": "test de déplacement (WDD)",
    "eval.design.survey_did": "double différence sur l'enquête",
    "eval.design.event_study": "étude d'événement",
    "eval.forest.title": "{outcome} : l'estimation de chaque plan",
    "eval.and": " et ",
    "eval.forest.x": "Variation face au contrefactuel du plan (%, IC à {level} %)",
    "eval.methods.controlled_its": "Méthodes : série temporelle interrompue contrôlée",
    "eval.methods.did": "Méthodes : double différence",
    "eval.methods.staggered_did": "Méthodes : double différence par cohorte et période",
    "eval.forest.not_credible": "* rond vide, en gris : vérifications non passées, non compté",
    "eval.evidence": "Niveau de preuve",
    "eval.emmie": "Synthèse EMMIE",
    "eval.emmie.intro": ("EMMIE (Johnson, Tilley & Bowers 2015) pose cinq questions à toute "
                         "évaluation de prévention. L'effet vient des plans ci-dessus ; le "
                         "mécanisme, les modérateurs et la mise en œuvre sont le compte rendu "
                         "des évaluateurs ; l'économie utilise le coût qu'ils ont indiqué."),
    "eval.emmie.part": "Question",
    "eval.emmie.finding": "Ce que dit cette évaluation",
    "eval.emmie.effect": "Effet",
    "eval.emmie.mechanism": "Mécanisme",
    "eval.emmie.moderators": "Modérateurs",
    "eval.emmie.implementation": "Mise en œuvre",
    "eval.emmie.economics": "Économie",
    "eval.emmie.missing": "Les évaluateurs n'en ont rien dit.",
    "eval.emmie.no_cost": ("Aucun coût n'a été indiqué (paramètre cost) : le coût par fait "
                           "évité n'est pas calculé."),
    "eval.emmie.no_effect": "Coût {cost} ; aucun plan crédible, donc pas de coût par fait évité.",
    "eval.emmie.none_prevented": ("Coût {cost}. Selon le plan « {design} », le nombre de faits "
                                  "évités ({noun}) est estimé à {prevented} (IC à {level} % de "
                                  "{p_lo} à {p_hi}) : aucun fait évité ne peut être revendiqué, "
                                  "donc pas de coût par fait évité."),
    "eval.emmie.cost": ("Coût {cost}. Selon le plan « {design} », le nombre de faits évités "
                        "({noun}) est estimé à {prevented} (IC à {level} % de {p_lo} à {p_hi}), "
                        "soit {per} par fait évité ({lo} à {hi})."),
    "eval.emmie.cost_unbounded": ("Coût {cost}. Selon le plan « {design} », le nombre de faits "
                                  "évités ({noun}) est estimé à {prevented} (IC à {level} % de "
                                  "{p_lo} à {p_hi}), soit {per} par fait évité (au moins "
                                  "{lo}) ; l'intervalle inclut l'absence de fait évité, donc pas "
                                  "de borne supérieure."),
    "eval.figures": "Chaque plan en détail",
    "ind.survey.did.title": "Évolution face aux autres secteurs enquêtés",
    "ind.survey.did.clear": (
        "Entre la vague « {before} » et la vague « {after} », la part d'habitants qui ne se "
        "sentent pas en sécurité dans les secteurs choisis a varié de {est} points par "
        "rapport aux autres secteurs enquêtés (double différence, IC à {level} % de {lo} à "
        "{hi} ; {method})."),
    "ind.survey.did.unclear": (
        "Entre la vague « {before} » et la vague « {after} », la part d'habitants qui ne se "
        "sentent pas en sécurité dans les secteurs choisis a varié de {est} points par "
        "rapport aux autres secteurs enquêtés (double différence, IC à {level} % de {lo} à "
        "{hi} ; {method}) : indiscernable d'une absence d'écart."),
    "ind.survey.did.suppressed": (
        "L'évolution entre la vague « {before} » et la vague « {after} » face aux autres secteurs "
        "enquêtés n'est pas montrée : au moins une de ses cellules est trop petite ou trop "
        "imprécise."),
    # -- evaluation: always-treated areas, failed designs, cohorts named, rows by design --
    "caveat.eval_always_treated": (
        "{n} secteurs étaient dans le partenariat dès leur première période dans les données "
        "({areas}) : sans période avant le démarrage, aucun plan ne peut les comparer à quoi "
        "que ce soit ; ils sont écartés de tous les plans."),
    "caveat.eval_always_treated_one": (
        "Un secteur, {areas}, était dans le partenariat dès sa première période dans les "
        "données : sans période avant le démarrage, aucun plan ne peut le comparer à quoi "
        "que ce soit ; il est écarté de tous les plans."),
    "caveat.eval_its_first_cohort_one": (
        "Le partenariat a démarré à {n_starts} dates différentes ; la série temporelle "
        "interrompue suit le premier secteur entré, {area}, en {start}."),
    "caveat.eval_not_run_its": (
        "Le plan « {design} » n'a pas pu être estimé sur ces données (message technique, en "
        "anglais : {message}). Il lui faut assez de périodes avant le premier démarrage "
        "({start}) : des données qui commencent plus tôt, ou un modèle plus simple "
        "(seasonality none, slope_change false), le permettent."),
    "caveat.eval_not_run_panel": (
        "Le plan « {design} » n'a pas pu être estimé sur ces données (message technique, en "
        "anglais : {message}). Il lui faut des secteurs jamais entrés dans le partenariat "
        "(paramètre comparison) et des périodes avant chaque démarrage (des données qui "
        "commencent plus tôt)."),
    "caveat.eval_not_run_synth": (
        "Le plan « {design} » n'a pas pu être estimé sur ces données (message technique, en "
        "anglais : {message}). Il construit le contrefactuel du secteur à partir des "
        "secteurs de comparaison, qui doivent avoir l'indicateur à chaque période (les "
        "choisir avec le paramètre comparison)."),
    "caveat.eval_not_run_wdd": (
        "Le plan « {design} » n'a pas pu être estimé sur ces données (message technique, en "
        "anglais : {message}). Il compte {window} périodes avant et après le démarrage "
        "({start}) : une fenêtre plus courte (paramètre window), ou des données couvrant ces "
        "périodes, le permettent."),
    "caveat.eval_no_relative": (
        "{design} : le plan ne donne pas de variation en pourcentage ; il ne peut donc pas "
        "être comparé aux autres, et n'est compté ni dans l'accord ni dans le niveau de "
        "preuve."),
    "eval.concern.eval_no_relative": "pas de variation en pourcentage",
    "caveat.eval_small_cohort_one": (
        "La cohorte entrée dans le dispositif en {cohort} ne compte qu'un secteur, {areas} : "
        "ses effets par groupe et période reposent sur ce seul secteur et sont imprécis."),
    "caveat.eval_small_cohort": (
        "La cohorte entrée dans le dispositif en {cohort} ne compte que {n} secteurs "
        "({areas}) : ses effets par groupe et période reposent sur très peu de secteurs et "
        "sont imprécis."),
    "eval.diag.design": "{design} : ",
    "eval.diag.data": "Vérification des données",
    "caveat.eval_autocorrelation": (
        "Les résidus sont autocorrélés (r d'ordre 1 = {rho:.2f}, Ljung–Box p {p:p}) : "
        "les intervalles de confiance de ce plan sont probablement trop étroits ; mieux vaut "
        "se fier aux plans avec secteurs de comparaison (avec des données mensuelles, le "
        "paramètre seasonality month peut en rendre compte)."),
    "caveat.eval_overdispersion": (
        "Les comptages sont surdispersés (dispersion {dispersion:.2f}, p {p:p}) : les "
        "intervalles de Poisson sont trop étroits. Choisissez family quasipoisson ou negbin (paramètre family du rapport)."),
    "eval.always_treated_areas": "Écartés (dans le partenariat dès la première période)",
    # -- h-words : périodes comptées, pluriels (ticket 14) -----------------------------------
    "ind.periods.M": "{n} mois",
    "ind.periods.Q": "{n} {n:trimestre|trimestres}",
    "ind.periods.Y": "{n} {n:an|ans}",
    "ind.periods.W": "{n} {n:semaine|semaines}",
    "ind.periods.D": "{n} {n:jour|jours}",
    "eval.emmie.more": (
        "Coût {cost}. Selon le plan « {design} », l'estimation donne {more} faits en plus "
        "({noun}) qu'en l'absence du partenariat (IC à {level} % de {m_lo} à {m_hi} en plus) : "
        "aucun fait "
        "évité ne peut être revendiqué, donc pas de coût par fait évité."),
    "eval.emmie.more_unclear": (
        "Coût {cost}. Selon le plan « {design} », l'estimation donne {more} faits en plus "
        "({noun}) qu'en l'absence du partenariat (IC à {level} % de {m_lo} en moins à {m_hi} "
        "en plus) : "
        "aucun fait évité ne peut être revendiqué, donc pas de coût par fait évité."),
    "caveat.rate_change_wald_zero": (
        "{n} {n:ligne a|lignes ont} un nombre nul : l'intervalle de Wald est (0, inf) ; "
        "utilisez method='exact'."),
    "caveat.rate_change_small": (
        "{n} {n:ligne compte|lignes comptent} moins de 10 faits sur une période : "
        "l'évolution est très incertaine (les intervalles exacts restent valides, mais "
        "larges)."),
    "caveat.survey_no_unsafe": (
        "Aucune réponse de la colonne {column!r} ne correspond à unsafe={unsafe} ; valeurs "
        "trouvées : {seen}. Vérifiez les libellés."),
    "plot.rates.rate": "Taux",
    # -- h-did: clustering, weights, exposure, one treated cluster, auto control group --
    'caveat.cs_control_auto': 'Il y a {n} {n:secteur jamais traité|secteurs jamais traités}, moins que les {threshold} nécessaires pour leur comparer chaque cohorte (règle du package did sous R) : leurs propres variations passeraient pour des effets. Chaque cohorte est donc comparée aux secteurs pas encore traités à la date considérée (et à ceux jamais traités) — groupe de comparaison not_yet_treated.',
    'caveat.inference_one_treated_ri': "Une seule grappe traitée : le bootstrap sauvage par grappe et les intervalles robustes par grappe ne sont pas valides avec une seule grappe traitée (MacKinnon et Webb 2017). La valeur p vient d'une inférence par permutation (le partenariat attribué tour à tour à chaque secteur de comparaison), et l'intervalle de l'inversion de ce test pour un effet constant.",
    'caveat.inference_one_treated_no_ci': "Une seule grappe traitée : le bootstrap sauvage par grappe et les intervalles robustes par grappe ne sont pas valides avec une seule grappe traitée (MacKinnon et Webb 2017). La valeur p vient d'une inférence par permutation (le partenariat attribué tour à tour à chaque secteur de comparaison) ; aucun intervalle de confiance n'est donné. Pour un intervalle, modélisez des taux avec family='ols' et une exposition, ou utilisez le contrôle synthétique.",
    'caveat.inference_one_treated_none': "Une seule grappe traitée : ni l'inférence robuste par grappe ni le bootstrap sauvage ne sont valides, donc ni valeur p ni intervalle ne sont donnés. Indiquez les colonnes de secteur et de période (modèle à effets fixes) pour une inférence par permutation, ou utilisez le contrôle synthétique.",
    'staggered.methods.cluster': "Erreurs-types issues des fonctions d'influence, sommées par grappe (colonne {cluster}, {n} grappes).",
    'staggered.methods.weights': 'Les secteurs sont pondérés par {weights} (une valeur par secteur) dans chaque comparaison par groupe et période et dans les parts des cohortes des moyennes.',
    'staggered.methods.unweighted': 'Chaque secteur compte autant (pas de pondération).',
    'staggered.methods.auto': 'Le groupe de comparaison a été choisi automatiquement : {control}.',
    'did.term.cohort_one': '{name} (depuis {g})',
    'did.methods.offset': "Le modèle de Poisson a log({exposure}) comme terme de décalage (offset) : l'effet est un rapport de taux par unité de {exposure}, donc la croissance de {exposure} n'est pas comptée comme un effet.",
    'did.methods.rate': 'La variable est modélisée comme un taux : {outcome} pour 100 000 {exposure}.',
    # -- h-synth : saisonnalité (série interrompue), donneurs et contrôles (contrôle synthétique) --
    "caveat.synth_left_out_exclude": "Écartés des donneurs à votre demande (paramètre exclude) : {units}.",
    "caveat.synth_left_out_treated": (
        "Écartés des donneurs parce que la colonne {column} les marque comme traités à une "
        "période des données : {units}. Un donneur soumis au même type d'intervention ferait "
        "absorber l'effet par le contrôle synthétique."),
    "synth.headline.empty": (
        "Après le démarrage, l'écart moyen entre le secteur du partenariat et son contrôle "
        "synthétique est de {est} {noun} par {freq_name} ; valeur p par permutation {p} face "
        "à {n} {n:secteur placebo|secteurs placebo}. L'écart varie trop d'une période à l'autre pour qu'un effet "
        "constant s'ajuste : il n'y a donc pas d'intervalle à {level} % ; lisez les écarts "
        "période par période dans la figure."),
    "synth.uncertainty.few": (
        "Avec {n} {n:secteur placebo|secteurs placebo}, la plus petite valeur p possible est {p_min} : ce test ne "
        "peut distinguer aucun effet du hasard."),
    "synth.plot.trimmed": (
        "Non montrés : {n} des {total} secteurs placebo dont l'ajustement avant le démarrage est "
        "mauvais (erreur quadratique moyenne de prédiction plus de {times} fois celle de "
        "{area}, comme chez Abadie, Diamond et Hainmueller 2010)."),
    "synth.plot.treated_areas": "les secteurs du partenariat",
    "synth.check.placebo_space": (
        "Placebo dans l'espace — rapport RMSPE après/avant {statistic:.2f}, comparé à {n} "
        "{n:secteur placebo|secteurs placebo} : valeur p par permutation {p}."),
    "synth.check.stands_out": "l'écart se distingue des secteurs placebo",
    "synth.check.not_out": "l'écart ne se distingue pas des secteurs placebo",
    "synth.check.few": "trop peu de secteurs placebo pour conclure",
    # -- h-disclosure: disclosure in every output ------------------------------------------
    "caveat.wdq_small_counts_hidden": (
        "Effectifs faibles (le plus petit est inférieur à {below}) : le WDQ n'a pas "
        "d'erreur-type et quelques faits de plus ou de moins peuvent le modifier fortement ; "
        "lisez-le avec le test WDD."),
    "caveat.wdd_small_counts_hidden": (
        "Effectifs faibles (le plus petit est inférieur à {below}) : l'approximation normale "
        "du test WDD est grossière, et seule une variation nette d'environ {mde_power:.0f} "
        "faits ou plus serait détectée avec une puissance de {power_pct} %."),
    "caveat.small_counts_hidden": (
        "Très petits effectifs (moins de {below} faits avant ou après le début) : estimations "
        "imprécises, les approximations peuvent être fausses."),
    "disc.sensitive_figure": (
        "{outcome} : infraction sensible, ses valeurs ne sont pas tracées à ce niveau "
        "géographique (secret statistique)."),
    "disc.rates_unchecked": (
        "Les taux observés ne sont pas tracés : les nombres dont ils sont issus ne peuvent "
        "pas être contrôlés au titre du secret statistique."),
    # -- h-libs: one interval separator per language (format_interval) ---------------------
    "interval": "{low} à {high}",
    # -- h-sdid: synthetic difference in differences (issue 17) ------------------------
    "eval.design.sdid": "double différence synthétique",
    # -- h-conformal: conformal inference for the synthetic control ----------------------------
    "caveat.synth_conformal": (
        "L'inférence est conforme (Chernozhukov, Wüthrich et Zhu 2021) : sous chaque effet "
        "supposé, le contrôle synthétique est réestimé sur toutes les périodes et ses "
        "résidus sont permutés par blocs glissants sur les {n} périodes qu'il utilise ; les "
        "intervalles réunissent les effets que le test ne rejette pas. L'intervalle de "
        "l'effet moyen suppose le même effet à chaque période après l'intervention ; "
        "l'effet cumulé est la somme des écarts sur cette période. Aucune erreur-type n'est "
        "donnée."),
    "caveat.synth_conformal_few_periods": (
        "Seulement {n} périodes entrent dans chaque test conforme : la plus petite valeur p "
        "possible, {p_min:.3g}, dépasse alpha = {alpha} ; le test ne peut détecter aucun "
        "effet et les intervalles sont infinis. Allongez la période avant l'intervention."),
    # --- issue 17: controlled ITS calibrated by placebo-in-space ---
    "caveat.its_placebo": (
        "Intervalles calibrés par placebos dans l'espace : la série temporelle interrompue "
        "contrôlée a été réestimée {n} {n:fois|fois} en traitant fictivement des secteurs "
        "de comparaison (sur {areas}), et la variance de leurs effets au-delà de celle "
        "du modèle est ajoutée à la sienne : l'erreur-type de l'effet cumulé vaut {factor:.2f} "
        "fois celle du modèle (loi de t à {df:.0f} degrés de liberté)."),
    "caveat.its_excluded": (
        "{n:Une période|{n} périodes} avant le démarrage {n:a été écartée|ont été écartées} "
        "de l'ajustement (exclude)."),
    "caveat.its_placebo_few": (
        "L'intervalle de la série temporelle interrompue contrôlée n'est pas calibré : les "
        "placebos dans l'espace demandent au moins {min} secteurs de comparaison donnés "
        "séparément (unit=, control=[...]), et {n:il y en a|il y en a} {n} ici. Son "
        "intervalle fondé sur le modèle ignore les chocs qui durent plusieurs mois dans un "
        "secteur, et il est alors souvent trop étroit."),
    "caveat.its_placebo_extreme": (
        "Les effets placebos des secteurs de comparaison varient bien plus que ne le "
        "prévoit le modèle : ils multiplient l'erreur-type de l'effet cumulé par "
        "{factor:.1f} (plus de {max:g}). La série temporelle interrompue contrôlée décrit "
        "mal ces séries, et même son intervalle élargi repose sur une comparaison fragile."),
    # the registry's concern codes for a controlled ITS (wired by the integrator)
    "caveat.eval_its_placebo": (
        "{design} : les effets placebos des secteurs de comparaison varient bien plus que "
        "ne le prévoit le modèle, qui les décrit donc mal ; ce plan n'est compté ni dans "
        "l'accord ni dans le niveau de preuve."),
    "caveat.eval_its_autocorrelation": (
        "{design} : les résidus sont autocorrélés et trop peu de secteurs de comparaison "
        "permettent de calibrer l'intervalle par placebos, qui est alors trop étroit ; ce "
        "plan n'est compté ni dans l'accord ni dans le niveau de preuve."),
    "eval.concern.eval_its_placebo": "secteurs placebos bien plus variables que prévu",
    "eval.concern.eval_its_autocorrelation": "résidus autocorrélés, intervalle non calibré",
    "report.diag.placebo_calibration": (
        "Placebo dans l'espace — les effets placebos des secteurs de comparaison "
        "multiplient l'erreur-type de l'effet cumulé par {statistic:.2f} (on attend au plus "
        "3) ; rang de l'effet réel parmi eux, valeur p {p}."),
    # --- issue 17: confound checks (citywide change, selection on a peak) ---
    "caveat.eval_citywide_change": (
        "Les secteurs de comparaison ont eux aussi changé à la date de démarrage ({pct:+g} %, "
        "p {p:p}) : quelque chose a changé dans toute la ville à ce moment-là, donc une "
        "comparaison avant/après sans secteurs de comparaison n'est pas fiable."),
    "caveat.eval_citywide_change_none": (
        "Les secteurs de comparaison n'ont pas nettement changé à la date de démarrage "
        "({pct:+g} %, p {p:p}) : rien n'indique un changement dans toute la ville à ce "
        "moment-là."),
    "caveat.eval_peak_selection": (
        "Les secteurs du partenariat semblent avoir été choisis après un pic inhabituel (sur "
        "{window} mois juste avant le démarrage, leur niveau atteignait {ratio:.1f} fois leur "
        "niveau antérieur, un écart plus fort que pour {share:.0f} % des {m:secteurs de "
        "comparaison|groupes de secteurs de comparaison de même taille}) : une partie de toute "
        "baisse peut n'être qu'un retour à la normale (régression vers la moyenne). Relancez "
        "avec exclude_before={window} pour écarter les mois de la sélection."),
    "caveat.eval_peak_selection_periods": (
        "Les secteurs du partenariat semblent avoir été choisis après un pic inhabituel (sur "
        "{window} {window:période|périodes} juste avant le démarrage, leur niveau atteignait "
        "{ratio:.1f} fois leur niveau antérieur, un écart plus fort que pour {share:.0f} % des "
        "{m:secteurs de comparaison|groupes de secteurs de comparaison de même taille}) : une "
        "partie de toute baisse peut n'être qu'un retour à la normale (régression vers la "
        "moyenne). Relancez avec exclude_before={window} pour écarter les périodes de la "
        "sélection."),
    "caveat.eval_peak_selection_none": (
        "Rien n'indique que les secteurs du partenariat aient été choisis après un pic "
        "inhabituel : juste avant le démarrage, leur niveau atteignait {ratio:.1f} fois leur "
        "niveau antérieur, un écart plus fort que pour {share:.0f} % des {m:secteurs de "
        "comparaison|groupes de secteurs de comparaison de même taille}."),
    "eval.concern.eval_citywide_change": "les secteurs de comparaison ont aussi changé au démarrage",
    "eval.concern.eval_peak_selection": "secteurs choisis après un pic inhabituel",
    "eval.concern.eval_peak_selection_periods": "secteurs choisis après un pic inhabituel",
    "caveat.eval_check_not_run_citywide_change": (
        "La vérification d'un changement dans toute la ville au démarrage n'a pas pu être "
        "faite : {message}"),
    "caveat.eval_check_not_run_peak_selection": (
        "La vérification d'un choix des secteurs après un pic inhabituel n'a pas pu être "
        "faite : {message}"),
    "caveat.eval_peak_excluded": (
        "Les secteurs du partenariat semblent avoir été choisis après un pic inhabituel (juste "
        "avant le démarrage, leur niveau atteignait {ratio:.1f} fois leur niveau antérieur, un "
        "écart plus fort que pour {share:.0f} % des {m:secteurs de comparaison|groupes de "
        "secteurs de comparaison de même taille}). {k:La période|Les {k} périodes} juste avant "
        "le démarrage {k:a été écartée|ont été écartées} de tous les plans, pour qu'un retour "
        "à la normale après le pic ne soit pas compté comme effet du partenariat (paramètre "
        "exclude_before)."),
    "caveat.eval_excluded": (
        "{k:La période|Les {k} périodes} juste avant le démarrage {k:a été écartée|ont été "
        "écartées} de tous les plans, comme demandé (paramètre exclude_before)."),
    # --- issue 17: displacement test calibrated on real counts (WDD variance) ---
    "caveat.wdd_placebo": (
        "Chaque partie de la WDD compare le nombre après le démarrage au nombre attendu "
        "d'après l'évolution de son témoin (avant × témoin après / témoin avant), et sa "
        "variance tient compte de la surdispersion des nombres et des chocs propres à chaque "
        "secteur, estimés sur les {n} secteurs témoins et témoins de la zone tampon aux mêmes "
        "dates (dispersion {dispersion:.2f} ; au-delà du bruit de comptage, l'évolution d'un "
        "secteur varie d'environ {between_sd:.0f} %)."),
    "caveat.wdd_poisson_auto": (
        "La variance de la WDD est celle, classique, de Poisson (la somme des nombres) : des "
        "totaux par zone ne permettent pas de mesurer le bruit des nombres. La délinquance "
        "enregistrée varie d'ordinaire davantage qu'une loi de Poisson, donc l'intervalle est "
        "sans doute trop étroit ; fournissez le panel (data=) avec au moins {min_placebos} "
        "secteurs témoins et témoins de la zone tampon pour un test calibré."),
    "caveat.wdd_few_placebos": (
        "Seulement {n} secteurs témoins et témoins de la zone tampon, alors qu'il en faut au "
        "moins {min_placebos} pour mesurer le bruit des nombres : la WDD se rabat sur la "
        "variance classique de Poisson, trop étroite sur des données réelles, et les données "
        "ne permettent donc pas de dire si la délinquance s'est déplacée vers la zone tampon. "
        "Ajoutez des secteurs témoins."),
    "caveat.wdd_cannot_tell": (
        "Les données ne permettent pas de dire si la délinquance s'est déplacée vers la zone "
        "tampon : ses nombres varient tant que seule une hausse d'environ {mde:.0f} % ou plus "
        "serait détectée avec une puissance de {power_pct} % (un test devrait détecter "
        "{max_mde:.0f} %). L'absence de variation significative ne prouve pas l'absence de "
        "déplacement ; des fenêtres plus longues ou des zones tampons plus grandes aideraient."),
    "report.diag.displacement_power": (
        "Puissance du test de déplacement — la plus petite hausse dans la zone tampon qu'il "
        "détecterait probablement est de {statistic:.0f} %."),
    "eval.buffer.cannot_tell": ("Les données ne permettent pas de dire si la délinquance s'est "
                                "déplacée vers les zones tampons : leur évolution face à leurs "
                                "secteurs de comparaison (IC à {level} % de {lo} à {hi} faits) "
                                "est trop incertaine pour détecter un déplacement plausible."),
    "eval.concern.eval_wdd_cannot_tell": "trop de bruit pour détecter un déplacement",
    "caveat.eval_wdd_cannot_tell": (
        "{design} : les nombres des zones tampons varient trop, ou les secteurs de "
        "comparaison sont trop peu nombreux, pour détecter un déplacement plausible ; le test "
        "ne dit ni que la délinquance s'est déplacée, ni qu'elle ne l'a pas fait."),
    "disp.cannot_tell": ("Les données ne permettent pas de dire si la délinquance s'est déplacée "
                         "vers la zone tampon : seule une hausse d'environ {mde} % ou plus serait "
                         "détectée avec une puissance de {power_pct} %."),
    "disp.cannot_tell_few": ("Les données ne permettent pas de dire si la délinquance s'est "
                             "déplacée vers la zone tampon : il y a trop peu de secteurs "
                             "témoins pour mesurer le bruit des nombres."),
    "disp.methods.placebo": (
        "Avec la variance par défaut (placebo, retenue dès que 6 secteurs témoins et témoins "
        "de la zone tampon sont fournis), chaque partie compare le nombre après le démarrage "
        "au nombre attendu d'après l'évolution de son témoin (Ra − Rb·Ca/Cb et "
        "Da − Db·Dca/Dcb) plutôt que des différences brutes. En logarithme, l'évolution d'un "
        "groupe de secteurs a pour variance φ(1/Ga + 1/Gb) + κΣw² : le bruit de comptage "
        "multiplié par une dispersion φ ≥ 1, plus des chocs indépendants de variance κ dans "
        "chaque secteur (w sa part des nombres du groupe). φ et κ sont estimés par moindres "
        "carrés pondérés sur chaque secteur témoin et témoin de la zone tampon comparé à tous "
        "les autres sur les mêmes fenêtres."),
    # --- issue 17: synthetic-control fit on the scale of count noise ---
    "caveat.synth_poor_fit_counts": (
        "Le contrôle synthétique reproduit mal le secteur traité avant l'intervention : "
        "l'erreur quadratique moyenne avant l'intervention ({rmspe:.3g}) vaut {ratio:.2f} "
        "fois les {reference:.3g} que laisserait le seul aléa des effectifs avec un "
        "ajustement parfait (un bon ajustement reste sous {limit:.2f}). Les écarts après "
        "l'intervention mêlent alors l'effet et le défaut d'ajustement."),
}
