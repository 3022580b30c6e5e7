"""Tomographic log-normal convergence maps on a flat-sky grid (LSST Y10 setup).

Model (Hilbert, Hartlap & Schneider 2011; Xavier, Abdalla & Joachimi 2016): in each
tomographic bin i the convergence is a shifted log-normal field

    kappa_i = lambda_i (exp(g_i - sigma_Gi^2 / 2) - 1),

with g a zero-mean Gaussian field, correlated across bins.  Its two-point function is
fixed so that kappa has exactly the Limber spectra C_ij(ell) of
:func:`cosmo.angular_cl.angular_cl` on the periodic N x N grid:

1. the power map P_ij(l) = C_ij(|l|) / A_pix on the FFT grid is transformed to the grid
   correlation function xi_ij(x) (inverse FFT);
2. xi^G_ij = ln(1 + xi_ij / (lambda_i lambda_j)); P^G_ij = FFT(xi^G_ij), and
   sigma_Gi^2 = xi^G_ii(0);
3. per Fourier mode the 5x5 matrix P^G(l) is Cholesky-factorised, L L^T = P^G, and
   g_i = IFFT(sum_j L_ij FFT(w_j)) from white-noise latents w (n_bins, N, N), so
   g has pixel covariance xi^G and kappa has pixel covariance xi (exactly).

Shape noise sigma_e / sqrt(n_i A_pix) per pixel is added in :meth:`simulate`.

Shift parameter lambda_i: ``shift_method="skewness"`` (default) matches the
log-normal skewness, S3 = <k^3>/<k^2>^2 = (3 + <k^2>/lambda^2)/lambda, to the
perturbation-theory skewness of the convergence smoothed with a top-hat disk of the
pixel area: at tree level, in the Limber and small-angle approximations (Bernardeau,
van Waerbeke & Mellier 1997, eq. 31-32; Bernardeau 1995 for the 2-D top hat),

    <k^3> = int dchi W^3 [36/7 s^4 + 3/2 s^2 R ds^2/dR],  R = chi theta,
    s^2(R, z) = int k dk/(2 pi) P(k, z) W_2D(kR)^2,  <k^2> = int dchi W^2 s^2,

evaluated with the halofit (non-linear) power spectrum (the hierarchical ansatz with
tree-level coefficients).  The cubic S3 lambda^3 - 3 lambda^2 - <k^2> = 0 has one
positive root, found by Newton's method (differentiable).  ``"empty_beam"`` uses the
minimum convergence of an empty line of sight, lambda_i = |kappa_empty,i| =
int dchi W_i(chi) (Hilbert et al. 2011), and a float or array fixes lambda.
"""

import numpy as np
import jax
import jax.numpy as jnp

from . import angular_cl as acl
from . import background as bg
from .cosmology import Cosmology, LSST_Y10_FIDUCIAL
from .redshift import lsst_y10_bins
from ._special import j0, disk_window

__all__ = ["LogNormalModel", "default_model", "simulate", "log_likelihood",
           "shift_parameters", "kaiser_squires", "measure_cl", "lognormal_moments"]

_ARCMIN = np.pi / 180.0 / 60.0


def lognormal_moments(var_kappa, lam):
    """Variance and skewness of kappa = lam (exp(g - s^2/2) - 1) with Var kappa given.

    Returns (variance, skewness <k^3>/<k^2>^1.5) = (var, (e^{s^2} + 2) sqrt(e^{s^2} - 1))
    with e^{s^2} = 1 + var / lam^2.
    """
    es2 = 1.0 + var_kappa / lam**2
    return var_kappa, (es2 + 2.0) * np.sqrt(es2 - 1.0)


def _solve_shift(s3, var):
    """Positive root of s3 lam^3 - 3 lam^2 - var = 0 (Newton, monotone from above)."""
    lam = 3.0 / s3 + var * s3 / 9.0
    for _ in range(30):
        f = s3 * lam**3 - 3.0 * lam**2 - var
        fp = 3.0 * s3 * lam**2 - 6.0 * lam
        lam = lam - f / fp
    return lam


