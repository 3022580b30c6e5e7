"""Photon shooting: distributions, GalSim's flux bookkeeping, and the jax.random path."""

import pickle
import types

import galsim as ref_galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

jax.config.update("jax_enable_x64", True)

import jax_galsim as galsim  # noqa: E402
from jax_galsim.photon_array import PhotonArray  # noqa: E402

N = 100_000


def _moments(p):
    f = np.asarray(p.flux)
    x, y = np.asarray(p.x), np.asarray(p.y)
    w = f / f.sum()
    mx, my = (w * x).sum(), (w * y).sum()
    dx, dy = x - mx, y - my
    return mx, my, (w * dx * dx).sum(), (w * dy * dy).sum(), (w * dx * dy).sum()


# (profile, per-axis second moment)
_CASES = [
    (galsim.Gaussian(sigma=1.3, flux=2.0), 1.3 ** 2),
    (galsim.Exponential(scale_radius=0.7, flux=3.0), 3.0 * 0.7 ** 2),
    (galsim.Moffat(beta=4.0, scale_radius=1.1), 1.1 ** 2 / (2 * (4.0 - 2.0))),
    (galsim.Box(width=2.0, height=2.0, flux=1.5), 4.0 / 12.0),
    (galsim.Pixel(scale=0.5), 0.25 / 12.0),
    (galsim.TopHat(radius=1.5), 1.5 ** 2 / 4.0),
]


@pytest.mark.parametrize("obj,m2", _CASES, ids=lambda c: type(c).__name__ if not isinstance(c, float) else "")
def test_moments_and_flux(obj, m2):
    p = obj.shoot(N, galsim.BaseDeviate(1234))
    assert len(p) == N
    np.testing.assert_allclose(p.flux.sum(), obj.flux, rtol=1e-12)
    np.testing.assert_allclose(p.flux, obj.flux / N, rtol=1e-12)
    mx, my, mxx, myy, mxy = _moments(p)
    tol = 6 * np.sqrt(m2 / N) + 1e-12
    assert abs(mx) < tol and abs(my) < tol
    np.testing.assert_allclose([mxx, myy], [m2, m2], rtol=0.03)
    assert abs(mxy) < 0.03 * m2


def test_box_rectangle_and_delta():
    p = galsim.Box(width=2.0, height=3.0).shoot(N, galsim.BaseDeviate(5))
    assert np.all(np.abs(p.x) <= 1.0) and np.all(np.abs(p.y) <= 1.5)
    np.testing.assert_allclose(_moments(p)[2:4], [4 / 12, 9 / 12], rtol=0.03)
    d = galsim.DeltaFunction(flux=3.0).shoot(10, galsim.BaseDeviate(5))
    np.testing.assert_array_equal(d.x, 0.0)
    np.testing.assert_array_equal(d.y, 0.0)
    np.testing.assert_allclose(d.flux, 0.3)


def _moffat_cdf(beta, r0, trunc):
    ff = 1.0 - (1.0 + (trunc / r0) ** 2) ** (1.0 - beta) if trunc > 0 else 1.0
    return lambda r: (1.0 - (1.0 + (r / r0) ** 2) ** (1.0 - beta)) / ff


