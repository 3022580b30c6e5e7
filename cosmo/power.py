"""Linear (Eisenstein-Hu) and non-linear (halofit, Takahashi et al. 2012) matter power.

Units: k in 1/Mpc, P(k) in Mpc^3 (as pyccl).  All functions are jittable and
differentiable in the cosmological parameters.

References
----------
* Eisenstein & Hu 1998, ApJ 496, 605 (astro-ph/9709112): transfer function with baryon
  wiggles (their eqs. 2-24) and the zero-baryon "no-wiggle" form (eqs. 26-31).  The
  implementation follows the same equations as CCL's ``ccl_eh.c`` (Theta_2.7 =
  T_CMB/2.7, k converted to h/Mpc inside T(k)), so that it can be compared with
  pyccl's ``eisenstein_hu`` / ``eisenstein_hu_nowiggles`` transfer functions.
* sigma8 normalisation: P(k, a) = A k^n_s T(k)^2 D(a)^2 with A fixed by the top-hat
  variance at R = 8/h Mpc at a = 1.
* Smith et al. 2003 (MNRAS 341, 1311) halofit, with the revised coefficients of
  Takahashi et al. 2012 (ApJ 761, 152, eqs. A4-A13, including the w-dependence of a_n,
  b_n), as implemented in CCL (w evaluated as w0, Omega_m(a), Omega_de(a) of the
  actual cosmology).  No massive neutrinos.
"""

import numpy as np
import jax
import jax.numpy as jnp

from . import background as bg

__all__ = ["eisenstein_hu_transfer", "sigma_R", "sigma8_unnormalised",
           "linear_power", "halofit_parameters", "nonlinear_power", "tophat_window"]

_E = np.e

# integration grid in ln k [1/Mpc] for sigma(R) and halofit integrals (static)
_LNK = np.linspace(np.log(1e-5), np.log(2e3), 2049)
_DLNK = _LNK[1] - _LNK[0]
_SIMPSON = np.ones(_LNK.size)
_SIMPSON[1:-1:2] = 4.0
_SIMPSON[2:-1:2] = 2.0
_SIMPSON *= _DLNK / 3.0


def tophat_window(x):
    """Fourier transform of the 3-D spherical top hat, 3 (sin x - x cos x) / x^3."""
    x = jnp.asarray(x)
    small = x < 1e-3
    xs = jnp.where(small, 1.0, x)
    w = 3.0 * (jnp.sin(xs) - xs * jnp.cos(xs)) / xs**3
    return jnp.where(small, 1.0 - x**2 / 10.0, w)


def _eh_params(cosmo):
    h = cosmo.h
    om, ob = cosmo.Omega_m, cosmo.Omega_b
    omh2, obh2 = om * h * h, ob * h * h
    th = cosmo.T_CMB / 2.7
    zeq = 2.5e4 * omh2 / th**4
    keq = 0.0746 * omh2 / (h * th**2)  # h/Mpc
    b1 = 0.313 * omh2**-0.419 * (1 + 0.607 * omh2**0.674)
    b2 = 0.238 * omh2**0.223
    zdrag = 1291 * omh2**0.251 * (1 + b1 * obh2**b2) / (1 + 0.659 * omh2**0.828)
    req = 31.5 * obh2 * 1000.0 / (zeq * th**4)
    rd = 31.5 * obh2 * 1000.0 / ((1 + zdrag) * th**4)
    rsound = 2 / (3 * keq) * jnp.sqrt(6 / req) * jnp.log(
        (jnp.sqrt(1 + rd) + jnp.sqrt(rd + req)) / (1 + jnp.sqrt(req)))  # Mpc/h
    ksilk = 1.6 * obh2**0.52 * omh2**0.73 * (1 + (10.4 * omh2) ** -0.95) / h
    fb = obh2 / omh2
    a1 = (46.9 * omh2) ** 0.670 * (1 + (32.1 * omh2) ** -0.532)
    a2 = (12.0 * omh2) ** 0.424 * (1 + (45.0 * omh2) ** -0.582)
    alphac = a1 ** (-fb) * a2 ** (-fb**3)
    bb1 = 0.944 / (1 + (458 * omh2) ** -0.708)
    bb2 = (0.395 * omh2) ** -0.0266
    betac = 1 / (1 + bb1 * ((1 - fb) ** bb2 - 1))
    y = zeq / (1 + zdrag)
    sqy = jnp.sqrt(1 + y)
    gy = y * (-6 * sqy + (2 + 3 * y) * jnp.log((sqy + 1) / (sqy - 1)))
    alphab = 2.07 * keq * rsound * (1 + rd) ** -0.75 * gy
    betab = 0.5 + fb + (3 - 2 * fb) * jnp.sqrt((17.2 * omh2) ** 2 + 1)
    bnode = 8.41 * omh2**0.435
    rs_approx = h * 44.5 * jnp.log(9.83 / omh2) / jnp.sqrt(1 + 10 * obh2**0.75)
    return dict(th=th, keq=keq, rsound=rsound, ksilk=ksilk, fb=fb, alphac=alphac,
                betac=betac, alphab=alphab, betab=betab, bnode=bnode,
                rs_approx=rs_approx, omh2=omh2)


