"""The fast drawing paths: half-plane k grids with GalSim's wrapping, the run-time choice
of the folded grid (also under vmap), the pure-JAX Moffat Fourier profile, galsim.fft.
Checked against real GalSim, SciPy and NumPy (float64)."""

import galsim as G
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp

jax.config.update("jax_enable_x64", True)

import jax_galsim as galsim  # noqa: E402
from jax_galsim.core import moffat_k  # noqa: E402


def _gauss(mod, sigma):
    return mod.Gaussian(sigma=sigma, flux=2.0).shift(0.03, -0.02)


def test_undersampled_fold_matches_galsim_eager_and_jit():
    # maxk * scale > pi: GalSim wraps a k grid larger than N onto N.
    sigma = 0.22
    assert G.Gaussian(sigma=sigma).maxk * 0.2 > np.pi
    ref = _gauss(G, sigma).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    eager = _gauss(galsim, sigma).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    np.testing.assert_allclose(eager, ref, rtol=0, atol=1e-12 * ref.max())
    f = jax.jit(lambda s: _gauss(galsim, s).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array)
    np.testing.assert_allclose(np.asarray(f(sigma)), ref, rtol=0, atol=1e-10 * ref.max())
    # A well-sampled value through the same compiled function (the other branch).
    ref2 = _gauss(G, 0.6).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    np.testing.assert_allclose(np.asarray(f(0.6)), ref2, rtol=0, atol=1e-10 * ref2.max())


def test_vmap_mixed_sampling_matches_galsim():
    # One stamp needs the folded grid, the other does not: the batch takes the folded
    # grid and both must still equal GalSim.
    sig = jnp.array([0.22, 0.6])
    f = jax.jit(jax.vmap(lambda s: _gauss(galsim, s).drawImage(
        nx=16, ny=16, scale=0.2, dtype=float).array))
    out = np.asarray(f(sig))
    for i, s in enumerate([0.22, 0.6]):
        ref = _gauss(G, s).drawImage(nx=16, ny=16, scale=0.2, dtype=float).array
        np.testing.assert_allclose(out[i], ref, rtol=0, atol=1e-10 * ref.max())


def test_grad_through_folded_branch():
    w = np.random.RandomState(3).uniform(size=(16, 16))

    def loss(s):
        return (_gauss(galsim, s).drawImage(nx=16, ny=16, scale=0.2, dtype=float).array * w).sum()

    g = float(jax.jit(jax.grad(loss))(0.22))
    eps = 1e-5
    fd = (float(loss(jnp.asarray(0.22 + eps))) - float(loss(jnp.asarray(0.22 - eps)))) / (2 * eps)
    assert abs(g - fd) <= 1e-6 * abs(fd)


@pytest.mark.parametrize("beta", [1.5, 2.0, 2.7, 3.5, 4.7])
def test_moffat_kprofile_matches_scipy(beta):
    nu = beta - 1.0
    q = np.concatenate([[0.0], np.geomspace(1e-3, 1, 20), np.linspace(1, 30, 300)])
    ref = np.where(q > 0, 2 ** (1 - nu) / sp.gamma(nu) * np.where(q > 0, q, 1) ** nu
                   * sp.kv(nu, np.where(q > 0, q, 1)), 1.0)
    exact = np.asarray(moffat_k.f_exact(jnp.asarray(nu), jnp.asarray(q)))
    table = np.asarray(moffat_k.kprofile(jnp.asarray(nu), jnp.asarray(q)))
    np.testing.assert_allclose(exact, ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table, ref, rtol=0, atol=1e-7)
    from jax_galsim.moffat import _maxk_unit
    assert abs(float(moffat_k.maxk_unit(jnp.asarray(nu), 1e-3)) / _maxk_unit(beta, 1e-3) - 1) < 1e-8


def test_moffat_traced_beta_matches_galsim_and_no_callback():
    f = jax.jit(lambda b: galsim.Moffat(beta=b, fwhm=0.7).drawImage(
        nx=32, ny=32, scale=0.2, dtype=float).array)
    jaxpr = str(jax.make_jaxpr(f)(2.7))
    assert "callback" not in jaxpr
    for b in (2.7, 4.1):
        ref = G.Moffat(beta=b, fwhm=0.7).drawImage(nx=32, ny=32, scale=0.2, dtype=float).array
        np.testing.assert_allclose(np.asarray(f(b)), ref, rtol=0, atol=1e-7 * ref.max())


def test_moffat_gammaln():
    x = np.linspace(0.05, 12, 200)
    np.testing.assert_allclose(np.asarray(moffat_k.gammaln(jnp.asarray(x))), sp.gammaln(x),
                               rtol=0, atol=1e-13)


def test_fft_module_numpy_and_jax():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(6, 8))
    np.testing.assert_allclose(galsim.fft.fft2(a, shift_in=True, shift_out=True),
                               np.fft.fftshift(np.fft.fft2(np.fft.fftshift(a))), atol=1e-12)
    k = galsim.fft.rfft2(a)
    np.testing.assert_allclose(galsim.fft.irfft2(k), a, atol=1e-12)
    kj = galsim.fft.rfft2(jnp.asarray(a))
    assert isinstance(kj, jax.Array)
    np.testing.assert_allclose(np.asarray(kj), k, atol=1e-12)
    with pytest.raises(galsim.GalSimValueError):
        galsim.fft.fft2(np.zeros((5, 4)))


def test_sb_and_drawreal_agree_exactly():
    scale = 0.35
    obj = galsim.Exponential(flux=177, scale_radius=2)
    im1 = galsim.ImageD(33, 33, scale=scale)
    im2 = galsim.ImageD(33, 33, scale=scale)
    im2.setCenter(0, 0)
    obj.drawImage(im1, method="sb")
    (obj / scale ** 2).drawReal(im2)
    np.testing.assert_array_almost_equal(im1.array, im2.array, 15)
