"""Born-approximation weak-lensing convergence from particle light cones.

Density planes
--------------
A PM snapshot is a set of particle positions in mesh-cell units of a periodic box of
``box_shape`` cells (side ``box_size`` [Mpc] per axis).  :func:`density_plane` selects
the particles whose line-of-sight (LOS) coordinate lies in the slab
[center - width/2, center + width/2) (periodically), paints them with a 2-D
cloud-in-cell kernel onto a periodic ``plane_resolution`` grid spanning the transverse
box, and returns the slab-averaged density contrast

    delta_2d(x) = n_pix(x) / nbar_pix - 1,    nbar_pix = nbar * width * A_pix,

where nbar is the mean particle number per cell of the whole box (not of the slab, so
that the slab's own mean over- or under-density is kept) and A_pix the pixel area in
cells^2.  delta_2d * width_phys is then the LOS integral of delta through the slab.

Light cone (plane-parallel, flat sky)
-------------------------------------
:func:`plane_geometry` cuts the comoving distance range [0, chi_max] into shells of equal
width; shell ``i`` is centred on chi_i and the PM run should save a snapshot at
a_i = a(chi_i).  :func:`lightcone_planes` places the box along the LOS axis and
replicates it periodically: shell i takes the slab of snapshot i centred on chi_i mod L,
with L the LOS side of the box.  Each box replica ``r = floor(chi_i / L)`` can be given
an independent random transform (a whole-cell translation of all three coordinates
and a flip / swap of the transverse axes, all exact symmetries of the periodic box),
shared by the
planes of that replica, to break the repetition of structures along the LOS.  The
transverse box is also periodic, so an angular field wider than L_perp / chi would see
repeated structures; keep field_rad * chi_max <= L_perp for independent modes.

Born convergence
----------------
:func:`convergence_born` evaluates, on angular positions theta [rad] (flat sky, small
angles), the Born-approximation convergence (e.g. Bartelmann & Schneider 2001, eq.
6.12; Schneider, Kochanek & Wambsganss 2006, Part 3 eq. 27)

    kappa(theta) = sum_i W(chi_i) delta_2d,i(theta chi_i) dchi_i,

    W(chi) = 3/2 Omega_m (H0/c)^2 chi / a(chi) * int dz' n(z') max(0, 1 - chi/chi(z')),

which for a single source plane reduces to 3/2 Omega_m (H0/c)^2 chi (chi_s - chi) /
(chi_s a).  The tomographic efficiency is the same integral over n(z) as the Limber
kernel of :func:`cosmo.angular_cl.lensing_kernels`.  Planes are read at the physical
transverse position x = theta chi_i + L_perp / 2 (theta = 0 is the centre of the box)
by periodic bilinear interpolation, so kappa is differentiable in the particle
positions, the planes and the cosmology.

Units: comoving distances in Mpc (as :mod:`cosmo.background`); a PM box given in Mpc/h
must be converted (L [Mpc] = L [Mpc/h] / h) before it is passed here.
"""

from functools import partial

import numpy as np
import jax
import jax.numpy as jnp

from . import background as bg

__all__ = ["density_plane", "plane_geometry", "lightcone_planes", "lensing_efficiency",
           "convergence_born", "angular_grid", "paint_2d", "read_2d"]


# ---------------------------------------------------------------------------------
# 2-D cloud-in-cell painting and bilinear reading (periodic)
# ---------------------------------------------------------------------------------
def _cic_corners(pos):
    """Integer corner cells and weights of the 2-D CIC kernel (cell centres at integers)."""
    i0 = jnp.floor(pos)
    f = pos - i0
    i0 = i0.astype(jnp.int32)
    out = []
    for dx in (0, 1):
        for dy in (0, 1):
            wx = f[..., 0] if dx else 1.0 - f[..., 0]
            wy = f[..., 1] if dy else 1.0 - f[..., 1]
            out.append((i0[..., 0] + dx, i0[..., 1] + dy, wx * wy))
    return out


def paint_2d(pos, shape, weight=None):
    """Cloud-in-cell paint of points onto a periodic 2-D grid.

    Parameters
    ----------
    pos : array (N, 2)
        Positions in pixel units (pixel ``j`` is centred on coordinate ``j``).
    shape : (int, int)
        Grid shape (static).
    weight : array (N,), optional
        Per-point weight (default 1).

    Returns
    -------
    grid : array ``shape``; its sum equals the sum of the weights (mass conservation).
    """
    pos = jnp.asarray(pos)
    w = jnp.ones(pos.shape[0], pos.dtype) if weight is None else jnp.asarray(weight)
    grid = jnp.zeros(shape, pos.dtype)
    for ix, iy, ww in _cic_corners(pos):
        grid = grid.at[ix % shape[0], iy % shape[1]].add(w * ww)
    return grid


