"""cosmo.pm.painting: CIC paint / read on one device, and sharded vs one device (float64).

The sharded checks (8 emulated CPU devices, layouts (1, 8), (8, 1), (2, 4), (4, 2)) come
from the subprocesses of _distributed_check.py, shared with test_distributed.py.
"""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from cosmo import distributed as dist
from cosmo.pm import painting

from _distributed_check import LAYOUTS, sharded_results

TOL = 1e-12
SHAPE1 = (8, 6, 5)


def _positions(n=200, seed=0, interior=False):
    rng = np.random.default_rng(seed)
    if interior:  # fractional parts away from cell edges (CIC kinks), inside [0, n-1)
        cells = rng.integers(0, np.array(SHAPE1) - 1, size=(n, 3))
        return cells + rng.uniform(0.2, 0.8, size=(n, 3))
    return rng.uniform(-3.0, 11.0, size=(n, 3))  # includes periodic images


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sharded_paint_read_match_single_device(layout):
    res = sharded_results()[layout]
    checks = ["cic_paint", "cic_read", "grad_cic_paint", "grad_cic_read", "grad_pipeline"]
    bad = {k: res[k] for k in checks if not res[k] <= TOL}
    assert not bad, bad
    assert res["cic_paint_layout_differs"] == 0.0 and res["cic_read_layout_differs"] == 0.0


def test_sharded_halo_semantics():
    res = sharded_results()["errors"]
    assert res["lost_mass"] == pytest.approx(2.0, abs=1e-12)  # two particles beyond halo
    assert res["lost_paint_vs_kept"] <= TOL                    # the rest painted exactly
    assert res["default_halo"] == 1 and res["default_halo_paint"] <= TOL
    assert "must not exceed the local block size 4" in res["halo_too_big"]


def test_paint_conserves_mass_and_wraps():
    pos = _positions()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(pos))
    f = painting.cic_paint(jnp.ones(SHAPE1), pos, w)
    assert float(jnp.sum(f)) == pytest.approx(np.prod(SHAPE1) + w.sum(), rel=1e-14)
    # periodic images paint identically
    g = painting.cic_paint(jnp.zeros(SHAPE1), np.mod(pos, SHAPE1), w)
    np.testing.assert_allclose(f - 1.0, g, atol=1e-13)
    # a particle at an integer position fills one cell; leading shape is arbitrary
    one = painting.cic_paint(jnp.zeros(SHAPE1), jnp.array([[[2.0, 5.0, 4.0]]]))
    assert one[2, 5, 4] == 1.0 and float(jnp.sum(one)) == 1.0
    half = painting.cic_paint(jnp.zeros(SHAPE1), jnp.array([7.5, 0.0, 0.0]))
    assert half[7, 0, 0] == 0.5 and half[0, 0, 0] == 0.5  # wraps across the edge


def test_read_linear_field_is_exact_in_interior():
    ix, iy, iz = np.meshgrid(*[np.arange(n, dtype=float) for n in SHAPE1], indexing="ij")
    f = 0.3 + 1.5 * ix - 0.7 * iy + 2.1 * iz
    pos = _positions(interior=True)
    want = 0.3 + 1.5 * pos[:, 0] - 0.7 * pos[:, 1] + 2.1 * pos[:, 2]
    np.testing.assert_allclose(painting.cic_read(f, pos), want, rtol=1e-13)
    grid = _positions(50, seed=3, interior=True).reshape(5, 10, 3)
    assert painting.cic_read(f, grid).shape == (5, 10)


def test_paint_and_read_are_adjoint():
    rng = np.random.default_rng(4)
    f = rng.normal(size=SHAPE1)
    pos = _positions()
    w = rng.normal(size=len(pos))
    lhs = jnp.vdot(painting.cic_read(f, pos), w)
    rhs = jnp.vdot(f, painting.cic_paint(jnp.zeros(SHAPE1), pos, w))
    assert float(lhs) == pytest.approx(float(rhs), rel=1e-13)


def _central_fd(fun, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return g


def test_position_gradients_vs_finite_differences():
    rng = np.random.default_rng(5)
    pos = _positions(6, seed=6, interior=True)
    w = rng.uniform(0.5, 1.5, size=len(pos))
    r = rng.normal(size=SHAPE1)
    f = rng.normal(size=SHAPE1)

    def loss_paint(p):
        return jnp.sum(painting.cic_paint(jnp.zeros(SHAPE1), p, w) ** 2 * r)

    def loss_read(p):
        return jnp.sum(painting.cic_read(f, p) ** 2 * w)

    for loss in (jax.jit(loss_paint), jax.jit(loss_read)):
        g = jax.grad(loss)(jnp.asarray(pos))
        fd = _central_fd(lambda p: float(loss(jnp.asarray(p))), pos)
        np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-8)
    # and w.r.t. the weights / field (linear: exact)
    gw = jax.grad(lambda w_: jnp.sum(painting.cic_paint(jnp.zeros(SHAPE1), pos, w_) * r))(w)
    np.testing.assert_allclose(gw, painting.cic_read(r, pos), rtol=1e-13)


def test_compensate_cic():
    kvec = dist.fftfreq_grid((8, 8, 8))
    k = jnp.ones((8, 8, 5), complex)
    out = painting.compensate_cic(k, kvec)
    assert out[0, 0, 0] == 1.0
    kx = 2 * np.pi * 2 / 8
    assert float(out[2, 0, 0].real) == pytest.approx((np.sin(kx / 2) / (kx / 2)) ** -2, rel=1e-13)
    # Nyquist on all three axes (kx = -pi from fftfreq): W = (2/pi)^6
    assert float(out[4, 4, 4].real) == pytest.approx((2 / np.pi) ** -6, rel=1e-12)


def test_argument_errors():
    with pytest.raises(ValueError, match="3-D"):
        painting.cic_paint(jnp.zeros((4, 4)), jnp.zeros((2, 3)))
    with pytest.raises(ValueError, match="last axis of length 3"):
        painting.cic_read(jnp.zeros((4, 4, 4)), jnp.zeros((2, 2)))
    mesh = dist.make_mesh((1, 1))
    with pytest.raises(ValueError, match="particle grid"):
        painting.cic_paint(jnp.zeros((4, 4, 4)), jnp.zeros((5, 3)), mesh=mesh)
    assert painting.default_halo((16, 16, 8), mesh) == 0


def test_trivial_mesh_paint_read():
    """(1, 1) mesh: the shard_map path with local periodic wrapping on both axes."""
    mesh = dist.make_mesh((1, 1))
    pos = _positions(4 * 6 * 5, seed=7).reshape(4, 6, 5, 3)
    f = np.random.default_rng(8).normal(size=SHAPE1)
    np.testing.assert_allclose(painting.cic_paint(jnp.zeros(SHAPE1), pos, mesh=mesh),
                               painting.cic_paint(jnp.zeros(SHAPE1), pos), atol=1e-13)
    np.testing.assert_allclose(painting.cic_read(f, pos, mesh=mesh),
                               painting.cic_read(f, pos), atol=1e-13)
