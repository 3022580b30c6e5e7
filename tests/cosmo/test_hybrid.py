"""Hybrid physical-neural PM correction (cosmo.pm.hybrid, Lanzieri et al. 2022).

References: exact identities (zero-initialised correction = plain PM, partition of
unity of the B-spline basis, rotation equivariance of the corrected force), and a
reference PM run with a 2x finer force mesh and 5x more steps, whose P(k) the trained
coarse run must match better than the plain coarse run near the Nyquist scale.
"""

import numpy as np
import jax
import jax.numpy as jnp

from cosmo.cosmology import LSST_Y10_FIDUCIAL as C
from cosmo.pm import hybrid as H
from cosmo.pm.nbody import pm_forces

N, BOX = 16, 64.0
SAVE = (0.5, 0.75, 1.0)
NC, NR = 5, 25


def _random_params(seed=1):
    p = H.init_params(jax.random.PRNGKey(seed), n_knots=8, hidden=(8,), n_fourier=2)
    w, b = p["layers"][-1]
    k = jax.random.PRNGKey(seed + 100)
    p["layers"][-1] = (0.3 * jax.random.normal(k, w.shape), 0.1 * jnp.ones_like(b))
    return p


def test_bspline_partition_of_unity_and_constant():
    p = H.init_params(jax.random.PRNGKey(0), n_knots=10)
    w, b = p["layers"][-1]
    p["layers"][-1] = (w, jnp.full_like(b, 0.25))  # every coefficient 0.25
    kk = jnp.linspace(0.0, np.sqrt(3) * np.pi, 101)[1:-1]
    # the interior of the knot span: sum_j B3(u - j) = 1 for 1 <= u <= n - 2
    h = np.sqrt(3) / 9
    u = np.asarray(kk) / np.pi / h
    inner = (u >= 1) & (u <= 8)
    np.testing.assert_allclose(np.asarray(H.correction(p, 0.7, kk))[inner], 0.25, rtol=1e-12)


def test_zero_init_is_identity_filter():
    params = H.init_params(jax.random.PRNGKey(0))
    kk = jnp.linspace(0, 5.0, 7)
    np.testing.assert_array_equal(H.make_force_filter(params)(0.5, kk), jnp.ones(7))
    pos = jnp.asarray(np.random.default_rng(1).uniform(0, 8, (200, 3)))
    ff = H.make_force_filter(params)
    np.testing.assert_array_equal(pm_forces(pos, (8,) * 3, force_filter=ff, a=0.5),
                                  pm_forces(pos, (8,) * 3))


def test_corrected_force_is_rotation_equivariant():
    """f depends on |k| only: the force of a configuration rotated by 90 degrees about z
    is the rotated force (the PM scheme's own cube symmetry is kept)."""
    rng = np.random.default_rng(0)
    n = 8
    pos = rng.uniform(0, n, (300, 3))
    ff = H.make_force_filter(_random_params())
    force = jax.jit(lambda x: pm_forces(x, (n,) * 3, force_filter=ff, a=jnp.asarray(0.6)))
    f0 = force(jnp.asarray(pos))
    # (x, y, z) -> (y, -x, z): with cell centres on integers, -x maps the mesh to itself
    rot = np.stack([pos[:, 1], np.mod(-pos[:, 0], n), pos[:, 2]], -1)
    f1 = force(jnp.asarray(rot))
    np.testing.assert_allclose(f1, np.stack([f0[:, 1], -f0[:, 0], f0[:, 2]], -1),
                               rtol=1e-9, atol=1e-12)
    # and the filter changes the force (the test is not vacuous)
    plain = pm_forces(jnp.asarray(pos), (n,) * 3)
    assert np.abs(np.asarray(f0 - plain)).max() > 1e-2 * np.abs(np.asarray(plain)).max()


def test_training_reduces_pk_error_near_nyquist():
    """Train on one IC seed; the P(k) error for k in [0.5, 1] k_Nyq shrinks on the
    training seed and on a held-out seed."""
    params, hist = H.train(C, seeds=(0,), n_part=N, box_size=BOX, save_at=SAVE,
                           n_steps_coarse=NC, n_steps_ref=NR, n_iter=60,
                           learning_rate=3e-3, lambda_pk=1.0)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert np.abs(np.asarray(H.correction(params, 1.0, jnp.linspace(0, 3, 5)))).max() > 1e-3
    zero = H.init_params(jax.random.PRNGKey(0))
    for seed in (0, 7):
        field = H.initial_field(C, seed, N, BOX)
        ref = H.make_reference(C, field, SAVE, 0.1, NR, 2)
        plain = H.coarse_run(C, field, SAVE, None, 0.1, NC)
        if seed == 0:  # the untrained network leaves the coarse run unchanged, bit for bit
            np.testing.assert_array_equal(H.coarse_run(C, field, SAVE, zero, 0.1, NC), plain)
        k, r0 = H.pk_ratio(plain, ref, BOX)
        _, r1 = H.pk_ratio(H.coarse_run(C, field, SAVE, params, 0.1, NC), ref, BOX)
        e0 = H.nyquist_error(k, r0, BOX, N)
        e1 = H.nyquist_error(k, r1, BOX, N)
        print(f"seed {seed}: near-Nyquist P(k) RMS error {e0:.3f} (PM) -> {e1:.3f} (hybrid)")
        assert e0 > 0.2, e0  # the plain coarse run misses power near Nyquist
        assert e1 < 0.5 * e0, (seed, e0, e1)
