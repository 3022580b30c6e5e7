"""Position and Bounds: parity with GalSim and behaviour under jit/grad/vmap."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim
from jax_galsim.position import parse_pos_args

jax.config.update("jax_enable_x64", True)


def _eval(obj):
    return eval(repr(obj), {"galsim": jax_galsim})


def test_position_matches_galsim():
    for args in [(1, 2), (11.3, -23.4), ((3, 4),)]:
        for name in ["PositionD", "PositionI"]:
            if name == "PositionI" and args == (11.3, -23.4):
                continue
            ours = getattr(jax_galsim, name)(*args)
            ref = getattr(galsim, name)(*args)
            assert (ours.x, ours.y) == (ref.x, ref.y)
            assert type(ours.x) is type(ref.x)
            assert repr(ours) == repr(ref)
            assert str(ours) == str(ref)
            assert _eval(ours) == ours
            assert pickle.loads(pickle.dumps(ours)) == ours
    pd = jax_galsim.PositionD(1.5, -2.5)
    ref = galsim.PositionD(1.5, -2.5)
    for op in [lambda p: p * 3, lambda p: 2 * p, lambda p: p / 4, lambda p: -p]:
        assert (op(pd).x, op(pd).y) == (op(ref).x, op(ref).y)
    assert pd.round() == jax_galsim.PositionI(2, -2)
    assert pd.round().x == ref.round().x and pd.round().y == ref.round().y
    with pytest.raises(TypeError):
        jax_galsim.PositionI(1, 2.5)
    with pytest.raises(TypeError):
        jax_galsim.PositionI(3, 4) / 2.5
    with pytest.raises(TypeError):
        jax_galsim.PositionI(3, 4) / 2  # non-integral result, as GalSim
    assert jax_galsim.PositionI(4, 6) / 2 == jax_galsim.PositionI(2, 3)


def test_position_mixed_types_and_hash():
    pi = jax_galsim.PositionI(3, 4)
    pd = jax_galsim.PositionD(0.5, 0.25)
    assert isinstance(pi + pd, jax_galsim.PositionD)
    assert isinstance(pd - pi, jax_galsim.PositionD)
    assert isinstance(pi + pi, jax_galsim.PositionI)
    assert pi != jax_galsim.PositionD(3, 4)
    assert hash(pi) == hash(jax_galsim.PositionI(3.0, 4.0))
    assert len({pd, jax_galsim.PositionD(0.5, 0.25), pi}) == 2


def test_bounds_match_galsim():
    cases = [(1, 10, 3, 7), (5, 4, 1, 1), ()]
    for name in ["BoundsI", "BoundsD"]:
        for args in cases:
            ours = getattr(jax_galsim, name)(*args)
            ref = getattr(galsim, name)(*args)
            assert ours.isDefined() == ref.isDefined()
            assert repr(ours) == repr(ref)
            assert str(ours) == str(ref)
            assert ours.area() == ref.area()
            assert _eval(ours) == ours
            assert pickle.loads(pickle.dumps(ours)) == ours
            if ref.isDefined():
                assert ours.center.x == ref.center.x and ours.center.y == ref.center.y
                assert ours.true_center.x == ref.true_center.x
                e = ours.expand(1.3)
                er = ref.expand(1.3)
                assert (e.xmin, e.xmax, e.ymin, e.ymax) == (er.xmin, er.xmax, er.ymin, er.ymax)
        # All undefined bounds are equal, whatever their stored limits.
        assert getattr(jax_galsim, name)(5, 4, 1, 1) == getattr(jax_galsim, name)()
    bi = jax_galsim.BoundsI(1, 10, 3, 7)
    assert bi.numpyShape() == galsim.BoundsI(1, 10, 3, 7).numpyShape()
    b = jax_galsim.BoundsI()
    b += jax_galsim.PositionI(3, 4)
    b += jax_galsim.PositionI(-1, 9)
    assert b == jax_galsim.BoundsI(-1, 3, 4, 9)
    assert (bi & jax_galsim.BoundsI(20, 30, 1, 2)) == jax_galsim.BoundsI()


def test_positiond_jit_grad_vmap():
    def f(x):
        p = jax_galsim.PositionD(x, 2.0 * x)
        q = (p * 3.0 - jax_galsim.PositionI(1, 1)) / 2.0 + jax_galsim.PositionD(1.0, 0.0)
        return q.x * q.y

    x0 = 0.7
    g = jax.grad(f)(x0)
    eps = 1e-6
    fd = (f(x0 + eps) - f(x0 - eps)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-7)
    np.testing.assert_allclose(jax.jit(f)(x0), f(x0), rtol=1e-14)
    # f(x0) with concrete inputs is a Python float, as in GalSim.
    assert isinstance(jax_galsim.PositionD(x0, 1.0).x, float)

    out = jax.jit(lambda p: p * 2.0)(jax_galsim.PositionD(1.0, 2.0))
    assert isinstance(out, jax_galsim.PositionD)
    np.testing.assert_array_equal([out.x, out.y], [2.0, 4.0])

    xs = jnp.linspace(0.0, 1.0, 5)
    v = jax.vmap(lambda x: jax_galsim.PositionD(x, 1.0) + jax_galsim.PositionD(2.0, x))(xs)
    np.testing.assert_allclose(v.x, xs + 2.0)
    np.testing.assert_allclose(v.y, 1.0 + xs)

    # Rounding a traced position gives a PositionI that can leave the jit.
    r = jax.jit(lambda p: p.round())(jax_galsim.PositionD(1.6, -2.4))
    assert int(r.x) == 2 and int(r.y) == -2


def test_boundsd_jit_grad():
    def area(s):
        b = jax_galsim.BoundsD(jax_galsim.PositionD(0.0, 0.0), jax_galsim.PositionD(s, 2 * s))
        b = b.withBorder(0.5)
        return b.area()

    # area = (s+1)(2s+1) -> d/ds = 4s + 3
    np.testing.assert_allclose(jax.grad(area)(3.0), 15.0)

    b = jax_galsim.BoundsD(0.0, 10.0, 0.0, 5.0)
    p = jax_galsim.PositionD(11.0, 2.0)

    def g(b, p):
        return b.includes(p), (b + p).xmax, (b & jax_galsim.BoundsD(1.0, 3.0, 1.0, 30.0)).ymax

    inc, xmax, ymax = jax.jit(g)(b, p)
    assert not bool(inc) and float(xmax) == 11.0 and float(ymax) == 5.0
    assert (b.includes(p), (b + p).xmax) == (False, 11.0)


def test_boundsi_is_static():
    bi = jax_galsim.BoundsI(1, 10, 1, 20)
    assert jax.tree_util.tree_leaves(bi) == []
    assert jax.tree_util.tree_leaves(jax_galsim.PositionI(1, 2)) == []
    # Usable for shapes inside jit.
    out = jax.jit(lambda b: jnp.zeros(b.numpyShape()))(bi)
    assert out.shape == (20, 10)
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(lambda x: jax_galsim.BoundsI(1, x, 1, 10))(5)


def test_parse_pos_args():
    p = parse_pos_args((1.0, 2.0), {}, "x", "y")
    assert p == jax_galsim.PositionD(1.0, 2.0)
    p = parse_pos_args(((3, 4),), {}, "x", "y", integer=True)
    assert p == jax_galsim.PositionI(3, 4)
    p, c = parse_pos_args((jax_galsim.PositionD(1, 2), "c"), {}, "u", "v", others=["color"])
    assert p == jax_galsim.PositionD(1, 2) and c == "c"
    p = parse_pos_args((), {"u": 5.0, "v": 6.0}, "u", "v")
    assert p == jax_galsim.PositionD(5.0, 6.0)
    with pytest.raises(TypeError):
        parse_pos_args((1.0,), {}, "x", "y")
