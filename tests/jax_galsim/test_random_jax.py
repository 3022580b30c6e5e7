"""jax_galsim.random against GalSim's deviates (bit-exact streams) and the jax.random key path."""

import copy
import pickle
import warnings

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim
import jax_galsim.random as jr

SEEDS = [1000, 1, 2**31 + 7, -5]


def _single_threaded():
    # GalSim's OpenMP generate() splits arrays between threads assuming a fixed number of
    # raw values per value, which is not true of every distribution; compare single-threaded.
    return galsim.utilities.single_threaded()


@pytest.mark.parametrize("seed", SEEDS)
def test_raw_stream_and_serialize(seed):
    a = galsim.BaseDeviate(seed)
    b = jr.BaseDeviate(seed)
    assert a.serialize() == b.serialize()
    assert [a.raw() for _ in range(700)] == [b.raw() for _ in range(700)]
    # Boost's serialisation rewinds the partly used block.
    assert a.serialize() == b.serialize()
    a.discard(1001)
    b.discard(1001)
    assert a.raw() == b.raw()
    c = jr.BaseDeviate(a.serialize())
    assert c.raw() == a.raw()


CASES = [
    ("UniformDeviate", (), ()),
    ("GaussianDeviate", (4.7, 3.2), ()),
    ("BinomialDeviate", (10, 0.7), ()),
    ("BinomialDeviate", (200, 0.35), ()),
    ("BinomialDeviate", (1000, 0.9), ()),
    ("PoissonDeviate", (0.0,), ()),
    ("PoissonDeviate", (3.5,), ()),
    ("PoissonDeviate", (57.0,), ()),
    ("PoissonDeviate", (2.0**30 - 50,), ()),
    ("PoissonDeviate", (2.0**31,), ()),
    ("WeibullDeviate", (4.0, 9.0), ()),
    ("GammaDeviate", (1.5, 4.5), ()),
    ("GammaDeviate", (1.0, 2.0), ()),
    ("GammaDeviate", (0.3, 2.0), ()),
    ("Chi2Deviate", (30.0,), ()),
    ("Chi2Deviate", (0.7,), ()),
]


@pytest.mark.parametrize("name,args,_", CASES)
def test_distribution_streams_bit_exact(name, args, _):
    a = getattr(galsim, name)(1234, *args)
    b = getattr(jr, name)(1234, *args)
    va = [a() for _ in range(3000)]
    vb = [b() for _ in range(3000)]
    assert va == vb
    assert all(isinstance(v, float) for v in vb[:5])
    A = np.empty(1001)
    B = np.empty(1001)
    with _single_threaded():
        a.generate(A)
    b.generate(B)
    np.testing.assert_array_equal(A, B)
    # Odd-length generate leaves the same cache (Gaussian pairs) and state behind.
    assert [a() for _ in range(5)] == [b() for _ in range(5)]
    with _single_threaded():
        a.add_generate(A)
    b.add_generate(B)
    np.testing.assert_array_equal(A, B)
    assert a.serialize() == b.serialize()


def test_gaussian_from_variance_and_poisson_from_expectation():
    rng = np.random.default_rng(3)
    var = rng.random((17, 9)) * 4
    a = galsim.GaussianDeviate(7, 1.0, 2.0)
    b = jr.GaussianDeviate(7, 1.0, 2.0)
    A, B = var.copy(), var.copy()
    with _single_threaded():
        a.generate_from_variance(A)
    b.generate_from_variance(B)
    np.testing.assert_array_equal(A, B)
    assert a() == b()

    a = galsim.PoissonDeviate(7, 5.0)
    b = jr.PoissonDeviate(7, 5.0)
    for expect in (rng.random((20, 13)) * 60, np.full((15, 7), 123.0), np.full(31, 2.0**31)):
        expect[::5] = 0.0
        A, B = expect.copy(), expect.copy()
        a.generate_from_expectation(A)
        b.generate_from_expectation(B)
        np.testing.assert_array_equal(A, B)
        assert a() == b()
    with pytest.raises(ValueError):
        b.generate_from_expectation(np.array([1.0, -1.0]))


