"""Intrinsic-alignment (IA) toy physics: halo catalogues with galaxy orientations,
projected shapes, and the ellipticity-direction (ED) and w_g+ statistics.

Generator (``make_halo_catalogue``)
-----------------------------------
1. A Gaussian random density field on a periodic ``n_mesh^3`` grid of side
   ``box_size`` (Mpc/h) with power spectrum ``P(k) ~ k^n exp(-k^2 R_s^2)``, normalised
   to unit variance.
2. The tidal tensor ``T_ij = d_i d_j phi`` with ``laplacian(phi) = delta``, i.e.
   ``T_ij(k) = k_i k_j / k^2 delta(k)``.
3. Halo positions: grid cells drawn with probability ``~ exp(b delta)`` (a log-normal
   bias ``b``), uniform inside the cell. Masses: ``log10 M`` (M_sun/h) from a truncated
   power law ``dn/dlog10M ~ M^-alpha`` on ``[logm_min, logm_max]``. Halo axis ratios
   ``q = b/a``, ``s = c/a``.
4. Halo eigenframe: the tidal eigenvectors at the halo (major axis along the
   eigenvector of the smallest eigenvalue, the direction of slowest collapse; minor
   axis along the largest), rotated by a small random rotation (``halo_scatter``).
   Frames are rotation matrices whose columns are the major, intermediate and minor
   axes in box coordinates.
5. Galaxy orientation: ``R_gal = R_halo exp(hat(v))`` with ``v ~ N(0, sigma^2 I_3)``
   (radians) and a misalignment dispersion that decreases with halo mass and
   increases for rounder halos (:func:`misalignment_sigma`). Galaxies are triaxial
   ellipsoids with axis ratios ``(1, q_g, s_g)`` along the columns of ``R_gal``.

Statistics
----------
* Projected shapes (:func:`projected_ellipticity`): the ellipsoid's second-moment
  tensor ``R diag(1, q^2, s^2) R^T`` projected along the line of sight (the z axis of
  the box); ellipticity ``e = (Q11 - Q22 + 2i Q12) / (Q11 + Q22 + 2 sqrt(det Q))``
  (the ``|e| = (1 - r)/(1 + r)`` definition, r the projected axis ratio).
* ED (:func:`ed_correlation`): ``ED(r) = < (a_i . r_hat_ij)^2 > - 1/3`` over pairs
  (i a shape galaxy, j a density tracer) at 3-D separation r (periodic minimum image);
  ``a`` is the galaxy's 3-D major axis.
* w_g+ (:func:`wgplus`): ``w_g+(r_p) = S_+D / (N_S N_D A(r_p) / V)`` summed over
  ``|Pi| < pi_max`` with ``e_+ = Re(e exp(-2i phi))``, ``phi`` the position angle of
  the separation in the x-y plane, so *radial* alignment (major axes pointing to the
  tracers) is positive. Units Mpc/h.

Errors come from a bootstrap over shape galaxies; :func:`compare_statistics` tests
two orientation samples of the *same* halos with a paired bootstrap of the
difference.

The diffusion model that learns ``p(R_gal | halo)`` lives in
:mod:`inference.so3.ia` (``cosmo`` does not import ``inference``).
"""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "HaloCatalogue", "make_halo_catalogue", "misalignment_sigma", "gaussian_random_field",
    "tidal_tensor", "projected_ellipticity", "major_axes", "ed_correlation", "wgplus",
    "PairStatistic", "compare_statistics", "random_orientations",
]


# ------------------------------------------------------------------ small rotation helpers
def _hat(v):
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    o = np.zeros_like(x)
    return np.stack([np.stack([o, -z, y], -1), np.stack([z, o, -x], -1),
                     np.stack([-y, x, o], -1)], -2)


def _expmap(v):
    """Rodrigues' formula for rotation vectors (..., 3) -> (..., 3, 3), numpy."""
    v = np.asarray(v, dtype=float)
    th = np.linalg.norm(v, axis=-1)
    ths = np.where(th < 1e-8, 1.0, th)
    a = np.where(th < 1e-8, 1.0, np.sin(ths) / ths)
    b = np.where(th < 1e-8, 0.5, (1 - np.cos(ths)) / ths ** 2)
    K = _hat(v)
    return np.eye(3) + a[..., None, None] * K + b[..., None, None] * (K @ K)