@pytest.mark.parametrize("obj,cdf", [
    (galsim.Gaussian(sigma=0.8), lambda r: 1.0 - np.exp(-0.5 * (r / 0.8) ** 2)),
    (galsim.Exponential(scale_radius=1.7),
     lambda r: 1.0 - (1.0 + r / 1.7) * np.exp(-r / 1.7)),
    (galsim.Moffat(beta=2.5, scale_radius=1.2), _moffat_cdf(2.5, 1.2, 0.0)),
    (galsim.Moffat(beta=3.0, scale_radius=1.0, trunc=2.5), _moffat_cdf(3.0, 1.0, 2.5)),
    (galsim.TopHat(radius=2.0), lambda r: np.clip((r / 2.0) ** 2, 0, 1)),
], ids=["gaussian", "exponential", "moffat", "moffat_trunc", "tophat"])
def test_radial_ks(obj, cdf):
    p = obj.shoot(20000, galsim.BaseDeviate(42))
    r = np.hypot(p.x, p.y)
    assert stats.kstest(r, cdf).pvalue > 1e-3
    phi = np.arctan2(p.y, p.x)
    assert stats.kstest(phi, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 1e-3
    # The shooting of a wrong profile must fail the same test.
    assert stats.kstest(1.1 * r, cdf).pvalue < 1e-3


def test_transform_sum_convolve_moments():
    g = galsim.Gaussian(sigma=1.0)
    t = g.shear(g1=0.3, g2=-0.1).shift(0.5, -0.2) * 2.0
    p = t.shoot(N, galsim.BaseDeviate(7))
    np.testing.assert_allclose(p.flux.sum(), t.flux, rtol=1e-12)
    jac = galsim.Shear(g1=0.3, g2=-0.1).getMatrix()
    cov = jac @ jac.T
    mx, my, mxx, myy, mxy = _moments(p)
    np.testing.assert_allclose([mx, my], [0.5, -0.2], atol=0.02)
    np.testing.assert_allclose([mxx, myy, mxy], [cov[0, 0], cov[1, 1], cov[0, 1]], atol=0.03)

    s = galsim.Gaussian(sigma=1.0, flux=1.0) + galsim.Gaussian(sigma=2.0, flux=3.0)
    p = s.shoot(N, galsim.BaseDeviate(8))
    np.testing.assert_allclose(p.flux.sum(), 4.0, rtol=1e-12)
    np.testing.assert_allclose(_moments(p)[2], (1.0 + 3.0 * 4.0) / 4.0, rtol=0.03)

    c = galsim.Convolve(galsim.Gaussian(sigma=1.0, flux=2.0), galsim.Exponential(scale_radius=0.5, flux=1.5))
    p = c.shoot(N, galsim.BaseDeviate(9))
    np.testing.assert_allclose(p.flux.sum(), 3.0, rtol=1e-12)
    np.testing.assert_allclose(_moments(p)[2], 1.0 + 3 * 0.25, rtol=0.03)


def test_mixed_sign_sum():
    # A difference of profiles: photons carry signed flux; the expected image is right.
    s = galsim.Gaussian(sigma=2.0, flux=2.0) - galsim.Gaussian(sigma=1.0, flux=0.5)
    p = s.shoot(200_000, galsim.BaseDeviate(3))
    assert np.any(p.flux < 0)
    np.testing.assert_allclose(p.flux.sum(), 1.5, rtol=0.02)
    img = s.drawImage(nx=16, ny=16, scale=1.0, method="no_pixel")
    phot = s.drawImage(nx=16, ny=16, scale=1.0, method="phot", n_photons=400_000,
                       rng=galsim.BaseDeviate(11))
    fft = s.drawImage(nx=16, ny=16, scale=1.0)
    # Per-pixel shot noise: photons of flux +-2.5/N over ~|2| + |0.5| flux per pixel.
    absim = (galsim.Gaussian(sigma=2.0, flux=2.0) + galsim.Gaussian(sigma=1.0, flux=0.5)
             ).drawImage(nx=16, ny=16, scale=1.0).array
    sigma = np.sqrt(absim * 2.5 / 400_000)
    assert np.all(np.abs(phot.array - fft.array) < 5 * sigma + 1e-6)
    np.testing.assert_allclose(phot.array.sum(), fft.array.sum(), atol=5 * np.sqrt(2.5 * 2.5 / 400_000))
    assert img.array.min() < 0.03


def test_addTo_and_convolve_match_galsim():
    rng = np.random.default_rng(1)
    x = rng.uniform(-8, 8, 5000)
    y = rng.uniform(-8, 8, 5000)
    f = rng.normal(size=5000)
    for dtype in (np.float64, np.float32):
        im1 = galsim.Image(10, 12, xmin=-4, ymin=-6, dtype=dtype)
        im2 = ref_galsim.Image(10, 12, xmin=-4, ymin=-6, dtype=dtype)
        a1 = PhotonArray(5000, x=x, y=y, flux=f).addTo(im1)
        a2 = ref_galsim.PhotonArray(5000, x=x, y=y, flux=f).addTo(im2)
        np.testing.assert_allclose(a1, a2, rtol=1e-12)
        np.testing.assert_allclose(im1.array, im2.array, rtol=1e-5, atol=1e-5)
    p1 = PhotonArray(5000, x=x, y=y, flux=f)
    p2 = ref_galsim.PhotonArray(5000, x=x, y=y, flux=f)
    p1.convolve(PhotonArray(5000, x=y, y=x, flux=f))
    p2.convolve(ref_galsim.PhotonArray(5000, x=y, y=x, flux=f))
    np.testing.assert_allclose(p1.x, p2.x)
    np.testing.assert_allclose(p1.flux, p2.flux)
    with pytest.raises(galsim.GalSimUndefinedBoundsError):
        p1.addTo(galsim.Image())


def test_nphotons_bookkeeping_matches_galsim():
    for kw in [dict(n_photons=0.0, poisson_flux=False, max_extra_noise=0.0),
               dict(n_photons=0.0, poisson_flux=False, max_extra_noise=0.3),
               dict(n_photons=1234.4, poisson_flux=False, max_extra_noise=0.0),
               dict(n_photons=1234.5, poisson_flux=False, max_extra_noise=0.0)]:
        for flux in (1776.3, -250.0, 0.0):
            ours = galsim.Exponential(scale_radius=1.3, flux=flux)._calculate_nphotons(rng=None, **kw)
            theirs = ref_galsim.Exponential(scale_radius=1.3, flux=flux)._calculate_nphotons(rng=None, **kw)
            assert ours[0] == theirs[0]
            np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)


