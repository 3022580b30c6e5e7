"""First- and second-order Lagrangian perturbation theory (1LPT / 2LPT) on the mesh.

Conventions (FastPM, Feng et al. 2016, MNRAS 463, 2273; same as JaxPM):

* particles start on the nodes of a Lagrangian grid, one per cell, at integer
  positions ``q`` in mesh-cell units (:func:`particle_grid`), laid out and sharded like
  a field with a trailing axis of 3: ``(nx, ny, nz, 3)``;
* positions ``x = q + dx`` in cells (not wrapped: painting and reading are periodic);
* momentum ``p = a^3 E(a) dx/da`` in cells (time in units of 1/H0), the canonical
  momentum of FastPM, so that dx/da = p / (a^3 E) and dp/da = 3/2 Omega_m F / (a^2 E);
* "force" ``F = -grad invlaplace delta`` in cells (see :mod:`cosmo.pm.kernels`), the
  quantity :func:`cosmo.pm.nbody.pm_forces` returns.

LPT (Buchert 1994; Bouchet et al. 1995; Scoccimarro 1998, MNRAS 299, 1097; Crocce,
Pueblas & Scoccimarro 2006, MNRAS 373, 369, eqs. 3-7): for the linear density
delta_L(q) at a = 1,

    dx = D1(a) psi1 + D2(a) psi2,
    psi1 = -grad phi1,   lap phi1 = delta_L,
    psi2 = +grad phi2,   lap phi2 = sum_{i<j} (phi1_ii phi1_jj - phi1_ij^2),

with D1 normalised to 1 at a = 1 and D2 the second-order growth of
:func:`cosmo.background.growth_factor_2` (negative, ~ -3/7 D1^2 in matter
domination: the same sign convention as Crocce et al. 2006).  Then

    p = G1(a) psi1 + G2(a) psi2,   G_i = a^3 E dD_i/da = a^2 E f_i D_i,
    F = D1 psi1 + (D2 - D1^2) psi2,

the force being the one that solves dp/da = 3/2 Omega_m F / (a^2 E) with the growth
equations (dG1/da = 3/2 Omega_m D1 / (a^2 E), dG2/da = 3/2 Omega_m (D2 - D1^2) /
(a^2 E), from :func:`cosmo.background.growth_table`).
"""

import jax.numpy as jnp

from .. import background as bg
from .. import distributed as dist
from .kernels import gradient_kernel, invlaplace_kernel

__all__ = ["particle_grid", "growth_coefficients", "lpt", "potential_gradient"]


def particle_grid(mesh_shape, mesh=None, dtype=None):
    """Lagrangian positions of one particle per cell: q[i, j, k] = (i, j, k) [cells].

    Shape ``(nx, ny, nz, 3)``, sharded like a field with a ``mesh``.
    """
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    axes = [jnp.arange(n, dtype=dtype) for n in mesh_shape]
    q = jnp.stack(jnp.meshgrid(*axes, indexing="ij"), axis=-1)
    return dist.shard(q, mesh) if mesh is not None else q


_COEFF_COLUMNS = (("D1", "dD1"), ("D2", "dD2"), ("Y1", "dY1"), ("Y2", "dY2"))


def growth_coefficients(cosmo, a, table=None):
    """Growth coefficients of the LPT modes at scale factor(s) ``a`` (any shape).

    Returns a dict with ``D1``, ``D2`` (growth factors, D1(1) = 1, D2 < 0, as
    :func:`cosmo.background.growth_factor` and :func:`~cosmo.background.growth_factor_2`)
    and ``G1``, ``G2`` (a^3 E dD_i/da = a^2 E f_i D_i: momentum per unit displacement
    mode; the ``Y`` columns of :func:`cosmo.background.growth_table`).  All four come
    from one cubic-Hermite interpolation of the growth table in ln a (the scheme of
    :mod:`cosmo.background`, done here for the four columns at once: one table lookup
    instead of sixteen, which keeps compile times down inside N-body loops).
    """
    table = bg.growth_table(cosmo) if table is None else table
    lna = jnp.log(jnp.asarray(a))
    xp = table["lna"]
    step = float(xp[1] - xp[0])
    i = jnp.clip(jnp.floor((lna - xp[0]) / step).astype(jnp.int32), 0, len(xp) - 2)
    t = ((lna - (xp[0] + i * step)) / step)[..., None]
    cols = jnp.stack([table[k] for k, _ in _COEFF_COLUMNS]
                     + [step * table[dk] for _, dk in _COEFF_COLUMNS], axis=-1)
    lo, hi = jnp.take(cols, i, axis=0), jnp.take(cols, i + 1, axis=0)
    m = len(_COEFF_COLUMNS)
    t2, t3 = t * t, t * t * t
    val = ((2 * t3 - 3 * t2 + 1) * lo[..., :m] + (t3 - 2 * t2 + t) * lo[..., m:]
           + (-2 * t3 + 3 * t2) * hi[..., :m] + (t3 - t2) * hi[..., m:])
    return dict(D1=val[..., 0], D2=val[..., 1], G1=val[..., 2], G2=val[..., 3])


