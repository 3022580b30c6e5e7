"""Random sources and radial samplers shared by the photon-shooting code.

Photon shooting draws uniform random numbers and maps them onto a profile's light
distribution.  :class:`PhotonRNG` hides where the uniforms come from:

* an eager, GalSim-compatible deviate (a `BaseDeviate`, or ``None`` for a fresh one
  seeded from ``/dev/urandom``): NumPy arrays drawn from the deviate's Mersenne-Twister
  stream, so a given seed always gives the same photons;
* a ``jax.random`` key: JAX arrays, usable under ``jit``/``vmap``; each request splits
  the held key, so successive requests (e.g. the components of a sum or a convolution)
  are independent.

On the eager path the profiles use GalSim's own algorithms where they are simple
(:meth:`PhotonRNG.polar_pairs` reproduces GalSim's rejection loop for a point in the unit
disk, consuming exactly the same uniforms), so a Gaussian, Moffat, Box, TopHat, and sums,
convolutions and transformations of them give GalSim's photons for the same seed.

The samplers below are pure functions of uniforms in ``[0, 1)`` and work with either
array module (``xp`` is ``numpy`` or ``jax.numpy``).  Each maps the uniforms through the
analytic (or Newton-solved) inverse of the enclosed-flux fraction of an axisymmetric
profile, with an independent uniform azimuth.
"""

import numpy as np

__all__ = ["PhotonRNG", "photon_rng", "is_jax_key", "disk_angles", "gaussian_radius",
           "exponential_radius", "moffat_radius"]


def is_jax_key(rng):
    """True if ``rng`` is a ``jax.random`` key (typed or a raw ``uint32[2]`` key)."""
    import jax
    if not isinstance(rng, jax.Array):
        return False
    if jax.dtypes.issubdtype(rng.dtype, jax.dtypes.prng_key):
        return True
    return rng.dtype == np.uint32 and rng.ndim >= 1 and rng.shape[-1] == 2


class PhotonRNG:
    """A source of uniform random numbers for photon shooting.

    Parameters:
        rng:    A `BaseDeviate` (its stream is used, and advanced), ``None`` (a new
                `BaseDeviate` seeded from the system), an integer seed, or a
                ``jax.random`` key (the functional path).
    """

    def __init__(self, rng=None):
        from ..random import BaseDeviate, UniformDeviate
        if is_jax_key(rng):
            self.is_jax = True
            self.key = rng
            self.deviate = None
        else:
            self.is_jax = False
            self.key = None
            if rng is None:
                rng = BaseDeviate()
            elif not isinstance(rng, BaseDeviate):
                rng = BaseDeviate(rng)
            self.deviate = rng
            self._ud = UniformDeviate(rng)

    @property
    def xp(self):
        """The array module of the numbers this source makes."""
        if self.is_jax:
            import jax.numpy as jnp
            return jnp
        return np

    def next_key(self):
        """A fresh ``jax.random`` key (functional path only)."""
        import jax
        self.key, sub = jax.random.split(self.key)
        return sub

    def uniform(self, n):
        """``n`` uniform deviates in ``[0, 1)`` (a NumPy or JAX array)."""
        n = int(n)
        if self.is_jax:
            import jax
            import jax.numpy as jnp
            return jax.random.uniform(self.next_key(), (n,), dtype=jnp.result_type(float))
        u = np.empty(n, dtype=float)
        if n > 0:
            self._ud.generate(u)
        return u

    def polar_pairs(self, n, reject_zero=True):
        """``n`` points uniform in the unit disk by GalSim's rejection loop (eager path).

        Pairs ``(2 u1 - 1, 2 u2 - 1)`` are drawn from the stream until one lands inside
        the disk (``0 < rsq < 1``, or ``rsq < 1`` if not ``reject_zero``); exactly the
        uniforms GalSim's loop would use are consumed, so the stream stays in step with
        GalSim's.  Returns ``(xu, yu, rsq)``."""
        n = int(n)
        xs, ys, rs = [], [], []
        left = n
        while left > 0:
            k = int(left * 1.3) + 16
            dup = self._ud.duplicate()
            u = np.empty(2 * k, dtype=float)
            dup.generate(u)
            xu = 2.0 * u[0::2] - 1.0
            yu = 2.0 * u[1::2] - 1.0
            rsq = xu * xu + yu * yu
            ok = rsq < 1.0
            if reject_zero:
                ok &= rsq != 0.0
            idx = np.flatnonzero(ok)
            if len(idx) >= left:
                idx = idx[:left]
                used = int(idx[-1]) + 1
            else:
                used = k
            self._ud.discard(2 * used)
            xs.append(xu[idx])
            ys.append(yu[idx])
            rs.append(rsq[idx])
            left -= len(idx)
        if not xs:
            e = np.empty(0)
            return e, e, e
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)

    def for_ops(self):
        """What to hand a photon operator's ``applyTo`` as ``rng``: the `BaseDeviate`
        (eager path) or a fresh ``jax.random`` key."""
        return self.next_key() if self.is_jax else self.deviate

    def poisson(self, mean):
        """One Poisson deviate with the given mean (a float, or a JAX scalar)."""
        if self.is_jax:
            import jax
            import jax.numpy as jnp
            return jax.random.poisson(self.next_key(), mean).astype(jnp.result_type(float))
        from ..random import PoissonDeviate
        return PoissonDeviate(self.deviate, mean)()