def read_2d(grid, pos):
    """Periodic bilinear interpolation of ``grid`` at ``pos`` (..., 2) in pixel units
    (the adjoint of :func:`paint_2d`)."""
    pos = jnp.asarray(pos)
    nx, ny = grid.shape
    return sum(grid[ix % nx, iy % ny] * ww for ix, iy, ww in _cic_corners(pos))


# ---------------------------------------------------------------------------------
# Density planes
# ---------------------------------------------------------------------------------
def _transverse_axes(los_axis):
    return tuple(i for i in range(3) if i != los_axis)


def density_plane(positions, box_shape, center, width, plane_resolution, los_axis=2,
                  weight=None, nbar=None):
    """Slab-averaged density contrast of the particles in one LOS slab.

    Parameters
    ----------
    positions : array (N, 3) or (..., 3)
        Particle positions in mesh-cell units of the periodic box (e.g. a PM particle
        grid (nx, ny, nz, 3)).
    box_shape : (int, int, int)
        Box size in cells along each axis (static).
    center, width : float
        Slab centre and width along ``los_axis`` [cells]; the slab
        [center - width/2, center + width/2) is taken periodically.
    plane_resolution : int or (int, int)
        Pixels of the output grid along the two transverse axes (static); the grid
        spans the whole transverse box, pixel ``j`` centred at ``j * n_cells / res``.
    los_axis : int
        Line-of-sight axis (default 2).
    weight : array (N,) or positions.shape[:-1], optional
        Particle weights (default 1).
    nbar : float, optional
        Mean (weighted) particle number per cell of the box; default
        ``N / prod(box_shape)`` (sum of weights if given).

    Returns
    -------
    delta : array (res_x, res_y)
        delta_2d = n_pix / (nbar width A_pix) - 1 (dimensionless), with A_pix the pixel
        area in cells^2.  Multiplied by the physical slab width it is the LOS integral
        of the density contrast through the slab.  Differentiable in the transverse
        positions (slab membership is a step function of the LOS coordinate).
    """
    res = (int(plane_resolution),) * 2 if np.ndim(plane_resolution) == 0 else \
        tuple(int(r) for r in plane_resolution)
    positions = jnp.asarray(positions).reshape(-1, 3)
    w = jnp.ones(positions.shape[0], positions.dtype) if weight is None else \
        jnp.asarray(weight).reshape(-1)
    if nbar is None:
        nbar = jnp.sum(w) / float(np.prod(box_shape))
    return _density_plane(positions, center, width, w, nbar,
                          tuple(int(n) for n in box_shape), res, int(los_axis))


@partial(jax.jit, static_argnums=(5, 6, 7))
def _density_plane(positions, center, width, w, nbar, box_shape, res, los_axis):
    t0, t1 = _transverse_axes(los_axis)
    n_los = box_shape[los_axis]
    d = jnp.mod(positions[:, los_axis] - center + 0.5 * n_los, n_los) - 0.5 * n_los
    inside = (d >= -0.5 * width) & (d < 0.5 * width)
    scale = jnp.asarray([res[0] / box_shape[t0], res[1] / box_shape[t1]], positions.dtype)
    pos2 = positions[:, (t0, t1)] * scale
    counts = paint_2d(pos2, res, jnp.where(inside, w, 0.0))
    a_pix = (box_shape[t0] / res[0]) * (box_shape[t1] / res[1])
    return counts / (nbar * width * a_pix) - 1.0


def plane_geometry(cosmo, chi_max, plane_width):
    """Equal-width comoving shells from the observer to ``chi_max``.

    Parameters
    ----------
    cosmo : Cosmology
    chi_max : float
        Largest comoving distance to cover [Mpc] (static; rounded up to whole shells).
    plane_width : float
        Shell width [Mpc] (static; choose L_los / k so that shells tile the box).

    Returns
    -------
    chi : ndarray (n_planes,)
        Shell centres [Mpc], nearest first.
    a : array (n_planes,)
        Scale factors a(chi) at the centres: the snapshot times of the PM run
        (decreasing with i; :func:`cosmo.pm.nbody.nbody` accepts ``save_at`` in any
        order and returns the snapshots in that order).
    """
    n = int(np.ceil(float(chi_max) / float(plane_width) - 1e-9))
    chi = (np.arange(n) + 0.5) * float(plane_width)
    return chi, _a_of_chi(cosmo, jnp.asarray(chi))