def random_orientations(seed, n):
    """Haar-uniform rotations (n, 3, 3) from a numpy seed (a no-alignment reference)."""
    q = np.random.default_rng(seed).normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


# ------------------------------------------------------------------ fields
def _kgrid(n_mesh, box_size):
    k1 = 2 * np.pi * np.fft.fftfreq(n_mesh, d=box_size / n_mesh)
    kz = 2 * np.pi * np.fft.rfftfreq(n_mesh, d=box_size / n_mesh)
    return np.meshgrid(k1, k1, kz, indexing="ij")


def gaussian_random_field(key, n_mesh=64, box_size=200.0, n_s=-1.5, smoothing=3.0):
    """Unit-variance Gaussian random field on a periodic grid (jax.random key).

    ``P(k) ~ k^n_s exp(-k^2 smoothing^2)``; ``box_size`` and ``smoothing`` in Mpc/h.
    Returns ``delta`` (n_mesh, n_mesh, n_mesh) as a numpy array.
    """
    white = jax.random.normal(key, (n_mesh,) * 3)
    wk = jnp.fft.rfftn(white)
    kx, ky, kz = _kgrid(n_mesh, box_size)
    k = np.sqrt(kx ** 2 + ky ** 2 + kz ** 2)
    ks = np.where(k > 0, k, 1.0)
    amp = np.where(k > 0, ks ** (0.5 * n_s) * np.exp(-0.5 * (ks * smoothing) ** 2), 0.0)
    d = np.asarray(jnp.fft.irfftn(wk * amp, s=(n_mesh,) * 3))
    return (d - d.mean()) / d.std()


def tidal_tensor(delta, box_size):
    """Tidal tensor ``T_ij = d_i d_j phi`` with ``laplacian(phi) = delta`` on the grid.

    Returns (n, n, n, 3, 3) (symmetric; trace = delta minus its mean).
    """
    n = delta.shape[0]
    dk = np.fft.rfftn(delta)
    kx, ky, kz = _kgrid(n, box_size)
    k2 = kx ** 2 + ky ** 2 + kz ** 2
    k2s = np.where(k2 > 0, k2, 1.0)
    ks = (kx, ky, kz)
    T = np.empty(delta.shape + (3, 3))
    for i in range(3):
        for j in range(i, 3):
            c = np.fft.irfftn(np.where(k2 > 0, ks[i] * ks[j] / k2s, 0.0) * dk, s=delta.shape,
                                axes=(0, 1, 2))
            T[..., i, j] = c
            T[..., j, i] = c
    return T


def misalignment_sigma(log10_mass, halo_q):
    """Per-axis dispersion (radians) of the galaxy-halo misalignment rotation vector.

    ``sigma = 0.30 + 0.20 (13.5 - log10 M) + 0.5 (q - 0.6)``, clipped to [0.1, 1.0]:
    massive, elongated halos host better aligned galaxies. ``log10_mass`` in M_sun/h.
    """
    s = 0.30 + 0.20 * (13.5 - np.asarray(log10_mass)) + 0.5 * (np.asarray(halo_q) - 0.6)
    return np.clip(s, 0.1, 1.0)


@dataclasses.dataclass
class HaloCatalogue:
    """A synthetic catalogue (numpy arrays; N halos, one central galaxy each).

    Attributes
    ----------
    positions : (N, 3) Mpc/h, in [0, box_size)
    box_size : float, Mpc/h
    log10_mass : (N,) log10(M / (M_sun/h))
    halo_axis_ratios : (N, 2) (q, s) = (b/a, c/a) of the halo
    halo_frames : (N, 3, 3) rotation, columns = halo major, intermediate, minor axes
    galaxy_axis_ratios : (N, 2) (q_g, s_g) of the galaxy ellipsoid
    galaxy_frames : (N, 3, 3) true galaxy orientations (columns = galaxy axes)
    sigma : (N,) misalignment dispersion used (radians)
    """

    positions: np.ndarray
    box_size: float
    log10_mass: np.ndarray
    halo_axis_ratios: np.ndarray
    halo_frames: np.ndarray
    galaxy_axis_ratios: np.ndarray
    galaxy_frames: np.ndarray
    sigma: np.ndarray

    def __len__(self):
        return self.positions.shape[0]

    def conditioning(self):
        """Halo properties fed to the conditional model, (N, 2):
        ``(log10 M - 13, (q - 0.65) / 0.15)``."""
        return np.stack([self.log10_mass - 13.0, (self.halo_axis_ratios[:, 0] - 0.65) / 0.15], -1)

    def relative_orientations(self, frames=None):
        """Galaxy orientations in the halo frame, ``R_halo^T R_gal`` (N, 3, 3)."""
        frames = self.galaxy_frames if frames is None else frames
        return np.swapaxes(self.halo_frames, -1, -2) @ frames

    def with_galaxy_frames(self, frames):
        """A copy with other galaxy orientations (e.g. sampled from a model)."""
        return dataclasses.replace(self, galaxy_frames=np.asarray(frames, dtype=float))


