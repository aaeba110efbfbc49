"""Confidence intervals by test inversion, shared by the resampling procedures."""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["invert_test"]

_MAX_EXPAND = 60
_BISECT_STEPS = 200


def invert_test(rejects: Callable[[float], bool], centre: float, step: float) -> float:
    """End point of ``{b0 : not rejects(b0)}`` on the side of ``centre + step``.

    Brackets the boundary by doubling the distance from ``centre`` (up to 60 times; ±inf
    when never rejected), then bisects to a relative tolerance of 1e-10. ``rejects(centre)``
    is assumed False.
    """
    inner, outer = centre, centre + step
    for _ in range(_MAX_EXPAND):
        if rejects(outer):
            break
        inner, outer = outer, centre + 2 * (outer - centre)
    else:
        return math.inf if step > 0 else -math.inf
    tol = 1e-10 * (abs(centre) + abs(step))
    for _ in range(_BISECT_STEPS):
        if abs(outer - inner) <= tol:
            break
        mid = (inner + outer) / 2
        if rejects(mid):
            outer = mid
        else:
            inner = mid
    return (inner + outer) / 2
