"""Rules shared by every layer (private): thresholds, the default seed and option checks
(alpha, choices, column-name lists). One home, so that designs agree on them."""

from __future__ import annotations

from collections.abc import Iterable

from evalkit.errors import SpecError

__all__ = ["DEFAULT_SEED", "FEW_CLUSTERS", "FEW_TREATED", "as_names", "check_alpha",
           "check_choice"]

#: fewer clusters than this: cluster-robust standard errors are unreliable (a caveat, and
#: ``inference="auto"`` turns to the wild cluster bootstrap)
FEW_CLUSTERS = 20
#: fewer treated clusters than this: the same, whatever the number of clusters
FEW_TREATED = 5
#: seed of the resampling and matching designs when none is given (recorded in provenance)
DEFAULT_SEED = 20261123


def check_alpha(alpha: object) -> float:
    """Return ``alpha`` as a float, or raise SpecError unless it is strictly in (0, 1)."""
    try:
        value = float(alpha)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(alpha, bool) or not 0.0 < value < 1.0:
        raise SpecError(f"alpha must be strictly between 0 and 1 (e.g. 0.05); got {alpha!r}.")
    return value


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise SpecError unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise SpecError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


def as_names(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """A column name, several names or None, as a tuple of names."""
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    return tuple(str(n) for n in names)
