"""Lie-group utilities on SO(3), pure JAX.

Conventions
-----------
* Rotations are ``(..., 3, 3)`` real orthogonal matrices with determinant +1 acting on
  column vectors.
* The Lie algebra so(3) is identified with R^3 by ``hat``: ``hat(v) @ x == cross(v, x)``.
  A tangent vector ``v`` (radians) is the rotation ``exp(hat(v))`` by ``|v|`` radians
  about the axis ``v / |v|`` (right-hand rule).
* The metric is the bi-invariant one in which the geodesic distance between two
  rotations is the angle (radians, in ``[0, pi]``) of the relative rotation. The total
  volume of SO(3) in this metric is ``8 pi^2``; densities in this package are with
  respect to the *normalised* Haar measure (total mass 1) unless stated otherwise.
* Tangent vectors at a point ``R`` are given in the *space frame* (left
  trivialisation): ``v`` stands for the curve ``exp(tau hat(v)) @ R``. This is the frame
  used by the integrators (``x_{n+1} = exp(y) x_n``) and by the scores.
* Quaternions are scalar-first ``(w, x, y, z)`` with unit norm; ``matrix_to_quaternion``
  returns the representative with ``w >= 0``.

All functions broadcast over leading batch dimensions and are jittable, vmappable and
differentiable (small-angle branches use the double-``where`` trick so gradients stay
finite at the identity).
"""

import jax
import jax.numpy as jnp

__all__ = [
    "hat", "vee", "exp", "log", "rotation_angle", "geodesic_distance",
    "axis_angle_to_matrix", "matrix_to_axis_angle", "quaternion_to_matrix",
    "matrix_to_quaternion", "random_rotation", "project_to_so3", "chordal_mean",
    "tangent_gradient", "orthogonality_error",
]

_SMALL = 1e-4  # below this angle (radians) the Taylor branches are used


def hat(v):
    """Map ``(..., 3)`` vectors to ``(..., 3, 3)`` skew-symmetric matrices.

    ``hat(v) @ x == cross(v, x)``.
    """
    v = jnp.asarray(v)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    o = jnp.zeros_like(x)
    return jnp.stack([
        jnp.stack([o, -z, y], -1),
        jnp.stack([z, o, -x], -1),
        jnp.stack([-y, x, o], -1),
    ], -2)


def vee(m):
    """Inverse of :func:`hat`: ``(..., 3, 3)`` -> ``(..., 3)``.

    Uses the antisymmetric part, so ``vee(A) == vee((A - A^T) / 2)`` for any matrix.
    """
    m = jnp.asarray(m)
    return 0.5 * jnp.stack([
        m[..., 2, 1] - m[..., 1, 2],
        m[..., 0, 2] - m[..., 2, 0],
        m[..., 1, 0] - m[..., 0, 1],
    ], -1)


def _sq_norm(v):
    return jnp.sum(v * v, axis=-1)


def exp(v):
    """Exponential map so(3) -> SO(3) (Rodrigues' formula).

    Parameters
    ----------
    v : array (..., 3)
        Rotation vectors (axis times angle, radians).

    Returns
    -------
    array (..., 3, 3)
    """
    v = jnp.asarray(v)
    th2 = _sq_norm(v)
    small = th2 < _SMALL ** 2
    th2s = jnp.where(small, 1.0, th2)
    th = jnp.sqrt(th2s)
    a = jnp.where(small, 1.0 - th2 / 6.0 + th2 * th2 / 120.0, jnp.sin(th) / th)
    b = jnp.where(small, 0.5 - th2 / 24.0 + th2 * th2 / 720.0, (1.0 - jnp.cos(th)) / th2s)
    K = hat(v)
    eye = jnp.eye(3, dtype=K.dtype)
    return eye + a[..., None, None] * K + b[..., None, None] * (K @ K)


