"""Limber angular power spectra of weak-lensing convergence / shear.

C_ij(ell) = int dz c/H(z) [W_i(z) + I_i(z)] [W_j(z) + I_j(z)] / chi(z)^2
            P_nl((ell + 1/2)/chi(z), z)  *  F(ell)^2 (1 + m_i)(1 + m_j)

with the lensing efficiency
W_i(chi) = 3/2 (H0/c)^2 Omega_m chi / a int_z^inf dz' n_i(z') (1 - chi/chi(z')),
the NLA intrinsic-alignment kernel (Hirata & Seljak 2004; Bridle & King 2007, with
C1 rho_crit = 5e-14 h^-2 Msun Mpc^3 x rho_crit as in CCL)
I_i(z) = -A_IA ((1+z)/(1+z_piv))^eta C1 rho_crit Omega_m / D(z) n_i(z) H(z)/c,
and the ell prefactor F(ell) = sqrt((l+2)(l+1)l(l-1))/(l+1/2)^2 for shear ("shear"),
l(l+1)/(l+1/2)^2 for convergence ("convergence") or 1 (flat-sky, "flat").

The redshift integral is a midpoint rule on the static grid of the
:class:`~cosmo.redshift.TomographicBins`; halofit's non-linear scale is computed on 64
nodes in ln a and interpolated (relative error < 1e-4).  Everything is jittable and
differentiable in the cosmology, A_IA, eta and m.
"""

import numpy as np
import jax.numpy as jnp

from . import background as bg
from . import power as pw
from .cosmology import constants

__all__ = ["lensing_kernels", "angular_cl", "ell_prefactor", "pair_list", "PowerContext"]

_N_HALOFIT_NODES = 64


def pair_list(n_bins):
    """(i, j) with i <= j in the order used for flattened spectra."""
    return [(i, j) for i in range(n_bins) for j in range(i, n_bins)]


def ell_prefactor(ell, kind="shear"):
    """Angular prefactor F(ell) of the Limber spectrum (see module docstring)."""
    ell = jnp.asarray(ell, dtype=float)
    if kind == "shear":
        return jnp.sqrt(jnp.clip((ell + 2) * (ell + 1) * ell * (ell - 1), 0.0)) / (ell + 0.5) ** 2
    if kind == "convergence":
        return ell * (ell + 1) / (ell + 0.5) ** 2
    if kind == "flat":
        return jnp.ones_like(ell)
    raise ValueError(f"unknown kind {kind!r}")


def lensing_kernels(cosmo, bins, A_IA=None, eta_IA=0.0, z_pivot_IA=0.62, growth=None):
    """Radial kernels on the bins' redshift grid.

    Returns ``(chi [Mpc], dchi_dz [Mpc], K)`` where ``K`` (n_bins, n_z) [1/Mpc] is the
    lensing efficiency plus the NLA kernel (if ``A_IA`` is not None).
    """
    growth = bg.growth_table(cosmo) if growth is None else growth
    z = jnp.asarray(bins.z)
    a = 1.0 / (1.0 + z)
    chi = bg.comoving_radial_distance(cosmo, a)
    dchi_dz = cosmo.hubble_distance / bg.E(cosmo, a)
    # lensing efficiency: int dz' n(z') max(0, 1 - chi/chi')
    ratio = jnp.clip(1.0 - chi[:, None] / chi[None, :], 0.0)  # [z, z']
    q = jnp.einsum("bj,ij->bi", jnp.asarray(bins.nz), ratio) * bins.dz
    pref = 1.5 * cosmo.Omega_m / cosmo.hubble_distance**2
    K = pref * chi / a * q
    if A_IA is not None:
        d = bg.growth_factor(cosmo, a, growth)
        amp = A_IA * ((1 + z) / (1 + z_pivot_IA)) ** eta_IA
        c1rho = constants.ia_c1_h2_mpc3_msun * constants.rho_crit_h2_msun_mpc3
        K = K - amp * c1rho * cosmo.Omega_m / d * jnp.asarray(bins.nz) / dchi_dz
    return chi, dchi_dz, K


