"""JAX behaviour of the drawing engine: jit/grad/vmap over profile parameters, checked
against real GalSim and central finite differences (float64)."""

import galsim as G
import jax
import jax.numpy as jnp
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

import jax_galsim as galsim  # noqa: E402


def _demo(mod, hlr=1.0, g1=0.2, g2=0.1, beta=3.5, fwhm=0.7):
    return mod.Convolve(mod.Exponential(half_light_radius=hlr).shear(g1=g1, g2=g2),
                        mod.Moffat(beta=beta, fwhm=fwhm))


def test_demo_eager_matches_galsim():
    ref = _demo(G).drawImage(nx=64, ny=64, scale=0.2).array
    im = _demo(galsim).drawImage(nx=64, ny=64, scale=0.2)
    assert im.array.dtype == np.float32
    np.testing.assert_allclose(im.array, ref, rtol=0, atol=1e-6 * ref.max())


def test_demo_jit_matches_galsim():
    ref = _demo(G).drawImage(nx=64, ny=64, scale=0.2, dtype=float).array
    f = jax.jit(lambda h, g1, g2, b: _demo(galsim, h, g1, g2, b).drawImage(
        nx=64, ny=64, scale=0.2, dtype=float).array)
    out = np.asarray(f(1.0, 0.2, 0.1, 3.5))
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6 * ref.max())
    # Different traced values, same compiled function, still matches GalSim.
    ref2 = _demo(G, 1.3, -0.1, 0.05, 2.7).drawImage(nx=64, ny=64, scale=0.2, dtype=float).array
    out2 = np.asarray(f(1.3, -0.1, 0.05, 2.7))
    np.testing.assert_allclose(out2, ref2, rtol=0, atol=1e-6 * ref2.max())


def test_vmap_over_shear():
    g1s = jnp.array([0.0, 0.1, -0.2])
    f = jax.jit(jax.vmap(lambda g1: _demo(galsim, g1=g1).drawImage(
        nx=32, ny=32, scale=0.2, dtype=float).array))
    out = np.asarray(f(g1s))
    for i, g1 in enumerate([0.0, 0.1, -0.2]):
        ref = _demo(G, g1=g1).drawImage(nx=32, ny=32, scale=0.2, dtype=float).array
        np.testing.assert_allclose(out[i], ref, rtol=0, atol=1e-6 * ref.max())


_WEIGHTS = np.random.RandomState(12).uniform(size=(24, 24))

_CASES = {
    "gaussian_sigma": (lambda p: galsim.Gaussian(sigma=p, flux=1.3), 0.9),
    "exponential_hlr": (lambda p: galsim.Exponential(half_light_radius=p), 0.8),
    "moffat_beta": (lambda p: galsim.Moffat(beta=p, half_light_radius=0.8), 2.9),
    "moffat_fwhm": (lambda p: galsim.Moffat(beta=3.5, fwhm=p), 0.9),
    "flux": (lambda p: galsim.Gaussian(sigma=0.7, flux=p), 2.0),
    "shear_zero": (lambda p: galsim.Gaussian(sigma=0.7).shear(g1=p, g2=0.0), 0.0),
    "shift_zero": (lambda p: galsim.Exponential(scale_radius=0.5).shift(p, 0.0), 0.0),
    "dilate": (lambda p: galsim.Gaussian(sigma=0.7).dilate(p), 1.2),
    "rotate_sum": (lambda p: (galsim.Gaussian(sigma=0.5) + galsim.Exponential(scale_radius=0.4).shear(
        g1=0.1, g2=p)), 0.05),
    "pixel_conv": (lambda p: galsim.Convolve(galsim.Gaussian(sigma=0.6), galsim.Pixel(scale=p)), 0.3),
    "tophat_conv": (lambda p: galsim.Convolve(galsim.Gaussian(sigma=0.6), galsim.TopHat(radius=p)), 0.4),
}


_METHODS = ["auto", "no_pixel", "fft", "real_space"]


@pytest.mark.parametrize("name,method", [(n, _METHODS[i % 4]) for i, n in enumerate(sorted(_CASES))]
                         + [("moffat_beta", "no_pixel"), ("shear_zero", "real_space")])
def test_grad_matches_finite_difference(name, method):
    make, p0 = _CASES[name]

    def loss(p):
        im = make(p).drawImage(nx=24, ny=24, scale=0.2, method=method, dtype=float)
        return (im.array * _WEIGHTS).sum()

    g = float(jax.jit(jax.grad(loss))(p0))
    eps = 1e-5
    jl = jax.jit(loss)
    fd = (float(jl(p0 + eps)) - float(jl(p0 - eps))) / (2 * eps)
    assert np.isfinite(g)
    assert abs(g - fd) <= 1e-6 * max(abs(fd), 1e-3), (g, fd)


@pytest.mark.parametrize("method", ["auto", "no_pixel", "real_space"])
def test_single_profiles_match_galsim(method):
    for mk in [lambda m: m.Gaussian(sigma=0.7, flux=2.0).shift(0.1, -0.05),
               lambda m: m.Exponential(half_light_radius=0.6).shear(g1=0.3, g2=-0.1),
               lambda m: m.Moffat(beta=2.3, scale_radius=0.5)]:
        ref = mk(G).drawImage(nx=30, ny=26, scale=0.15, method=method, dtype=float).array
        out = mk(galsim).drawImage(nx=30, ny=26, scale=0.15, method=method, dtype=float).array
        np.testing.assert_allclose(out, ref, rtol=0, atol=2e-5 * ref.max())


def test_pytree_roundtrip_and_repr():
    obj = _demo(galsim)
    leaves, tree = jax.tree_util.tree_flatten(obj)
    assert jax.tree_util.tree_unflatten(tree, leaves) == obj
    g = galsim.Moffat(beta=2.5, scale_radius=1.2, trunc=3.0, flux=2.0)
    assert repr(g) == repr(G.Moffat(beta=2.5, scale_radius=1.2, trunc=3.0, flux=2.0))
    assert str(g) == str(G.Moffat(beta=2.5, scale_radius=1.2, trunc=3.0, flux=2.0))
    assert eval(repr(g), {"galsim": galsim}) == g
    assert hash(g) == hash(galsim.Moffat(beta=2.5, scale_radius=1.2, trunc=3.0, flux=2.0))