def make_halo_catalogue(key, n_halos=4000, box_size=200.0, n_mesh=64, n_s=-1.5, smoothing=4.0,
                        bias=1.5, logm_min=11.5, logm_max=14.5, mass_slope=0.9,
                        halo_scatter=0.15):
    """Generate a :class:`HaloCatalogue` (see the module docstring for the model).

    Parameters
    ----------
    key : jax PRNG key (the only source of randomness; same key, same catalogue)
    n_halos : number of halos (each hosts one galaxy)
    box_size : periodic box side, Mpc/h
    n_mesh : grid cells per side for the density and tidal fields
    n_s, smoothing : spectral index and Gaussian smoothing scale (Mpc/h) of the field
    bias : log-normal bias of the halo positions
    logm_min, logm_max, mass_slope : ``dn/dlog10M ~ M^-mass_slope`` on the range
    halo_scatter : per-axis dispersion (radians) of halo frames about the tidal frame
    """
    kf, kp, ko, km, kq, kh, kg, ka = jax.random.split(key, 8)
    seed = np.asarray(jax.random.randint(ka, (), 0, 2 ** 31 - 1))
    rng = np.random.default_rng(int(seed))
    delta = gaussian_random_field(kf, n_mesh, box_size, n_s, smoothing)
    T = tidal_tensor(delta, box_size)
    w = np.exp(bias * delta.ravel())
    cells = np.asarray(jax.random.choice(kp, n_mesh ** 3, (n_halos,), p=jnp.asarray(w / w.sum())))
    ijk = np.stack(np.unravel_index(cells, (n_mesh,) * 3), -1)
    cell = box_size / n_mesh
    pos = (ijk + np.asarray(jax.random.uniform(ko, (n_halos, 3)))) * cell
    # tidal eigenframes: eigh gives ascending eigenvalues
    _, vecs = np.linalg.eigh(T[ijk[:, 0], ijk[:, 1], ijk[:, 2]])
    e1, e2 = vecs[..., 0], vecs[..., 1]
    frames = np.stack([e1, e2, np.cross(e1, e2)], -1)
    frames = frames @ _expmap(halo_scatter * rng.normal(size=(n_halos, 3)))
    # masses: inverse CDF of a truncated exponential in log10 M
    u = rng.uniform(size=n_halos)
    lam = mass_slope * math.log(10.0)
    span = logm_max - logm_min
    logm = logm_min - np.log1p(-u * (1 - math.exp(-lam * span))) / lam
    q = rng.uniform(0.4, 0.9, n_halos)
    s = q * rng.uniform(0.5, 0.95, n_halos)
    sig = misalignment_sigma(logm, q)
    gal = frames @ _expmap(sig[:, None] * rng.normal(size=(n_halos, 3)))
    gq = rng.uniform(0.6, 0.95, n_halos)
    gs = gq * rng.uniform(0.3, 0.6, n_halos)
    return HaloCatalogue(pos, float(box_size), logm, np.stack([q, s], -1), frames,
                         np.stack([gq, gs], -1), gal, sig)


# ------------------------------------------------------------------ shapes
def major_axes(frames):
    """3-D major axes (first columns) of orientation matrices (N, 3, 3) -> (N, 3)."""
    return np.asarray(frames)[..., :, 0]


