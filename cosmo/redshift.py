"""Source redshift distributions: Smail n(z), equal-number tomography, photo-z scatter.

Redshift distributions do not depend on the cosmology, so they are built once with
numpy and carried as static arrays on a fixed redshift grid (midpoints of ``n_z`` equal
cells on [0, z_max]); the Limber integrals in :mod:`cosmo.angular_cl` use the same grid.
"""

import numpy as np
from scipy.special import erf

__all__ = ["smail_nz", "TomographicBins", "equal_number_bins", "lsst_y10_bins"]


def smail_nz(z, a=2.0, b=0.68, z0=0.11):
    """Unnormalised Smail et al. (1994) distribution n(z) = z^a exp(-(z/z0)^b)."""
    z = np.asarray(z, dtype=float)
    return z**a * np.exp(-((z / z0) ** b))


class TomographicBins:
    """Tomographic source bins tabulated on a static redshift grid.

    Attributes
    ----------
    z : ndarray (n_z,)
        Redshift grid (cell midpoints); ``dz`` is the cell width.
    nz : ndarray (n_bins, n_z)
        Normalised n_i(z) (each integrates to 1 with weights ``dz``).
    n_gal : ndarray (n_bins,)
        Galaxy surface density per bin [arcmin^-2].
    sigma_e : float
        Intrinsic ellipticity dispersion per component.
    edges : ndarray (n_bins + 1,)
        Photometric-redshift bin edges.
    """

    def __init__(self, z, dz, nz, n_gal, sigma_e, edges=None):
        self.z = np.asarray(z, dtype=float)
        self.dz = float(dz)
        nz = np.asarray(nz, dtype=float)
        self.nz = nz / (nz.sum(axis=1, keepdims=True) * self.dz)
        self.n_gal = np.asarray(n_gal, dtype=float)
        self.sigma_e = float(sigma_e)
        self.edges = None if edges is None else np.asarray(edges, dtype=float)

    @property
    def n_bins(self):
        return self.nz.shape[0]

    def __repr__(self):
        return (f"TomographicBins(n_bins={self.n_bins}, n_z={self.z.size}, "
                f"z_max={self.z[-1] + self.dz / 2:g}, n_gal={self.n_gal.tolist()}, "
                f"sigma_e={self.sigma_e}, edges={None if self.edges is None else self.edges.round(4).tolist()})")


def equal_number_bins(n_bins=5, n_gal=27.0, sigma_e=0.26, a=2.0, b=0.68, z0=0.11,
                      sigma_pz=0.05, z_max=4.0, n_z=400):
    """Equal-number tomographic bins of a Smail n(z) with Gaussian photo-z scatter.

    Bin edges are the quantiles of the true Smail distribution (truncated at
    ``z_max``) that split it into ``n_bins`` equal parts (the LSST DESC SRD recipe);
    each bin's true-redshift distribution is n(z) times the probability that a galaxy
    at z has its photometric redshift, Gaussian with sigma = sigma_pz (1 + z), inside
    the bin: n_i(z) = n(z) [erf((z_hi - z)/(sqrt2 s)) - erf((z_lo - z)/(sqrt2 s))] / 2.
    Each bin carries n_gal / n_bins galaxies per arcmin^2.
    """
    dz = z_max / n_z
    z = (np.arange(n_z) + 0.5) * dz
    # fine grid for the quantiles
    zf = np.linspace(0.0, z_max, 200001)
    cdf = np.cumsum(smail_nz(zf, a, b, z0))
    cdf /= cdf[-1]
    edges = np.interp(np.linspace(0, 1, n_bins + 1), cdf, zf)
    edges[0], edges[-1] = 0.0, z_max
    n = smail_nz(z, a, b, z0)
    s = sigma_pz * (1 + z) * np.sqrt(2.0)
    nz = np.stack([n * 0.5 * (erf((edges[i + 1] - z) / s) - erf((edges[i] - z) / s))
                   for i in range(n_bins)])
    return TomographicBins(z, dz, nz, np.full(n_bins, n_gal / n_bins), sigma_e, edges)


def lsst_y10_bins(z_max=4.0, n_z=400):
    """LSST Y10 source sample of the log-normal benchmark: 5 equal-number bins,
    27 gal/arcmin^2, sigma_e = 0.26, Smail a=2, b=0.68, z0=0.11, photo-z 0.05(1+z)."""
    return equal_number_bins(5, 27.0, 0.26, 2.0, 0.68, 0.11, 0.05, z_max, n_z)
