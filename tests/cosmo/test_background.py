"""Background, distances and growth against pyccl (issue 4 acceptance: H 1e-5,
distances 1e-4 for z <= 3, growth 1e-4)."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from cosmo import background as bg
from cosmo.cosmology import Cosmology, LSST_Y10_FIDUCIAL

from _cosmo_ref import COSMOLOGIES, ccl, ccl_cosmo, fd_grad

Z = np.linspace(0.01, 3.0, 80)
A = 1.0 / (1.0 + Z)


@pytest.mark.parametrize("ic", [0, 1])
def test_background_vs_pyccl(ic):
    c = COSMOLOGIES[ic]
    cc = ccl_cosmo(c)
    assert abs(c.Omega_g / cc["Omega_g"] - 1) < 1e-10
    assert abs(c.Omega_de / cc["Omega_l"] - 1) < 1e-10
    np.testing.assert_allclose(bg.H(c, A), 100 * c.h * ccl.h_over_h0(cc, A), rtol=1e-5)
    np.testing.assert_allclose(bg.comoving_radial_distance(c, A),
                               ccl.comoving_radial_distance(cc, A), rtol=1e-4)
    np.testing.assert_allclose(bg.angular_diameter_distance(c, A),
                               ccl.angular_diameter_distance(cc, A), rtol=1e-4)
    np.testing.assert_allclose(bg.luminosity_distance(c, A),
                               ccl.luminosity_distance(cc, A), rtol=1e-4)
    chi = ccl.comoving_radial_distance(cc, A)
    np.testing.assert_allclose(bg.a_of_chi(c, chi), A, rtol=1e-6)
    np.testing.assert_allclose(bg.Omega_m_a(c, A), ccl.omega_x(cc, A, "matter"), rtol=1e-5)


@pytest.mark.parametrize("ic", [0, 1])
def test_growth_vs_pyccl(ic):
    c = COSMOLOGIES[ic]
    cc = ccl_cosmo(c)
    a = np.geomspace(1e-3, 1.0, 60)
    tab = bg.growth_table(c)
    np.testing.assert_allclose(bg.growth_factor(c, a, tab), ccl.growth_factor(cc, a), rtol=1e-4)
    np.testing.assert_allclose(bg.growth_factor_unnorm(c, a, tab),
                               ccl.growth_factor_unnorm(cc, a), rtol=1e-4)
    np.testing.assert_allclose(bg.growth_rate(c, a, tab), ccl.growth_rate(cc, a), rtol=1e-4)


def test_second_order_growth():
    """D2 against the Bouchet et al. (1995) fit D2 = -3/7 Om(a)^(-1/143) D^2 and
    f2 = 2 Om(a)^(6/11) (both good to ~1% for LCDM)."""
    c = LSST_Y10_FIDUCIAL
    a = np.geomspace(0.05, 1.0, 30)
    om = np.asarray(bg.Omega_m_a(c, a))
    d = np.asarray(bg.growth_factor(c, a))
    np.testing.assert_allclose(bg.growth_factor_2(c, a), -3 / 7 * om ** (-1 / 143) * d**2, rtol=1.5e-2)
    np.testing.assert_allclose(bg.growth_rate_2(c, a), 2 * om ** (6 / 11), rtol=1e-2)


def test_background_gradients():
    """grad of chi(z=1) + D(z=1) + f(z=1) in all parameters vs finite differences."""
    def f(x):
        c = Cosmology.from_params(x)
        return (bg.comoving_radial_distance(c, 0.5) / 3000.0 + bg.growth_factor(c, 0.5)
                + bg.growth_rate(c, 0.5))

    x0 = np.asarray(LSST_Y10_FIDUCIAL.to_array())
    g = np.asarray(jax.jit(jax.grad(f))(jnp.asarray(x0)))
    fj = jax.jit(f)
    gfd = fd_grad(lambda x: float(fj(jnp.asarray(x))), x0)
    np.testing.assert_allclose(g, gfd, rtol=1e-5, atol=1e-9)


def test_cosmology_pytree():
    c = LSST_Y10_FIDUCIAL
    leaves, tree = jax.tree_util.tree_flatten(c)
    assert len(leaves) == 7
    c2 = jax.tree_util.tree_unflatten(tree, leaves)
    assert c2.T_CMB == c.T_CMB and c2.sigma8 == c.sigma8
    vm = jax.vmap(lambda s: bg.E(c.replace(sigma8=s, Omega_c=0.2 + s / 10), 0.5))(jnp.linspace(0.7, 0.9, 3))
    assert vm.shape == (3,) and np.all(np.isfinite(vm))
    assert Cosmology.from_params({"h": 0.7}).h == 0.7
