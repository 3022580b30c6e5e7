"""Cloud-in-cell (CIC) mass assignment and interpolation on a periodic 3-D mesh.

Positions are in mesh-cell units: a particle at ``(x, y, z)`` with ``0 <= x < nx`` etc.
(any real value is wrapped periodically); cell ``i`` is centred on ``x = i`` (the field
value ``f[i]`` lives at the integer position ``i``), so a particle at an integer position
puts all its mass in one cell and :func:`cic_read` of a field at integer positions
returns the cell values.  The CIC kernel is the product over axes of the linear
(tent) weights ``1 - |x - i|`` for the two nearest cells.

Single device (``mesh=None``): positions have any leading shape ``(..., 3)``; painting is
one scatter-add and reading one gather.

Cost: the scatter-add and gather are over 8 cells per particle; sharded, each step
exchanges ``2 (halo + 1)`` planes per sharded axis with the two neighbours
(``ppermute``).

Sharded (``mesh`` from :func:`cosmo.distributed.make_mesh`): the field ``(nx, ny, nz)`` is
sharded ``P("x", "y", None)`` and ``positions`` is a particle grid ``(npx, npy, npz, 3)``
sharded the same way (``npx % px == 0``, ``npy % py == 0``), such that the particles held
by each device are those that started (in Lagrangian space) on that device's field block.
Each device paints into its block padded by ``halo + 1`` cells on each sharded side (the
extra cell holds the CIC kernel's second cell) and
:func:`cosmo.distributed.halo_reduce` adds the margins into the neighbours; reading
mirrors this with :func:`cosmo.distributed.halo_exchange`.  A particle of the device
whose block is ``[x0, x0 + bx)`` is handled exactly when
``x0 - halo <= x < x0 + bx + halo`` on each sharded axis (periodically, any image).
Particles that moved further from their block are **lost** (their out-of-range cells
are dropped when painting and read as 0).  Mesh axes
of size 1 need no halo and wrap locally.  Default ``halo`` (``None``): a quarter of the
smallest sharded local block size, at least 1 cell; ``halo + 1`` must not exceed the
local block size (``ValueError`` otherwise).
"""

import functools

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec as P

from .. import distributed as dist

__all__ = ["cic_paint", "cic_read", "compensate_cic", "default_halo"]


def _corners(pos, sizes, wrap):
    """CIC cells and weights of local positions ``pos`` (..., 3) on an array of ``sizes``.

    ``wrap[d]`` True wraps indices periodically on axis d; False marks out-of-range cells
    with index ``sizes[d]`` (dropped by scatter mode "drop", filled by gather mode "fill").
    Returns index arrays ``(ix, iy, iz)`` and weights, all broadcasting to
    ``(2, 2, 2) + pos.shape[:-1]`` (the 8 cells of each particle).
    """
    i0 = jnp.floor(pos)
    frac = pos - i0
    i0 = i0.astype(jnp.int32)
    idx, w = [], 1.0
    for d in range(3):
        i = jnp.stack([i0[..., d], i0[..., d] + 1])              # (2, ...)
        n = sizes[d]
        i = jnp.mod(i, n) if wrap[d] else jnp.where((i >= 0) & (i < n), i, n)
        wd = jnp.stack([1.0 - frac[..., d], frac[..., d]])
        shape = [1, 1, 1] + list(i.shape[1:])
        shape[d] = 2
        idx.append(i.reshape(shape))
        w = w * wd.reshape(shape)
    return tuple(idx), w


def _scatter(field, idx, vals):
    return field.at[idx].add(vals.astype(field.dtype), mode="drop")


def _gather(field, idx):
    return field.at[idx].get(mode="fill", fill_value=0)