class PowerContext:
    """Per-cosmology precomputation shared by the Limber integrals: the growth table and
    halofit's (k_sigma, n_eff, C) on 64 nodes in ln a (a >= a_min)."""

    def __init__(self, cosmo, a_min=0.19, nonlinear=True, wiggles=True):
        self.cosmo = cosmo
        self.nonlinear = nonlinear
        self.wiggles = wiggles
        self.growth = bg.growth_table(cosmo)
        self.lna_nodes = np.linspace(np.log(a_min), 0.0, _N_HALOFIT_NODES)
        if nonlinear:
            ks, ne, cc = pw.halofit_parameters(cosmo, jnp.exp(jnp.asarray(self.lna_nodes)),
                                               wiggles, self.growth)
            self.halofit = (jnp.log(ks), ne, cc)

    def power(self, z, k):
        """P(k, z) [Mpc^3] on a static numpy redshift grid ``z`` (n_z,); k [1/Mpc] of
        shape (n_z, ...)."""
        a = 1.0 / (1.0 + np.asarray(z, dtype=float))
        if a.min() < np.exp(self.lna_nodes[0]):
            raise ValueError("redshift beyond the PowerContext's a_min")
        ax = a.reshape(a.shape + (1,) * (jnp.ndim(k) - 1))
        if not self.nonlinear:
            return pw.linear_power(self.cosmo, k, ax, self.wiggles, self.growth)
        lna = np.log(a)
        shp = ax.shape
        hp = tuple(jnp.interp(lna, self.lna_nodes, v).reshape(shp) for v in self.halofit)
        hp = (jnp.exp(hp[0]),) + hp[1:]
        return pw.nonlinear_power(self.cosmo, k, ax, self.wiggles, self.growth,
                                  halofit_params=hp)


def _pnl_on_grid(cosmo, z, k, nonlinear, wiggles, growth):
    return PowerContext(cosmo, 1.0 / (1.0 + np.max(z)) * 0.99, nonlinear, wiggles).power(z, k)


def angular_cl(cosmo, ell, bins, kind="shear", A_IA=None, eta_IA=0.0, z_pivot_IA=0.62,
               m_bias=None, nonlinear=True, wiggles=True, ctx=None):
    """Tomographic Limber angular power spectra, shape (n_bins, n_bins, n_ell).

    Parameters
    ----------
    cosmo : Cosmology
    ell : array (n_ell,)
        Multipoles (need not be integers).
    bins : TomographicBins
    kind : {"shear", "convergence", "flat"}
        ell prefactor (see :func:`ell_prefactor`); pyccl's ``WeakLensingTracer`` is
        "shear".
    A_IA, eta_IA, z_pivot_IA : float
        NLA intrinsic-alignment amplitude, redshift slope and pivot (None: no IA).
    m_bias : array (n_bins,) or None
        Multiplicative shear biases; C_ij is scaled by (1 + m_i)(1 + m_j).
    nonlinear : bool
        Halofit (True) or linear (False) matter power.
    wiggles : bool
        Eisenstein-Hu transfer with (True) or without BAO wiggles.
    ctx : PowerContext, optional
        Precomputed growth/halofit tables for ``cosmo`` (overrides the two flags above).

    Returns
    -------
    cl : array (n_bins, n_bins, n_ell), dimensionless (symmetric in the bin indices).
    """
    if ctx is None:
        ctx = PowerContext(cosmo, 0.99 / (1.0 + bins.z.max()), nonlinear, wiggles)
    ell = jnp.asarray(ell, dtype=float)
    chi, dchi_dz, K = lensing_kernels(cosmo, bins, A_IA, eta_IA, z_pivot_IA, ctx.growth)
    k = (ell[None, :] + 0.5) / chi[:, None]  # [z, ell]
    pk = ctx.power(bins.z, k)
    w = dchi_dz / chi**2 * bins.dz  # [z]
    cl = jnp.einsum("iz,jz,z,zl->ijl", K, K, w, pk)
    cl = cl * ell_prefactor(ell, kind) ** 2
    if m_bias is not None:
        m = 1.0 + jnp.asarray(m_bias)
        cl = cl * (m[:, None, None] * m[None, :, None])
    return cl
