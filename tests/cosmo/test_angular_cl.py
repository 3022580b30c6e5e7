"""Limber lensing spectra with the LSST Y10 n(z) against pyccl (acceptance: 1e-2 for
ell in [30, 3000])."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from cosmo.angular_cl import angular_cl, ell_prefactor
from cosmo.cosmology import LSST_Y10_FIDUCIAL
from cosmo.redshift import lsst_y10_bins, smail_nz

from _cosmo_ref import COSMOLOGIES, ccl, ccl_cosmo

ELL = np.geomspace(30, 3000, 25)


@pytest.fixture(scope="module")
def bins():
    return lsst_y10_bins()


def _ccl_tracers(cc, bins, A_IA=None):
    zz = np.concatenate([[0.0], bins.z, [bins.z[-1] + bins.dz / 2]])
    out = []
    for i in range(bins.n_bins):
        nz = np.concatenate([[0.0], bins.nz[i], [0.0]])
        ia = None if A_IA is None else (zz, A_IA * np.ones_like(zz))
        out.append(ccl.WeakLensingTracer(cc, dndz=(zz, nz), ia_bias=ia))
    return out


def test_lsst_y10_bins(bins):
    assert bins.n_bins == 5
    np.testing.assert_allclose(bins.n_gal, 5.4)
    np.testing.assert_allclose(bins.nz.sum(1) * bins.dz, 1.0)
    # equal numbers of the (truncated) Smail distribution between the edges
    zf = np.linspace(0, bins.edges[-1], 400001)
    n = smail_nz(zf)
    frac = [n[(zf >= lo) & (zf < hi)].sum() / n.sum() for lo, hi in zip(bins.edges[:-1], bins.edges[1:])]
    np.testing.assert_allclose(frac, 0.2, atol=1e-4)
    means = (bins.nz * bins.z).sum(1) * bins.dz
    assert np.all(np.diff(means) > 0)


@pytest.mark.parametrize("ic,A_IA", [(0, None), (1, None), (0, 1.0)])
def test_cl_vs_pyccl(bins, ic, A_IA):
    c = COSMOLOGIES[ic]
    cc = ccl_cosmo(c)
    cl = np.asarray(jax.jit(lambda c: angular_cl(c, ELL, bins, A_IA=A_IA))(c))
    tr = _ccl_tracers(cc, bins, A_IA)
    for i in range(5):
        for j in range(i, 5):
            ref = ccl.angular_cl(cc, tr[i], tr[j], ELL)
            np.testing.assert_allclose(cl[i, j], ref, rtol=1e-2, err_msg=f"bin pair {i}{j}")
            np.testing.assert_allclose(cl[j, i], cl[i, j])


def test_cl_options(bins):
    c = LSST_Y10_FIDUCIAL
    m = np.array([0.01, -0.02, 0.0, 0.03, 0.005])

    @jax.jit
    def run(c):
        return (angular_cl(c, ELL, bins, kind="flat"),
                angular_cl(c, ELL, bins, kind="flat", m_bias=m),
                angular_cl(c, ELL, bins, kind="convergence"),
                angular_cl(c, ELL, bins, kind="flat", nonlinear=False))

    base, mb, conv, lin = (np.asarray(x) for x in run(c))
    np.testing.assert_allclose(mb, base * (1 + m)[:, None, None] * (1 + m)[None, :, None], rtol=1e-12)
    np.testing.assert_allclose(conv, base * np.asarray(ell_prefactor(ELL, "convergence")) ** 2, rtol=1e-12)
    assert np.all(lin[..., -1] < base[..., -1])  # non-linear boost at ell = 3000
