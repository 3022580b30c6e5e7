"""jax_galsim.table.LookupTable against GalSim's tables (exact values for NumPy input)
and its jax.numpy path (jit / grad / vmap)."""

import pickle
import types

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim
from jax_galsim.table import LookupTable, _LookupTable, trapz

jax.config.update("jax_enable_x64", True)

INTERPS = ["linear", "spline", "floor", "ceil", "nearest"]
X_EVEN = np.linspace(0.5, 7.5, 15)
X_UNEVEN = np.array([0.7, 3.3, 14.1, 15.6, 29, 34.1, 42.5])


def _tables(x, f, interp, **kw):
    return galsim.LookupTable(x, f, interpolant=interp, **kw), LookupTable(x, f, interpolant=interp, **kw)


@pytest.mark.parametrize("interp", INTERPS)
@pytest.mark.parametrize("xs", [X_EVEN, X_UNEVEN])
def test_values_match_galsim(interp, xs):
    f = np.sin(xs * 0.3) + 0.1 * xs**2
    g, j = _tables(xs, f, interp)
    rng = np.random.default_rng(1)
    pts = np.concatenate([rng.uniform(xs[0], xs[-1], 200), xs, [xs[0] - 1e-9, xs[-1] + 1e-9]])
    np.testing.assert_array_equal(j(pts), g(pts))
    for p in pts[:20]:
        v = j(float(p))
        assert isinstance(v, float)
        assert v == g(float(p))
    np.testing.assert_array_equal(j(pts[:200].reshape(4, -1)), g(pts[:200].reshape(4, -1)))


@pytest.mark.parametrize("interp", ["linear", "spline"])
def test_log_values_match_galsim(interp):
    x = np.exp(np.linspace(-1, 3, 40))
    f = x**2.5 + 1.0
    for kw in [dict(x_log=True), dict(f_log=True), dict(x_log=True, f_log=True)]:
        g, j = _tables(x, f, interp, **kw)
        pts = np.linspace(x[0], x[-1], 77)
        np.testing.assert_allclose(j(pts), g(pts), rtol=1e-15, atol=0)


def test_gsinterpolant_duck_typed():
    # Any Interpolant-like object (xval, xrange) works; compare with GalSim using its own.
    x = np.linspace(0.1, 3.3, 25)
    f = x + 2 * x * x + 3 * np.sin(2 * x)
    for interp in [galsim.Quintic(), galsim.Lanczos(3), galsim.Linear()]:
        g = galsim.LookupTable(x, f, interpolant=interp)
        j = LookupTable(x, f, interpolant=interp)
        pts = np.concatenate([np.linspace(0.1, 3.3, 41), x])
        np.testing.assert_allclose(j(pts), g(pts), rtol=0, atol=1e-12)


def test_errors():
    t = LookupTable([1, 2, 3], [4, 5, 6], "linear")
    with pytest.raises(jax_galsim.GalSimRangeError):
        t(0.5)
    with pytest.raises(jax_galsim.GalSimRangeError):
        t(np.array([1.5, 3.5]))
    with pytest.raises(jax_galsim.GalSimRangeError):
        t(jnp.array([1.5, 3.5]))  # concrete JAX input is checked too
    with pytest.raises(jax_galsim.GalSimValueError):
        LookupTable([1], [1])
    with pytest.raises(jax_galsim.GalSimIncompatibleValuesError):
        LookupTable([1, 2], [1])
    with pytest.raises(jax_galsim.GalSimValueError):
        LookupTable([0, 1, 2], [1, 2, 3], x_log=True)
    with pytest.raises(jax_galsim.GalSimValueError):
        LookupTable([1, 2, 3], [1, 2, 3], interpolant="bogus")
    with pytest.raises(NotImplementedError):
        LookupTable([1, 2, 3], [1, 2, 3], f_log=True).integrate()
    with pytest.raises(NotImplementedError):
        jax_galsim.table.LookupTable2D([1, 2], [1, 2], np.zeros((2, 2)))


def test_repr_eq_pickle_sort():
    t = LookupTable([3, 1, 2], [6, 4, 5], "floor")
    np.testing.assert_array_equal(t.getArgs(), [1, 2, 3])
    np.testing.assert_array_equal(t.getVals(), [4, 5, 6])
    assert t.x_min == 1 and t.x_max == 3 and len(t) == 3
    ns = getattr(jax_galsim, "LookupTable", None) and jax_galsim
    ns = ns or types.SimpleNamespace(LookupTable=LookupTable)  # until __init__ exports it
    t2 = eval(repr(t), {"galsim": ns, "array": np.array})
    assert t2 == t and hash(t2) == hash(t)
    t3 = pickle.loads(pickle.dumps(t))
    assert t3 == t and t3(2.5) == t(2.5)
    assert t != LookupTable([1, 2, 3], [4, 5, 6], "ceil")
    assert _LookupTable([1, 2, 3], [4, 5, 6], "floor") == t
    assert repr(t) == repr(galsim.LookupTable([3, 1, 2], [6, 4, 5], "floor"))


