"""Adaptive moments (jax_galsim.hsm) against GalSim, and the functional JAX path."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim as jg
import jax_galsim.hsm as hsm

jax.config.update("jax_enable_x64", True)


def _to_jg(im):
    out = jg.Image(np.array(im.array), xmin=im.xmin, ymin=im.ymin)
    return out


def _assert_same(r, j, rho4=True):
    assert j.moments_status == r.moments_status == 0
    np.testing.assert_allclose(j.moments_sigma, r.moments_sigma, rtol=1e-6)
    np.testing.assert_allclose(j.observed_shape.e1, r.observed_shape.e1, atol=1e-6)
    np.testing.assert_allclose(j.observed_shape.e2, r.observed_shape.e2, atol=1e-6)
    np.testing.assert_allclose(j.moments_amp, r.moments_amp, rtol=1e-6)
    np.testing.assert_allclose(j.moments_centroid.x, r.moments_centroid.x, atol=1e-9)
    np.testing.assert_allclose(j.moments_centroid.y, r.moments_centroid.y, atol=1e-9)
    if rho4:
        np.testing.assert_allclose(j.moments_rho4, r.moments_rho4, rtol=1e-9)
    assert j.moments_n_iter == r.moments_n_iter
    assert j.image_bounds == jg.BoundsI(r.image_bounds.xmin, r.image_bounds.xmax,
                                        r.image_bounds.ymin, r.image_bounds.ymax)


PROFILES = [
    (lambda: galsim.Gaussian(sigma=1.0).shear(g1=0.1, g2=0.2), {}),
    (lambda: galsim.Gaussian(sigma=0.4).shear(g1=-0.3, g2=0.05).shift(0.13, -0.07), {}),
    (lambda: galsim.Exponential(half_light_radius=0.6).shear(g1=0.2, g2=-0.4).shift(0.3, 0.1),
     dict(nx=64, ny=70)),
    (lambda: galsim.Gaussian(sigma=2.5).shear(g1=0.5, g2=0.1), dict(nx=90, ny=80)),
]


@pytest.mark.parametrize("i", range(len(PROFILES)))
def test_find_adaptive_mom_matches_galsim(i):
    make, kw = PROFILES[i]
    for dtype in (np.float32, np.float64):
        im = make().drawImage(scale=0.2, dtype=dtype, **kw)
        r = im.FindAdaptiveMom()
        j = hsm.FindAdaptiveMom(_to_jg(im))
        _assert_same(r, j)
        assert isinstance(j.moments_sigma, float)
        rr = im.FindAdaptiveMom(round_moments=True)
        jr = _to_jg(im).FindAdaptiveMom(round_moments=True)
        np.testing.assert_allclose(jr.moments_sigma, rr.moments_sigma, rtol=1e-6)
        np.testing.assert_allclose(jr.observed_shape.e1, rr.observed_shape.e1, atol=1e-6)
        np.testing.assert_allclose(jr.observed_shape.e2, rr.observed_shape.e2, atol=1e-6)
        np.testing.assert_allclose(jr.moments_amp, rr.moments_amp, rtol=1e-6)
        assert jr.moments_n_iter == rr.moments_n_iter


def test_guess_offsets_bounds_weight_badpix():
    gal = galsim.Exponential(half_light_radius=0.5).shear(g1=0.15, g2=-0.25).shift(0.4, -0.3)
    im = gal.drawImage(nx=61, ny=57, scale=0.2)
    im.setOrigin(-7, 12)
    jim = _to_jg(im)
    guess = galsim.PositionD(im.true_center.x + 1.5, im.true_center.y - 1.0)
    kw = dict(guess_sig=2.0, guess_centroid=guess, precision=1e-8)
    _assert_same(im.FindAdaptiveMom(**kw),
                 jim.FindAdaptiveMom(guess_sig=2.0, precision=1e-8,
                                     guess_centroid=jg.PositionD(guess.x, guess.y)))

    # float weight with zeros, int weight, and badpix with arbitrary nonzero values
    rng = np.random.default_rng(3)
    w = (rng.uniform(size=im.array.shape) > 0.1) * rng.uniform(0.5, 2, size=im.array.shape)
    bp = (rng.uniform(size=im.array.shape) > 0.95) * 7
    gw = galsim.Image(w, xmin=-7, ymin=12)
    gb = galsim.ImageI(bp.astype(np.int32), xmin=-7, ymin=12)
    jw = jg.Image(w.copy(), xmin=-7, ymin=12)
    jb = jg.ImageI(bp.astype(np.int32), xmin=-7, ymin=12)
    _assert_same(im.FindAdaptiveMom(gw, gb), jim.FindAdaptiveMom(jw, jb))
    gwi = galsim.ImageI((w > 0).astype(np.int32), xmin=-7, ymin=12)
    jwi = jg.ImageI((w > 0).astype(np.int32), xmin=-7, ymin=12)
    _assert_same(im.FindAdaptiveMom(gwi), jim.FindAdaptiveMom(jwi))


def test_use_sky_coords():
    wcs_g = galsim.JacobianWCS(0.23, 0.03, -0.06, 0.19)
    wcs_j = jg.JacobianWCS(0.23, 0.03, -0.06, 0.19)
    gal = galsim.Gaussian(sigma=1.1).shear(g1=0.1, g2=0.3).shift(0.5, -0.7)
    im = gal.drawImage(nx=60, ny=60, wcs=wcs_g, method="no_pixel")
    jim = jg.Image(np.array(im.array), wcs=wcs_j)
    r = im.FindAdaptiveMom(use_sky_coords=True)
    j = jim.FindAdaptiveMom(use_sky_coords=True)
    np.testing.assert_allclose(j.moments_sigma, r.moments_sigma, rtol=1e-6)
    np.testing.assert_allclose(j.observed_shape.g1, r.observed_shape.g1, atol=1e-6)
    np.testing.assert_allclose(j.observed_shape.g2, r.observed_shape.g2, atol=1e-6)
    np.testing.assert_allclose(j.moments_centroid.x, r.moments_centroid.x, atol=1e-9)
    np.testing.assert_allclose(j.moments_centroid.y, r.moments_centroid.y, atol=1e-9)
    np.testing.assert_allclose(j.moments_sigma, 1.1, rtol=1e-5)
    np.testing.assert_allclose(j.observed_shape.g1, 0.1, rtol=1e-5)


def test_failures_and_errors():
    # Object far too small: GalSim's message, stored or raised.
    im = galsim.Pixel(2.7).drawImage(galsim.Image(11, 11), scale=2.7, method="no_pixel")
    jim = _to_jg(im)
    r = im.FindAdaptiveMom(strict=False)
    j = jim.FindAdaptiveMom(strict=False)
    assert j.error_message == r.error_message != ""
    assert j == hsm.ShapeData(error_message=r.error_message)
    with pytest.raises(jg.GalSimHSMError) as e:
        jim.FindAdaptiveMom()
    assert str(e.value) == r.error_message
    # too many iterations, too large moments
    im = galsim.Exponential(half_light_radius=0.6).drawImage(scale=0.2)
    jim = _to_jg(im)
    n = im.FindAdaptiveMom().moments_n_iter
    with pytest.raises(jg.GalSimHSMError):
        jim.FindAdaptiveMom(hsmparams=hsm.HSMParams(max_mom2_iter=n - 1))
    jim.FindAdaptiveMom(hsmparams=hsm.HSMParams(max_mom2_iter=n))
    with pytest.raises(jg.GalSimHSMError):
        jim.FindAdaptiveMom(hsmparams=hsm.HSMParams(max_amoment=1.0))
    # weight/badpix checks
    with pytest.raises(jg.GalSimIncompatibleValuesError):
        jim.FindAdaptiveMom(jg.ImageI(5, 5, init_value=1))
    with pytest.raises(jg.GalSimValueError):
        jim.FindAdaptiveMom(jg.ImageF(jim.bounds, init_value=-1.))
    with pytest.raises(jg.GalSimHSMError):
        jim.FindAdaptiveMom(jg.ImageI(jim.bounds, init_value=0))
    with pytest.raises(TypeError):
        jim.FindAdaptiveMom(hsmparams="hsmparams")
    with pytest.raises(NotImplementedError):
        hsm.EstimateShear(jim, jim)


def test_hsmparams_and_shapedata_values():
    p = hsm.HSMParams(nsig_rg=1.0, max_mom2_iter=100, failed_moments=99.)
    q = eval(repr(p), {"galsim": jg})
    assert p == q and hash(p) == hash(q)
    assert pickle.loads(pickle.dumps(p)) == p
    assert repr(hsm.HSMParams()) == repr(galsim.hsm.HSMParams())
    assert p != hsm.HSMParams()
    with pytest.raises(AttributeError):
        p.max_mom2_iter = 3
    assert hsm.HSMParams.check(None) is hsm.HSMParams.default

    im = galsim.Gaussian(sigma=1.0).shear(g1=0.1).drawImage(scale=0.2)
    r = im.FindAdaptiveMom()
    j = _to_jg(im).FindAdaptiveMom()
    assert j.moments_sigma == r.moments_sigma  # float32-rounded as GalSim stores it
    assert j.observed_shape.e1 == r.observed_shape.e1
    assert pickle.loads(pickle.dumps(j)) == j
    assert eval(repr(j), {"galsim": jg}) == j
    assert repr(hsm.ShapeData()) == repr(galsim.hsm.ShapeData())
    with pytest.raises(TypeError):
        hsm.ShapeData(1.0)


# ---------------------------------------------------------------------------------------
# functional JAX path
# ---------------------------------------------------------------------------------------
N = 32


def _draw(p):
    """A sheared, shifted elliptical Gaussian sampled at pixel centres (jnp)."""
    flux, sig, g1, g2, dx, dy = p
    x = (jnp.arange(1, N + 1) - (N + 1) / 2 - dx)[None, :]
    y = (jnp.arange(1, N + 1) - (N + 1) / 2 - dy)[:, None]
    fac = 1.0 / jnp.sqrt(1 - g1 * g1 - g2 * g2)
    u = fac * ((1 - g1) * x - g2 * y)
    v = fac * (-g2 * x + (1 + g1) * y)
    return flux / (2 * np.pi * sig**2) * jnp.exp(-0.5 * (u * u + v * v) / sig**2) \
        + 0.02 * jnp.exp(-0.5 * ((x - 1.0) ** 2 + y * y) / (2.0 * sig) ** 2)


P0 = jnp.array([10.0, 2.2, 0.2, -0.1, 0.3, -0.4])


def test_functional_equals_eager():
    arr = _draw(P0)
    j = hsm.FindAdaptiveMom(jg.Image(np.array(arr)), precision=1e-8)
    full = jax.jit(lambda a: hsm.adaptive_moments_full(a, precision=1e-8))(arr)
    assert int(full["status"]) == 0
    assert int(full["n_iter"]) == j.moments_n_iter
    np.testing.assert_allclose(full["sigma"], j.moments_sigma, rtol=1e-6)  # float32 there
    np.testing.assert_allclose(full["e1"], j.observed_shape.e1, atol=1e-7)
    np.testing.assert_allclose(full["e2"], j.observed_shape.e2, atol=1e-7)
    np.testing.assert_allclose(full["x"], j.moments_centroid.x, atol=1e-10)
    np.testing.assert_allclose(full["y"], j.moments_centroid.y, atol=1e-10)
    np.testing.assert_allclose(full["rho4"], j.moments_rho4, rtol=1e-10)
    np.testing.assert_allclose(full["amp"], j.moments_amp, rtol=1e-6)
    # unrounded comparison with the eager algorithm's moments
    data = np.array(arr, dtype=float)
    _, x0, y0, mxx, mxy, myy, _, _ = hsm._ellipmom_2_np(
        data, 1, 1, (N + 1) / 2, (N + 1) / 2, 25., 0., 25., 1e-8, hsm.HSMParams.default)
    np.testing.assert_allclose([full["Mxx"], full["Mxy"], full["Myy"]], [mxx, mxy, myy],
                               rtol=1e-12, atol=1e-12)

    # vmap over a batch, and FindAdaptiveMom on a traced image
    ps = jnp.stack([P0, P0.at[1].set(1.6), P0.at[2].set(-0.3)])
    e1, e2, sig, cen = jax.vmap(lambda p: hsm.adaptive_moments(_draw(p)))(ps)
    single = jax.jit(lambda p: hsm.adaptive_moments(_draw(p)))
    for k in range(3):
        ek1, ek2, sk, ck = single(ps[k])
        np.testing.assert_allclose([e1[k], e2[k], sig[k]], [ek1, ek2, sk], rtol=1e-12)
    g1 = jax.jit(lambda a: jg.Image(a).FindAdaptiveMom().observed_shape.g1)(arr)
    np.testing.assert_allclose(g1, hsm.FindAdaptiveMom(jg.Image(np.array(arr))).observed_shape.g1,
                               atol=1e-7)


def test_functional_failure_is_nan():
    arr = jnp.zeros((N, N)).at[N // 2, N // 2].set(1.0)
    full = hsm.adaptive_moments_full(arr)
    assert int(full["status"]) != 0
    assert np.isnan(full["sigma"])


def test_gradient_matches_finite_differences():
    def f(p):
        e1, e2, sig, cen = hsm.adaptive_moments(_draw(p), precision=1e-13)
        return jnp.concatenate([jnp.stack([e1, e2, sig]), cen])

    jf = jax.jit(jax.jacfwd(f))(P0)
    jr = jax.jit(jax.jacrev(f))(P0)
    h = 1e-5
    steps = jnp.concatenate([P0 + h * jnp.eye(6), P0 - h * jnp.eye(6)])
    vals = jax.jit(jax.vmap(f))(steps)
    fd = np.asarray((vals[:6] - vals[6:]) / (2 * h)).T
    np.testing.assert_allclose(jf, fd, atol=1e-7)
    np.testing.assert_allclose(jr, jf, atol=1e-12)
    # The centroid follows the shift of the profile (both components shift together).
    assert abs(jf[3, 4] - 1.0) < 1e-6 and abs(jf[4, 5] - 1.0) < 1e-6