def _replica_transform(key, replica, box_shape, los_axis):
    """Random periodic shift (cells) and transverse flip/swap for one box replica."""
    k = jax.random.fold_in(key, replica)
    k1, k2, k3 = jax.random.split(k, 3)
    # whole-cell shifts keep a particle lattice on the plane grid (exact symmetry)
    shift = jnp.floor(jax.random.uniform(k1, (3,)) * jnp.asarray(box_shape, float))
    flips = jax.random.bernoulli(k2, 0.5, (2,))
    t0, t1 = _transverse_axes(los_axis)
    swap = jax.random.bernoulli(k3, 0.5) & (box_shape[t0] == box_shape[t1])
    return shift, flips, swap


def _apply_transform(positions, box_shape, los_axis, shift, flips, swap):
    t0, t1 = _transverse_axes(los_axis)
    n = jnp.asarray(box_shape, positions.dtype)
    p = jnp.mod(positions + shift.astype(positions.dtype), n)
    a = jnp.where(flips[0], n[t0] - p[:, t0], p[:, t0])
    b = jnp.where(flips[1], n[t1] - p[:, t1], p[:, t1])
    a, b = jnp.where(swap, b, a), jnp.where(swap, a, b)
    return p.at[:, t0].set(a).at[:, t1].set(b)


def lightcone_planes(snapshots, box_shape, box_size, plane_distances, plane_width,
                     plane_resolution, los_axis=2, key=None, nbar=None, weights=None):
    """Density planes of a replicated-box light cone.

    Parameters
    ----------
    snapshots : array (n_planes, N, 3) or (n_planes, nx, ny, nz, 3)
        Particle positions [cells] of the PM run at the scale factor of each plane
        (``plane_geometry``'s ``a``), in the same order as ``plane_distances`` (the
        ``save_at`` snapshots of :func:`cosmo.pm.nbody.nbody` as they come).
    box_shape : (int, int, int)
        Mesh shape of the PM box (static).
    box_size : float or (float, float, float)
        Box side(s) [Mpc] (static).
    plane_distances : array (n_planes,)
        Comoving distances of the plane centres [Mpc] (static numpy values).
    plane_width : float
        Shell width [Mpc] (static).
    plane_resolution : int
        Pixels per transverse side of each plane (static).
    los_axis : int
        Box axis used as the line of sight.
    key : jax PRNG key, optional
        If given, each box replica floor(chi_i / L_los) gets an independent random
        whole-cell translation and transverse flip/swap (see module docstring); planes
        of the same replica share it.  None: the plain periodic box.
    nbar : float, optional
        Mean particle number (or weight) per cell (default N / prod(box_shape)).
    weights : array (n_planes, N), optional
        Per-plane particle weights (default 1), in the order of the flattened
        particles.

    Returns
    -------
    planes : array (n_planes, res, res)
        Slab-averaged density contrasts (see :func:`density_plane`); pixel j of a plane
        is centred at transverse position j * L_perp / res [Mpc].
    """
    box_shape = tuple(int(n) for n in box_shape)
    box_size = np.broadcast_to(np.asarray(box_size, float), (3,))
    cell_los = box_size[los_axis] / box_shape[los_axis]
    chi = np.asarray(plane_distances, float)
    centers = jnp.asarray(np.mod(chi / cell_los, box_shape[los_axis]))
    width = float(plane_width) / cell_los
    replicas = jnp.asarray(np.floor(chi / box_size[los_axis]).astype(np.int32))
    snapshots = jnp.asarray(snapshots)
    snapshots = snapshots.reshape(snapshots.shape[0], -1, 3)
    if nbar is None:
        nbar = snapshots.shape[1] / float(np.prod(box_shape))
    if weights is None:
        weights = jnp.ones(snapshots.shape[:2], snapshots.dtype)
    res = int(plane_resolution)
    return _lightcone_planes(snapshots, centers, replicas, jnp.asarray(weights), nbar,
                             width, key, box_shape, res, int(los_axis))


@partial(jax.jit, static_argnums=(7, 8, 9))
def _lightcone_planes(snapshots, centers, replicas, weights, nbar, width, key, box_shape,
                      res, los_axis):
    def one(pos, center, replica, w):
        if key is not None:
            pos = _apply_transform(pos, box_shape, los_axis,
                                   *_replica_transform(key, replica, box_shape, los_axis))
        return _density_plane(pos, center, width, w, nbar, box_shape, (res, res), los_axis)

    return jax.vmap(one)(snapshots, centers, replicas, weights)


