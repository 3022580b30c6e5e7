"""Background expansion, distances and linear growth (first and second order).

All functions take a :class:`~cosmo.cosmology.Cosmology` and a scale factor ``a``
(scalar or array, any shape) and are jittable and differentiable in the cosmological
parameters.  Distances are in Mpc; H in km/s/Mpc.

Growth is obtained by integrating the linear growth ODE with a fixed-step RK4 scheme in
ln a from a = 1e-6 (with D = a, dD/da = 1 there, the initial condition CCL uses) to
a = 1, on a static grid; values at arbitrary ``a`` use cubic Hermite interpolation with
the exact derivative from the ODE, so the result is smooth in the parameters.
"""

import numpy as np
import jax
import jax.numpy as jnp

from .cosmology import constants

__all__ = [
    "w_de", "E", "H", "Omega_m_a", "Omega_de_a", "Omega_r_a",
    "comoving_radial_distance", "angular_diameter_distance", "luminosity_distance",
    "a_of_chi", "growth_factor", "growth_rate", "growth_factor_unnorm",
    "growth_factor_2", "growth_rate_2", "growth_table",
]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def w_de(cosmo, a):
    """Dark-energy equation of state w(a) = w0 + wa (1 - a)."""
    return cosmo.w0 + cosmo.wa * (1.0 - a)


def _de_density(cosmo, a):
    """rho_de(a) / rho_de(1) for the CPL equation of state."""
    return a ** (-3.0 * (1.0 + cosmo.w0 + cosmo.wa)) * jnp.exp(3.0 * cosmo.wa * (a - 1.0))


def E(cosmo, a):
    """Dimensionless Hubble rate E(a) = H(a)/H0 (matter, radiation, w0-wa dark energy)."""
    a = jnp.asarray(a)
    return jnp.sqrt(cosmo.Omega_m * a**-3 + cosmo.Omega_r * a**-4
                    + cosmo.Omega_de * _de_density(cosmo, a))


def H(cosmo, a):
    """Hubble rate H(a) [km/s/Mpc]."""
    return 100.0 * cosmo.h * E(cosmo, a)


def Omega_m_a(cosmo, a):
    """Matter density parameter at scale factor a."""
    return cosmo.Omega_m * a**-3 / E(cosmo, a) ** 2


def Omega_de_a(cosmo, a):
    """Dark-energy density parameter at scale factor a."""
    return cosmo.Omega_de * _de_density(cosmo, a) / E(cosmo, a) ** 2


def Omega_r_a(cosmo, a):
    """Radiation density parameter at scale factor a."""
    return cosmo.Omega_r * a**-4 / E(cosmo, a) ** 2


def comoving_radial_distance(cosmo, a):
    """Comoving radial distance chi(a) = c/H0 int_a^1 da'/(a'^2 E(a')) [Mpc].

    Computed by 64-point Gauss-Legendre quadrature in ln a (the integrand is smooth in
    ln a), accurate to ~1e-10 relative for a >= 1e-3.
    """
    a = jnp.asarray(a, dtype=float)
    lna = jnp.log(a)[..., None]
    x = 0.5 * lna * (1.0 - _GL_X)  # nodes in [ln a, 0]
    aa = jnp.exp(x)
    integrand = 1.0 / (aa * E(cosmo, aa))
    return cosmo.hubble_distance * (-0.5 * lna[..., 0]) * jnp.sum(integrand * _GL_W, axis=-1)


def angular_diameter_distance(cosmo, a):
    """Angular-diameter distance a * chi(a) [Mpc] (flat universe)."""
    return a * comoving_radial_distance(cosmo, a)


def luminosity_distance(cosmo, a):
    """Luminosity distance chi(a) / a [Mpc] (flat universe)."""
    return comoving_radial_distance(cosmo, a) / a


def a_of_chi(cosmo, chi, a_min=1e-3, n_table=1024, n_newton=3):
    """Scale factor at comoving radial distance ``chi`` [Mpc].

    Inverse of :func:`comoving_radial_distance`: a table guess refined by Newton steps
    on the exact chi(a), so the result is smooth in the parameters. Valid for
    chi < chi(a_min).
    """
    chi = jnp.asarray(chi, dtype=float)
    a_tab = jnp.asarray(np.geomspace(a_min, 1.0, n_table))
    chi_tab = comoving_radial_distance(cosmo, a_tab)
    a = jnp.interp(chi, chi_tab[::-1], a_tab[::-1])
    a = jax.lax.stop_gradient(a)
    for _ in range(n_newton):
        # d chi / d a = - c / (H0 a^2 E)
        dchi_da = -cosmo.hubble_distance / (a**2 * E(cosmo, a))
        a = a - (comoving_radial_distance(cosmo, a) - chi) / dchi_da
    return a


# ---------------------------------------------------------------------------------
# Growth
# ---------------------------------------------------------------------------------
_GROWTH_LNA0 = np.log(1e-6)
_GROWTH_N = 600
_GROWTH_LNA = np.linspace(_GROWTH_LNA0, 0.0, _GROWTH_N + 1)


def _growth_rhs(cosmo, lna, y):
    # y = (D1, Y1, D2, Y2) with Y = a^3 E dD/da = a^2 E dD/dlna (CCL's variables)
    a = jnp.exp(lna)
    e = E(cosmo, a)
    om = Omega_m_a(cosmo, a)
    d1, y1, d2, y2 = y
    src = 1.5 * a**2 * e * om
    return jnp.stack([y1 / (a**2 * e), src * d1, y2 / (a**2 * e), src * (d2 - d1**2)])


