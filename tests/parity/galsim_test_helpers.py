"""The project's stand-in for GalSim's ``tests/galsim_test_helpers.py``.

GalSim's test modules start with ``from galsim_test_helpers import *``.  That module
is not shipped in GalSim's source distribution, so this one is written here from its
documented behaviour: the same names, doing the same checks with the same tolerances.
None of them may be weaker than GalSim's, or the parity count stops meaning what it
says.  ``galsim`` here is ``jax_galsim`` (the parity runner aliases it before this
module is imported).
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_raises, assert_warns  # noqa: F401  (re-exported)

import galsim
from galsim.utilities import CaptureLog, Profile, check_all_diff, check_pickle, timer  # noqa: F401

# No __all__: like GalSim's module, a star import hands over every public name
# (np, pytest, galsim, the checks), and some upstream tests rely on that.

# GalSim's defaults, spelled out: tests check that giving them explicitly changes nothing.
default_params = galsim.GSParams(
    minimum_fft_size=128,
    maximum_fft_size=8192,
    folding_threshold=5.e-3,
    maxk_threshold=1.e-3,
    kvalue_accuracy=1.e-5,
    xvalue_accuracy=1.e-5,
    shoot_accuracy=1.e-5,
    realspace_relerr=1.e-4,
    realspace_abserr=1.e-6,
    integration_relerr=1.e-6,
    integration_abserr=1.e-8)


def gsobject_compare(obj1, obj2, conv=None, decimal=10):
    """Assert two profiles draw the same 16x16 image (optionally after convolving both
    with ``conv``)."""
    if conv:
        obj1 = galsim.Convolve([obj1, conv.withGSParams(obj1.gsparams)])
        obj2 = galsim.Convolve([obj2, conv.withGSParams(obj2.gsparams)])
    im1 = galsim.ImageD(16, 16)
    im2 = galsim.ImageD(16, 16)
    correlated_noise = getattr(galsim, "BaseCorrelatedNoise", None)
    if correlated_noise is not None and isinstance(obj1, correlated_noise):
        obj1.drawImage(scale=0.2, image=im1)
        obj2.drawImage(scale=0.2, image=im2)
    else:
        obj1.drawImage(scale=0.2, image=im1, method='no_pixel')
        obj2.drawImage(scale=0.2, image=im2, method='no_pixel')
    np.testing.assert_array_almost_equal(im1.array, im2.array, decimal=decimal)


def _moment_line(image):
    mom = galsim.utilities.unweighted_moments(image)
    fmt = "      {0:<15.8g}  {1:<15.8g}  {2:<15.8g}  {3:<15.8g}  {4:<15.8g}"
    return fmt.format(mom['Mx'], mom['My'], mom['Mxx'], mom['Myy'], mom['Mxy'])


def printval(image1, image2, show=False):
    """Print summary statistics of two images (a debugging aid; asserts nothing)."""
    a1, a2 = image1.array, image2.array
    print("New, saved array sizes: ", np.shape(a1), np.shape(a2))
    print("Sum of values: ", np.sum(a1, dtype=float), np.sum(a2, dtype=float))
    print("Minimum image value: ", np.min(a1), np.min(a2))
    print("Maximum image value: ", np.max(a1), np.max(a2))
    print("Peak location: ", np.argmax(a1), np.argmax(a2))
    print("Moments Mx, My, Mxx, Myy, Mxy for new array: ")
    print(_moment_line(image1))
    print("Moments Mx, My, Mxx, Myy, Mxy for saved array: ")
    print(_moment_line(image2))
    if show:
        import matplotlib.pyplot as plt
        for k, arr in enumerate((a1, a2)):
            plt.subplot(1, 2, k + 1).imshow(arr)
        plt.show()


def convertToShear(e1, e2):
    """Convert a distortion (e1, e2) to a reduced shear (g1, g2)."""
    e = math.hypot(e1, e2)
    g = math.tanh(0.5 * math.atanh(e))
    return e1 * (g / e), e2 * (g / e)


_SAMPLE_PIXELS = ((2, 3), (-4, 1), (0, -5), (-3, -3))
_SAMPLE_ANGLES = (0., 0.3, 0.9, 1.3, 2.9)


def _check_axisymmetric(value_at, name, space):
    for r in (0.2, 1.3, 33.4):
        ref = value_at(0, r)
        values = [value_at(r * np.cos(t), r * np.sin(t)) for t in _SAMPLE_ANGLES]
        np.testing.assert_allclose(values, ref, rtol=1.e-5,
                                   err_msg="%s profile not axisymmetric in %s" % (name, space))


def check_basic_x(prof, name, approx_maxsb=False, scale=None):
    """Check ``drawImage(method='sb')`` against flux, max_sb and xValue."""
    image = prof.drawImage(method='sb', scale=scale, use_true_center=False)
    image.setCenter(0, 0)
    dx = image.scale
    if scale is None:
        assert image.scale == prof.nyquist_scale
    total = image.array.sum(dtype=float) * dx**2
    np.testing.assert_allclose(
        total, image.added_flux, 1.e-5,
        err_msg="%s profile drawImage(method='sb') returned wrong added_flux" % name)
    # Only roughly equal: method='sb' samples the profile, it does not integrate it.
    np.testing.assert_allclose(
        image.added_flux, prof.flux, rtol=0.1,
        err_msg="%s profile flux not close to sum of pixel values" % name)
    peak = np.abs(image.array).max()
    if approx_maxsb:
        np.testing.assert_array_less(
            peak, np.abs(prof.max_sb) * 1.4,
            err_msg="%s profile max_sb smaller than maximum pixel value" % name)
    else:
        np.testing.assert_allclose(
            peak, np.abs(prof.max_sb), rtol=1.e-5,
            err_msg="%s profile max_sb did not match maximum pixel value" % name)
    for i, j in _SAMPLE_PIXELS:
        x, y = i * dx, j * dx
        np.testing.assert_allclose(
            image(i, j), prof.xValue(x, y), rtol=1.e-5,
            err_msg="%s profile sb image does not match xValue at %d,%d" % (name, i, j))
        np.testing.assert_allclose(
            image(i, j), prof._xValue(galsim.PositionD(x, y)), rtol=1.e-5,
            err_msg="%s profile sb image does not match _xValue at %d,%d" % (name, i, j))
    assert prof.withFlux.__doc__ == galsim.GSObject.withFlux.__doc__
    assert prof.__class__.withFlux.__doc__ == galsim.GSObject.withFlux.__doc__

    neg_image = prof.withFlux(-prof.flux).drawImage(method='sb', scale=scale,
                                                    use_true_center=False)
    np.testing.assert_almost_equal(
        neg_image.array / prof.flux, -image.array / prof.flux, 7,
        '%s negative flux drawReal is not negative of +flux image' % name)

    # drawReal is what drawImage(method='sb') does with scale=1.
    prof.drawImage(image, method='sb', scale=1., use_true_center=False)
    image2 = image.copy()
    prof.drawReal(image2)
    np.testing.assert_equal(image2.array, image.array,
                            err_msg="%s drawReal not equivalent to drawImage" % name)

    if prof.is_axisymmetric:
        _check_axisymmetric(prof.xValue, name, "xValues")


def check_basic_k(prof, name):
    """Check ``drawKImage`` against flux and kValue."""
    if prof.maxk / prof.stepk > 2000.:
        kimage = prof.drawKImage(nx=2000, ny=2000)   # don't draw huge images
    elif prof.maxk / prof.stepk < 12.:
        kimage = prof.drawKImage(nx=12, ny=12)       # nor tiny ones
    else:
        kimage = prof.drawKImage()
    kimage.setCenter(0, 0)
    dk = kimage.scale
    assert kimage.scale == prof.stepk
    np.testing.assert_allclose(prof.kValue(0, 0), prof.flux, rtol=1.e-10,
                               err_msg="%s profile kValue(0,0) did not match flux" % name)
    np.testing.assert_allclose(kimage(0, 0), prof.flux, rtol=1.e-10,
                               err_msg="%s profile kimage(0,0) did not match flux" % name)
    for i, j in _SAMPLE_PIXELS:
        kx, ky = i * dk, j * dk
        np.testing.assert_allclose(
            kimage(i, j), prof.kValue(kx, ky), rtol=1.e-5,
            err_msg="%s profile kimage does not match kValue at %d,%d" % (name, i, j))
        np.testing.assert_allclose(
            kimage(i, j), prof._kValue(galsim.PositionD(kx, ky)), rtol=1.e-5,
            err_msg="%s profile kimage does not match _kValue at %d,%d" % (name, i, j))

    neg_image = prof.withFlux(-prof.flux).drawKImage(kimage.copy())
    np.testing.assert_almost_equal(
        neg_image.array / prof.flux, -kimage.array / prof.flux, 7,
        '%s negative flux drawK is not negative of +flux image' % name)

    if prof.is_axisymmetric:
        _check_axisymmetric(prof.kValue, name, "kValues")


def _check_basic_once(prof, name, approx_maxsb, scale, do_x, do_k):
    if do_x and prof.is_analytic_x:
        check_basic_x(prof, name, approx_maxsb, scale)
    if do_k and prof.is_analytic_k:
        check_basic_k(prof, name)


def check_basic(prof, name, approx_maxsb=False, scale=None, do_x=True, do_k=True):
    """Sanity checks every profile must pass, then the same for a rotated copy."""
    print('Testing', name)
    _check_basic_once(prof, name, approx_maxsb, scale, do_x, do_k)

    np.testing.assert_almost_equal(
        prof.positive_flux - prof.negative_flux, prof.flux,
        err_msg="%s profile flux not equal to posflux + negflux" % name)
    assert isinstance(prof.centroid, galsim.PositionD)
    for attr in ('flux', 'positive_flux', 'negative_flux', 'max_sb', 'stepk', 'maxk'):
        assert isinstance(getattr(prof, attr), float), attr
    for attr in ('has_hard_edges', 'is_axisymmetric', 'is_analytic_x', 'is_analytic_k'):
        assert isinstance(getattr(prof, attr), bool), attr
    assert np.isclose(prof.positive_flux - prof.negative_flux, prof.flux)
    assert np.isclose(prof._flux_per_photon,
                      prof.flux / (prof.positive_flux + prof.negative_flux))

    assert prof.withGSParams(prof.gsparams) is prof
    alt_gsp = galsim.GSParams(xvalue_accuracy=0.2, folding_threshold=0.03)
    prof_alt = prof.withGSParams(alt_gsp)
    prof_alt2 = prof.withGSParams(xvalue_accuracy=0.2, folding_threshold=0.03)
    assert isinstance(prof_alt, prof.__class__)
    assert prof_alt.gsparams == alt_gsp
    assert prof_alt2.gsparams == prof.gsparams.withParams(xvalue_accuracy=0.2,
                                                          folding_threshold=0.03)
    assert prof_alt != prof
    assert prof_alt.withGSParams(prof.gsparams) is not prof
    assert prof_alt.withGSParams(prof.gsparams) == prof
    assert prof_alt2.withGSParams(xvalue_accuracy=prof.gsparams.xvalue_accuracy,
                                  folding_threshold=prof.gsparams.folding_threshold) == prof

    # A rotated copy takes other drawing paths (non-diagonal jacobians).
    prof = prof.rotate(17 * galsim.degrees)
    name = "Rotated " + name
    print('Testing', name)
    _check_basic_once(prof, name, approx_maxsb, scale, do_x, do_k)


def do_shoot(prof, img, name):
    """Photon shooting must reproduce the FFT/real-space image and the flux."""
    rtol = 2.e-2
    test_flux = 1.8

    prof.shoot(100, rng=None)
    prof.shoot(0)
    prof.shoot(1)
    prof.shoot(2)

    prof.drawImage(img)
    flux_max = img.array.max()
    flux_tot = img.array.sum(dtype=float)
    atol = flux_max * rtol * 3
    # Enough photons that the brightest pixel is good to rtol, then 10x for a 3 sigma buffer.
    nphot = flux_tot / flux_max / rtol**2
    img2 = img.copy()
    rng = galsim.UniformDeviate(12345)
    prof.drawImage(img2, n_photons=nphot, poisson_flux=False, rng=rng, method='phot')
    printval(img2, img)
    np.testing.assert_allclose(
        img2.array, img.array, rtol=rtol, atol=atol,
        err_msg="Photon shooting for %s disagrees with expected result" % name)

    dx = img.scale
    if 'Airy' in name:
        size = 2048
    elif any(s in name for s in ('Sersic', 'DeVauc', 'Spergel', 'VonKarman')):
        size = 512
    else:
        size = 128
    img = galsim.ImageD(size, size, scale=dx)
    prof = prof.withFlux(test_flux)
    prof.drawImage(img)
    np.testing.assert_allclose(img.array.sum(dtype=float), test_flux, rtol=1.e-4,
                               err_msg="Flux normalization for %s disagrees with expected result" % name)
    assert img.array.max() <= prof.max_sb * dx**2 * 1.4, "max_sb for %s is too small." % name

    scale = test_flux / flux_tot
    nphot *= scale * scale
    if 'InterpolatedImage' in name or 'PhaseScreen' in name:
        nphot *= 10
    prof.drawImage(img, n_photons=nphot, poisson_flux=False, rng=rng, method='phot')
    np.testing.assert_allclose(
        img.array.sum(dtype=float), test_flux, rtol=rtol, atol=atol,
        err_msg="Photon shooting normalization for %s disagrees with expected result" % name)
    assert img.array.max() <= prof.max_sb * dx**2 * 1.4, \
        "Photon shooting for %s produced too high max pixel." % name

    prof = prof.withFlux(-test_flux)
    prof.drawImage(img, n_photons=nphot, poisson_flux=False, rng=rng, method='phot')
    np.testing.assert_allclose(
        img.array.sum(dtype=float), -test_flux, rtol=rtol, atol=atol,
        err_msg="Photon shooting normalization for %s disagrees when flux < 0" % name)


def do_kvalue(prof, im1, name):
    """The real-space image must equal the image of the profile convolved with a
    near-delta Gaussian (drawn through k space)."""
    prof.drawImage(im1, method='no_pixel')
    delta = galsim.Gaussian(sigma=1.e-8)
    conv = galsim.Convolve([prof, delta])
    im2 = conv.drawImage(im1.copy(), method='no_pixel')
    printval(im1, im2)
    np.testing.assert_array_almost_equal(
        im2.array, im1.array, 3,
        err_msg=name + " convolved with a delta function is inconsistent with real-space image.")


def radial_integrate(prof, minr, maxr):
    """int_{minr}^{maxr} 2 pi r f(r) dr for an axisymmetric profile."""
    assert prof.is_axisymmetric
    f = lambda r: 2 * np.pi * r * prof._xValue(galsim.PositionD(r, 0))
    return galsim.integ.int1d(f, minr, maxr)


def drawNoise(noise):
    """A 10x10 image of ``noise`` as a list (for comparing noise objects)."""
    im = galsim.ImageD(10, 10)
    im.addNoise(noise)
    return im.array.astype(np.float32).tolist()


@pytest.fixture
def run_slow(pytestconfig):
    """True when the run was asked for GalSim's slow variants (``--run_slow``)."""
    return pytestconfig.getoption("--run_slow", default=False)


def runtests(filename, parser=None):
    """Run one upstream module under the parity runner (what ``python test_x.py`` does)."""
    import os
    import subprocess
    import sys
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_parity.py")
    raise SystemExit(subprocess.call([sys.executable, runner, os.path.basename(filename),
                                      "--run_slow"] + sys.argv[1:]))
