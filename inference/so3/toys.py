"""Toy distributions on SO(3) with known densities and known noised scores.

All densities are with respect to the normalised Haar measure. Because IGSO(3)
kernels compose by adding ``eps^2``, a mixture of IGSO(3) components noised to
diffusion level ``eps_t`` is again such a mixture with ``eps_k -> sqrt(eps_k^2 +
eps_t^2)``: the exact score of every diffused marginal is available, which the
tests use to check the samplers and the ODE likelihood independently of training.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from . import igso3, lie

__all__ = ["IGSO3Mixture", "random_mixture", "symmetric_mixture", "symmetry_group",
           "ConditionalToy"]


@dataclasses.dataclass(frozen=True, eq=False)
class IGSO3Mixture:
    """Mixture ``sum_k w_k IGSO(3)(mu_k, eps_k)``.

    Attributes
    ----------
    mus : (K, 3, 3) array of mean rotations
    eps : (K,) array of concentrations
    weights : (K,) array of mixture weights (normalised here)
    """

    mus: jnp.ndarray
    eps: jnp.ndarray
    weights: jnp.ndarray

    def __post_init__(self):
        w = jnp.asarray(self.weights)
        object.__setattr__(self, "weights", w / jnp.sum(w))
        object.__setattr__(self, "mus", jnp.asarray(self.mus))
        object.__setattr__(self, "eps", jnp.broadcast_to(jnp.asarray(self.eps), w.shape))

    def sample(self, key, n):
        """``n`` rotations (n, 3, 3)."""
        kc, ks, kn = jax.random.split(key, 3)
        K = self.weights.shape[0]
        comp = jax.random.categorical(kc, jnp.log(self.weights), shape=(n,))
        # one angle table per component (not per draw), then pick each draw's component
        om = jnp.stack([igso3.igso3_sample_angle(k, self.eps[c], (n,), n_grid=2048)
                        for c, k in enumerate(jax.random.split(ks, K))], -1)
        om = jnp.take_along_axis(om, comp[:, None], axis=-1)[:, 0]
        ax = jax.random.normal(kn, (n, 3), om.dtype)
        ax = ax / jnp.linalg.norm(ax, axis=-1, keepdims=True)
        return lie.exp(om[:, None] * ax) @ self.mus.astype(om.dtype)[comp]

    def log_prob(self, R, eps_t=0.0):
        """log density at ``R`` (..., 3, 3) of the mixture diffused to level ``eps_t``."""
        R = jnp.asarray(R)
        e = jnp.sqrt(self.eps.astype(R.dtype) ** 2 + jnp.asarray(eps_t, R.dtype) ** 2)
        lp = jax.vmap(lambda m, ek: igso3.igso3_log_prob(R, m, ek), out_axes=-1)(
            self.mus.astype(R.dtype), e)
        return jax.scipy.special.logsumexp(lp + jnp.log(self.weights.astype(R.dtype)), axis=-1)

    def score(self, R, eps_t=0.0):
        """Exact space-frame score of the diffused mixture at one or many rotations."""
        R = jnp.asarray(R)
        e = jnp.sqrt(self.eps.astype(R.dtype) ** 2 + jnp.asarray(eps_t, R.dtype) ** 2)
        mus = self.mus.astype(R.dtype)
        lp = jax.vmap(lambda m, ek: igso3.igso3_log_prob(R, m, ek), out_axes=-1)(mus, e)
        sc = jax.vmap(lambda m, ek: igso3.igso3_score(R, m, ek), out_axes=-2)(mus, e)
        w = jax.nn.softmax(lp + jnp.log(self.weights.astype(R.dtype)), axis=-1)
        return jnp.sum(w[..., None] * sc, axis=-2)

    def score_fn(self, model):
        """Per-sample ``score_fn(R, t, y)`` for the samplers, on ``model``'s schedule."""
        return lambda R, t, y=None: self.score(R, model.eps(t))


