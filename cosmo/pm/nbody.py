"""Particle-mesh forces and kick-drift-kick time integration (FastPM factors).

Units and layout are those of :mod:`cosmo.pm.lpt`: positions ``x`` and momenta
``p = a^3 E dx/da`` in mesh-cell units on a particle grid ``(nx, ny, nz, 3)`` (sharded
like a field on a device mesh), time in units of 1/H0, and the equations of motion

    dx/da = p / (a^3 E),     dp/da = 3/2 Omega_m F(x) / (a^2 E),

with F = -grad invlaplace delta the PM force of the CIC density contrast delta
(:func:`pm_forces`).

Time stepping (Feng et al. 2016, MNRAS 463, 2273, "FastPM", section 2.3 and appendix):
a kick-drift-kick leapfrog on a grid of scale factors a_0 < ... < a_n.  For the step
a_i -> a_{i+1} with midpoint a_c = (a_i + a_{i+1}) / 2,

    p <- p + 3/2 Omega_m F(x, a_i)     [G1(a_c) - G1(a_i)]     / G_f(a_i)
    x <- x + p                         [D1(a_{i+1}) - D1(a_i)] / G1(a_c)
    p <- p + 3/2 Omega_m F(x, a_{i+1}) [G1(a_{i+1}) - G1(a_c)] / G_f(a_{i+1})

with D1 the linear growth factor, G1 = a^3 E dD1/da and G_f = a^2 E dG1/da =
3/2 Omega_m D1 (the growth equation, radiation included in E).  Instead of the
integrals int da / (a^3 E) and int da / (a^2 E) of the standard leapfrog, these factors
are exact for the linear growing mode: in the linear regime (F = D1 psi, p = G1 psi,
x = q + D1 psi) every kick and drift is exact whatever the step size, so a few steps
reproduce linear growth (and 1LPT) on large scales.  The loop is a ``lax.scan`` (the
compile time does not grow with the number of steps); each step is rematerialised
under reverse-mode differentiation (``checkpoint=True``) so that gradient memory is
a few particle arrays per step.
"""

from typing import NamedTuple, Any

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

from .. import background as bg
from .. import distributed as dist
from .kernels import gradient_kernel, invlaplace_kernel, longrange_kernel, wavenumber_norm
from .painting import cic_read
from .lpt import lpt, particle_grid, growth_coefficients
from .initial import linear_field
from .statistics import density_contrast

__all__ = ["pm_forces", "step_grid", "fastpm_factors", "nbody", "simulate",
           "SimulationResult"]


def pm_forces(positions, mesh_shape, mesh=None, force_filter=None, a=None,
              gradient_order=1, r_split=0.0, halo=None):
    """PM force F = -grad invlaplace delta at the particle positions [cells].

    Parameters
    ----------
    positions : (..., 3) array
        Particle positions in mesh-cell units (with a ``mesh``: a particle grid
        (npx, npy, npz, 3) sharded like a field).  The particles have equal mass and
        their mean number per cell sets the mean density.
    mesh_shape : 3 ints
        The force mesh.
    force_filter : callable ``(a, kk) -> array``, optional
        Multiplies the Fourier-space potential; ``kk`` is |k| in **radians per cell**
        (multiply by n / box_size for h/Mpc), broadcastable to the real-FFT layout of the
        mesh, and ``a`` the scale factor passed here.  E.g. ``1 + f_theta(a, kk)`` for a
        learned correction (Lanzieri et al. 2023).
    gradient_order : 0 (exact i k) or 1 (fourth-order finite difference, default).
    r_split : float
        Gaussian long-range smoothing scale in cells (0: none).
    halo : painting halo for sharded runs (see :mod:`cosmo.pm.painting`).

    Returns forces of shape ``positions.shape``: CIC painting, the Fourier-space
    potential, three gradient fields and CIC reading (the same kernel for painting and
    reading, so with the antisymmetric finite-difference gradient the total force
    vanishes to rounding: momentum is conserved).  Multiply by 3/2 Omega_m for the
    acceleration dp/dt.
    """
    mesh_shape = tuple(int(n) for n in mesh_shape)
    delta = density_contrast(positions, mesh_shape, mesh=mesh, halo=halo)
    kvec = dist.fftfreq_grid(mesh_shape, mesh=mesh, real=True)
    pot_k = dist.rfftn(delta, mesh=mesh) * invlaplace_kernel(kvec)
    if r_split:
        pot_k = pot_k * longrange_kernel(kvec, r_split)
    if force_filter is not None:
        pot_k = pot_k * force_filter(a, wavenumber_norm(kvec))
    grads = jnp.stack([dist.irfftn(-gradient_kernel(kvec, i, gradient_order) * pot_k,
                                   mesh_shape, mesh=mesh) for i in range(3)], axis=-1)
    # one batched read of the three components (one gather: much cheaper to compile
    # than three, and the same arithmetic)
    return jax.vmap(lambda g: cic_read(g, positions, mesh=mesh, halo=halo),
                    in_axes=-1, out_axes=-1)(grads)


