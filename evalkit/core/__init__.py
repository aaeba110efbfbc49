"""Shared numerics below both the designs and the inference: absorbing fixed effects
(:mod:`~evalkit.core.absorb`), fits with their covariance (:mod:`~evalkit.core.fit`,
:mod:`~evalkit.core.vcov`). It imports neither :mod:`evalkit.designs` nor
:mod:`evalkit.inference`."""