def test_drawimage_phot_bookkeeping():
    obj = galsim.Gaussian(sigma=0.5, flux=1000.0)
    rng = galsim.BaseDeviate(1)
    im = obj.drawImage(nx=40, ny=40, scale=0.2, method="phot", rng=rng.duplicate(),
                       save_photons=True, poisson_flux=False)
    assert len(im.photons) == 1000
    np.testing.assert_allclose(im.array.sum(), 1000.0, rtol=1e-6)
    np.testing.assert_allclose(im.added_flux, 1000.0, rtol=1e-12)
    # Deterministic given the seed; gain divides; exptime*area changes the photon count.
    im2 = obj.drawImage(nx=40, ny=40, scale=0.2, method="phot", rng=rng.duplicate(),
                        poisson_flux=False)
    np.testing.assert_array_equal(im.array, im2.array)
    im3 = obj.drawImage(nx=40, ny=40, scale=0.2, method="phot", rng=rng.duplicate(),
                        poisson_flux=False, gain=4.0)
    np.testing.assert_allclose(im3.array * 4, im.array, rtol=1e-6)
    np.testing.assert_allclose(im3.added_flux, 250.0, rtol=1e-12)
    im4 = obj.drawImage(nx=40, ny=40, scale=0.2, method="phot", rng=rng.duplicate(),
                        poisson_flux=False, exptime=2.0, save_photons=True)
    assert len(im4.photons) == 2000
    # Photons off the image do not count in added_flux.
    small = obj.drawImage(nx=3, ny=3, scale=0.2, method="phot", rng=rng.duplicate(),
                          poisson_flux=False)
    np.testing.assert_allclose(small.added_flux, small.array.sum(), rtol=1e-6)
    assert small.added_flux < 900.0
    # maxN splits the shooting but keeps the total flux.
    im5 = obj.drawImage(nx=40, ny=40, scale=0.2, method="phot", rng=rng.duplicate(),
                        poisson_flux=False, maxN=300)
    np.testing.assert_allclose(im5.array.sum(), 1000.0, rtol=1e-6)
    with pytest.raises(galsim.GalSimRangeError):
        obj.makePhot(n_photons=-1)
    with pytest.raises(TypeError):
        obj.drawPhot(im5, sensor=5)


def test_photon_array_api():
    p = PhotonArray(5, x=np.arange(5.0), y=2 * np.arange(5.0), flux=np.ones(5))
    assert not p.hasAllocatedWavelengths()
    p.wavelength = 500.0
    assert p.hasAllocatedWavelengths()
    p.scaleXY(2.0)
    p.setTotalFlux(10.0)
    np.testing.assert_allclose(p.x, 2 * np.arange(5.0))
    np.testing.assert_allclose(p.flux, 2.0)
    ns = types.SimpleNamespace(PhotonArray=PhotonArray)
    q = eval(repr(p), {"galsim": ns, "array": np.array})
    assert q == p
    assert pickle.loads(pickle.dumps(p)) == p
    big = PhotonArray(8)
    big.assignAt(2, p)
    np.testing.assert_allclose(big.x[2:7], p.x)
    im = galsim.ImageD(np.array([[1.0, 2.5], [0.0, -3.2]]))
    m = PhotonArray.makeFromImage(im, max_flux=1.0, rng=galsim.BaseDeviate(2))
    np.testing.assert_allclose(m.flux.sum(), im.array.sum())
    assert np.all(np.abs(m.flux) <= 1.0)
    back = galsim.ImageD(2, 2)
    m.addTo(back)
    np.testing.assert_allclose(back.array, im.array)