def step_grid(a_init, a_final, n_steps, save_at=None):
    """The static grid of scale factors of a run, and the snapshot slot of each node.

    ``n_steps``: number of steps linear in a from ``a_init`` to ``a_final``, or a 1-D
    array of scale factors (increasing; then ``a_init``/``a_final`` are ignored).  The
    ``save_at`` scale factors are inserted as extra nodes (so snapshots are exact step
    boundaries, not interpolations).  Returns ``(grid, slots)`` with ``slots[i]`` the
    index into ``save_at`` of node ``i`` or ``len(save_at)`` when node i is not saved.
    """
    if np.ndim(n_steps) == 0:
        grid = np.linspace(float(a_init), float(a_final), int(n_steps) + 1)
    else:
        grid = np.asarray(n_steps, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
        raise ValueError("the scale-factor grid must be increasing with >= 2 nodes")
    save = np.atleast_1d(np.asarray([] if save_at is None else save_at, dtype=float))
    if save.size and (save.min() < grid[0] - 1e-12 or save.max() > grid[-1] + 1e-12):
        raise ValueError("save_at scale factors %s outside [%g, %g]"
                         % (save, grid[0], grid[-1]))
    merged = np.sort(np.concatenate([grid, save]))
    keep = np.concatenate([[True], np.diff(merged) > 1e-9 * merged[1:]])
    merged = merged[keep]
    slots = np.full(merged.size, save.size, dtype=np.int32)
    for j, s in enumerate(save):
        slots[np.argmin(np.abs(merged - s))] = j
    return merged, slots


def fastpm_factors(cosmo, grid, table=None):
    """FastPM kick and drift factors for the steps of ``grid`` (see module docstring).

    Returns ``(kick1, drift, kick2)``, arrays of length ``len(grid) - 1``: the first
    half kick multiplies F(a_i), the drift multiplies p, the second half kick
    multiplies F(a_{i+1}) (the 3/2 Omega_m of the force cancels against
    G_f = 3/2 Omega_m D1).
    """
    grid = jnp.asarray(grid)
    n = grid.shape[0] - 1
    ai, af = grid[:-1], grid[1:]
    g = growth_coefficients(cosmo, jnp.concatenate([ai, 0.5 * (ai + af), af]), table)
    gi, gc, gf = ({k: v[j * n:(j + 1) * n] for k, v in g.items()} for j in range(3))
    kick1 = (gc["G1"] - gi["G1"]) / gi["D1"]
    drift = (gf["D1"] - gi["D1"]) / gc["G1"]
    kick2 = (gf["G1"] - gc["G1"]) / gf["D1"]
    return kick1, drift, kick2


def _force_mesh(part_shape, force_mesh_shape):
    """The force mesh: the particle grid's shape or an integer multiple of it (the same
    factor on every axis, so that cells stay cubic)."""
    if force_mesh_shape is None:
        return tuple(part_shape)
    mesh_shape = tuple(int(n) for n in force_mesh_shape)
    ratios = {m / n for m, n in zip(mesh_shape, part_shape)}
    if len(ratios) != 1 or not float(next(iter(ratios))).is_integer():
        raise ValueError("force_mesh_shape %s must be the same integer multiple of the "
                         "particle grid %s on every axis" % (mesh_shape, part_shape))
    return mesh_shape


def _is_field(initial):
    return not isinstance(initial, (tuple, list)) and jnp.ndim(initial) == 3


def nbody(cosmo, initial, a_init=0.1, a_final=1.0, n_steps=10, mesh=None,
          force_filter=None, save_at=None, order=2, force_mesh_shape=None,
          gradient_order=1, r_split=0.0, halo=None, checkpoint=True, progress=False):
    """PM N-body run with the FastPM kick-drift-kick scheme.

    Parameters
    ----------
    cosmo : Cosmology
    initial : (nx, ny, nz) real field or (positions, momenta)
        The linear density contrast at a = 1 (particles are then placed by LPT of
        ``order`` at ``a_init``, one per cell, and the force mesh is the field's), or
        particle positions and momenta at ``a_init`` in cells (the force mesh then has
        the particle grid's shape, ``positions.shape[:3]``).
    a_init, a_final : float (static)
    n_steps : int or 1-D array of scale factors (static; see :func:`step_grid`).
    mesh : device mesh or None.
    force_filter : optional ``(a, kk) -> array`` multiplying the potential
        (:func:`pm_forces`; ``kk`` in radians per cell).
    save_at : optional static array of scale factors; snapshots of the positions at
        those a (inserted as step boundaries) are returned, shape (n_save, nx, ny, nz, 3).
    order : LPT order for a field ``initial`` (1 or 2).
    force_mesh_shape : 3 ints, optional
        A force mesh B times finer than the particle grid on every axis (FastPM's
        "boost" B; B = 2 is FastPM's usual choice).  Positions and momenta are then in
        cells of the force mesh (the Lagrangian grid has spacing B).  Default: the
        particle grid itself (B = 1).
    gradient_order, r_split, halo : passed to :func:`pm_forces`.
    checkpoint : rematerialise each step under reverse-mode AD (less memory).
    progress : print the scale factor after each step (``jax.debug.print``).

    Cells are assumed cubic (box side / cells equal on every axis).

    Returns ``(positions, momenta)`` at ``a_final`` (cells of the force mesh; not
    wrapped into the box),
    plus the snapshots when ``save_at`` is given.  Differentiable in ``cosmo``, the
    initial field or particles, and the parameters closed over by ``force_filter``.
    """
    grid, slots = step_grid(a_init, a_final, n_steps, save_at)
    table = bg.growth_table(cosmo)
    if _is_field(initial):
        part_shape = tuple(initial.shape)
        mesh_shape = _force_mesh(part_shape, force_mesh_shape)
        dx, p, _ = lpt(cosmo, initial, float(grid[0]), order=order, mesh=mesh, table=table)
        x = particle_grid(part_shape, mesh=mesh, dtype=dx.dtype) + dx
        boost = mesh_shape[0] // part_shape[0]
        if boost != 1:
            x, p = x * boost, p * boost
    else:
        x, p = initial
        mesh_shape = _force_mesh(tuple(x.shape[:3]), force_mesh_shape)

    def force(x, a):
        return pm_forces(x, mesh_shape, mesh=mesh, force_filter=force_filter, a=a,
                         gradient_order=gradient_order, r_split=r_split, halo=halo)

    kick1, drift, kick2 = fastpm_factors(cosmo, grid, table)
    n_save = 0 if save_at is None else int(np.size(save_at))
    buf = None
    if n_save:
        buf = jnp.zeros((n_save + 1,) + x.shape, x.dtype)
        if mesh is not None:
            buf = jax.lax.with_sharding_constraint(
                buf, NamedSharding(mesh, P(None, *dist.AXES)))
        buf = buf.at[slots[0]].set(x)

    def step(carry, xs):
        x, p, f, buf = carry
        k1, d, k2, a_next, slot = xs
        p = p + k1 * f
        x = x + d * p
        f = force(x, a_next)
        p = p + k2 * f
        if buf is not None:
            buf = jax.lax.dynamic_update_index_in_dim(buf, x, slot, 0)
        if progress:
            jax.debug.print("nbody: a = {a:.4f}", a=a_next)
        return (x, p, f, buf), None

    if checkpoint:
        step = jax.checkpoint(step)
    xs = (kick1, drift, kick2, jnp.asarray(grid[1:]), jnp.asarray(slots[1:]))
    carry = (x, p, force(x, jnp.asarray(grid[0])), buf)
    (x, p, _, buf), _ = jax.lax.scan(step, carry, xs)
    if n_save:
        return x, p, buf[:n_save]
    return x, p


class SimulationResult(NamedTuple):
    """Output of :func:`simulate` (a pytree).

    positions, momenta : (nx, ny, nz, 3) at a_final [cells]
    density : (nx, ny, nz) CIC density contrast of the final positions
    linear : (nx, ny, nz) linear density contrast at a = 1 (the initial field)
    snapshots : (n_save, nx, ny, nz, 3) positions at ``save_at``, or None
    """
    positions: Any
    momenta: Any
    density: Any
    linear: Any
    snapshots: Any = None


def simulate(cosmo, key_or_noise, mesh_shape, box_size, a_init=0.1, a_final=1.0,
             n_steps=10, order=2, mesh=None, force_filter=None, save_at=None, halo=None,
             force_mesh_shape=None, **nbody_kwargs):
    """Initial conditions, LPT and PM in one call.

    ``key_or_noise``: PRNG key or unit white noise (nx, ny, nz) (the latent field);
    ``mesh_shape``: the initial-condition mesh and particle grid (one particle per
    cell); ``box_size`` in Mpc/h (cubic cells); other arguments as for :func:`nbody`
    and :func:`cosmo.pm.initial.linear_field`.  The final density is painted on the
    force mesh (``force_mesh_shape``, default ``mesh_shape``).  Returns a
    :class:`SimulationResult`.
    """
    lin = linear_field(key_or_noise, mesh_shape, box_size, cosmo, mesh=mesh)
    out = nbody(cosmo, lin, a_init, a_final, n_steps, mesh=mesh, force_filter=force_filter,
                save_at=save_at, order=order, halo=halo, force_mesh_shape=force_mesh_shape,
                **nbody_kwargs)
    x, p = out[0], out[1]
    snaps = out[2] if save_at is not None else None
    rho = density_contrast(x, _force_mesh(tuple(mesh_shape), force_mesh_shape), mesh=mesh,
                           halo=halo)
    return SimulationResult(x, p, rho, lin, snaps)