def shift_parameters(cosmo, bins, theta_arcmin, method="skewness", return_moments=False,
                     ctx=None, z_stride=4, n_x=385):
    """Log-normal shift parameters lambda_i (n_bins,) computed from the cosmology.

    Parameters
    ----------
    cosmo : Cosmology
    bins : TomographicBins
    theta_arcmin : float
        Top-hat (disk) smoothing radius [arcmin] at which the skewness is matched
        (the map model uses the radius of a disk with the pixel's area).
    method : {"skewness", "empty_beam"}
        See the module docstring.
    return_moments : bool
        Also return (var, S3) of the smoothed convergence per bin (skewness only).
    ctx : PowerContext, optional
        Precomputed growth/halofit tables for ``cosmo``.
    z_stride, n_x : int
        Accuracy knobs: the redshift integral uses every ``z_stride``-th node of the
        bins' grid, the smoothing integral ``n_x`` nodes in ln(kR) on [1e-2, 60]
        (the defaults change lambda by < 0.5% relative to a 4x finer calculation).
    """
    if ctx is None:
        ctx = acl.PowerContext(cosmo, 0.99 / (1.0 + bins.z.max()))
    chi, dchi_dz, K = acl.lensing_kernels(cosmo, bins, growth=ctx.growth)
    wz = dchi_dz * bins.dz
    if method == "empty_beam":
        lam = jnp.sum(K * wz, axis=1)
        return (lam, None) if return_moments else lam
    if method != "skewness":
        raise ValueError(f"unknown shift method {method!r}")
    theta = theta_arcmin * _ARCMIN
    sl = slice(z_stride // 2, None, z_stride)
    z = bins.z[sl]
    chi, K, wz = chi[sl], K[:, sl], wz[sl] * z_stride
    R = chi * theta  # [z]
    lnx = np.linspace(np.log(1e-2), np.log(60.0), n_x)
    x = np.exp(lnx)
    simpson = np.ones_like(x)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    simpson *= (lnx[1] - lnx[0]) / 3.0
    k = x[None, :] / R[:, None]  # [z, x]
    pk = ctx.power(z, k)
    wd = disk_window(x)
    xwp = 2.0 * (j0(x) - wd)  # x dW/dx for W = 2 J1(x)/x
    base = x**2 / (2 * np.pi) * simpson / R[:, None] ** 2 * pk  # k dk/(2 pi) P
    s2 = jnp.sum(base * wd**2, axis=1)
    rds2 = jnp.sum(base * 2.0 * wd * xwp, axis=1)  # R d s2 / dR
    var = jnp.einsum("bz,z->b", K**2, s2 * wz)
    k3 = jnp.einsum("bz,z->b", K**3, (36.0 / 7.0 * s2**2 + 1.5 * s2 * rds2) * wz)
    s3 = k3 / var**2
    lam = _solve_shift(s3, var)
    return (lam, (var, s3)) if return_moments else lam


def kaiser_squires(kappa, pixel_scale=1.0):
    """Shear (gamma1, gamma2) from convergence maps by the flat-sky Kaiser-Squires
    relation gamma(l) = (l1^2 - l2^2 + 2 i l1 l2)/l^2 kappa(l) (l=0 mode set to 0).

    ``kappa`` has shape (..., N, N) with axes (y, x); returns two arrays of that shape.
    """
    n = kappa.shape[-1]
    f = jnp.fft.fftfreq(n)
    l2, l1 = np.meshgrid(f, f, indexing="ij")  # l2 along y, l1 along x
    ll = l1**2 + l2**2
    ll[0, 0] = 1.0
    d = jnp.asarray((l1**2 - l2**2 + 2j * l1 * l2) / ll)
    g = jnp.fft.ifft2(jnp.fft.fft2(kappa) * d)
    return g.real, g.imag


def measure_cl(maps, field_deg, ell_edges):
    """Binned auto/cross power spectra of flat-sky maps.

    ``maps`` (n_bins, N, N) or (n_maps, n_bins, N, N); returns (..., n_bins, n_bins,
    n_ell_bins) estimates C_ij = A |FFT|^2 / N^4 averaged over the modes with
    ell_edges[b] <= |l| < ell_edges[b+1], and the number of modes per bin.
    """
    maps = jnp.asarray(maps)
    n = maps.shape[-1]
    area = np.deg2rad(field_deg) ** 2
    f = jnp.fft.fft2(maps)
    l = 2 * np.pi * np.fft.fftfreq(n, d=np.deg2rad(field_deg) / n)
    ell = np.sqrt(l[:, None] ** 2 + l[None, :] ** 2)
    idx = np.digitize(ell.ravel(), ell_edges) - 1
    ff = f.reshape(f.shape[:-2] + (-1,))
    out, counts = [], []
    for b in range(len(ell_edges) - 1):
        sel = np.nonzero(idx == b)[0]
        fb = ff[..., sel]
        out.append(jnp.einsum("...ip,...jp->...ij", fb, jnp.conj(fb)).real / sel.size)
        counts.append(sel.size)
    return jnp.stack(out, axis=-1) * (area / float(n) ** 4), np.array(counts)


class LogNormalModel:
    """Tomographic log-normal convergence model on an N x N flat-sky grid.

    Parameters
    ----------
    npix : int
        Pixels per side (default 256).
    field_deg : float
        Side of the square field [deg] (default 10).
    bins : TomographicBins
        Source bins (default :func:`cosmo.redshift.lsst_y10_bins`).
    shift_method : {"skewness", "empty_beam"} or array
        How lambda_i is obtained (see module docstring); an array fixes it.
    n_ell : int
        Number of log-spaced multipoles at which C_ell is computed and interpolated
        (in ln ell) onto the Fourier grid.
    kind : str
        ell prefactor of the Limber spectra (default "convergence").
    A_IA, m_bias : optional
        NLA amplitude and multiplicative biases passed to :func:`angular_cl`.

    All methods are pure functions of their arguments (jit/vmap/grad friendly);
    ``cosmo_params`` may be a :class:`Cosmology`, a dict or a length-7 array.
    """

    def __init__(self, npix=256, field_deg=10.0, bins=None, shift_method="skewness",
                 n_ell=256, kind="convergence", A_IA=None, m_bias=None):
        self.npix = int(npix)
        self.field_deg = float(field_deg)
        self.bins = lsst_y10_bins() if bins is None else bins
        self.shift_method = shift_method
        self.kind = kind
        self.A_IA = A_IA
        self.m_bias = m_bias
        self.n_bins = self.bins.n_bins
        self.pixel_rad = np.deg2rad(self.field_deg) / self.npix
        self.pixel_arcmin = self.field_deg * 60.0 / self.npix
        self.pixel_area_sr = self.pixel_rad**2
        # radius of a disk with the pixel's area, for the skewness matching
        self.theta_shift_arcmin = self.pixel_arcmin / np.sqrt(np.pi)
        l = 2 * np.pi * np.fft.fftfreq(self.npix, d=self.pixel_rad)
        lr = 2 * np.pi * np.fft.rfftfreq(self.npix, d=self.pixel_rad)
        self.ell_rgrid = np.sqrt(l[:, None] ** 2 + lr[None, :] ** 2)  # (N, N//2+1)
        lmin = 2 * np.pi / np.deg2rad(self.field_deg)
        self.ell = np.geomspace(0.5 * lmin, 1.02 * self.ell_rgrid.max(), n_ell)
        self.noise_sigma = self.bins.sigma_e / np.sqrt(self.bins.n_gal * self.pixel_arcmin**2)

    # -- spectra ---------------------------------------------------------------
    def _cosmo(self, cosmo_params):
        return Cosmology.from_params(cosmo_params, LSST_Y10_FIDUCIAL)

    def context(self, cosmo_params):
        """Growth and halofit tables shared by :meth:`cl` and :meth:`shifts`."""
        return acl.PowerContext(self._cosmo(cosmo_params), 0.99 / (1.0 + self.bins.z.max()))

    def cl(self, cosmo_params, ctx=None):
        """Limber spectra C_ij(ell) on ``self.ell``, shape (n_bins, n_bins, n_ell)."""
        return acl.angular_cl(self._cosmo(cosmo_params), self.ell, self.bins, kind=self.kind,
                              A_IA=self.A_IA, m_bias=self.m_bias, ctx=ctx)

    def shifts(self, cosmo_params, ctx=None):
        """Shift parameters lambda_i (n_bins,)."""
        if isinstance(self.shift_method, str):
            return shift_parameters(self._cosmo(cosmo_params), self.bins,
                                    self.theta_shift_arcmin, self.shift_method, ctx=ctx)
        return jnp.asarray(self.shift_method, dtype=float) * jnp.ones(self.n_bins)

    def power_maps(self, cosmo_params):
        """Spectra on the FFT grid and their log-normal transforms.

        Returns a dict: ``cl`` (n_bins, n_bins, n_ell) on ``self.ell``, ``P_kappa`` (n_bins, n_bins, N, N//2+1) = C(|l|)/A_pix,
        ``xi_kappa`` (n_bins, n_bins, N, N) grid correlation functions, ``P_gauss``,
        ``xi_gauss``, ``var_gauss`` (n_bins,) = xi^G_ii(0), ``shift`` (n_bins,) and
        ``chol`` (N, N//2+1, n_bins, n_bins).
        """
        ctx = self.context(cosmo_params)
        cl = self.cl(cosmo_params, ctx)
        lam = self.shifts(cosmo_params, ctx)
        lnl = jnp.log(jnp.asarray(self.ell_rgrid).clip(1e-30))
        lnell = np.log(self.ell)
        interp = jax.vmap(jax.vmap(lambda c: jnp.interp(lnl, lnell, c)))
        pk = interp(cl) / self.pixel_area_sr
        pk = pk.at[..., 0, 0].set(0.0)
        n = self.npix
        xi = jnp.fft.irfft2(pk, s=(n, n))
        xig = jnp.log1p(xi / (lam[:, None, None, None] * lam[None, :, None, None]))
        pg = jnp.fft.rfft2(xig).real
        pg0 = jnp.diagonal(pg[..., 0, 0])
        # The l = 0 mode of P^G is negative definite (the box mean of xi is zero, so
        # that of ln(1 + xi/lambda^2) is negative): drop it, i.e. the Gaussian field has
        # zero box mean, and use the variance of the field actually drawn.  This scales
        # the kappa spectra at l != 0 by exp(-P^G_ij(0)/N^2) = 1 + O(5e-5) at the
        # fiducial.
        pg = pg.at[..., 0, 0].set(0.0)
        var_g = jnp.diagonal(xig[..., 0, 0]) - pg0 / n**2
        mats = jnp.moveaxis(pg, (0, 1), (-2, -1))
        eye = jnp.eye(self.n_bins)
        mats = mats.at[0, 0].set(eye)
        chol = jnp.linalg.cholesky(mats)
        chol = chol.at[0, 0].set(0.0 * eye)
        return dict(cl=cl, P_kappa=pk, xi_kappa=xi, P_gauss=pg, xi_gauss=xig, var_gauss=var_g,
                    shift=lam, chol=chol)

    # -- maps -------------------------------------------------------------------
    def kappa_from_latents(self, cosmo_params, latents, power=None):
        """Noiseless convergence maps (n_bins, N, N) from white-noise latents
        (n_bins, N, N) (standard normal)."""
        p = self.power_maps(cosmo_params) if power is None else power
        w = jnp.fft.rfft2(latents)  # (b, N, N/2+1)
        g = jnp.einsum("xyij,jxy->ixy", p["chol"], w)
        g = jnp.fft.irfft2(g, s=(self.npix, self.npix))
        lam = p["shift"][:, None, None]
        return lam * (jnp.exp(g - 0.5 * p["var_gauss"][:, None, None]) - 1.0)

    def simulate(self, key, cosmo_params, noise=True, return_latents=False):
        """Draw tomographic convergence maps (n_bins, N, N) at ``cosmo_params``.

        With ``noise=True`` adds Gaussian shape noise sigma_e / sqrt(n_i A_pix).
        """
        k1, k2 = jax.random.split(key)
        z = jax.random.normal(k1, (self.n_bins, self.npix, self.npix))
        kappa = self.kappa_from_latents(cosmo_params, z)
        if noise:
            kappa = kappa + jnp.asarray(self.noise_sigma)[:, None, None] * jax.random.normal(
                k2, kappa.shape)
        return (kappa, z) if return_latents else kappa

    def shear_maps(self, kappa):
        """Kaiser-Squires shear maps (gamma1, gamma2) of convergence maps."""
        return kaiser_squires(kappa)

    def log_likelihood(self, kappa_obs, cosmo_params, latents):
        """Gaussian shape-noise log-likelihood ln p(map | params, latents) [nats].

        The latents' own prior is standard normal (:meth:`log_prior_latents`); the sum of
        the two is the joint density explicit inference samples.
        """
        kappa = self.kappa_from_latents(cosmo_params, latents)
        s = jnp.asarray(self.noise_sigma)[:, None, None]
        r = (kappa_obs - kappa) / s
        npx = self.npix**2
        return (-0.5 * jnp.sum(r**2) - npx * jnp.sum(jnp.log(jnp.asarray(self.noise_sigma)))
                - 0.5 * r.size * np.log(2 * np.pi))

    @staticmethod
    def log_prior_latents(latents):
        """Standard-normal log density of the white-noise latents."""
        return -0.5 * jnp.sum(latents**2) - 0.5 * latents.size * np.log(2 * np.pi)


_DEFAULT = {}


def default_model():
    """The LSST Y10 benchmark configuration: N=256, 10x10 deg^2, 5 bins (cached)."""
    if "m" not in _DEFAULT:
        _DEFAULT["m"] = LogNormalModel()
    return _DEFAULT["m"]


def simulate(key, cosmo_params, model=None, noise=True):
    """Noisy tomographic convergence maps (n_bins, N, N) of the default LSST Y10 model."""
    return (default_model() if model is None else model).simulate(key, cosmo_params, noise)


def log_likelihood(kappa_obs, cosmo_params, latents, model=None):
    """Shape-noise log-likelihood of maps given parameters and white-noise latents."""
    return (default_model() if model is None else model).log_likelihood(
        kappa_obs, cosmo_params, latents)