def default_halo(shape, mesh):
    """Default halo (cells) for a field of ``shape`` on ``mesh``: a quarter of the smallest
    local block size over the sharded mesh axes, at least 1 and at most block - 1 (0 when
    nothing is sharded)."""
    blocks = [n // p for n, p in zip(shape[:2], dist.mesh_layout(mesh)) if p > 1]
    if not blocks:
        return 0
    return min(max(1, min(blocks) // 4), min(blocks) - 1)


def _check_inputs(field, positions, mesh):
    if jnp.ndim(field) != 3:
        raise ValueError("field must be 3-D (nx, ny, nz), got shape %s" % (jnp.shape(field),))
    if jnp.shape(positions)[-1:] != (3,):
        raise ValueError("positions must have a last axis of length 3, got shape %s"
                         % (jnp.shape(positions),))
    if mesh is not None:
        if jnp.ndim(positions) != 4:
            raise ValueError("sharded painting needs a particle grid (npx, npy, npz, 3), got "
                             "shape %s" % (jnp.shape(positions),))
        dist._check_divisible(jnp.shape(field), mesh, "field")
        dist._check_divisible(jnp.shape(positions), mesh, "particle grid")


def _local_frame(field_shape, mesh, halo):
    """Per-axis (halo, wrap) for the sharded path, and a function mapping global positions
    of a device's particles to coordinates in its padded block."""
    layout = dist.mesh_layout(mesh)
    if halo is None:
        halo = default_halo(field_shape, mesh)
    n = field_shape
    blocks = [n[0] // layout[0], n[1] // layout[1]]
    # padding = halo + 1 cell (the CIC kernel's second cell) on sharded axes; size-1 mesh
    # axes hold the whole axis: no padding, local periodic wrap
    hs = []
    for ax, (h, b, p) in enumerate(zip(dist._halo_pair(halo), blocks, layout)):
        if p > 1:
            if h < 0 or h + 1 > b:
                raise ValueError(
                    "halo %d on axis %d: halo + 1 (the CIC kernel's extra cell) must not "
                    "exceed the local block size %d; use a smaller halo or fewer devices on "
                    "mesh axis %r" % (h, ax, b, dist.AXES[ax]))
            hs.append(h + 1)
        else:
            hs.append(0)
    hs = tuple(hs)
    wrap = (layout[0] == 1, layout[1] == 1, True)
    sizes = (blocks[0] + 2 * hs[0], blocks[1] + 2 * hs[1], n[2])

    def to_local(pos):
        cols = []
        for d in range(2):
            if layout[d] == 1:
                cols.append(pos[..., d])
            else:
                x0 = jax.lax.axis_index(dist.AXES[d]) * blocks[d]
                cols.append(jnp.mod(pos[..., d] - x0 + hs[d], n[d]))
        cols.append(pos[..., 2])
        return jnp.stack(cols, axis=-1)

    return hs, wrap, sizes, to_local


def _static_halo(halo):
    return halo if halo is None or np.ndim(halo) == 0 else tuple(int(h) for h in halo)


def cic_paint(field, positions, weight=None, mesh=None, halo=None):
    """Add the CIC-assigned mass of particles to ``field`` and return it.

    Parameters
    ----------
    field : (nx, ny, nz) real array (mass per cell, any units) to add to.
    positions : (..., 3) particle positions in cell units (periodic, see module doc);
        with a ``mesh``, a particle grid (npx, npy, npz, 3) sharded like the field.
    weight : mass of each particle, shape ``positions.shape[:-1]`` or scalar (default 1).
    mesh : ``None`` (one device) or a mesh from :func:`cosmo.distributed.make_mesh`.
    halo : int or (hx, hy): how far (cells) a particle may lie outside its device's block
        (sharded only; see module doc: particles further away are lost).

    Total mass is conserved for every particle that is not lost.  Differentiable in
    ``field``, ``positions`` and ``weight``.  Jitted (``mesh``, ``halo`` static).
    """
    return _cic_paint(field, positions, weight, mesh, _static_halo(halo))


@functools.partial(jax.jit, static_argnums=(3, 4))
def _cic_paint(field, positions, weight, mesh, halo):
    field, positions = jnp.asarray(field), jnp.asarray(positions)
    _check_inputs(field, positions, mesh)
    if weight is None:
        weight = jnp.ones((), dtype=field.dtype)
    weight = jnp.broadcast_to(jnp.asarray(weight), jnp.shape(positions)[:-1])
    if mesh is None:
        idx, w = _corners(positions, field.shape, (True, True, True))
        return _scatter(field, idx, w * weight)
    hs, wrap, sizes, to_local = _local_frame(field.shape, mesh, halo)

    def local(fblk, pblk, wblk):
        idx, w = _corners(to_local(pblk), sizes, wrap)
        padded = _scatter(jnp.zeros(sizes, fblk.dtype), idx, w * wblk)
        return fblk + dist.halo_reduce(padded, hs)

    return dist.shard_map(local, mesh, (P(*dist.AXES, None), P(*dist.AXES, None, None),
                                        P(*dist.AXES, None)),
                          P(*dist.AXES, None))(field, positions, weight)


def cic_read(field, positions, mesh=None, halo=None):
    """CIC interpolation of ``field`` (nx, ny, nz) at ``positions`` (..., 3) in cell units;
    returns values of shape ``positions.shape[:-1]`` (the adjoint of :func:`cic_paint`
    with respect to the particle weights).  ``mesh`` and ``halo`` as for
    :func:`cic_paint`; lost particles read 0 (or a partial sum).  Differentiable in
    ``field`` and ``positions``.  Jitted (``mesh``, ``halo`` static)."""
    return _cic_read(field, positions, mesh, _static_halo(halo))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _cic_read(field, positions, mesh, halo):
    field, positions = jnp.asarray(field), jnp.asarray(positions)
    _check_inputs(field, positions, mesh)
    if mesh is None:
        idx, w = _corners(positions, field.shape, (True, True, True))
        return jnp.sum(_gather(field, idx) * w, axis=(0, 1, 2))
    hs, wrap, sizes, to_local = _local_frame(field.shape, mesh, halo)

    def local(fblk, pblk):
        idx, w = _corners(to_local(pblk), sizes, wrap)
        padded = dist.halo_exchange(fblk, hs)
        return jnp.sum(_gather(padded, idx) * w, axis=(0, 1, 2))

    return dist.shard_map(local, mesh, (P(*dist.AXES, None), P(*dist.AXES, None, None)),
                          P(*dist.AXES, None))(field, positions)


def compensate_cic(kfield, kvec):
    """Divide a Fourier-space field by the CIC assignment window
    ``W(k) = prod_i sinc^2(k_i / 2)`` (``sinc(x) = sin x / x``), with ``kvec = (kx, ky, kz)``
    broadcastable wavenumbers in radians per cell (as from
    :func:`cosmo.distributed.fftfreq_grid`).  Apply once to deconvolve painting, twice to
    deconvolve paint + read."""
    w = 1.0
    for k in kvec:
        w = w * jnp.sinc(k / (2 * jnp.pi)) ** 2
    return kfield / w