def projected_ellipticity(frames, axis_ratios, los=2):
    """Projected ellipticities (N, 2) = (e1, e2) of triaxial ellipsoids.

    ``frames`` (N, 3, 3): columns are the ellipsoid axes; ``axis_ratios`` (N, 2):
    ``(q, s)`` so the semi-axes are ``(1, q, s)``. The second-moment tensor
    ``R diag(1, q^2, s^2) R^T`` is projected along axis ``los`` of the box and
    ``e = (Q11 - Q22 + 2i Q12) / (Q11 + Q22 + 2 sqrt(det Q))``.
    """
    frames = np.asarray(frames)
    ar = np.asarray(axis_ratios)
    lam = np.stack([np.ones(len(ar)), ar[:, 0] ** 2, ar[:, 1] ** 2], -1)
    S = (frames * lam[:, None, :]) @ np.swapaxes(frames, -1, -2)
    keep = [i for i in range(3) if i != los]
    Q = S[:, keep][:, :, keep]
    det = Q[:, 0, 0] * Q[:, 1, 1] - Q[:, 0, 1] ** 2
    den = Q[:, 0, 0] + Q[:, 1, 1] + 2 * np.sqrt(np.maximum(det, 0.0))
    return np.stack([(Q[:, 0, 0] - Q[:, 1, 1]) / den, 2 * Q[:, 0, 1] / den], -1)


# ------------------------------------------------------------------ pair statistics
class PairStatistic(NamedTuple):
    """A binned pair statistic with per-shape-galaxy sums for bootstrapping.

    ``value[b] = sum_i num[i, b] / norm[b]`` where ``norm`` is either the pair count
    ``sum_i den[i, b]`` (ED) or a fixed random-pair normalisation (w_g+).
    """

    bin_edges: np.ndarray
    bin_centres: np.ndarray
    value: np.ndarray
    error: np.ndarray        # bootstrap standard deviation
    num: np.ndarray          # (N_shapes, n_bins) per-galaxy sums
    den: np.ndarray          # (N_shapes, n_bins) per-galaxy pair counts or None
    fixed_norm: np.ndarray   # (n_bins,) normalisation when den is None
    boot: np.ndarray         # (n_boot, n_bins)


def _estimate(num, den, fixed_norm, idx=None):
    if idx is not None:
        num = num[idx]
        den = None if den is None else den[idx]
    if den is None:
        return num.sum(0) / fixed_norm
    return num.sum(0) / np.maximum(den.sum(0), 1)


def _bootstrap(num, den, fixed_norm, n_boot, seed):
    rng = np.random.default_rng(seed)
    n = num.shape[0]
    return np.array([_estimate(num, den, fixed_norm, rng.integers(0, n, n)) for _ in range(n_boot)])


def _pair_sums(pos_s, pos_d, box, bins, value_fn, binvar_fn, chunk=256, extra_mask=None):
    """Per-shape-galaxy binned sums of value_fn(i_rows, d) and pair counts."""
    n_s = pos_s.shape[0]
    nb = len(bins) - 1
    num = np.zeros((n_s, nb))
    cnt = np.zeros((n_s, nb))
    for i0 in range(0, n_s, chunk):
        i1 = min(n_s, i0 + chunk)
        d = pos_d[None, :, :] - pos_s[i0:i1, None, :]
        d -= box * np.round(d / box)
        x = binvar_fn(d)
        b = np.digitize(x, bins) - 1
        ok = (b >= 0) & (b < nb)
        if extra_mask is not None:
            ok &= extra_mask(d)
        rows = np.broadcast_to(np.arange(i1 - i0)[:, None], b.shape)
        flat = (rows * nb + b)[ok]
        vals = value_fn(slice(i0, i1), d)[ok]
        num[i0:i1] = np.bincount(flat, weights=vals, minlength=(i1 - i0) * nb).reshape(i1 - i0, nb)
        cnt[i0:i1] = np.bincount(flat, minlength=(i1 - i0) * nb).reshape(i1 - i0, nb)
    return num, cnt


