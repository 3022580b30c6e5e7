"""JAX behaviour of jax_galsim.Shear: parity with GalSim for concrete values, jit/vmap,
and gradients (against central finite differences in float64, finite at zero shear)."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim as jg

jax.config.update("jax_enable_x64", True)

PROPS = ["g", "g1", "g2", "e", "e1", "e2", "eta", "eta1", "eta2", "esq", "q"]
SHEARS = [(0.0, 0.0), (1.0e-6, -2.0e-6), (0.1, -0.3), (-0.45, 0.6), (0.0, 0.7)]


def _val(x):
    return x.rad if isinstance(x, (jg.Angle, galsim.Angle)) else x


def _fd(f, x, h=1.0e-6):
    """Central finite-difference gradient of scalar f at the vector x."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in range(x.size):
        dx = np.zeros_like(x)
        dx[i] = h
        out[i] = (f(x + dx) - f(x - dx)) / (2 * h)
    return out


@pytest.mark.parametrize("g1,g2", SHEARS)
def test_concrete_parity_with_galsim(g1, g2):
    ours = jg.Shear(g1=g1, g2=g2)
    ref = galsim.Shear(g1=g1, g2=g2)
    for p in PROPS:
        v = getattr(ours, p)
        assert isinstance(v, float), p
        assert v == getattr(ref, p), p
    assert ours.beta.rad == ref.beta.rad
    assert ours.shear == ref.shear
    np.testing.assert_array_equal(ours.getMatrix(), ref.getMatrix())
    other = (0.2, -0.15)
    s = ours + jg.Shear(g1=other[0], g2=other[1])
    r = ref + galsim.Shear(g1=other[0], g2=other[1])
    assert s.shear == r.shear
    assert (ours - jg.Shear(g1=0.3)).shear == (ref - galsim.Shear(g1=0.3)).shear
    assert ours.rotationWith(jg.Shear(g2=0.4)).rad == ref.rotationWith(galsim.Shear(g2=0.4)).rad


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(e1=0.3, e2=-0.2),
        dict(e1=1.0e-3),
        dict(eta1=0.5, eta2=0.8),
        dict(eta2=1.0e-5),
        dict(g=0.4, beta=0.3),
        dict(e=0.6, beta=-1.2),
        dict(eta=1.5, beta=2.0),
        dict(q=0.35, beta=0.7),
    ],
)
def test_constructors_parity_and_traced(kwargs):
    gk = {k: (v * galsim.radians if k == "beta" else v) for k, v in kwargs.items()}
    jk = {k: (v * jg.radians if k == "beta" else v) for k, v in kwargs.items()}
    ref = galsim.Shear(**gk)
    ours = jg.Shear(**jk)
    assert ours.shear == ref.shear

    names = sorted(kwargs)

    def make(*vals):
        kw = {n: (v * jg.radians if n == "beta" else v) for n, v in zip(names, vals)}
        s = jg.Shear(**kw)
        return jnp.array([s.g1, s.g2])

    vals = [kwargs[n] for n in names]
    traced = jax.jit(make)(*vals)
    np.testing.assert_allclose(traced, [ref.g1, ref.g2], rtol=1e-13, atol=1e-15)
    # Jacobian w.r.t. the constructor parameters against finite differences
    jac = np.array(jax.jacfwd(make, argnums=tuple(range(len(vals))))(*vals))
    for i in range(len(vals)):
        for j in range(2):
            fd = _fd(lambda x: float(make(*[x[0] if k == i else vals[k] for k in range(len(vals))])[j]),
                     [vals[i]])
            np.testing.assert_allclose(jac[i, j], fd[0], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("g1,g2", SHEARS)
def test_traced_properties_match_concrete(g1, g2):
    ref = jg.Shear(g1=g1, g2=g2)
    for p in PROPS + ["beta"]:
        v = jax.jit(lambda a, b: _val(getattr(jg.Shear(g1=a, g2=b), p)))(g1, g2)
        np.testing.assert_allclose(v, _val(getattr(ref, p)), rtol=1e-13, atol=1e-15, err_msg=p)


@pytest.mark.parametrize("g1,g2", SHEARS[:3])
def test_property_gradients(g1, g2):
    """Gradients of every property wrt (g1, g2): finite everywhere (also at g=0) and
    equal to central finite differences away from the |g| kink at zero."""
    for p in PROPS + ["beta"]:
        f = lambda x: _val(getattr(jg.Shear(g1=x[0], g2=x[1]), p))  # noqa: E731
        grad = np.asarray(jax.grad(f)(jnp.array([g1, g2])))
        assert np.all(np.isfinite(grad)), (p, grad)
        if g1 == 0.0 and g2 == 0.0:
            continue
        if p in ("g", "e", "eta", "q", "beta") and abs(g1) + abs(g2) < 1e-5:
            continue  # modulus/phase are not smooth at the origin on the FD scale
        fd = _fd(lambda x: f(x), [g1, g2], h=1e-7 if abs(g1) < 1e-4 else 1e-6)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7, err_msg=p)


