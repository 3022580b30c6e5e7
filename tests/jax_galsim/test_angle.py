"""Angle, AngleUnit and CelestialCoord: parity with LSSTDESC.Coord (what GalSim uses)
for concrete values, and JAX behaviour (jit, vmap, grad against finite differences)."""

import datetime
import math
import pickle

import coord
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_galsim as jg

jax.config.update("jax_enable_x64", True)

UNITS = ["radians", "degrees", "hours", "arcmin", "arcsec"]


def _fd(f, x, h=1.0e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in range(x.size):
        dx = np.zeros_like(x)
        dx[i] = h
        out[i] = (f(x + dx) - f(x - dx)) / (2 * h)
    return out


# --- Angle / AngleUnit ------------------------------------------------------------------
def test_units_and_arithmetic_match_coord():
    for name in UNITS:
        ours, ref = getattr(jg, name), getattr(coord, name)
        assert ours.value == ref.value
        assert repr(ours) == "galsim." + name
        assert eval(repr(ours), {"galsim": jg}) == ours
        assert jg.AngleUnit.from_name(name) == ours
        for x in (0.3, -17.0, 1234.5):
            a, b = x * ours, x * ref
            assert isinstance(a.rad, float) and a.rad == b.rad
            assert a / jg.arcmin == b / coord.arcmin
            assert a.deg == b.deg
            assert a.wrap().rad == b.wrap().rad
            assert a.wrap(3 * jg.radians).rad == b.wrap(3 * coord.radians).rad
            assert (a.sin(), a.cos(), a.tan()) == (b.sin(), b.cos(), b.tan())
            assert tuple(a.sincos()) == tuple(b.sincos())
            assert (2 * a - a / 3).rad == (2 * b - b / 3).rad
            assert (-a).rad == (-b).rad and abs(a).rad == abs(b).rad
            assert a.hms() == b.hms() and a.dms(prec=4, sep="dms") == b.dms(prec=4, sep="dms")
            assert a.dms(plus_sign=True, pad=False) == b.dms(plus_sign=True, pad=False)
    assert jg.hours / jg.arcsec == coord.hours / coord.arcsec
    assert jg.AngleUnit.from_name(" Degrees ") == jg.degrees
    for s in ("-05:21:25.2", "17 45 37.1991", "+12:51", "- 3:30"):
        assert jg.Angle.from_hms(s).rad == coord.Angle.from_hms(s).rad
        assert jg.Angle.from_dms(s).rad == coord.Angle.from_dms(s).rad


def test_angle_errors_and_comparisons():
    t = 30 * jg.degrees
    for bad in (lambda: t + 1.0, lambda: t - 1.0, lambda: t * t, lambda: t / t, lambda: t < 1.0,
                lambda: jg.Angle(3.4), lambda: jg.Angle(t, jg.degrees), lambda: jg.Angle(1, 3),
                lambda: jg.AngleUnit(jg.degrees), lambda: t * jg.degrees, lambda: jg.degrees * 2):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(ValueError):
        jg.Angle("spam", jg.degrees)
    with pytest.raises(ValueError):
        jg.AngleUnit.from_name("spam")
    with pytest.raises(ValueError):
        jg.Angle.from_dms("spam")
    assert 10 * jg.degrees < t <= t and t > 0 * jg.radians and t >= t
    assert t == jg.Angle(t) and t != 31 * jg.degrees and t != 0.5235987755982988


def test_angle_repr_pickle_hash():
    for t in (30 * jg.degrees, jg._Angle(-1.5), 2.5 * jg.AngleUnit(0.1)):
        t2 = eval(repr(t), {"galsim": jg})
        assert t2 == t and hash(t2) == hash(t)
        assert pickle.loads(pickle.dumps(t)) == t
    u = jg.AngleUnit(2 * math.pi / 400)
    assert eval(repr(u), {"galsim": jg}) == u and pickle.loads(pickle.dumps(u)) == u
    assert str(jg._Angle(0.5)) == "0.5 radians"


def test_angle_jax():
    # grad through unit conversion and trig
    f = lambda x: (x * jg.degrees).sin()  # noqa: E731
    np.testing.assert_allclose(jax.grad(f)(30.0), math.cos(math.pi / 6) * math.pi / 180, rtol=1e-14)
    g = lambda x: (x * jg.arcmin).tan() + (x * jg.arcmin / jg.arcsec)  # noqa: E731
    np.testing.assert_allclose(jax.grad(g)(700.0), _fd(lambda v: g(v[0]), [700.0])[0], rtol=1e-7)
    # jit over Angle pytrees, including wrap
    out = jax.jit(lambda a, c: a.wrap(c))(800 * jg.degrees, 180 * jg.degrees)
    assert isinstance(out, jg.Angle)
    np.testing.assert_allclose(out.rad, (800 * jg.degrees).wrap(180 * jg.degrees).rad, rtol=1e-15)
    # vmap over an Angle with a batched leaf
    angles = jg._Angle(jnp.linspace(-4.0, 4.0, 9))
    cos = jax.vmap(lambda a: a.cos())(angles)
    np.testing.assert_allclose(cos, np.cos(np.linspace(-4.0, 4.0, 9)), rtol=1e-15)
    wrapped = jax.vmap(lambda a: a.wrap().rad)(angles)
    ref = [jg._Angle(float(x)).wrap().rad for x in np.linspace(-4.0, 4.0, 9)]
    np.testing.assert_allclose(wrapped, ref, rtol=1e-15)
    # array * unit and a traced comparison
    assert jax.jit(lambda x: (x * jg.degrees) < 1 * jg.radians)(10.0)


# --- CelestialCoord ---------------------------------------------------------------------
PROJ = [None, "gnomonic", "stereographic", "lambert", "postel"]


def _pairs():
    rng = np.random.default_rng(12)
    for _ in range(12):
        r = rng.uniform(-7, 7, 3)
        d = rng.uniform(-1.5, 1.5, 3)
        yield [(float(r[i]), float(d[i])) for i in range(3)]


def test_celestial_parity_with_coord():
    date = datetime.datetime(2014, 9, 23, 2, 29, 0)
    for pts in _pairs():
        C = [coord.CelestialCoord(r * coord.radians, d * coord.radians) for r, d in pts]
        J = [jg.CelestialCoord(r * jg.radians, d * jg.radians) for r, d in pts]
        assert J[0].get_xyz() == C[0].get_xyz()
        assert J[0].distanceTo(J[1]).rad == C[0].distanceTo(C[1]).rad
        assert J[0].angleBetween(J[1], J[2]).rad == C[0].angleBetween(C[1], C[2]).rad
        assert J[0].area(J[1], J[2]) == C[0].area(C[1], C[2])
        for p in PROJ:
            u, v = J[0].project(J[1], p)
            cu, cv = C[0].project(C[1], p)
            assert (u.rad, v.rad) == (cu.rad, cv.rad)
            assert J[0].deproject(u, v, p).rad == C[0].deproject(cu, cv, p).rad
            np.testing.assert_array_equal(J[0].jac_deproject(u, v, p), C[0].jac_deproject(cu, cv, p))
        assert J[0].precess(2000.0, 1950.0).rad == C[0].precess(2000.0, 1950.0).rad
        assert tuple(a.rad for a in J[0].galactic()) == tuple(a.rad for a in C[0].galactic())
        assert tuple(a.rad for a in J[0].ecliptic(date=date)) == tuple(a.rad for a in C[0].ecliptic(date=date))
        assert (jg.CelestialCoord.from_galactic(J[0].ra, J[0].dec).rad
                == coord.CelestialCoord.from_galactic(C[0].ra, C[0].dec).rad)
        assert (jg.CelestialCoord.from_ecliptic(J[1].ra, J[1].dec, epoch=2010).rad
                == coord.CelestialCoord.from_ecliptic(C[1].ra, C[1].dec, epoch=2010).rad)
        assert (J[0].greatCirclePoint(J[2], 0.4 * jg.radians).rad
                == C[0].greatCirclePoint(C[2], 0.4 * coord.radians).rad)
        assert jg.CelestialCoord.from_xyz(*pts[2], 0.3).rad == coord.CelestialCoord.from_xyz(*pts[2], 0.3).rad
        c = J[0]
        assert eval(repr(c), {"galsim": jg}) == c and pickle.loads(pickle.dumps(c)) == c
        assert hash(eval(repr(c), {"galsim": jg})) == hash(c)


def test_celestial_errors():
    with pytest.raises(ValueError):
        jg.CelestialCoord(0 * jg.degrees, 91 * jg.degrees)
    with pytest.raises(TypeError):
        jg.CelestialCoord(0.3, 0.2)
    with pytest.raises(TypeError):
        jg.CelestialCoord(0.3 * jg.radians)
    with pytest.raises(ValueError):
        jg.CelestialCoord.from_xyz(0.0, 0.0, 0.0)
    c = jg.CelestialCoord(0 * jg.degrees, 0 * jg.degrees)
    with pytest.raises(ValueError):
        c.project(c, projection="mercator")
    with pytest.raises(ValueError):
        c.greatCirclePoint(c, 0.1 * jg.radians)


@pytest.mark.parametrize("projection", PROJ[1:])
def test_celestial_jit_matches_concrete(projection):
    c = jg.CelestialCoord(0.3 * jg.radians, 0.4 * jg.radians)
    d = jg.CelestialCoord(0.31 * jg.radians, 0.38 * jg.radians)
    e = jg.CelestialCoord(0.2 * jg.radians, 0.5 * jg.radians)

    def everything(c, d, e):
        u, v = c.project(d, projection)
        return (c.distanceTo(d).rad, c.angleBetween(d, e).rad, c.area(d, e), u.rad, v.rad,
                c.deproject(u, v, projection).rad, c.jac_deproject(u, v, projection),
                c.project_rad(0.25, 0.45, projection), c.deproject_rad(0.01, -0.02, projection),
                c.galactic()[0].rad, c.ecliptic()[1].rad, c.precess(2000.0, 1950.0).rad,
                c.greatCirclePoint(e, 0.1 * jg.radians).rad)

    traced = jax.tree_util.tree_leaves(jax.jit(everything)(c, d, e))
    concrete = jax.tree_util.tree_leaves(everything(c, d, e))
    for a, b in zip(traced, concrete):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("projection", PROJ[1:])
def test_celestial_gradients(projection):
    center = jg.CelestialCoord(0.3 * jg.radians, 0.4 * jg.radians)

    def proj(x):
        u, v = center.project(jg.CelestialCoord(x[0] * jg.radians, x[1] * jg.radians), projection)
        return jnp.array([u.rad, v.rad])

    def deproj(x):
        return jnp.array(center.deproject(x[0] * jg.radians, x[1] * jg.radians, projection).rad)

    x0 = [0.33, 0.37]
    jac = np.asarray(jax.jacfwd(proj)(jnp.array(x0)))
    for i in range(2):
        np.testing.assert_allclose(jac[i], _fd(lambda x: float(proj(jnp.array(x))[i]), x0), rtol=1e-6)
    # The derivative of deproject is what jac_deproject reports: rows d(-ra cos(dec)), d(dec).
    u0 = proj(jnp.array(x0))
    jd = np.asarray(jax.jacfwd(deproj)(u0))
    analytic = np.asarray(center.jac_deproject_rad(float(u0[0]), float(u0[1]), projection))
    np.testing.assert_allclose(-jd[0] * math.cos(x0[1]), analytic[0], rtol=1e-8)
    np.testing.assert_allclose(jd[1], analytic[1], rtol=1e-8)
    # distance gradient, finite at zero separation
    dist = lambda x: center.distanceTo(jg.CelestialCoord(x[0] * jg.radians, x[1] * jg.radians)).rad  # noqa
    np.testing.assert_allclose(jax.grad(dist)(jnp.array(x0)), _fd(dist, x0), rtol=1e-6)
    assert np.all(np.isfinite(np.asarray(jax.grad(dist)(jnp.array([0.3, 0.4])))))


def test_celestial_vmap():
    ra = jnp.linspace(0.0, 6.0, 5)
    dec = jnp.linspace(-1.0, 1.0, 5)
    coords = jax.vmap(lambda r, d: jg.CelestialCoord(r * jg.radians, d * jg.radians))(ra, dec)
    center = jg.CelestialCoord(1.0 * jg.radians, 0.2 * jg.radians)
    dist = jax.vmap(lambda c: center.distanceTo(c).rad)(coords)
    ref = [coord.CelestialCoord(float(r) * coord.radians, float(d) * coord.radians).distanceTo(
        coord.CelestialCoord(1.0 * coord.radians, 0.2 * coord.radians)).rad for r, d in zip(ra, dec)]
    np.testing.assert_allclose(dist, ref, rtol=1e-13)
    gal = jax.vmap(lambda c: c.galactic()[1].rad)(coords)
    ref = [coord.CelestialCoord(float(r) * coord.radians, float(d) * coord.radians).galactic()[1].rad
           for r, d in zip(ra, dec)]
    np.testing.assert_allclose(gal, ref, rtol=1e-13)
    # array version of project_rad / deproject_rad round trip
    u, v = center.project_rad(np.asarray(ra) * 0.1 + 0.95, np.asarray(dec) * 0.1, "lambert")
    r2, d2 = center.deproject_rad(u, v, "lambert")
    np.testing.assert_allclose(r2, np.asarray(ra) * 0.1 + 0.95, rtol=1e-12)
    np.testing.assert_allclose(d2, np.asarray(dec) * 0.1, rtol=1e-12, atol=1e-15)