def _t0(keq, k, a, b):
    q = k / (13.41 * keq)
    c = 14.2 / a + 386.0 / (1 + 69.9 * q**1.08)
    lg = jnp.log(_E + 1.8 * b * q)
    return lg / (lg + c * q * q)


def eisenstein_hu_transfer(cosmo, k, wiggles=True):
    """Eisenstein & Hu (1998) matter transfer function T(k) (k in 1/Mpc, T(0) = 1).

    ``wiggles=False`` gives the zero-baryon-oscillation fit (EH98 section 4.2).
    """
    p = _eh_params(cosmo)
    kh = jnp.asarray(k) / cosmo.h  # h/Mpc
    if wiggles:
        f = 1 / (1 + (kh * p["rsound"] / 5.4) ** 4)
        tc = f * _t0(p["keq"], kh, 1.0, p["betac"]) + (1 - f) * _t0(p["keq"], kh, p["alphac"], p["betac"])
        x = kh * p["rsound"]
        xb = x * (1 + p["bnode"] ** 3 / x**3) ** (-1.0 / 3.0)
        j0 = jnp.sin(xb) / xb
        part1 = _t0(p["keq"], kh, 1.0, 1.0) / (1 + (x / 5.2) ** 2)
        part2 = p["alphab"] / (1 + (p["betab"] / x) ** 3) * jnp.exp(-((kh / p["ksilk"]) ** 1.4))
        tb = j0 * (part1 + part2)
        return p["fb"] * tb + (1 - p["fb"]) * tc
    fb = p["fb"]
    omh2 = p["omh2"]
    ag = 1 - 0.328 * jnp.log(431 * omh2) * fb + 0.38 * jnp.log(22.3 * omh2) * fb**2
    geff = cosmo.Omega_m * cosmo.h * (ag + (1 - ag) / (1 + (0.43 * kh * p["rs_approx"]) ** 4))
    q = kh * p["th"] ** 2 / geff
    l0 = jnp.log(2 * _E + 1.8 * q)
    c0 = 14.2 + 731 / (1 + 62.5 * q)
    return l0 / (l0 + c0 * q * q)


def _pk_unnorm(cosmo, k, wiggles):
    return jnp.asarray(k) ** cosmo.n_s * eisenstein_hu_transfer(cosmo, k, wiggles) ** 2


def sigma8_unnormalised(cosmo, wiggles=True):
    """sigma8 of the un-normalised spectrum k^n_s T(k)^2 (internal normalisation)."""
    k = jnp.exp(jnp.asarray(_LNK))
    w = tophat_window(k * 8.0 / cosmo.h)
    integrand = k**3 * _pk_unnorm(cosmo, k, wiggles) * w**2 / (2 * np.pi**2)
    return jnp.sqrt(jnp.sum(integrand * _SIMPSON))


def linear_power(cosmo, k, a=1.0, wiggles=True, growth=None):
    """Linear matter power spectrum P_lin(k, a) [Mpc^3], k in 1/Mpc.

    Eisenstein-Hu transfer (``wiggles`` selects the BAO or no-wiggle form), normalised
    to ``cosmo.sigma8`` at a = 1 and scaled by D(a)^2.  ``k`` and ``a`` broadcast.
    ``growth`` may pass a precomputed :func:`cosmo.background.growth_table`.
    """
    growth = bg.growth_table(cosmo) if growth is None else growth
    d = bg.growth_factor(cosmo, a, growth)
    norm = (cosmo.sigma8 / sigma8_unnormalised(cosmo, wiggles)) ** 2
    return norm * _pk_unnorm(cosmo, k, wiggles) * d**2


def sigma_R(cosmo, R, a=1.0, wiggles=True):
    """rms linear density contrast in spherical top hats of radius R [Mpc] at a."""
    R = jnp.asarray(R, dtype=float)
    k = jnp.exp(jnp.asarray(_LNK))
    pk = linear_power(cosmo, k, 1.0, wiggles)
    w = tophat_window(k * R[..., None])
    s2 = jnp.sum(k**3 * pk / (2 * np.pi**2) * w**2 * _SIMPSON, axis=-1)
    return jnp.sqrt(s2) * bg.growth_factor(cosmo, a)