def test_from_func_and_file(tmp_path):
    t = LookupTable.from_func(lambda x: x**3, 2, 200, x_log=True, f_log=True)
    assert t(10.0) == pytest.approx(1000.0, rel=1e-11)
    fn = tmp_path / "tab.dat"
    np.savetxt(fn, np.column_stack([[1.0, 2.0, 4.0], [3.0, 5.0, 6.0]]))
    t = LookupTable.from_file(str(fn), interpolant="linear", amplitude=2.0)
    assert t(3.0) == 11.0


@pytest.mark.parametrize("interp", INTERPS)
def test_integrate_matches_galsim(interp):
    x = np.array([0, 0.1, 0.2, 3.5, 4])
    f = np.array([1, 2, 2, 8, 7.0])
    g, j = _tables(x, f, interp)
    for lo, hi in [(None, None), (0.05, 3.9), (1.0, 2.0), (3.0, -1.0), (0.2, 3.5), (0.15, 0.18)]:
        assert j.integrate(lo, hi) == pytest.approx(g.integrate(lo, hi), rel=1e-14, abs=1e-15)
    assert trapz([1.0, 3.0, 2.0], [0.0, 1.0, 3.0]) == pytest.approx(galsim.trapz([1.0, 3.0, 2.0], [0.0, 1.0, 3.0]))


@pytest.mark.parametrize("interp", INTERPS)
def test_integrate_product_matches_galsim(interp):
    x = np.array([0, 1, 2, 3.3, 4])
    f = np.array([1, 5, 5, 8, 1.0])
    g, j = _tables(x, f, interp)
    gg = galsim.LookupTable([0.5, 2.2, 5.0], [1.0, 3.0, 2.0], "spline")
    jg = LookupTable([0.5, 2.2, 5.0], [1.0, 3.0, 2.0], "spline")
    for xf in [1.0, 1.25]:
        for lo, hi in [(None, None), (0.7, 2.9)]:
            assert j.integrate_product(jg, lo, hi, xf) == pytest.approx(
                g.integrate_product(gg, lo, hi, xf), rel=1e-12
            )
            assert j.integrate_product(np.exp, lo, hi, xf) == pytest.approx(
                g.integrate_product(np.exp, lo, hi, xf), rel=1e-12
            )


@pytest.mark.parametrize("interp", ["linear", "spline"])
def test_jit_grad_vmap(interp):
    x = np.linspace(0.0, 3.0, 31)
    t = LookupTable(x, np.sin(x), interpolant=interp)
    pts = jnp.array([0.31, 1.23, 2.77])
    vals = jax.jit(t)(pts)
    np.testing.assert_allclose(vals, t(np.asarray(pts)), rtol=1e-15)
    d = jax.vmap(jax.grad(lambda z: t(z)))(pts)
    # Derivative of the interpolant approximates cos(x); compare with finite differences.
    eps = 1e-6
    fd = (t(np.asarray(pts) + eps) - t(np.asarray(pts) - eps)) / (2 * eps)
    np.testing.assert_allclose(d, fd, rtol=1e-6)
    tol = 5e-2 if interp == "linear" else 1e-4
    np.testing.assert_allclose(d, np.cos(np.asarray(pts)), atol=tol)


def test_table_as_pytree_traced_f():
    x = np.linspace(0.0, 2.0, 9)

    @jax.jit
    def f(amp):
        t = LookupTable(x, np.exp(x), interpolant="spline")
        t2 = t.tree_replace(f=amp * jnp.asarray(t.f))
        return t2(jnp.array(1.37))

    ref = LookupTable(x, 2.5 * np.exp(x), interpolant="spline")(1.37)
    assert float(f(2.5)) == pytest.approx(ref, rel=1e-13)
    assert float(jax.grad(f)(2.5)) == pytest.approx(ref / 2.5, rel=1e-12)

    # A table passed through jit as an argument.
    t = LookupTable(x, x**2, interpolant="linear", x_log=False)
    out = jax.jit(lambda tab, z: tab(z))(t, jnp.array([0.5, 1.5]))
    np.testing.assert_allclose(out, t(np.array([0.5, 1.5])), rtol=1e-15)
