"""JAX behaviour of the composition profiles: Deconvolution, AutoConvolution,
AutoCorrelation, FourierSqrtProfile and real-space convolution (values against GalSim
or analytic results; jit; gradients against central finite differences)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import galsim
import jax_galsim as jg

jax.config.update("jax_enable_x64", True)


def _fd_check(f, x0, h=1e-5, rtol=1e-6):
    """jax.grad of scalar f at x0 against a central finite difference."""
    g = float(jax.jit(jax.grad(f))(x0))
    fd = (float(f(x0 + h)) - float(f(x0 - h))) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=rtol, atol=1e-10 * max(1.0, abs(fd)))
    assert g != 0.0


_W = np.random.default_rng(1234).uniform(0.5, 1.5, size=(24, 24))


def _wsum(im):
    return jnp.sum(im.array * _W)


# ------------------------------------------------------------------ basic semantics
def test_properties_match_galsim():
    for make in (
        lambda G: G.Deconvolve(G.Gaussian(sigma=1.3, flux=2.0).shift(0.2, -0.1)),
        lambda G: G.AutoConvolve(G.Moffat(beta=3, fwhm=1.1).shear(g1=0.1, g2=0.05)),
        lambda G: G.AutoCorrelate(G.Exponential(half_light_radius=0.7).shift(0.3, 0.1)),
        lambda G: G.FourierSqrt(G.Gaussian(sigma=0.9, flux=4.0).shift(0.2, 0.4)),
    ):
        a, b = make(galsim), make(jg)
        for attr in ("flux", "stepk", "maxk", "max_sb", "positive_flux", "negative_flux"):
            np.testing.assert_allclose(getattr(b, attr), getattr(a, attr), rtol=1e-9,
                                       err_msg=attr)
            assert isinstance(getattr(b, attr), float)
        for attr in ("has_hard_edges", "is_axisymmetric", "is_analytic_x", "is_analytic_k"):
            assert getattr(b, attr) == getattr(a, attr), attr
        np.testing.assert_allclose([b.centroid.x, b.centroid.y], [a.centroid.x, a.centroid.y],
                                   atol=1e-12)
        for k in [(0.0, 0.0), (0.7, -0.3), (2.1, 1.4)]:
            np.testing.assert_allclose(b.kValue(*k), a.kValue(*k), rtol=1e-8, atol=1e-12)
        assert str(b) == str(a)
        b2 = eval(repr(b), {"galsim": jg, "array": np.array})
        assert b2 == b and hash(b2) == hash(b)
        leaves, tree = jax.tree_util.tree_flatten(b)
        assert jax.tree_util.tree_unflatten(tree, leaves) == b


def test_images_match_galsim():
    for make in (
        lambda G: G.Convolve(G.Gaussian(sigma=1.0), G.Gaussian(sigma=1.0),
                             G.Deconvolve(G.Gaussian(sigma=1.0))),
        lambda G: G.AutoConvolve(G.Gaussian(sigma=0.6).shift(0.1, 0.2)),
        lambda G: G.AutoCorrelate(G.Gaussian(sigma=0.6).shift(0.1, 0.2).shear(g1=0.2, g2=0)),
        lambda G: G.FourierSqrt(G.Gaussian(sigma=0.9, flux=4.0)),
    ):
        a = make(galsim).drawImage(nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel")
        b = make(jg).drawImage(nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel")
        np.testing.assert_allclose(b.array, a.array, atol=2e-6 * a.array.max())


def test_not_analytic_x():
    for obj in (jg.Deconvolve(jg.Gaussian(sigma=1)), jg.FourierSqrt(jg.Gaussian(sigma=1))):
        with pytest.raises(NotImplementedError):
            obj.xValue(0, 0)


# ------------------------------------------------------------------ real-space convolution
def test_realspace_values_against_galsim():
    fw = 1.0927449310213702
    for make in (
        lambda G: G.Convolve(
            G.Moffat(beta=1.5, half_light_radius=1, trunc=4 * fw).shear(g1=0.11, g2=0.17),
            G.Pixel(0.2).rotate(80 * G.degrees).shift(0.13, 0.27), real_space=True),
        lambda G: G.Convolve(G.Gaussian(sigma=0.3).shear(g1=0.1, g2=0.2), G.Pixel(0.25),
                             real_space=True),
        lambda G: G.Convolve(G.Box(0.7, 0.3).rotate(20 * G.degrees),
                             G.Box(0.5, 0.4).shift(0.1, 0.05), real_space=True),
        lambda G: G.Convolve(G.TopHat(0.5), G.Pixel(0.3).shear(g1=0.3, g2=0), real_space=True),
    ):
        a, b = make(galsim), make(jg)
        assert b.real_space and b.is_analytic_x
        for x, y in [(0.0, 0.0), (0.13, -0.2), (0.4, 0.35), (-0.6, 0.1), (1.5, 0.2)]:
            np.testing.assert_allclose(b.xValue(x, y), a.xValue(x, y), rtol=1e-4,
                                       atol=1e-6 * a.max_sb)


def test_realspace_tophats_analytic():
    """Two round top hats: the convolution is the area of the overlap of two disks."""
    R1, R2 = 0.5, 0.3

    def overlap(d):
        a = R1 ** 2 * np.arccos((d * d + R1 * R1 - R2 * R2) / (2 * d * R1))
        b = R2 ** 2 * np.arccos((d * d + R2 * R2 - R1 * R1) / (2 * d * R2))
        c = 0.5 * np.sqrt((-d + R1 + R2) * (d + R1 - R2) * (d - R1 + R2) * (d + R1 + R2))
        return a + b - c

    conv = jg.Convolve(jg.TopHat(R1), jg.TopHat(R2), real_space=True)
    norm = 1.0 / (np.pi * R1 ** 2 * np.pi * R2 ** 2)
    for d in (0.1, 0.25, 0.45, 0.7):
        expect = np.pi * R2 ** 2 if d <= R1 - R2 else overlap(d)
        np.testing.assert_allclose(conv.xValue(d, 0.0), norm * expect, rtol=1e-6)
    assert conv.xValue(0.81, 0.0) == 0.0


def test_realspace_jit_matches_eager():
    def draw(sigma, g1):
        gal = jg.Gaussian(sigma=sigma).shear(g1=g1, g2=0.1)
        return gal.drawImage(nx=24, ny=24, scale=0.2, dtype=float, method="real_space").array

    eager = draw(0.5, 0.2)
    jitted = jax.jit(draw)(0.5, 0.2)
    np.testing.assert_allclose(np.asarray(jitted), eager, rtol=1e-10, atol=1e-14)
    ref = (galsim.Gaussian(sigma=0.5).shear(g1=0.2, g2=0.1)
           .drawImage(nx=24, ny=24, scale=0.2, dtype=float, method="real_space").array)
    np.testing.assert_allclose(eager, ref, rtol=1e-4, atol=1e-7)


# ------------------------------------------------------------------ gradients
def test_grad_realspace_gaussian_pixel():
    def f_sigma(s):
        return _wsum(jg.Gaussian(sigma=s).shear(g1=0.2, g2=0.1)
                     .drawImage(nx=24, ny=24, scale=0.2, dtype=float, method="real_space"))

    def f_g1(g1):
        return _wsum(jg.Gaussian(sigma=0.5).shear(g1=g1, g2=0.1)
                     .drawImage(nx=24, ny=24, scale=0.2, dtype=float, method="real_space"))

    _fd_check(f_sigma, 0.5)
    _fd_check(f_g1, 0.2)


def test_grad_realspace_hard_edges():
    """Truncated Moffat (ellipse edge) convolved with a rotated box (parallelogram)."""
    def f(width):
        psf = jg.Moffat(beta=2.5, fwhm=0.8, trunc=1.5).shear(g1=0.1, g2=0.05)
        box = jg.Box(width, 0.3).rotate(jg.Angle(0.3, jg.radians)).shift(0.05, 0.02)
        conv = jg.Convolve(psf, box, real_space=True)
        return _wsum(conv.drawImage(nx=24, ny=24, scale=0.15, dtype=float, method="sb"))

    _fd_check(f, 0.4)

    def f_radius(r):
        conv = jg.Convolve(jg.TopHat(r), jg.TopHat(0.3).shear(g1=0.2, g2=0.0), real_space=True)
        return conv.xValue(0.35, 0.1)

    _fd_check(f_radius, 0.5)

    def f_boxes(w):
        # axis-aligned boxes: edges parallel to the integration lines
        c = jg.Convolve(jg.Box(w, 0.3), jg.Pixel(0.2), real_space=True)
        return c.xValue(0.1, 0.05) + c.xValue(0.3, 0.1)

    _fd_check(f_boxes, 0.5)

    def f_autocorr(r):
        c = jg.AutoCorrelate(jg.TopHat(r).shift(0.1, 0.0).shear(g1=0.1, g2=0.2),
                             real_space=True)
        return c.xValue(0.1, 0.05) + c.xValue(0.5, 0.1)

    _fd_check(f_autocorr, 0.4)


def test_grad_deconvolve_autoconvolve_fouriersqrt():
    def f_dec(s):
        obj = jg.Convolve(jg.Gaussian(sigma=1.0), jg.Gaussian(sigma=s),
                          jg.Deconvolve(jg.Gaussian(sigma=0.8)))
        return _wsum(obj.drawImage(nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel"))

    def f_auto(s):
        return _wsum(jg.AutoConvolve(jg.Gaussian(sigma=s)).drawImage(
            nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel"))

    def f_corr(g1):
        return _wsum(jg.AutoCorrelate(jg.Gaussian(sigma=0.6).shear(g1=g1, g2=0).shift(0.2, 0.1))
                     .drawImage(nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel"))

    def f_sqrt(s):
        return _wsum(jg.FourierSqrt(jg.Gaussian(sigma=s, flux=4.0)).drawImage(
            nx=24, ny=24, scale=0.3, dtype=float, method="no_pixel"))

    for f, x0 in ((f_dec, 1.1), (f_auto, 0.6), (f_corr, 0.2), (f_sqrt, 0.9)):
        _fd_check(f, x0)