def halofit_parameters(cosmo, a, wiggles=True, growth=None, n_newton=25):
    """Halofit non-linear scale, effective index and curvature at scale factor(s) a.

    Returns ``(k_sigma [1/Mpc], n_eff, C)`` with sigma^2(R = 1/k_sigma) = 1 for the
    Gaussian-filtered linear variance (Smith et al. 2003 eqs. C3-C5).  The root is
    found by Newton iterations in ln R on ln sigma^2; the gradient flows through the
    implicit-function theorem (one differentiable Newton step at the converged root).
    """
    growth = bg.growth_table(cosmo) if growth is None else growth
    a = jnp.asarray(a, dtype=float)
    # every 4th node of the sigma8 grid (Simpson weights on the coarser grid)
    lnk = _LNK[::4]
    wts = np.ones(lnk.size)
    wts[1:-1:2], wts[2:-1:2] = 4.0, 2.0
    wts *= (lnk[1] - lnk[0]) / 3.0
    k = jnp.exp(jnp.asarray(lnk))
    d2 = bg.growth_factor(cosmo, a, growth)[..., None] ** 2
    delta2 = k**3 * linear_power(cosmo, k, 1.0, wiggles, growth) / (2 * np.pi**2) * wts

    def moments(lnr):
        y2 = (k * jnp.exp(lnr)[..., None]) ** 2
        g = delta2 * d2 * jnp.exp(-y2)
        return jnp.sum(g, -1), jnp.sum(g * y2, -1), jnp.sum(g * y2 * y2, -1)

    def newton(lnr):
        s0, s2, _ = moments(lnr)
        # d ln s0 / d ln R = -2 s2 / s0
        return lnr + jnp.log(s0) / (2 * s2 / s0)

    lnr0 = jnp.zeros_like(a)
    lnr = jax.lax.fori_loop(0, n_newton, lambda i, x: newton(x), jax.lax.stop_gradient(lnr0))
    lnr = jax.lax.stop_gradient(lnr)
    # one differentiable step (implicit gradient), with stop-gradient on the slope
    s0, s2, _ = moments(lnr)
    lnr = lnr + jnp.log(s0) / jax.lax.stop_gradient(2 * s2 / s0)
    s0, s2, s4 = moments(lnr)
    neff = -3.0 + 2.0 * s2 / s0
    c = (3.0 + neff) ** 2 + 4.0 * (s2 - s4) / s0
    return jnp.exp(-lnr), neff, c


def nonlinear_power(cosmo, k, a=1.0, wiggles=True, growth=None, halofit_params=None):
    """Non-linear matter power P_nl(k, a) [Mpc^3] from halofit (Takahashi et al. 2012).

    ``k`` [1/Mpc] and ``a`` broadcast against each other; for efficiency pass ``a``
    with a trailing singleton axis and ``k`` along the last axis.  ``halofit_params``
    may pass ``halofit_parameters(cosmo, a)`` computed once for the same ``a``.
    """
    growth = bg.growth_table(cosmo) if growth is None else growth
    a = jnp.asarray(a, dtype=float)
    k = jnp.asarray(k, dtype=float)
    if halofit_params is None:
        halofit_params = halofit_parameters(cosmo, a, wiggles, growth)
    ksig, n, c = halofit_params
    om = bg.Omega_m_a(cosmo, a)
    ode = bg.Omega_de_a(cosmo, a)
    w = cosmo.w0
    pl = linear_power(cosmo, k, a, wiggles, growth)
    n2, n3, n4 = n * n, n**3, n**4
    an = 10 ** (1.5222 + 2.8553 * n + 2.3706 * n2 + 0.9903 * n3 + 0.2250 * n4
                - 0.6038 * c + 0.1749 * ode * (1 + w))
    bn = 10 ** (-0.5642 + 0.5864 * n + 0.5716 * n2 - 1.5474 * c + 0.2279 * ode * (1 + w))
    cn = 10 ** (0.3698 + 2.0404 * n + 0.8161 * n2 + 0.5869 * c)
    gn = 0.1971 - 0.0843 * n + 0.8460 * c
    alpha = jnp.abs(6.0835 + 1.3373 * n - 0.1959 * n2 - 5.5274 * c)
    beta = 2.0379 - 0.7354 * n + 0.3157 * n2 + 1.2490 * n3 + 0.3980 * n4 - 0.1682 * c
    nu = 10 ** (5.2105 + 3.6902 * n)
    # Smith et al. (2003) eqs. C17-C18, interpolated in the dark-energy fraction
    f1a, f2a, f3a = om**-0.0732, om**-0.1423, om**0.0725
    f1b, f2b, f3b = om**-0.0307, om**-0.0585, om**0.0743
    frac = ode / (1.0 - om)
    f1 = frac * f1b + (1 - frac) * f1a
    f2 = frac * f2b + (1 - frac) * f2a
    f3 = frac * f3b + (1 - frac) * f3a
    norm = k**3 / (2 * np.pi**2)
    dl = pl * norm
    y = k / ksig
    fy = y / 4.0 + y * y / 8.0
    dq = dl * (1 + dl) ** beta / (1 + alpha * dl) * jnp.exp(-fy)
    dhp = an * y ** (3 * f1) / (1 + bn * y**f2 + (cn * f3 * y) ** (3 - gn))
    dh = dhp / (1 + nu / (y * y))
    return (dq + dh) / norm
