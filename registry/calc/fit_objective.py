"""The scaling-law fitting objective, batched over many parameter vectors at once.

Hoffmann et al. 2022 (arXiv:2203.15556) App. D.2, as replicated by Besiroglu et al. 2024
(arXiv:2404.10102): fit log L with LSE(a - alpha log N, b - beta log D, e) by minimising the
*sum* of Huber losses (delta = 1e-3) of the residuals. Parameter vectors are (a, b, e, alpha, beta)
with A = e^a, B = e^b, E = e^e. Every function takes a (K, 5) stack of K parameter vectors and
returns K objectives and a (K, 5) gradient, so thousands of starts cost one numpy pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

HUBER_DELTA = 1e-3  # Hoffmann et al. 2022 App. D.2; Besiroglu et al. 2024 Section 2
# Clip LSE exponents to +-200: products of the weights then stay far from subnormal floats,
# whose arithmetic is ~100x slower and which far-off grid starts otherwise produce.
EXPONENT_LIMIT = 200.0
CHUNK_STARTS = 64  # vectors per numpy pass: (64, 240) float64 intermediates stay under the
# 128 KiB glibc mmap threshold and in cache; one (4500, 240) pass is 3-5x slower


@dataclass(frozen=True)
class Runs:
    """Training runs in log space, with a weight (bootstrap count) per run."""

    log_params: Array
    log_tokens: Array
    log_loss: Array
    weights: Array

    @classmethod
    def from_arrays(cls, *, params: Array, tokens: Array, loss: Array) -> Runs:
        """Runs from positive ``params``, ``tokens`` and ``loss`` arrays of equal length."""
        return cls(np.log(params), np.log(tokens), np.log(loss), np.ones(len(params)))


def huber_and_slope(residual: Array, delta: float = HUBER_DELTA) -> tuple[Array, Array]:
    """Huber loss of each residual and its derivative c = clip(r, -delta, delta).

    Written as c (r - c/2), which is r^2/2 inside [-delta, delta] and delta (|r| - delta/2) outside.
    """
    slope = np.clip(residual, -delta, delta)
    return slope * (residual - 0.5 * slope), slope


def _chunk_objective(theta: Array, runs: Runs, weights: Array, delta: float) -> tuple[Array, Array]:
    """Objective and gradient of one chunk of parameter vectors; ``weights`` is (M,) or (K, M)."""
    a, b, e, alpha, beta = (theta[:, i : i + 1] for i in range(5))
    # Exponents clipped to +-EXPONENT_LIMIT never bind for a sane fit; skipping the usual
    # max-shift of the log-sum-exp saves a third of the work.
    w_params = np.exp(np.clip(a - alpha * runs.log_params, -EXPONENT_LIMIT, EXPONENT_LIMIT))
    w_tokens = np.exp(np.clip(b - beta * runs.log_tokens, -EXPONENT_LIMIT, EXPONENT_LIMIT))
    w_floor = np.exp(np.clip(e, -EXPONENT_LIMIT, EXPONENT_LIMIT))
    total = w_params + w_tokens
    total += w_floor
    residual = np.log(total)
    residual -= runs.log_loss
    loss, slope = huber_and_slope(residual, delta)
    slope /= total
    if weights.ndim == 2:
        loss *= weights
        slope *= weights
        weights = np.ones(weights.shape[1])
    slope_params, slope_tokens = slope * w_params, slope * w_tokens
    gradient = np.empty_like(theta)
    gradient[:, 0] = _rowdot(slope_params, weights)
    gradient[:, 1] = _rowdot(slope_tokens, weights)
    gradient[:, 2] = _rowdot(slope, weights) * w_floor[:, 0]
    gradient[:, 3] = -_rowdot(slope_params, weights * runs.log_params)
    gradient[:, 4] = -_rowdot(slope_tokens, weights * runs.log_tokens)
    return _rowdot(loss, weights), gradient


def _rowdot(matrix: Array, vector: Array) -> Array:
    """matrix @ vector without BLAS: OpenBLAS threads spin on these small products and, on a
    busy 2-core machine, cost more CPU than the whole objective."""
    return np.einsum("ij,j->i", matrix, vector)


def objective_and_gradient(
    theta: Array, runs: Runs, delta: float = HUBER_DELTA, *, weights: Array | None = None
) -> tuple[Array, Array]:
    """Summed Huber loss of every parameter vector in ``theta`` (K, 5) and its gradient (K, 5).

    ``weights`` (K, M) gives each vector its own run weights (bootstrap); by default every vector
    uses ``runs.weights``. Work is done in chunks of ``CHUNK_STARTS`` vectors, which keeps the
    (chunk, M) intermediates in cache and is several times faster than one (K, M) pass.
    """
    values = np.empty(len(theta))
    gradient = np.empty_like(theta)
    for start in range(0, len(theta), CHUNK_STARTS):
        part = slice(start, start + CHUNK_STARTS)
        chunk_weights = runs.weights if weights is None else weights[part]
        values[part], gradient[part] = _chunk_objective(theta[part], runs, chunk_weights, delta)
    return values, gradient


def start_grid() -> Array:
    """The 4,500 starts of Hoffmann et al. 2022 App. D.2 as (a, b, e, alpha, beta) rows:
    alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}."""
    exponents = np.arange(0.0, 2.01, 0.5)
    floors = np.arange(-1.0, 1.01, 0.5)
    scales = np.arange(0.0, 25.01, 5.0)
    mesh = np.meshgrid(scales, scales, floors, exponents, exponents, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)