def test_composition_gradient_vs_finite_differences():
    def compose(x):
        s = jg.Shear(g1=x[0], g2=x[1]) + jg.Shear(g1=x[2], g2=x[3])
        return jnp.array([s.g1, s.g2])

    def diff(x):
        s = jg.Shear(g1=x[0], g2=x[1]) - jg.Shear(g1=x[2], g2=x[3])
        return jnp.array([s.g1, s.g2])

    for x0 in ([0.1, -0.2, 0.3, 0.25], [0.0, 0.0, 0.0, 0.0], [-0.5, 0.4, 0.1, -0.6]):
        for fun in (compose, diff):
            jac = np.asarray(jax.jacfwd(fun)(jnp.array(x0)))
            for j in range(2):
                fd = _fd(lambda x: float(fun(jnp.array(x))[j]), x0)
                np.testing.assert_allclose(jac[j], fd, rtol=1e-6, atol=1e-8)
            # and it agrees with GalSim's composition value
            ref = galsim.Shear(g1=x0[0], g2=x0[1]) + (
                galsim.Shear(g1=x0[2], g2=x0[3]) if fun is compose else -galsim.Shear(g1=x0[2], g2=x0[3])
            )
            np.testing.assert_allclose(fun(jnp.array(x0)), [ref.g1, ref.g2], rtol=1e-13, atol=1e-15)


def test_matrix_and_rotation_gradients():
    def mat(x):
        return jg.Shear(g1=x[0], g2=x[1]).getMatrix()

    def rot(x):
        return jg.Shear(g1=x[0], g2=x[1]).rotationWith(jg.Shear(g1=x[2], g2=x[3])).rad

    for x0 in ([0.0, 0.0], [0.3, -0.2], [-0.6, 0.5]):
        jac = np.asarray(jax.jacfwd(mat)(jnp.array(x0)))
        assert jac.shape == (2, 2, 2)
        for a in range(2):
            for b in range(2):
                fd = _fd(lambda x: float(mat(jnp.array(x))[a, b]), x0)
                np.testing.assert_allclose(jac[a, b], fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(mat(jnp.array(x0)), galsim.Shear(g1=x0[0], g2=x0[1]).getMatrix(),
                                   rtol=1e-14)
    x0 = [0.2, -0.3, 0.4, 0.1]
    grad = np.asarray(jax.grad(rot)(jnp.array(x0)))
    np.testing.assert_allclose(grad, _fd(lambda x: float(rot(jnp.array(x))), x0), rtol=1e-6, atol=1e-8)
    ref = galsim.Shear(g1=0.2, g2=-0.3).rotationWith(galsim.Shear(g1=0.4, g2=0.1)).rad
    np.testing.assert_allclose(rot(jnp.array(x0)), ref, rtol=1e-13)
    # zero shear: finite gradient, zero rotation
    assert np.all(np.isfinite(np.asarray(jax.grad(rot)(jnp.zeros(4)))))


def test_jit_and_vmap_over_shear():
    s = jg.Shear(g1=0.2, g2=-0.1)
    out = jax.jit(lambda s: -s + s)(s)
    assert isinstance(out, jg.Shear)
    np.testing.assert_allclose([out.g1, out.g2], [0.0, 0.0], atol=1e-15)

    g1 = jnp.linspace(-0.5, 0.5, 7)
    g2 = jnp.linspace(0.3, -0.3, 7)
    batch = jax.vmap(lambda a, b: jg.Shear(g1=a, g2=b))(g1, g2)
    assert batch.g1.shape == (7,)
    e1 = jax.vmap(lambda s: s.e1)(batch)
    ref = [galsim.Shear(g1=float(a), g2=float(b)).e1 for a, b in zip(g1, g2)]
    np.testing.assert_allclose(e1, ref, rtol=1e-14)
    mats = jax.vmap(lambda s: s.getMatrix())(batch)
    assert mats.shape == (7, 2, 2)
    np.testing.assert_allclose(mats[3], galsim.Shear(g1=float(g1[3]), g2=float(g2[3])).getMatrix(), rtol=1e-14)
    # composition of a batch with a fixed shear
    comp = jax.vmap(lambda s: (s + jg.Shear(g1=0.1)).g2)(batch)
    ref = [(galsim.Shear(g1=float(a), g2=float(b)) + galsim.Shear(g1=0.1)).g2 for a, b in zip(g1, g2)]
    np.testing.assert_allclose(comp, ref, rtol=1e-13, atol=1e-15)


def test_value_checks_eager_only():
    with pytest.raises(jg.GalSimRangeError):
        jg.Shear(g1=0.9, g2=0.6)
    # Under tracing the range check is skipped (no ConcretizationTypeError).
    out = jax.jit(lambda a: jg.Shear(g1=a, g2=0.0).g1)(0.9)
    assert float(out) == 0.9
    with pytest.raises(TypeError):
        jg.Shear(g1=0.1, e1=0.1)
    with pytest.raises(jg.GalSimIncompatibleValuesError):
        jg.Shear(q=0.3)
    with pytest.raises(TypeError):
        jg.Shear(0.3)


def test_repr_eval_pickle_hash():
    for s in (jg.Shear(g1=0.1, g2=-0.2), jg.Shear(), jg._Shear(0.3 - 0.4j), jg.Shear(jg.Shear(e1=0.2))):
        s2 = eval(repr(s), {"galsim": jg})
        assert s2 == s and hash(s2) == hash(s)
        assert pickle.loads(pickle.dumps(s)) == s
    assert jg.Shear(g1=0.1) != jg.Shear(g1=0.1, g2=1e-12)
    assert repr(jg.Shear(g1=0.1, g2=-0.2)) == repr(galsim.Shear(g1=0.1, g2=-0.2))
    # A shear returned from jit has concrete JAX leaves; its repr still evaluates.
    out = jax.jit(lambda s: s)(jg.Shear(g1=0.25, g2=0.5))
    assert eval(repr(out), {"galsim": jg}) == jg.Shear(g1=0.25, g2=0.5)