def test_sharing_duplicate_reset_and_cache():
    g = jr.GaussianDeviate(5)
    u = jr.UniformDeviate(g)  # shares the stream
    g()  # draws a pair, holds one back
    x = u()
    ref = jr.UniformDeviate(5)
    ref.discard(2)
    assert x == ref()
    # duplicate is independent and has an empty cache, as in GalSim
    ga = galsim.GaussianDeviate(5)
    ga()
    gb = jr.GaussianDeviate(5)
    gb()
    assert ga.duplicate()() == gb.duplicate()()
    # serialize clears the cache, as in GalSim
    ga.serialize()
    gb.serialize()
    assert ga() == gb()
    # reseeding and string seeds
    b = jr.BaseDeviate("1 2 3 ... 4 5 6")
    assert b.serialize() == galsim.BaseDeviate("1 2 3 ... 4 5 6").serialize()
    b = jr.BaseDeviate("1 2 3")
    assert b.serialize() == galsim.BaseDeviate("1 2 3").serialize()
    assert jr.BaseDeviate(None) != jr.BaseDeviate(None)
    assert jr.BaseDeviate(np.uint16(123)) == jr.BaseDeviate(123)
    with pytest.raises(TypeError):
        jr.BaseDeviate(1.5)
    with pytest.raises(TypeError):
        jr.UniformDeviate(5).seed("12")
    with pytest.raises(RuntimeError):
        jr.BaseDeviate(5).generate(np.empty(3))


def test_pickle_copy_repr():
    g = jr.GaussianDeviate(11, mean=2.0, sigma=3.0)
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g
    assert [g() for _ in range(4)] == [g2() for _ in range(4)]
    g3 = copy.deepcopy(g)
    assert [g() for _ in range(4)] == [g3() for _ in range(4)]
    assert repr(g).startswith("galsim.GaussianDeviate(seed='")
    assert repr(g) == repr(galsim.GaussianDeviate(g.serialize(), mean=2.0, sigma=3.0))
    assert isinstance(eval(repr(g), {"galsim": jr}), jr.GaussianDeviate)
    with pytest.raises(TypeError):
        hash(g)


def test_discard_warnings():
    with pytest.warns(jax_galsim.GalSimWarning):
        jr.GaussianDeviate(1).discard(3)
    with pytest.warns(jax_galsim.GalSimWarning):
        jr.PoissonDeviate(1).discard(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jr.PoissonDeviate(1).discard(2, suppress_warnings=True)


def test_numpy_generator_matches_galsim():
    a = galsim.BaseDeviate(99).np
    b = jr.BaseDeviate(99).np
    np.testing.assert_array_equal(a.normal(1.0, 2.0, size=500), b.normal(1.0, 2.0, size=500))
    np.testing.assert_array_equal(a.integers(0, 1000, size=50), b.integers(0, 1000, size=50))
    np.testing.assert_array_equal(a.random(9), b.random(9))
    # The Generator advances the deviate itself.
    d = jr.UniformDeviate(4)
    d.np.random(3)
    ref = jr.UniformDeviate(4)
    ref.discard(3)
    assert d() == ref()


def test_distdeviate_function():
    d = jr.DistDeviate(1000, function=lambda x: x * x, x_min=0.0, x_max=2.0)
    # cdf(x) = (x/2)^3  =>  x(p) = 2 p^(1/3)
    np.testing.assert_allclose(d.val(0.125), 1.0, atol=1e-4)
    u = jr.UniformDeviate(1000)
    np.testing.assert_allclose([d() for _ in range(5)], [2 * u() ** (1 / 3) for _ in range(5)], atol=1e-3)
    ref = galsim.DistDeviate(1000, function=lambda x: x * x, x_min=0.0, x_max=2.0)
    d.seed(1000)
    np.testing.assert_allclose([d() for _ in range(5)], [ref() for _ in range(5)], rtol=1e-12)
    with pytest.raises(ValueError):
        jr.DistDeviate(1, function=lambda x: -1.0, x_min=0.0, x_max=1.0)


def test_permute_matches_galsim():
    a = list(range(10))
    b = list(range(10))
    galsim.random.permute(312, a)
    jr.permute(312, b)
    assert a == b


def test_make_key_jit_vmap():
    k1 = jr.make_key(1234)
    k2 = jr.make_key(jr.BaseDeviate(1234))
    assert np.array_equal(np.asarray(k1), np.asarray(k2))  # a seed maps to its deviate's key
    dev = jr.BaseDeviate(1234)
    ka = jr.make_key(dev)
    kb = jr.make_key(dev)  # advanced: a different key
    assert not np.array_equal(np.asarray(ka), np.asarray(kb))
    assert jr.make_key(ka) is ka

    @jax.jit
    def noisy(key, sigma):
        return sigma * jax.random.normal(key, (64,))

    x = noisy(k1, 2.0)
    y = noisy(k1, 2.0)
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    keys = jax.random.split(k1, 5)
    z = jax.vmap(noisy, in_axes=(0, None))(keys, 1.0)
    assert z.shape == (5, 64)
    assert float(jnp.std(z)) == pytest.approx(1.0, abs=0.1)
    # gradient flows through the scale
    g = jax.grad(lambda s: jnp.sum(noisy(k1, s)))(1.5)
    np.testing.assert_allclose(float(g), float(jnp.sum(noisy(k1, 1.0))), rtol=1e-6)