def growth_table(cosmo):
    """Solve the growth ODEs on the static ln a grid.

    Returns a dict with ``lna`` (static numpy grid from ln 1e-6 to 0), ``D1``, ``dD1``
    (d D1 / d ln a), ``D2``, ``dD2``: the first-order growth normalised to D1(a=1) = 1
    and the second-order growth D2 normalised consistently (D2 ~ -3/7 D1^2 during
    matter domination).  First order: D'' + (2 + dlnE/dlna) D' = 3/2 Omega_m(a) D;
    second order: the same operator acting on D2 equals -3/2 Omega_m(a) D1^2.
    """
    a0 = np.exp(_GROWTH_LNA0)
    e0 = E(cosmo, a0)
    y0 = jnp.stack([jnp.asarray(a0), a0**3 * e0, -3.0 / 7.0 * a0**2 * jnp.ones_like(e0),
                    -6.0 / 7.0 * a0**3 * e0 * a0])
    h = float(_GROWTH_LNA[1] - _GROWTH_LNA[0])

    def step(y, lna):
        k1 = _growth_rhs(cosmo, lna, y)
        k2 = _growth_rhs(cosmo, lna + 0.5 * h, y + 0.5 * h * k1)
        k3 = _growth_rhs(cosmo, lna + 0.5 * h, y + 0.5 * h * k2)
        k4 = _growth_rhs(cosmo, lna + h, y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return y, y

    _, ys = jax.lax.scan(step, y0, jnp.asarray(_GROWTH_LNA[:-1]))
    ys = jnp.concatenate([y0[None], ys], axis=0)
    a = jnp.exp(jnp.asarray(_GROWTH_LNA))
    e = E(cosmo, a)
    src = 1.5 * a**2 * e * Omega_m_a(cosmo, a)
    d1, y1 = ys[:, 0], ys[:, 1]
    d2, y2 = ys[:, 2], ys[:, 3]
    n1 = d1[-1]
    # Y = a^2 E dD/dlna and its exact derivative dY/dlna from the ODE, for Hermite
    # interpolation of the growth rates.
    return dict(lna=_GROWTH_LNA, D1=d1 / n1, dD1=y1 / (a**2 * e) / n1,
                Y1=y1 / n1, dY1=src * d1 / n1,
                D2=d2 / n1**2, dD2=y2 / (a**2 * e) / n1**2,
                Y2=y2 / n1**2, dY2=src * (d2 - d1**2) / n1**2,
                D1_unnorm=d1, dD1_unnorm=y1 / (a**2 * e))


def _hermite(x, xp, y, dy):
    """Cubic Hermite interpolation on a uniform static grid ``xp``."""
    x = jnp.asarray(x, dtype=float)
    hstep = xp[1] - xp[0]
    i = jnp.clip(jnp.floor((x - xp[0]) / hstep).astype(int), 0, len(xp) - 2)
    t = (x - (xp[0] + i * hstep)) / hstep
    t2, t3 = t * t, t * t * t
    h00 = 2 * t3 - 3 * t2 + 1
    h10 = t3 - 2 * t2 + t
    h01 = -2 * t3 + 3 * t2
    h11 = t3 - t2
    return h00 * y[i] + h10 * hstep * dy[i] + h01 * y[i + 1] + h11 * hstep * dy[i + 1]


def _interp_growth(table, a, key, dkey):
    lna = jnp.log(jnp.asarray(a, dtype=float))
    return _hermite(lna, table["lna"], table[key], table[dkey])


def growth_factor(cosmo, a, table=None):
    """Linear growth factor D(a), normalised to D(1) = 1 (pyccl ``growth_factor``)."""
    table = growth_table(cosmo) if table is None else table
    return _interp_growth(table, a, "D1", "dD1")


def growth_factor_unnorm(cosmo, a, table=None):
    """Linear growth factor normalised to D = a at a = 1e-6 (pyccl ``growth_factor_unnorm``)."""
    table = growth_table(cosmo) if table is None else table
    return _interp_growth(table, a, "D1_unnorm", "dD1_unnorm")


def growth_rate(cosmo, a, table=None):
    """Linear growth rate f(a) = d ln D / d ln a."""
    table = growth_table(cosmo) if table is None else table
    lna = jnp.log(jnp.asarray(a, dtype=float))
    a = jnp.exp(lna)
    d = _hermite(lna, table["lna"], table["D1"], table["dD1"])
    y = _hermite(lna, table["lna"], table["Y1"], table["dY1"])
    return y / (a**2 * E(cosmo, a)) / d


def growth_factor_2(cosmo, a, table=None):
    """Second-order growth factor D2(a) (negative; ~ -3/7 D(a)^2 in matter domination),
    with D normalised to D(1) = 1."""
    table = growth_table(cosmo) if table is None else table
    return _interp_growth(table, a, "D2", "dD2")


def growth_rate_2(cosmo, a, table=None):
    """Second-order growth rate f2(a) = d ln D2 / d ln a."""
    table = growth_table(cosmo) if table is None else table
    lna = jnp.log(jnp.asarray(a, dtype=float))
    a = jnp.exp(lna)
    d = _hermite(lna, table["lna"], table["D2"], table["dD2"])
    y = _hermite(lna, table["lna"], table["Y2"], table["dY2"])
    return y / (a**2 * E(cosmo, a)) / d
