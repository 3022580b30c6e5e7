"""jax_galsim.noise against GalSim's noise models (same seed -> same pixels) and the
functional jax.random path under jit/vmap/grad."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim
import jax_galsim.noise as jn

jax.config.update("jax_enable_x64", True)

SEED = 1234


def _ramp(mod, dtype=np.float64, shape=(12, 9)):
    arr = (np.arange(np.prod(shape)).reshape(shape) * 0.37 + 2.0).astype(dtype)
    return mod.Image(arr.copy(), xmin=3, ymin=-2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_gaussian_noise_matches_galsim(dtype):
    a = _ramp(galsim, dtype)
    b = _ramp(jax_galsim, dtype)
    a.addNoise(galsim.GaussianNoise(galsim.BaseDeviate(SEED), sigma=3.3))
    b.addNoise(jn.GaussianNoise(jax_galsim.BaseDeviate(SEED), sigma=3.3))
    np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("sky", [0.0, 7.5, 20.0])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_poisson_noise_matches_galsim(sky, dtype):
    a = _ramp(galsim, dtype)
    b = _ramp(jax_galsim, dtype)
    a.addNoise(galsim.PoissonNoise(galsim.BaseDeviate(SEED), sky_level=sky))
    b.addNoise(jn.PoissonNoise(jax_galsim.BaseDeviate(SEED), sky_level=sky))
    np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("gain,rn,sky", [(1.0, 0.0, 0.0), (2.3, 4.1, 11.2), (0.0, 3.0, 5.0), (-1.0, 2.0, 0.0)])
def test_ccd_noise_matches_galsim(gain, rn, sky):
    a = _ramp(galsim)
    b = _ramp(jax_galsim)
    a.addNoise(galsim.CCDNoise(galsim.BaseDeviate(SEED), sky_level=sky, gain=gain, read_noise=rn))
    nb = jn.CCDNoise(jax_galsim.BaseDeviate(SEED), sky_level=sky, gain=gain, read_noise=rn)
    b.addNoise(nb)
    np.testing.assert_array_equal(a.array, b.array)
    ga = galsim.CCDNoise(sky_level=sky, gain=gain, read_noise=rn)
    assert nb.getVariance() == ga.getVariance()
    assert nb.withVariance(9.0).getVariance() == pytest.approx(ga.withVariance(9.0).getVariance())


def test_variable_and_deviate_noise_match_galsim():
    var = np.linspace(1.0, 30.0, 12 * 9).reshape(12, 9)
    a = _ramp(galsim)
    b = _ramp(jax_galsim)
    a.addNoise(galsim.VariableGaussianNoise(galsim.BaseDeviate(SEED), galsim.ImageD(var)))
    b.addNoise(jn.VariableGaussianNoise(jax_galsim.BaseDeviate(SEED), jax_galsim.ImageD(var)))
    np.testing.assert_array_equal(a.array, b.array)

    a = _ramp(galsim)
    b = _ramp(jax_galsim)
    a.addNoise(galsim.DeviateNoise(galsim.UniformDeviate(SEED)))
    b.addNoise(jn.DeviateNoise(jax_galsim.UniformDeviate(SEED)))
    np.testing.assert_array_equal(a.array, b.array)


def test_noise_api_and_errors():
    rng = jax_galsim.BaseDeviate(5)
    n = jn.GaussianNoise(rng, sigma=2.0)
    assert n.rng is rng
    assert n.getVariance() == 4.0
    assert (n * 4).sigma == 4.0
    assert (n / 4).sigma == 1.0
    assert n.withVariance(9.0).sigma == 3.0
    assert n.copy().rng is rng
    assert n == n.copy()
    assert n != n.copy(rng=jax_galsim.BaseDeviate(6))
    assert repr(n).startswith("galsim.GaussianNoise(rng=galsim.BaseDeviate(")
    assert jn.PoissonNoise(rng, 3.0).withScaledVariance(2.0).sky_level == 6.0
    with pytest.raises(TypeError):
        jn.GaussianNoise(rng=7)
    with pytest.raises(TypeError):
        n.applyTo(np.zeros((3, 3)))
    with pytest.raises(NotImplementedError):
        jn.BaseNoise().getVariance()
    with pytest.raises(jax_galsim.GalSimError):
        jn.DeviateNoise(jax_galsim.UniformDeviate(1)).getVariance()
    vgn = jn.VariableGaussianNoise(rng, jax_galsim.ImageD(3, 3))
    with pytest.raises(jax_galsim.GalSimIncompatibleValuesError):
        vgn.applyTo(jax_galsim.ImageD(4, 4))


def test_pickle_keeps_shared_stream():
    n = jn.CCDNoise(jax_galsim.BaseDeviate(SEED), sky_level=3.0, gain=2.0, read_noise=1.5)
    n2 = pickle.loads(pickle.dumps(n))
    assert n2 == n
    im1 = jax_galsim.ImageD(6, 6)
    im2 = jax_galsim.ImageD(6, 6)
    im1.addNoise(n)
    im2.addNoise(n2)
    np.testing.assert_array_equal(im1.array, im2.array)
    # After unpickling the deviates still share one stream: drawing moves n2.rng.
    assert n2.rng.serialize() == n.rng.serialize()


@pytest.mark.parametrize("preserve_flux", [True, False])
def test_addnoisesnr_matches_galsim(preserve_flux):
    a = galsim.Gaussian(sigma=2.0).drawImage(nx=20, ny=20, scale=0.5, dtype=np.float64)
    b = jax_galsim.ImageD(a.array.copy(), scale=0.5)
    va = a.addNoiseSNR(galsim.GaussianNoise(galsim.BaseDeviate(SEED), sigma=0.7), 40.0, preserve_flux=preserve_flux)
    vb = b.addNoiseSNR(jn.GaussianNoise(jax_galsim.BaseDeviate(SEED), sigma=0.7), 40.0, preserve_flux=preserve_flux)
    assert va == pytest.approx(vb, rel=1e-14)
    np.testing.assert_allclose(a.array, b.array, rtol=1e-13, atol=1e-15)


def test_apply_with_key_jit_vmap_statistics():
    noise = jn.GaussianNoise(sigma=0.5)
    im = jax_galsim.ImageD(np.full((64, 64), 3.0))

    @jax.jit
    def f(key):
        return noise.apply_with_key(im, key).array

    keys = jax.random.split(jax_galsim.random.make_key(SEED), 16)
    out = jax.vmap(f)(keys)
    assert out.shape == (16, 64, 64)
    assert abs(float(out.mean()) - 3.0) < 0.01
    assert abs(float(out.std()) - 0.5) < 0.01
    # Different keys give different noise; the same key the same noise.
    assert not np.allclose(out[0], out[1])
    np.testing.assert_array_equal(f(keys[3]), out[3])
    # The input image is untouched.
    np.testing.assert_array_equal(im.array, 3.0)


def test_poisson_and_ccd_with_key_statistics():
    arr = jnp.full((128, 128), 20.0)
    key = jax_galsim.random.make_key(7)

    @jax.jit
    def f(a, k):
        k1, k2 = jax.random.split(k)
        p = jn.PoissonNoise(sky_level=5.0).apply_with_key(a, k1)
        c = jn.CCDNoise(sky_level=5.0, gain=2.0, read_noise=3.0).apply_with_key(a, k2)
        return p, c

    p, c = f(arr, key)
    assert abs(float(p.mean()) - 20.0) < 0.2
    assert abs(float(p.var()) - 25.0) < 1.5
    # variance in ADU: (signal+sky)/gain + (rn/gain)**2 = 12.5 + 2.25
    assert abs(float(c.mean()) - 20.0) < 0.2
    assert abs(float(c.var()) - 14.75) < 1.0


def test_grad_through_gaussian_noise_sigma():
    key = jax_galsim.random.make_key(3)
    arr = jnp.zeros((8, 8))

    def loss(sigma):
        return jnp.sum(jn.GaussianNoise(sigma=sigma).apply_with_key(arr, key) ** 2)

    g = jax.grad(loss)(1.3)
    eps = 1e-6
    fd = (loss(1.3 + eps) - loss(1.3 - eps)) / (2 * eps)
    assert float(g) == pytest.approx(float(fd), rel=1e-6)


def test_applyto_on_traced_image():
    noise = jn.GaussianNoise(jax_galsim.BaseDeviate(SEED), sigma=1.0)

    @jax.jit
    def f(arr):
        im = jax_galsim.ImageD(arr)
        im.addNoise(noise)
        return im.array

    out = f(jnp.zeros((32, 32)))
    assert out.shape == (32, 32)
    assert 0.8 < float(jnp.std(out)) < 1.2
