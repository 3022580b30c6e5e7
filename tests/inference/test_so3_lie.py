"""Lie-group utilities on SO(3): identities against closed forms and each other."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inference.so3 import lie


@pytest.fixture(scope="module")
def rots():
    return lie.random_rotation(jax.random.PRNGKey(0), (200,))


def test_hat_vee_cross():
    v = jax.random.normal(jax.random.PRNGKey(1), (10, 3))
    x = jax.random.normal(jax.random.PRNGKey(2), (10, 3))
    np.testing.assert_allclose(lie.hat(v) @ x[..., None], jnp.cross(v, x)[..., None], atol=1e-14)
    np.testing.assert_allclose(lie.vee(lie.hat(v)), v, atol=1e-15)


def test_exp_matches_matrix_exponential():
    import scipy.linalg
    v = jax.random.normal(jax.random.PRNGKey(3), (20, 3)) * 1.5
    v = v.at[0].set(jnp.array([1e-9, -2e-9, 3e-10]))
    R = lie.exp(v)
    for i in range(20):
        np.testing.assert_allclose(R[i], scipy.linalg.expm(np.asarray(lie.hat(v[i]))), atol=1e-13)


def test_log_inverts_exp_everywhere():
    key = jax.random.PRNGKey(4)
    axis = jax.random.normal(key, (300, 3))
    axis = axis / jnp.linalg.norm(axis, axis=-1, keepdims=True)
    ang = jnp.concatenate([jnp.geomspace(1e-10, 1e-2, 100), jnp.linspace(1e-2, np.pi - 1e-6, 200)])
    v = axis * ang[:, None]
    v2 = lie.log(lie.exp(v))
    np.testing.assert_allclose(v2, v, atol=1e-9, rtol=1e-9)
    np.testing.assert_allclose(lie.rotation_angle(lie.exp(v)), ang, atol=1e-12, rtol=1e-10)


def test_quaternion_roundtrip(rots):
    q = lie.matrix_to_quaternion(rots)
    assert np.all(q[:, 0] >= 0)
    np.testing.assert_allclose(jnp.linalg.norm(q, axis=-1), 1.0, atol=1e-14)
    np.testing.assert_allclose(lie.quaternion_to_matrix(q), rots, atol=1e-13)
    # the rotation by angle a about n is (cos a/2, sin a/2 n)
    n = jnp.array([1.0, 2.0, -2.0]) / 3.0
    q2 = lie.matrix_to_quaternion(lie.axis_angle_to_matrix(n, 2.5))
    np.testing.assert_allclose(q2, jnp.concatenate([jnp.cos(1.25)[None], jnp.sin(1.25) * n]), atol=1e-14)


def test_axis_angle_and_distance(rots):
    axis, ang = lie.matrix_to_axis_angle(rots)
    np.testing.assert_allclose(lie.axis_angle_to_matrix(axis, ang), rots, atol=1e-12)
    R1, R2 = rots[:100], rots[100:]
    d = lie.geodesic_distance(R1, R2)
    # chordal identity ||R1 - R2||_F = 2 sqrt(2) sin(d / 2)
    chord = jnp.linalg.norm(R1 - R2, axis=(-1, -2))
    np.testing.assert_allclose(chord, 2 * np.sqrt(2) * jnp.sin(d / 2), atol=1e-12)
    # bi-invariance
    g = rots[0]
    np.testing.assert_allclose(lie.geodesic_distance(g @ R1, g @ R2), d, atol=1e-10)
    np.testing.assert_allclose(lie.geodesic_distance(R1 @ g, R2 @ g), d, atol=1e-10)


def test_haar_sampling_moments():
    # under Haar measure, E[R] = 0 and the angle has density (1 - cos w) / pi
    R = lie.random_rotation(jax.random.PRNGKey(5), (20000,))
    assert float(jnp.max(jnp.abs(jnp.mean(R, 0)))) < 4.0 / np.sqrt(20000 * 3)
    w = np.asarray(lie.rotation_angle(R))
    from scipy import stats
    cdf = lambda x: (x - np.sin(x)) / np.pi
    assert stats.kstest(w, cdf).pvalue > 1e-3
    err1, err2 = lie.orthogonality_error(R)
    assert err1 < 1e-14 and err2 < 1e-14


def test_exp_log_gradients_finite_at_identity():
    g = jax.grad(lambda v: jnp.sum(lie.log(lie.exp(v)) ** 2))(jnp.zeros(3))
    assert np.all(np.isfinite(g))
    from jax.test_util import check_grads
    check_grads(lambda v: lie.exp(v), (jnp.array([0.3, -0.2, 0.9]),), order=1, modes=["fwd", "rev"])
    check_grads(lambda v: lie.log(lie.exp(v)), (jnp.array([0.3, -0.2, 0.9]),), order=1, modes=["fwd", "rev"])


def test_project_and_chordal_mean(rots):
    M = rots[0] + 1e-3 * jax.random.normal(jax.random.PRNGKey(6), (3, 3))
    P = lie.project_to_so3(M)
    e1, e2 = lie.orthogonality_error(P)
    assert e1 < 1e-13 and e2 < 1e-13
    assert float(lie.geodesic_distance(P, rots[0])) < 3e-3
    small = lie.exp(0.05 * jax.random.normal(jax.random.PRNGKey(7), (500, 3))) @ rots[1]
    assert float(lie.geodesic_distance(lie.chordal_mean(small), rots[1])) < 0.01