def quaternion_to_matrix(q):
    """Unit quaternions ``(..., 4)`` (scalar first) -> rotation matrices ``(..., 3, 3)``.

    The input is normalised first, so any non-zero quaternion is accepted.
    """
    q = jnp.asarray(q)
    q = q / jnp.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return jnp.stack([
        jnp.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        jnp.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        jnp.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def matrix_to_quaternion(R):
    """Rotation matrices ``(..., 3, 3)`` -> unit quaternions ``(..., 4)`` with ``w >= 0``.

    Shepperd's method: of the four algebraically equivalent formulas the one with the
    largest pivot is used, which is accurate for every rotation (including angles near
    pi, where the trace formula loses precision).
    """
    R = jnp.asarray(R)
    m00, m11, m22 = R[..., 0, 0], R[..., 1, 1], R[..., 2, 2]
    tr = m00 + m11 + m22
    piv = jnp.stack([tr, m00, m11, m22], -1)
    k = jnp.argmax(piv, axis=-1)

    def cand(t, a, b, c, d):
        # t = 4 * (component)^2 ; components from off-diagonals
        s = jnp.sqrt(jnp.maximum(t, 1e-30))
        return jnp.stack([a, b, c, d], -1) / (2.0 * s)[..., None]

    d21 = R[..., 2, 1] - R[..., 1, 2]
    d02 = R[..., 0, 2] - R[..., 2, 0]
    d10 = R[..., 1, 0] - R[..., 0, 1]
    s01 = R[..., 0, 1] + R[..., 1, 0]
    s02 = R[..., 0, 2] + R[..., 2, 0]
    s12 = R[..., 1, 2] + R[..., 2, 1]
    t0 = 1 + tr
    t1 = 1 + m00 - m11 - m22
    t2 = 1 - m00 + m11 - m22
    t3 = 1 - m00 - m11 + m22
    q0 = cand(t0, t0, d21, d02, d10)
    q1 = cand(t1, d21, t1, s01, s02)
    q2 = cand(t2, d02, s01, t2, s12)
    q3 = cand(t3, d10, s02, s12, t3)
    qs = jnp.stack([q0, q1, q2, q3], -2)
    q = jnp.take_along_axis(qs, k[..., None, None], axis=-2)[..., 0, :]
    q = q * jnp.where(q[..., :1] < 0, -1.0, 1.0)
    return q / jnp.linalg.norm(q, axis=-1, keepdims=True)


def log(R):
    """Logarithm map SO(3) -> so(3) as rotation vectors ``(..., 3)``, angle in [0, pi].

    Computed through the quaternion (``angle = 2 atan2(|v|, w)``), which is accurate
    near the identity and near angle pi. At exactly pi the axis sign is arbitrary.
    """
    q = matrix_to_quaternion(R)
    w = q[..., 0]
    v = q[..., 1:]
    s2 = _sq_norm(v)
    small = s2 < _SMALL ** 2
    s = jnp.sqrt(jnp.where(small, 1.0, s2))
    # angle/|v| = 2 atan2(s, w)/s ; for small s (then w ~ 1): 2/w (1 - s^2/(3 w^2))
    ws = jnp.where(small, 1.0, w)
    fac = jnp.where(small, 2.0 / ws * (1.0 - s2 / (3.0 * ws * ws)), 2.0 * jnp.arctan2(s, w) / s)
    return fac[..., None] * v


def rotation_angle(R):
    """Rotation angle in radians, in ``[0, pi]``, of ``(..., 3, 3)`` rotations."""
    q = matrix_to_quaternion(R)
    return 2.0 * jnp.arctan2(jnp.linalg.norm(q[..., 1:], axis=-1), q[..., 0])


def geodesic_distance(R1, R2):
    """Geodesic distance (radians, ``[0, pi]``) = angle of ``R1^T R2``."""
    return rotation_angle(jnp.swapaxes(R1, -1, -2) @ R2)


def axis_angle_to_matrix(axis, angle):
    """Rotation by ``angle`` radians about ``axis`` (``(..., 3)``, normalised here)."""
    axis = jnp.asarray(axis)
    axis = axis / jnp.linalg.norm(axis, axis=-1, keepdims=True)
    return exp(axis * jnp.asarray(angle)[..., None])


def matrix_to_axis_angle(R):
    """Rotation matrices -> ``(axis (..., 3), angle (...))``; angle in ``[0, pi]``.

    For the identity the axis is returned as ``(1, 0, 0)``.
    """
    v = log(R)
    th = jnp.linalg.norm(v, axis=-1)
    safe = th > 0
    axis = jnp.where(safe[..., None], v / jnp.where(safe, th, 1.0)[..., None],
                     jnp.array([1.0, 0.0, 0.0], dtype=v.dtype))
    return axis, th


def random_rotation(key, shape=(), dtype=None):
    """Haar-uniform random rotations of batch shape ``shape`` (from normalised 4-D normals)."""
    dtype = dtype or jnp.zeros(()).dtype
    q = jax.random.normal(key, tuple(shape) + (4,), dtype=dtype)
    return quaternion_to_matrix(q)


def project_to_so3(M):
    """Closest rotation (Frobenius norm) to ``(..., 3, 3)`` matrices ``M``, via the SVD."""
    U, _, Vt = jnp.linalg.svd(M)
    d = jnp.sign(jnp.linalg.det(U @ Vt))
    D = jnp.ones(M.shape[:-1], dtype=M.dtype).at[..., -1].set(d)
    return (U * D[..., None, :]) @ Vt


def chordal_mean(Rs, weights=None, axis=0):
    """Chordal L2 mean: projection of the arithmetic mean matrix onto SO(3).

    For a unimodal distribution concentrated around a rotation this estimates its mode.
    """
    Rs = jnp.moveaxis(jnp.asarray(Rs), axis, 0)
    if weights is None:
        M = jnp.mean(Rs, axis=0)
    else:
        w = jnp.asarray(weights)
        M = jnp.tensordot(w / jnp.sum(w), Rs, axes=1)
    return project_to_so3(M)


def tangent_gradient(f, R, *args):
    """Riemannian gradient of a scalar function ``f(R, *args)`` at a single rotation R.

    Returned in the space frame: ``f(exp(hat(t)) R) = f(R) + grad . t + O(t^2)``.
    Computed by automatic differentiation through :func:`exp`.
    """
    g = jax.grad(lambda t: f(exp(t) @ R, *args))
    return g(jnp.zeros(3, dtype=R.dtype))


def orthogonality_error(R):
    """Return ``(max |R^T R - I|, max |det R - 1|)`` over a batch of matrices."""
    R = jnp.asarray(R)
    eye = jnp.eye(3, dtype=R.dtype)
    e1 = jnp.max(jnp.abs(jnp.swapaxes(R, -1, -2) @ R - eye))
    e2 = jnp.max(jnp.abs(jnp.linalg.det(R) - 1.0))
    return e1, e2