def test_jax_key_shoot_jit_vmap():
    key = jax.random.PRNGKey(0)
    p = galsim.Gaussian(sigma=1.5).shoot(50_000, key)
    assert isinstance(p.x, jax.Array)
    np.testing.assert_allclose(np.var(np.asarray(p.x)), 2.25, rtol=0.03)

    @jax.jit
    def shoot(sigma, key):
        return galsim.Exponential(scale_radius=sigma).shoot(20_000, key)

    q = shoot(0.7, key)
    np.testing.assert_allclose(_moments(q)[2], 3 * 0.49, rtol=0.05)
    r = np.hypot(np.asarray(q.x), np.asarray(q.y)) / 0.7
    assert stats.kstest(r, lambda r: 1 - (1 + r) * np.exp(-r)).pvalue > 1e-3
    # The same key gives the same photons eagerly and under jit.
    q2 = galsim.Exponential(scale_radius=0.7).shoot(20_000, key)
    np.testing.assert_allclose(q.x, q2.x, rtol=1e-10, atol=1e-12)

    keys = jax.random.split(key, 3)
    xs = jax.vmap(lambda k: galsim.Moffat(beta=3.0, scale_radius=1.0).shoot(1000, k).x)(keys)
    assert xs.shape == (3, 1000)
    assert not np.allclose(xs[0], xs[1])


def test_jax_key_drawimage_jit_vmap_grad():
    key = jax.random.PRNGKey(3)

    def draw(flux, key):
        obj = galsim.Convolve(galsim.Gaussian(sigma=0.6, flux=flux), galsim.Exponential(scale_radius=0.3))
        obj = obj + galsim.Gaussian(sigma=1.0, flux=0.5 * flux)
        return obj.drawImage(nx=32, ny=32, scale=0.25, method="phot", n_photons=40_000,
                             rng=key, dtype=float).array

    im = jax.jit(draw)(100.0, key)
    fft = galsim.Convolve(galsim.Gaussian(sigma=0.6, flux=100.0), galsim.Exponential(scale_radius=0.3)) \
        + galsim.Gaussian(sigma=1.0, flux=50.0)
    ref = fft.drawImage(nx=32, ny=32, scale=0.25).array
    # Shot noise per pixel: photons of flux 150 / 40000.
    pf = 150.0 / 40_000
    assert np.all(np.abs(im - ref) < 5 * np.sqrt(ref * pf) + 3 * pf)
    np.testing.assert_allclose(im.sum(), ref.sum(), rtol=0.01)

    def simple(flux, key):
        return galsim.Gaussian(sigma=0.5, flux=flux).drawImage(
            nx=16, ny=16, scale=0.25, method="phot", n_photons=5000, rng=key, dtype=float).array

    ims = jax.jit(jax.vmap(simple))(jnp.array([50.0, 100.0]), jax.random.split(key, 2))
    assert ims.shape == (2, 16, 16)
    assert not np.allclose(ims[0] * 2, ims[1])
    np.testing.assert_allclose(ims.sum(axis=(1, 2)) / np.array([50.0, 100.0]), 1.0, rtol=0.01)
    # Photon fluxes are flux / N: the image is linear in the flux.
    gsum = jax.jit(jax.grad(lambda f: simple(f, key).sum()))(100.0)
    np.testing.assert_allclose(gsum, simple(100.0, key).sum() / 100.0, rtol=1e-8)


def _pairs(gs):
    return [gs.Gaussian(sigma=1.3, flux=2.0), gs.Box(2.0, 3.0), gs.Pixel(0.3), gs.TopHat(1.5),
            gs.Moffat(beta=2.5, scale_radius=1.1, trunc=4.0), gs.DeltaFunction(2.0),
            gs.Gaussian(sigma=1.0) + gs.Gaussian(sigma=2.0, flux=3.0),
            gs.Convolve(gs.Gaussian(sigma=1.0), gs.Box(1.0, 2.0)),
            gs.Gaussian(sigma=1.0).shear(g1=0.2, g2=0.1).shift(0.3, 0.1) * 3]


