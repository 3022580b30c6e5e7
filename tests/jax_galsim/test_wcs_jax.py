"""JAX behaviour and GalSim parity of the local and uniform WCS classes."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim

jax.config.update("jax_enable_x64", True)

JAC = (0.2342, -0.1432, 0.0924, -0.3013)
ORIGIN = (-3.0, 104.0)
WORLD_ORIGIN = (1423.9, 8242.7)


def _pair(mod):
    """The same WCS objects built with ``mod`` (galsim or jax_galsim)."""
    sh = mod.Shear(g1=0.14, g2=-0.37)
    o = mod.PositionD(*ORIGIN)
    wo = mod.PositionD(*WORLD_ORIGIN)
    return [
        mod.PixelScale(0.23),
        mod.ShearWCS(0.23, sh),
        mod.JacobianWCS(*JAC),
        mod.OffsetWCS(0.23, o, wo),
        mod.OffsetShearWCS(0.23, sh, o, wo),
        mod.AffineTransform(*JAC, origin=o, world_origin=wo),
        # a flipped Jacobian
        mod.JacobianWCS(0.1432, 0.2342, 0.2391, 0.1409),
    ]


@pytest.mark.parametrize("i", range(7))
def test_matches_galsim(i):
    ref = _pair(galsim)[i]
    wcs = _pair(jax_galsim)[i]
    assert repr(wcs) == repr(ref)
    assert wcs.isLocal() == ref.isLocal()
    assert wcs.isUniform() == ref.isUniform()
    assert wcs.isPixelScale() == ref.isPixelScale()
    assert not wcs.isCelestial()

    for x, y in [(0.0, 0.0), (-5.0, -7.0), (183.6, 103.3)]:
        w_ref = ref.toWorld(galsim.PositionD(x, y))
        w = wcs.toWorld(jax_galsim.PositionD(x, y))
        assert isinstance(w.x, float) and isinstance(w.y, float)
        np.testing.assert_allclose([w.x, w.y], [w_ref.x, w_ref.y], rtol=1e-15, atol=1e-12)
        i_ref = ref.toImage(w_ref)
        im = wcs.toImage(jax_galsim.PositionD(w_ref.x, w_ref.y))
        np.testing.assert_allclose([im.x, im.y], [i_ref.x, i_ref.y], rtol=1e-14, atol=1e-11)

    # array interface
    xs = np.array([0.0, 10.0, -31.7, -700.0])
    ys = np.array([0.0, 12.5, 103.3, 500.0])
    u_ref, v_ref = ref.toWorld(xs, ys)
    u, v = wcs.toWorld(xs, ys)
    assert isinstance(u, np.ndarray)
    np.testing.assert_allclose(u, u_ref, rtol=1e-15, atol=1e-12)
    np.testing.assert_allclose(v, v_ref, rtol=1e-15, atol=1e-12)
    x2, y2 = wcs.toImage(u, v)
    np.testing.assert_allclose(x2, xs, atol=1e-10)
    np.testing.assert_allclose(y2, ys, atol=1e-10)

    # local quantities
    assert wcs.pixelArea() == pytest.approx(ref.pixelArea(), rel=1e-15)
    assert wcs.minLinearScale() == pytest.approx(ref.minLinearScale(), rel=1e-14)
    assert wcs.maxLinearScale() == pytest.approx(ref.maxLinearScale(), rel=1e-14)
    np.testing.assert_allclose(wcs.jacobian().getMatrix(), ref.jacobian().getMatrix(), rtol=1e-15)
    assert repr(wcs.local()) == repr(ref.local())
    assert repr(wcs.affine()) == repr(ref.affine())
    np.testing.assert_allclose(
        wcs.inverse().jacobian().getMatrix(), ref.inverse().jacobian().getMatrix(), rtol=1e-14
    )
    s_ref = ref.shiftOrigin(galsim.PositionI(12, 34), galsim.PositionD(5.5, 6.5))
    s = wcs.shiftOrigin(jax_galsim.PositionI(12, 34), jax_galsim.PositionD(5.5, 6.5))
    assert type(s).__name__ == type(s_ref).__name__
    w_ref = s_ref.toWorld(galsim.PositionD(3.0, 4.0))
    w = s.toWorld(jax_galsim.PositionD(3.0, 4.0))
    np.testing.assert_allclose([w.x, w.y], [w_ref.x, w_ref.y], rtol=1e-13)

    # shears
    sh_ref = ref.toWorld(galsim.Shear(g1=0.2, g2=0.1))
    sh = wcs.toWorld(jax_galsim.Shear(g1=0.2, g2=0.1))
    np.testing.assert_allclose([sh.g1, sh.g2], [sh_ref.g1, sh_ref.g2], rtol=1e-12, atol=1e-15)
    sh_ref = ref.shearToImage(galsim.Shear(g1=0.2, g2=0.1))
    sh = wcs.shearToImage(jax_galsim.Shear(g1=0.2, g2=0.1))
    np.testing.assert_allclose([sh.g1, sh.g2], [sh_ref.g1, sh_ref.g2], rtol=1e-12, atol=1e-15)

    # repr / pickle / hash / copy
    wcs2 = eval(repr(wcs), {"galsim": jax_galsim})
    assert wcs2 == wcs and hash(wcs2) == hash(wcs)
    wcs3 = pickle.loads(pickle.dumps(wcs))
    assert wcs3 == wcs and hash(wcs3) == hash(wcs)
    assert wcs.copy() == wcs and wcs.copy() is not wcs


def test_decomposition():
    for ref, wcs in zip(_pair(galsim), _pair(jax_galsim)):
        sc_r, sh_r, th_r, fl_r = ref.jacobian().getDecomposition()
        sc, sh, th, fl = wcs.jacobian().getDecomposition()
        assert fl == fl_r
        assert sc == pytest.approx(sc_r, rel=1e-14)
        assert th.rad == pytest.approx(th_r.rad, rel=1e-13, abs=1e-15)
        np.testing.assert_allclose([sh.g1, sh.g2], [sh_r.g1, sh_r.g2], rtol=1e-12, atol=1e-15)
    with pytest.raises(jax_galsim.GalSimError):
        jax_galsim.JacobianWCS(0.2, 0.1, 0.2, 0.1).getDecomposition()
    with pytest.raises(jax_galsim.GalSimError):
        jax_galsim.JacobianWCS(0.2, 0.1, 0.2, 0.1).inverse()


def test_errors():
    with pytest.raises(TypeError):
        jax_galsim.PixelScale(scale=jax_galsim.PixelScale(0.2))
    with pytest.raises(TypeError):
        jax_galsim.OffsetWCS(0.2, origin=5)
    with pytest.raises(TypeError):
        jax_galsim.ShearWCS(0.2, 0.3)
    with pytest.raises(TypeError):
        jax_galsim.PixelScale(0.2).toWorld((3, 4))
    with pytest.raises(TypeError):
        jax_galsim.PixelScale(0.2).toWorld(3, 4, 5)
    with pytest.raises(TypeError):
        jax_galsim.PixelScale(0.2).local(
            image_pos=jax_galsim.PositionD(1, 2), world_pos=jax_galsim.PositionD(1, 2)
        )
    with pytest.raises(NotImplementedError):
        jax_galsim.RaDecFunction("x", "y")
    with pytest.raises(NotImplementedError):
        jax_galsim.UVFunction("0.2*x", "0.2*y").toImage(jax_galsim.PositionD(1.0, 2.0))


def test_uvfunction_matches_galsim():
    args = ("0.2*x + 0.01*x*y - 0.03*y**2", "0.2*y - 0.01*x*y + 0.04*x**2")
    ref = galsim.UVFunction(*args, origin=galsim.PositionD(12, 34), world_origin=galsim.PositionD(45, 54))
    wcs = jax_galsim.UVFunction(
        *args, origin=jax_galsim.PositionD(12, 34), world_origin=jax_galsim.PositionD(45, 54)
    )
    assert repr(wcs) == repr(ref)
    assert eval(repr(wcs), {"galsim": jax_galsim}) == wcs
    assert pickle.loads(pickle.dumps(wcs)) == wcs
    assert not wcs.isUniform()
    for x, y in [(0.0, 0.0), (17.3, -4.1)]:
        w_ref = ref.toWorld(galsim.PositionD(x, y))
        w = wcs.toWorld(jax_galsim.PositionD(x, y))
        np.testing.assert_allclose([w.x, w.y], [w_ref.x, w_ref.y], rtol=1e-15)
        np.testing.assert_allclose(
            wcs.jacobian(jax_galsim.PositionD(x, y)).getMatrix(),
            ref.jacobian(galsim.PositionD(x, y)).getMatrix(),
            rtol=1e-14,
        )
    s_ref = ref.shiftOrigin(galsim.PositionD(1, 2), galsim.PositionD(3, 4))
    s = wcs.shiftOrigin(jax_galsim.PositionD(1, 2), jax_galsim.PositionD(3, 4))
    assert repr(s) == repr(s_ref)
    header = _Header()
    wcs.writeToFitsHeader(header, jax_galsim.BoundsI(1, 10, 1, 10))
    assert jax_galsim.wcs.readFromFitsHeader(header)[0] == wcs


def test_compatible():
    assert jax_galsim.wcs.compatible(
        jax_galsim.PixelScale(0.23), jax_galsim.OffsetWCS(0.23, jax_galsim.PositionD(12, 34))
    )
    assert not jax_galsim.wcs.compatible(jax_galsim.PixelScale(0.23), jax_galsim.PixelScale(0.27))


class _Header(dict):
    """Minimal FITS-header stand-in: ``h[key] = (value, comment)`` stores the value."""

    def __setitem__(self, key, value):
        if isinstance(value, tuple):
            value = value[0]
        super().__setitem__(key, value)


@pytest.mark.parametrize("i", range(7))
def test_fits_header_roundtrip(i):
    ref = _pair(galsim)[i]
    wcs = _pair(jax_galsim)[i]
    ref_header = galsim.FitsHeader()
    ref.writeToFitsHeader(ref_header, galsim.BoundsI(-3, 20, 5, 30))
    header = _Header()
    wcs.writeToFitsHeader(header, jax_galsim.BoundsI(-3, 20, 5, 30))
    assert set(header) == set(ref_header.keys())
    for key in header:
        if isinstance(header[key], str):
            assert header[key] == ref_header[key]
        else:
            assert header[key] == pytest.approx(ref_header[key], rel=1e-15, abs=1e-12), key
    wcs2, origin = jax_galsim.wcs.readFromFitsHeader(header)
    assert (origin.x, origin.y) == (-3, 5)
    for x, y in [(0.0, 0.0), (17.0, -4.0)]:
        p = jax_galsim.PositionD(x, y)
        w1, w2 = wcs.toWorld(p), wcs2.toWorld(p)
        np.testing.assert_allclose([w2.x, w2.y], [w1.x, w1.y], rtol=1e-13, atol=1e-10)


def test_fitswcs_linear():
    assert jax_galsim.fitswcs.FitsWCS(header=_Header(), suppress_warning=True) == jax_galsim.PixelScale(1.0)
    h = _Header(CTYPE1="LINEAR", CTYPE2="LINEAR", CDELT1=0.3, CDELT2=0.3)
    assert jax_galsim.fitswcs.FitsWCS(header=h) == jax_galsim.PixelScale(0.3)


# ---------------------------------------------------------------------------------------
# JAX transformations
# ---------------------------------------------------------------------------------------
def test_grad_toworld_vs_finite_differences():
    x, y = 12.3, -4.5

    def f(params):
        wcs = jax_galsim.AffineTransform(
            *params[:4],
            origin=jax_galsim.PositionD(params[4], params[5]),
            world_origin=jax_galsim.PositionD(0.7, -1.1),
        )
        u, v = wcs.toWorld(x, y)
        pos = wcs.toImage(jax_galsim.PositionD(u + 0.3 * v, v))
        return u**2 + 3.0 * v + pos.x * pos.y

    p0 = jnp.array(list(JAC) + [1.5, -2.5])
    g = jax.grad(f)(p0)
    eps = 1e-6
    fd = [
        (f(p0.at[k].add(eps)) - f(p0.at[k].add(-eps))) / (2 * eps) for k in range(p0.size)
    ]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    # analytic check for u: du/d(dudx) = x - x0
    dudx_grad = jax.grad(
        lambda d: jax_galsim.JacobianWCS(d, 0.1, 0.2, 0.3).toWorld(jax_galsim.PositionD(x, y)).x
    )(0.25)
    assert dudx_grad == pytest.approx(x)


def test_grad_through_wcs_pytree():
    wcs = jax_galsim.JacobianWCS(*JAC)

    def area_and_scale(w):
        return w.pixelArea() + w.maxLinearScale() + w.minLinearScale()

    g = jax.grad(area_and_scale)(wcs)
    assert isinstance(g, jax_galsim.JacobianWCS)
    eps = 1e-6
    for name in ("_dudx", "_dudy", "_dvdx", "_dvdy"):
        wp = wcs.tree_replace(**{name: getattr(wcs, name) + eps})
        wm = wcs.tree_replace(**{name: getattr(wcs, name) - eps})
        fd = (area_and_scale(wp) - area_and_scale(wm)) / (2 * eps)
        assert getattr(g, name) == pytest.approx(fd, rel=1e-6)

    # gradient through a ShearWCS (leaf inside the Shear)
    def uv(g1):
        w = jax_galsim.ShearWCS(0.2, jax_galsim.Shear(g1=g1, g2=0.1))
        return w.toWorld(jax_galsim.PositionD(3.0, 4.0)).x

    gs = jax.grad(uv)(0.15)
    fd = (uv(0.15 + 1e-6) - uv(0.15 - 1e-6)) / 2e-6
    assert gs == pytest.approx(fd, rel=1e-6)


def test_jit_and_vmap():
    wcs = jax_galsim.AffineTransform(
        *JAC, origin=jax_galsim.PositionD(*ORIGIN), world_origin=jax_galsim.PositionD(*WORLD_ORIGIN)
    )

    @jax.jit
    def to_world(w, x, y):
        return w.toWorld(x, y)

    xs = jnp.linspace(-10.0, 10.0, 5)
    u, v = to_world(wcs, xs, xs * 2)
    u_ref, v_ref = wcs.toWorld(np.asarray(xs), np.asarray(xs) * 2)
    np.testing.assert_allclose(u, u_ref, rtol=1e-14)
    np.testing.assert_allclose(v, v_ref, rtol=1e-14)

    # jit returning a WCS (inverse, shiftOrigin, local)
    inv = jax.jit(lambda w: w.inverse())(wcs)
    assert isinstance(inv, jax_galsim.AffineTransform)
    p = inv.toWorld(wcs.toWorld(jax_galsim.PositionD(2.0, 3.0)))
    np.testing.assert_allclose([p.x, p.y], [2.0, 3.0], rtol=1e-12)

    # vmap over a batch of WCS pytrees
    scales = jnp.array([0.1, 0.2, 0.3])
    batch = jax.vmap(lambda s: jax_galsim.OffsetWCS(s, jax_galsim.PositionD(1.0, 2.0)))(scales)
    out = jax.vmap(lambda w: w.toWorld(jax_galsim.PositionD(5.0, 7.0)).x)(batch)
    np.testing.assert_allclose(out, scales * 4.0, rtol=1e-15)
    areas = jax.vmap(lambda w: w.pixelArea())(batch)
    np.testing.assert_allclose(areas, scales**2, rtol=1e-15)

    jacs = jax.vmap(lambda d: jax_galsim.JacobianWCS(d, 0.01, -0.02, 0.2))(scales)
    dec = jax.vmap(lambda w: w.getDecomposition()[0])(jacs)
    ref = [galsim.JacobianWCS(float(s), 0.01, -0.02, 0.2).getDecomposition()[0] for s in scales]
    np.testing.assert_allclose(dec, ref, rtol=1e-14)