def ed_correlation(positions, frames, box_size, r_bins, density_positions=None, n_boot=200,
                   seed=0):
    """Ellipticity-direction correlation ``ED(r) = <(a . r_hat)^2> - 1/3``.

    Parameters
    ----------
    positions : (N, 3) shape-galaxy positions, Mpc/h
    frames : (N, 3, 3) galaxy orientations (first column = 3-D major axis)
    box_size : periodic box side, Mpc/h
    r_bins : bin edges in 3-D separation, Mpc/h
    density_positions : (M, 3) tracer positions (defaults to ``positions``)
    n_boot, seed : bootstrap over shape galaxies
    """
    pos = np.asarray(positions, float)
    dpos = pos if density_positions is None else np.asarray(density_positions, float)
    a = major_axes(frames)
    r_bins = np.asarray(r_bins, float)

    def val(sl, d):
        r2 = np.sum(d * d, -1)
        proj = np.einsum("ijk,ik->ij", d, a[sl])
        return proj ** 2 / np.where(r2 > 0, r2, 1.0) - 1.0 / 3.0

    num, cnt = _pair_sums(pos, dpos, box_size, r_bins, val,
                          lambda d: np.sqrt(np.sum(d * d, -1)))
    value = _estimate(num, cnt, None)
    boot = _bootstrap(num, cnt, None, n_boot, seed)
    centres = np.sqrt(r_bins[1:] * r_bins[:-1])
    return PairStatistic(r_bins, centres, value, boot.std(0, ddof=1), num, cnt, None, boot)


def wgplus(positions, ellipticities, box_size, rp_bins, pi_max=30.0, density_positions=None,
           n_boot=200, seed=0, los=2):
    """Projected density-shape correlation ``w_g+(r_p)`` (Mpc/h) in a periodic box.

    Parameters
    ----------
    positions : (N, 3) shape-galaxy positions, Mpc/h
    ellipticities : (N, 2) projected (e1, e2) in the plane perpendicular to ``los``
    box_size : periodic box side, Mpc/h
    rp_bins : projected-separation bin edges, Mpc/h
    pi_max : line-of-sight half-width of the integral, Mpc/h
    density_positions : (M, 3) density tracers (defaults to ``positions``)
    """
    pos = np.asarray(positions, float)
    dpos = pos if density_positions is None else np.asarray(density_positions, float)
    e = np.asarray(ellipticities, float)
    rp_bins = np.asarray(rp_bins, float)
    keep = [i for i in range(3) if i != los]

    def val(sl, d):
        dx, dy = d[..., keep[0]], d[..., keep[1]]
        phi = np.arctan2(dy, dx)
        ei = e[sl]
        return ei[:, None, 0] * np.cos(2 * phi) + ei[:, None, 1] * np.sin(2 * phi)

    num, _ = _pair_sums(pos, dpos, box_size, rp_bins, val,
                        lambda d: np.sqrt(d[..., keep[0]] ** 2 + d[..., keep[1]] ** 2),
                        extra_mask=lambda d: np.abs(d[..., los]) < pi_max)
    area = np.pi * (rp_bins[1:] ** 2 - rp_bins[:-1] ** 2)
    norm = pos.shape[0] * dpos.shape[0] * area / box_size ** 3
    value = _estimate(num, None, norm)
    boot = _bootstrap(num, None, norm, n_boot, seed)
    centres = np.sqrt(rp_bins[1:] * rp_bins[:-1])
    return PairStatistic(rp_bins, centres, value, boot.std(0, ddof=1), num, None, norm, boot)


def compare_statistics(a, b, n_boot=500, seed=1):
    """Chi-square test that two statistics of the *same* shape galaxies agree.

    The difference ``a - b`` is bootstrapped jointly (the same resampled galaxies
    for both), giving its covariance ``C``; returns a dict with ``chi2 = d^T C^-1 d``
    (Hartlap-corrected), ``dof`` (number of bins), the p-value, the per-bin
    ``pulls = d / sqrt(diag C)`` and ``sigma_diff``.
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    n = a.num.shape[0]
    diffs = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        diffs.append(_estimate(a.num, a.den, a.fixed_norm, idx)
                     - _estimate(b.num, b.den, b.fixed_norm, idx))
    diffs = np.array(diffs)
    d = a.value - b.value
    C = np.cov(diffs, rowvar=False)
    p = len(d)
    hartlap = (n_boot - p - 2) / (n_boot - 1)
    chi2 = float(hartlap * d @ np.linalg.solve(C, d))
    sig = np.sqrt(np.diag(C))
    return {"chi2": chi2, "dof": p, "pvalue": float(stats.chi2.sf(chi2, p)),
            "pulls": d / sig, "sigma_diff": sig}