def test_eager_photons_follow_galsim_stream():
    # With a BaseDeviate the eager path uses GalSim's algorithms and stream (except the
    # Exponential, which GalSim samples with a tabulated deviate).
    for ours, theirs in zip(_pairs(galsim), _pairs(ref_galsim)):
        p1 = ours.shoot(500, galsim.BaseDeviate(5))
        p2 = theirs.shoot(500, ref_galsim.BaseDeviate(5))
        np.testing.assert_allclose(p1.x, p2.x, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(p1.y, p2.y, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(p1.flux, p2.flux, rtol=1e-13)
    ims = []
    for gs in (galsim, ref_galsim):
        obj = gs.Gaussian(sigma=0.7, flux=1234.0).shear(g1=0.1, g2=0.2) + gs.Box(1.0, 2.0, flux=300)
        ims.append(obj.drawImage(nx=20, ny=20, scale=0.2, method="phot",
                                 rng=gs.BaseDeviate(99), max_extra_noise=3.0))
    np.testing.assert_allclose(ims[0].array, ims[1].array, rtol=1e-5)
    np.testing.assert_allclose(ims[0].added_flux, ims[1].added_flux, rtol=1e-10)


def test_jax_key_traced_image_add_to_image():
    key = jax.random.PRNGKey(1)
    im0 = galsim.ImageD(24, 24, scale=0.3, init_value=5.0)

    @jax.jit
    def f(im, key, flux):
        return galsim.Gaussian(sigma=0.8, flux=flux).drawImage(
            image=im, method="phot", n_photons=2000, rng=key, add_to_image=True).array

    out = f(im0, key, 100.0)
    np.testing.assert_allclose(out.sum(), 24 * 24 * 5.0 + 100.0, rtol=1e-10)
    assert np.all(np.asarray(out) >= 5.0)
    np.testing.assert_array_equal(im0.array, 5.0)   # the input image is not modified


def test_photon_ops():
    from jax_galsim.photon_array import FRatioAngles, FocusDepth, ScaleFlux, TimeSampler
    gal = galsim.Gaussian(sigma=0.5, flux=5000.0)
    psf = galsim.Gaussian(sigma=0.6)
    # A GSObject as a photon operator convolves the photons by itself.
    im1 = gal.drawImage(nx=24, ny=24, scale=0.2, method="phot", n_photons=100_000,
                        rng=galsim.BaseDeviate(1), photon_ops=[psf], dtype=float)
    ref = galsim.Convolve(gal, psf).drawImage(nx=24, ny=24, scale=0.2, dtype=float)
    pf = 5000.0 / 100_000
    assert np.all(np.abs(im1.array - ref.array) < 5 * np.sqrt(ref.array * pf) + 3 * pf)
    # Angles plus a focus depth blur the image; a flux scaling scales it.
    im2 = gal.drawImage(nx=24, ny=24, scale=0.2, method="phot", n_photons=50_000,
                        rng=galsim.BaseDeviate(2), save_photons=True,
                        photon_ops=[FRatioAngles(1.2, 0.3), FocusDepth(2.0), ScaleFlux(0.5),
                                    TimeSampler(exptime=30.0)])
    p = im2.photons
    assert p.hasAllocatedAngles() and p.hasAllocatedTimes()
    assert np.all((p.time >= 0) & (p.time < 30))
    np.testing.assert_allclose(p.flux.sum(), 2500.0, rtol=1e-12)
    tan = np.hypot(p.dxdz, p.dydz)
    assert np.all(tan <= 0.5 / 1.2 + 1e-12) and np.all(tan >= 0.5 * 0.3 / 1.2 - 1e-12)
    # With photon_ops and a non-phot method: draw, convert to photons, apply, accumulate.
    im3 = gal.drawImage(nx=24, ny=24, scale=0.2, method="no_pixel", n_subsample=1,
                        photon_ops=[ScaleFlux(2.0)], rng=galsim.BaseDeviate(3), dtype=float)
    im4 = gal.drawImage(nx=24, ny=24, scale=0.2, method="no_pixel", dtype=float)
    np.testing.assert_allclose(im3.array, 2 * im4.array, rtol=1e-10, atol=1e-12)
