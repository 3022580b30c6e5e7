"""pyccl reference objects shared by the cosmo tests."""

import numpy as np
import pytest

ccl = pytest.importorskip("pyccl")

from cosmo.cosmology import LSST_Y10_FIDUCIAL

#: the fiducial and a w0-wa variant, to exercise every parameter
COSMOLOGIES = [LSST_Y10_FIDUCIAL,
               LSST_Y10_FIDUCIAL.replace(Omega_c=0.30, Omega_b=0.045, h=0.72, n_s=0.98,
                                         sigma8=0.76, w0=-0.9, wa=0.2)]


def ccl_cosmo(c, wiggles=True, nonlinear=True):
    """pyccl cosmology with the same settings: EH transfer, no neutrinos, flat."""
    return ccl.Cosmology(Omega_c=float(c.Omega_c), Omega_b=float(c.Omega_b), h=float(c.h),
                         n_s=float(c.n_s), sigma8=float(c.sigma8), w0=float(c.w0),
                         wa=float(c.wa), m_nu=0.0, T_CMB=c.T_CMB, Neff=c.Neff,
                         transfer_function="eisenstein_hu" if wiggles else "eisenstein_hu_nowiggles",
                         matter_power_spectrum="halofit" if nonlinear else "linear")


def fd_grad(f, x, rel=1e-4):
    """5-point central finite-difference gradient of scalar f at array x."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        h = rel * max(abs(x[i]), 0.1)
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h)
    return g