def random_mixture(key, n_components=3, eps=0.3, weights=None):
    """Mixture of ``n_components`` IGSO(3) components around Haar-random rotations."""
    mus = lie.random_rotation(key, (n_components,))
    w = jnp.ones(n_components) if weights is None else jnp.asarray(weights)
    return IGSO3Mixture(mus, jnp.broadcast_to(jnp.asarray(eps, mus.dtype), (n_components,)), w)


def symmetry_group(name="tetrahedral"):
    """Rotation matrices of a finite subgroup of SO(3), as a (G, 3, 3) numpy array.

    ``name``: ``'klein'`` (D2, 4 elements: identity and pi turns about x, y, z),
    ``'tetrahedral'`` (T, 12 elements) or ``'octahedral'`` (O, 24 elements, the
    rotations of the cube).
    """
    if name == "klein":
        return np.array([np.diag(d) for d in ([1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1])],
                        dtype=float)
    # signed permutation matrices with det +1 form O; T is its subgroup of even perms
    import itertools
    mats = []
    for perm in itertools.permutations(range(3)):
        P = np.eye(3)[list(perm)]
        for signs in itertools.product([1, -1], repeat=3):
            M = P * np.array(signs)[:, None]
            if np.isclose(np.linalg.det(M), 1.0):
                even = np.isclose(np.linalg.det(P), 1.0)
                if name == "octahedral" or even:
                    mats.append(M)
    if name not in ("tetrahedral", "octahedral"):
        raise ValueError("unknown group %r" % name)
    return np.array(mats)


def symmetric_mixture(key=None, group="tetrahedral", eps=0.25, base=None):
    """Distribution invariant under left multiplication by a finite group G.

    ``p(R) = mean_{g in G} IGSO(3)(R; g mu0, eps)``, so ``p(h R) = p(R)`` for h in G.
    ``base`` (``mu0``) defaults to a Haar-random rotation drawn with ``key``.
    """
    G = jnp.asarray(symmetry_group(group))
    mu0 = lie.random_rotation(key) if base is None else jnp.asarray(base)
    mus = G @ mu0.astype(G.dtype)
    return IGSO3Mixture(mus, jnp.full((G.shape[0],), eps, G.dtype), jnp.ones(G.shape[0], G.dtype))


@dataclasses.dataclass(frozen=True, eq=False)
class ConditionalToy:
    """Conditional family ``p(R | y) = IGSO(3)(mu(y), eps)`` whose mode rotates with y.

    ``mu(y) = exp(hat(axis * max_angle * y)) mu0`` for ``y`` in ``[-1, 1]`` (radians
    for ``max_angle``); training pairs have ``y ~ U(-1, 1)``.
    """

    axis: tuple = (0.0, 0.0, 1.0)
    max_angle: float = 2.0
    eps: float = 0.25
    mu0: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

    def mode(self, y):
        """Mode rotation(s) ``mu(y)`` for scalar or (...,) ``y``."""
        y = jnp.asarray(y)
        a = jnp.asarray(self.axis, y.dtype if jnp.issubdtype(y.dtype, jnp.floating) else None)
        a = a / jnp.linalg.norm(a)
        return lie.exp(a * (self.max_angle * y)[..., None]) @ jnp.asarray(self.mu0, a.dtype)

    def sample(self, key, n, y=None):
        """Return ``(R (n, 3, 3), y (n, 1))``; ``y`` drawn uniformly if not given."""
        ky, kr = jax.random.split(key)
        if y is None:
            y = jax.random.uniform(ky, (n,), minval=-1.0, maxval=1.0)
        y = jnp.broadcast_to(jnp.asarray(y, jnp.zeros(()).dtype), (n,))
        mus = self.mode(y)
        keys = jax.random.split(kr, n)
        R = jax.vmap(lambda k, m: igso3.igso3_sample(k, self.eps, (), mu=m, n_grid=1024))(keys, mus)
        return R, y[:, None]

    def log_prob(self, R, y):
        """Exact ``log p(R | y)``."""
        y = jnp.asarray(y).reshape(jnp.shape(R)[:-2])
        return igso3.igso3_log_prob(R, self.mode(y), self.eps)
