"""jax_galsim.utilities and errors: parity with GalSim, and JAX inputs."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim
from jax_galsim import utilities

jax.config.update("jax_enable_x64", True)


def test_errors_match_galsim():
    cases = [
        ("GalSimValueError", ("msg", 2.3, (0, 1))),
        ("GalSimRangeError", ("msg", 2.3, 0, 1)),
        ("GalSimKeyError", ("msg", "k")),
        ("GalSimIndexError", ("msg", 3)),
        ("GalSimFFTSizeError", ("msg", 10240)),
        ("GalSimConfigValueError", ("msg", 1, None)),
        ("GalSimNotImplementedError", ("msg",)),
        ("GalSimUndefinedBoundsError", ("msg",)),
    ]
    for name, args in cases:
        ours = getattr(jax_galsim, name)(*args)
        ref = getattr(galsim, name)(*args)
        assert str(ours) == str(ref), name
        assert repr(ours) == repr(ref), name
        assert pickle.loads(pickle.dumps(ours)) == ours
        for base in type(ref).__mro__:
            if base.__module__ == "builtins":
                assert isinstance(ours, base), (name, base)
    e = jax_galsim.GalSimBoundsError("m", jax_galsim.PositionI(0, 0), jax_galsim.BoundsI(1, 2, 1, 2))
    assert str(e) == str(galsim.GalSimBoundsError("m", galsim.PositionI(0, 0), galsim.BoundsI(1, 2, 1, 2)))
    assert eval(repr(e), {"galsim": jax_galsim}) == e
    with pytest.raises(jax_galsim.GalSimError):
        with jax_galsim.errors.convert_cpp_errors():
            raise RuntimeError("boom")


def test_horner_numpy_and_jax():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 30)
    y = rng.uniform(-1, 1, 30)
    c1 = rng.normal(size=5)
    c2 = rng.normal(size=(3, 4))
    np.testing.assert_allclose(utilities.horner(x, c1), galsim.utilities.horner(x, c1), rtol=1e-13)
    np.testing.assert_allclose(utilities.horner2d(x, y, c2), galsim.utilities.horner2d(x, y, c2), rtol=1e-12)
    np.testing.assert_allclose(utilities.horner(jnp.asarray(x), c1), np.polynomial.polynomial.polyval(x, c1), rtol=1e-12)
    np.testing.assert_allclose(
        utilities.horner2d(jnp.asarray(x), jnp.asarray(y), jnp.asarray(c2)),
        np.polynomial.polynomial.polyval2d(x, y, c2),
        rtol=1e-12,
    )
    # Gradient through horner: d/dx sum c_i x^i
    g = jax.grad(lambda t: utilities.horner(t, jnp.asarray(c1)))(0.3)
    deriv = np.polynomial.polynomial.polyder(c1)
    np.testing.assert_allclose(g, np.polynomial.polynomial.polyval(0.3, deriv), rtol=1e-12)
    out = jax.jit(lambda a, b: utilities.horner2d(a, b, c2))(jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_allclose(out, np.polynomial.polynomial.polyval2d(x, y, c2), rtol=1e-12)


def test_roll_kxky_misc():
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(utilities.roll2d(a, (1, -1)), galsim.utilities.roll2d(a, (1, -1)))
    np.testing.assert_array_equal(utilities.roll2d(jnp.asarray(a), (1, -1)), galsim.utilities.roll2d(a, (1, -1)))
    for shape in [(4, 6), (5, 3)]:
        for ours, ref in zip(utilities.kxky(shape), galsim.utilities.kxky(shape)):
            np.testing.assert_array_equal(ours, ref)
    for g1, g2 in [(0.0, 0.0), (0.2, -0.1), (0.5, 0.3)]:
        np.testing.assert_allclose(utilities.g1g2_to_e1e2(g1, g2), galsim.utilities.g1g2_to_e1e2(g1, g2), rtol=1e-14)
        np.testing.assert_allclose(
            utilities.g1g2_to_e1e2(jnp.asarray(g1), jnp.asarray(g2)),
            galsim.utilities.g1g2_to_e1e2(g1, g2),
            rtol=1e-12,
            atol=1e-15,
        )
    np.testing.assert_allclose(utilities.binomial(2, 1, 3), galsim.utilities.binomial(2, 1, 3))
    assert [utilities.nCr(10, r) for r in range(-1, 12)] == [galsim.utilities.nCr(10, r) for r in range(-1, 12)]
    assert utilities.get_omp_threads() == 1
    with utilities.single_threaded():
        pass
    assert utilities.listify(3) == [3] and utilities.listify([3]) == [3]


def test_merge_sorted_and_lru():
    arrays = [np.array([0.0, 1.0, 5.0]), [2, 3], (1.0, 7.0)]
    np.testing.assert_array_equal(utilities.merge_sorted(arrays), galsim.utilities.merge_sorted(arrays))
    with pytest.raises(jax_galsim.GalSimValueError):
        utilities.merge_sorted([[3, 1]])

    calls = []

    def f(x):
        calls.append(x)
        return 2 * x

    cache = utilities.LRU_Cache(f, maxsize=2)
    assert cache(1) == 2 and cache(1) == 2 and calls == [1]
    cache(2)
    cache(1)  # 2 is now least recently used
    cache(3)  # evicts 2
    assert (2,) not in cache.cache and (1,) in cache.cache and len(cache.cache) == 2
    cache.resize(1)
    assert list(k for k in cache.cache if isinstance(k, tuple)) == [(3,)]


class NoRepr:
    """Picklable, comparable, but its repr does not evaluate."""

    def __eq__(self, other):
        return isinstance(other, NoRepr)

    def __hash__(self):
        return 1

    def __repr__(self):
        return "NoRepr("  # a syntax error when evaluated


def test_check_helpers_fail_when_they_should():
    with pytest.raises(SyntaxError):
        utilities.check_pickle(NoRepr())
    utilities.check_pickle(NoRepr(), irreprable=True)
    utilities.check_pickle(jax_galsim.PositionD(1.0, 2.0))
    with pytest.raises(AssertionError):
        utilities.check_all_diff([jax_galsim.PositionD(1, 2), jax_galsim.PositionD(1, 2)])
    utilities.check_all_diff([jax_galsim.PositionD(1, 2), jax_galsim.PositionD(2, 1), jax_galsim.PositionI(1, 2)])
    with utilities.CaptureLog() as cl:
        cl.logger.info("hello")
    assert cl.output == "hello"


def test_dol_to_lod():
    out = list(utilities.dol_to_lod(dict(a=[1, 2], b=3, s="xy")))
    assert out == [dict(a=1, b=3, s="xy"), dict(a=2, b=3, s="xy")]
    with pytest.raises(jax_galsim.GalSimIncompatibleValuesError):
        list(utilities.dol_to_lod(dict(a=[1, 2], b=[1, 2, 3])))