# ---------------------------------------------------------------------------------
# Born convergence
# ---------------------------------------------------------------------------------
def lensing_efficiency(cosmo, chi, a=None, nz=None, z_source=None):
    """Lensing efficiency W(chi) [1/Mpc] for tomographic bins or source planes.

    W(chi) = 3/2 Omega_m (H0/c)^2 chi / a(chi) q(chi) with
    q = int dz' n(z') max(0, 1 - chi / chi(z')) (``nz``: a
    :class:`~cosmo.redshift.TomographicBins`, midpoint rule on its grid, the same sum as
    :func:`cosmo.angular_cl.lensing_kernels`) or q = max(0, 1 - chi / chi(z_s)) for
    each source redshift in ``z_source``.

    Parameters
    ----------
    chi : array (n,)
        Comoving distances [Mpc].
    a : array (n,), optional
        Scale factors at ``chi`` (default a_of_chi(chi)).

    Returns
    -------
    W : array (n_sources, n) [1/Mpc]
    """
    chi = jnp.asarray(chi, dtype=float)
    a = _a_of_chi(cosmo, chi) if a is None else jnp.asarray(a, dtype=float)
    return _efficiency(cosmo, chi, a, *_source_weights(nz, z_source))


def _source_weights(nz, z_source):
    """Source redshift nodes and per-source quadrature weights (n_src, n_nodes)."""
    if (nz is None) == (z_source is None):
        raise ValueError("give exactly one of nz and z_source")
    if nz is not None:
        return jnp.asarray(nz.z, dtype=float), jnp.asarray(nz.nz * nz.dz, dtype=float)
    zs = jnp.atleast_1d(jnp.asarray(z_source, dtype=float))
    return zs, jnp.eye(zs.shape[0], dtype=zs.dtype)


_a_of_chi = jax.jit(bg.a_of_chi)


@jax.jit
def _efficiency(cosmo, chi, a, z_nodes, weights):
    chi_z = bg.comoving_radial_distance(cosmo, 1.0 / (1.0 + z_nodes))
    ratio = jnp.clip(1.0 - chi[:, None] / chi_z[None, :], 0.0)
    q = jnp.einsum("bj,ij->bi", weights, ratio)
    return 1.5 * cosmo.Omega_m / cosmo.hubble_distance**2 * chi / a * q


def angular_grid(field_size, n_pix):
    """Pixel-centre angular coordinates of a square flat-sky map.

    ``field_size`` [rad] is the side of the map; returns (n_pix, n_pix, 2) angles [rad],
    centred on 0, ``[..., 0]`` varying along the first axis.
    """
    t = (np.arange(n_pix) + 0.5 - 0.5 * n_pix) * (float(field_size) / n_pix)
    tx, ty = np.meshgrid(t, t, indexing="ij")
    return jnp.asarray(np.stack([tx, ty], axis=-1))


def convergence_born(cosmo, planes, plane_distances, plane_scale_factors, plane_width,
                     plane_size, coords, nz=None, z_source=None):
    """Flat-sky Born-approximation convergence maps.

    Parameters
    ----------
    cosmo : Cosmology
    planes : array (n_planes, res_x, res_y)
        Slab-averaged density contrasts (:func:`density_plane`); pixel j centred at
        transverse position j * plane_size / res [Mpc].
    plane_distances : array (n_planes,)
        Comoving distances of the plane centres [Mpc].
    plane_scale_factors : array (n_planes,)
        Scale factors of the planes (a(chi_i) for a light cone).
    plane_width : float or array (n_planes,)
        Shell widths dchi_i [Mpc].
    plane_size : float or (float, float)
        Transverse physical side(s) of the planes [Mpc].
    coords : array (..., 2)
        Angular positions [rad] (e.g. :func:`angular_grid`); theta = 0 maps to the
        centre of the planes.
    nz : TomographicBins, optional
        Tomographic source bins (efficiency integrated over each n_i(z)).
    z_source : float or array, optional
        Source-plane redshift(s) (instead of ``nz``).

    Returns
    -------
    kappa : array (n_sources, ...) (dimensionless), one map per bin / source redshift.
    """
    planes = jnp.asarray(planes)
    chi = jnp.asarray(plane_distances, dtype=float)
    a = jnp.asarray(plane_scale_factors, dtype=float)
    size = jnp.broadcast_to(jnp.asarray(plane_size, dtype=float), (2,))
    dchi = jnp.broadcast_to(jnp.asarray(plane_width, dtype=float), chi.shape)
    return _born(cosmo, planes, chi, a, dchi, size, jnp.asarray(coords),
                 *_source_weights(nz, z_source))


@jax.jit
def _born(cosmo, planes, chi, a, dchi, size, coords, z_nodes, weights):
    res = jnp.asarray(planes.shape[1:], dtype=float)
    W = _efficiency(cosmo, chi, a, z_nodes, weights)

    def one_plane(plane, c):
        x = coords * c + 0.5 * size
        return read_2d(plane, x * (res / size))

    vals = jax.vmap(one_plane)(planes, chi)  # (n_planes, ...)
    return jnp.tensordot(W * dchi, vals, axes=(1, 0))
