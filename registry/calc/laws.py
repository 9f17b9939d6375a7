"""Scaling-law coefficient sets: the Chinchilla parametric form and Hoffmann's Approach 1.

The parametric form is L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, arXiv:2203.15556,
Approach 3, eq. 2), with N counting all parameters (embeddings included) and L in nats per token.
The named sets and their sources are docs/SCIENCE.md section 3. Approach 1 is an allocation rule
only (N_opt and D_opt proportional to C^0.5): it predicts no loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from registry.calc.errors import BelowFloorError, CalcError, UnknownFitError

FloatOrArray = float | npt.NDArray[np.float64]

DEFAULT_FIT = "epoch2024"  # docs/SCIENCE.md section 3: the set that reproduces ~20 tokens/param

# Hoffmann et al. 2022, Table 3 (Approach 1 rows): (params, training FLOPs, training tokens).
HOFFMANN_TABLE3_APPROACH1: tuple[tuple[float, float, float], ...] = (
    (400e6, 1.92e19, 8.0e9),
    (1e9, 1.21e20, 20.2e9),
    (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12),
    (175e9, 3.85e24, 3.7e12),
    (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12),
    (1e12, 1.27e26, 21.2e12),
    (10e12, 1.30e28, 216.2e12),
)
# Hoffmann et al. 2022, Table 2, Approach 1: a = b = 0.50 (N_opt, D_opt proportional to C^0.5).
APPROACH1_EXPONENT = 0.5
# Calibrated here against Table 3 above: the geometric-mean tokens per parameter that, with
# exponent 0.5 and C = 6ND, best reproduces the table's params and tokens (least squares in log
# space; every row within 2.5%, except the 67B row whose own 6ND is 4.7% off its FLOPs).
APPROACH1_TOKENS_PER_PARAM = 21.02


@dataclass(frozen=True, kw_only=True)
class ChinchillaFit:
    """One coefficient set of L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, eq. 2)."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str = "user-supplied"

    def __post_init__(self) -> None:
        for field in ("A", "B", "alpha", "beta"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise CalcError(f"fit {self.name!r}: {field} must be > 0, got {value!r}")
        if not (math.isfinite(self.E) and self.E >= 0):
            raise CalcError(f"fit {self.name!r}: E must be >= 0, got {self.E!r}")

    def loss(self, *, params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray:
        """Predicted loss (nats/token) of N = ``params`` trained on D = ``tokens``."""
        return (
            self.E + self.A * np.power(params, -self.alpha) + self.B * np.power(tokens, -self.beta)
        )

    @property
    def a(self) -> float:
        """Allocation exponent of N_opt in C: beta/(alpha+beta) (docs/SCIENCE.md section 4)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Allocation exponent of D_opt in C: alpha/(alpha+beta) (docs/SCIENCE.md section 4)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """G = (alpha A / (beta B))^(1/(alpha+beta)) (Hoffmann et al. 2022, Section 3.3)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def excess_loss(self, loss: float) -> float:
        """``loss - E``; raise ``BelowFloorError`` when the target is at or below the floor E."""
        excess = float(loss) - self.E
        if not excess > 0:
            raise BelowFloorError(
                f"target loss {loss!r} is at or below the floor E = {self.E} of fit "
                f"{self.name!r}: no finite model reaches it"
            )
        return excess

    def as_dict(self) -> dict[str, Any]:
        """The coefficients as plain JSON-ready values."""
        return {
            "name": self.name,
            "E": self.E,
            "A": self.A,
            "B": self.B,
            "alpha": self.alpha,
            "beta": self.beta,
            "source": self.source,
        }


@dataclass(frozen=True, kw_only=True)
class Approach1Allocation:
    """Hoffmann et al. 2022 Approach 1: N_opt = sqrt(C/(6k)), D_opt = k N_opt; no loss law."""

    name: str = "approach1"
    tokens_per_param: float = APPROACH1_TOKENS_PER_PARAM
    exponent: float = APPROACH1_EXPONENT
    source: str = (
        "Hoffmann et al. 2022 (arXiv:2203.15556) Approach 1, a = b = 0.50; "
        f"calibrated to Table 3 ({APPROACH1_TOKENS_PER_PARAM} tokens/param)"
    )

    def as_dict(self) -> dict[str, Any]:
        """The allocation rule as plain JSON-ready values."""
        return {
            "name": self.name,
            "tokens_per_param": self.tokens_per_param,
            "exponent": self.exponent,
            "source": self.source,
        }


Law = ChinchillaFit | Approach1Allocation

BUILTIN_FITS: dict[str, Law] = {
    "hoffmann2022": ChinchillaFit(
        name="hoffmann2022",
        E=1.69,
        A=406.4,
        B=410.7,
        alpha=0.34,
        beta=0.28,
        source="Hoffmann et al. 2022 (arXiv:2203.15556) Section 3.3 / App. D.2, rounded values",
    ),
    "hoffmann2022-exact": ChinchillaFit(
        name="hoffmann2022-exact",
        E=1.6934,
        A=406.40,
        B=410.72,
        alpha=0.33917,
        beta=0.28491,
        source="Hoffmann et al. 2022, unrounded values as used by Besiroglu et al. 2024",
    ),
    "epoch2024": ChinchillaFit(
        name="epoch2024",
        E=1.8172,
        A=482.01,
        B=2085.43,
        alpha=0.3478,
        beta=0.3658,
        source="Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt "
        "(arXiv:2404.10102), Table 1",
    ),
    "sardana2024": ChinchillaFit(
        name="sardana2024",
        E=1.69,
        A=406.4,
        B=410.7,
        alpha=0.336,
        beta=0.283,
        source="Sardana et al. 2024, Beyond Chinchilla-Optimal (arXiv:2401.00448), code defaults",
    ),
    "approach1": Approach1Allocation(),
}


# What each built-in set is, in a phrase and a sentence, for the pages where a fit is chosen
# (docs/SCIENCE.md section 3 gives the coefficients' sources).
FIT_TITLES: dict[str, str] = {
    "epoch2024": "Epoch's 2024 refit of Chinchilla",
    "hoffmann2022": "Chinchilla's published fit (rounded)",
    "hoffmann2022-exact": "Chinchilla's fit, unrounded",
    "sardana2024": "Sardana et al.'s 2024 coefficients",
    "approach1": "Chinchilla's Approach 1 (about 20 tokens per parameter)",
}
FIT_DESCRIPTIONS: dict[str, str] = {
    "epoch2024": "Besiroglu et al. (2024) refit Chinchilla's loss law to its published data: "
    "about 20 tokens per parameter at 10^22 FLOPs, falling slowly with compute. The default.",
    "hoffmann2022": "The loss law as Hoffmann et al. (2022) printed it, rounded; Besiroglu et al. "
    "showed it misfits the paper's own runs (60 to 150 tokens per parameter).",
    "hoffmann2022-exact": "The same law with the unrounded coefficients (about 40 to 90 tokens "
    "per parameter).",
    "sardana2024": "Chinchilla's law with the exponents Sardana et al. (2024) use to add "
    "inference cost to the trade-off (Beyond Chinchilla-Optimal).",
    "approach1": "No loss law: parameters and tokens both grow as the square root of compute, "
    f"{APPROACH1_TOKENS_PER_PARAM:g} tokens per parameter at every scale.",
}


def fit_title(name: str) -> str:
    """A built-in set's name as a person reads it; a saved set keeps its own name."""
    return FIT_TITLES.get(name, f"the {name} fit")


def get_fit(name: str | None = None, *, saved: Mapping[str, ChinchillaFit] | None = None) -> Law:
    """The set called ``name`` (default ``epoch2024``): built-in sets first, then ``saved``."""
    key = DEFAULT_FIT if name is None else name
    if key in BUILTIN_FITS:
        return BUILTIN_FITS[key]
    if saved and key in saved:
        return saved[key]
    known = sorted([*BUILTIN_FITS, *(saved or {})])
    raise UnknownFitError(f"unknown fit {key!r}; known fits: {', '.join(known)}")


def resolve_law(fit: Law | str | None) -> Law:
    """``fit`` itself when it is a set, else the built-in set of that name (default epoch2024)."""
    if isinstance(fit, ChinchillaFit | Approach1Allocation):
        return fit
    return get_fit(fit)


def require_loss_law(law: Law, *, what: str) -> ChinchillaFit:
    """``law`` if it predicts a loss; ``approach1`` cannot answer ``what``."""
    if isinstance(law, ChinchillaFit):
        return law
    raise CalcError(
        f"fit {law.name!r} is an allocation rule without a loss law; {what} needs one "
        "of the parametric fits (epoch2024, hoffmann2022, ...)"
    )


def fit_from_dict(name: str, data: Mapping[str, Any]) -> ChinchillaFit:
    """Build a user-supplied set from a mapping with keys E, A, B, alpha, beta (source optional)."""
    missing = [key for key in ("E", "A", "B", "alpha", "beta") if key not in data]
    if missing:
        raise CalcError(f"fit {name!r} lacks {', '.join(missing)}; has {sorted(data)}")
    return ChinchillaFit(
        name=name,
        E=float(data["E"]),
        A=float(data["A"]),
        B=float(data["B"]),
        alpha=float(data["alpha"]),
        beta=float(data["beta"]),
        source=str(data.get("source", "user-supplied")),
    )