def potential_gradient(pot_k, kvec, shape, mesh=None, order=0):
    """-grad of a potential given in Fourier space, on the mesh: (nx, ny, nz, 3) [cells].

    ``order`` selects the gradient kernel (0 exact, 1 fourth-order finite difference;
    :func:`cosmo.pm.kernels.gradient_kernel`).
    """
    return jnp.stack([dist.irfftn(-gradient_kernel(kvec, i, order) * pot_k, shape, mesh=mesh)
                      for i in range(3)], axis=-1)


def _second_order_source(phi_k, kvec, shape, mesh, order):
    """sum_{i<j} (phi_ii phi_jj - phi_ij^2) on the mesh, from phi in Fourier space."""
    def deriv(i, j):
        kern = gradient_kernel(kvec, i, order) * gradient_kernel(kvec, j, order)
        return dist.irfftn(kern * phi_k, shape, mesh=mesh)

    diag = [deriv(i, i) for i in range(3)]
    src = diag[0] * diag[1] + diag[0] * diag[2] + diag[1] * diag[2]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        src = src - deriv(i, j) ** 2
    return src


def lpt(cosmo, init_field, a, order=2, mesh=None, gradient_order=0, table=None):
    """LPT displacement, momentum and force on the Lagrangian grid at scale factor ``a``.

    Parameters
    ----------
    cosmo : Cosmology
    init_field : (nx, ny, nz) real array
        Linear density contrast at a = 1 (e.g. :func:`cosmo.pm.initial.linear_field`),
        sharded like a field when ``mesh`` is given.
    a : float (may be traced)
    order : 1 or 2
        1LPT (Zel'dovich) or 2LPT.
    gradient_order : int
        Gradient kernel for the displacement (0 exact spectral, the default; 1 the
        fourth-order finite difference PM forces use).
    table : optional :func:`cosmo.background.growth_table` of ``cosmo``.

    Returns ``(dx, p, f)``, each (nx, ny, nz, 3) in cells: displacement from the grid
    node, momentum p = a^3 E dx/da and force F (see the module docstring).  Positions
    are ``particle_grid(shape) + dx``.  Differentiable in ``cosmo`` and ``init_field``.
    """
    if order not in (1, 2):
        raise ValueError("LPT order must be 1 or 2, got %r" % (order,))
    shape = tuple(init_field.shape)
    kvec = dist.fftfreq_grid(shape, mesh=mesh, real=True)
    g = growth_coefficients(cosmo, a, table)
    phi1_k = dist.rfftn(init_field, mesh=mesh) * invlaplace_kernel(kvec)
    psi1 = potential_gradient(phi1_k, kvec, shape, mesh, gradient_order)
    dx = g["D1"] * psi1
    p = g["G1"] * psi1
    f = g["D1"] * psi1
    if order == 2:
        src = _second_order_source(phi1_k, kvec, shape, mesh, gradient_order)
        phi2_k = dist.rfftn(src, mesh=mesh) * invlaplace_kernel(kvec)
        psi2 = -potential_gradient(phi2_k, kvec, shape, mesh, gradient_order)
        dx = dx + g["D2"] * psi2
        p = p + g["G2"] * psi2
        f = f + (g["D2"] - g["D1"] ** 2) * psi2
    return dx, p, f