def photon_rng(rng):
    """``rng`` as a :class:`PhotonRNG` (returned unchanged if it already is one)."""
    if isinstance(rng, PhotonRNG):
        return rng
    return PhotonRNG(rng)


def disk_angles(u, xp):
    """(cos, sin) of a uniform azimuth ``2 pi u``."""
    theta = 2.0 * np.pi * u
    return xp.cos(theta), xp.sin(theta)


def gaussian_radius(u, xp):
    """Radius (units of sigma) whose enclosed flux fraction of a unit Gaussian is ``u``:
    ``r = sqrt(-2 log(1 - u))`` (Box-Muller's radial map)."""
    return xp.sqrt(-2.0 * xp.log1p(-u))


def exponential_radius(u, xp, n_iter=None):
    """Radius (units of the scale radius) enclosing a fraction ``u`` of an exponential
    disk's flux: the root of ``1 - (1 + r) exp(-r) = u``.

    Solved for ``y = -log(1 - u) = r - log(1 + r)`` by Newton's method from GalSim's
    initial guess; the iteration decreases monotonically onto the root, so a fixed
    number of steps (used under JAX) or a tolerance loop (NumPy) both converge to double
    precision."""
    y = -xp.log1p(-u)
    r = xp.where(y < 0.07, xp.sqrt(2.0 * y), xp.where(y < 0.9, 1.8 * y + 0.37, 1.3 * y + 0.83))
    tiny = 1.0e-300

    def step(r):
        dy = y - r + xp.log1p(r)
        return r + (1.0 + r) * dy / xp.maximum(r, tiny)

    if xp is np:
        for _ in range(100):
            new = step(r)
            new = np.where(y > 0.0, new, 0.0)
            done = np.all(np.abs(new - r) <= 1.0e-14 * np.maximum(new, 1.0))
            r = new
            if done:
                break
        return r
    for _ in range(n_iter or 12):
        r = step(r)
    return xp.where(y > 0.0, r, 0.0)


def moffat_radius(u, beta, flux_factor, xp):
    """Radius (units of the scale radius) enclosing a fraction ``u`` of a Moffat
    profile's flux, where ``flux_factor`` is the fraction of the untruncated flux within
    the truncation radius (1 if untruncated): ``r^2 = (1 - u f)^(1/(1-beta)) - 1``."""
    rsq = (1.0 - u * flux_factor) ** (1.0 / (1.0 - beta)) - 1.0
    return xp.sqrt(xp.maximum(rsq, 0.0))
