"""Distributed 3-D FFTs and periodic halo exchange on a 1-D or 2-D device mesh.

Layout
------
A 3-D field of shape ``(nx, ny, nz)`` (and a particle grid ``(nx, ny, nz, 3)``) is sharded
on its first two axes over a mesh with axis names ``("x", "y")`` made by
:func:`make_mesh`: ``layout=(px, py)`` splits x into ``px`` and y into ``py`` blocks, so
each device holds a local block ``(nx/px, ny/py, nz)``.  A 1-D (slab) decomposition is
``(1, n)`` or ``(n, 1)``; a 2-D (pencil) decomposition is ``(px, py)`` with both > 1.
Every function accepts ``mesh=None`` and then works on one device with ``jnp.fft``.

FFT algorithm (default backend ``"jax"``)
-----------------------------------------
Inside :func:`jax.shard_map` each device

1. transforms along the local z axis (``fft`` or ``rfft``) and pads z (the transformed
   length, ``nz`` or ``nz//2+1``) with zeros to a multiple of ``px*py``;
2. ``all_to_all`` over ``"y"`` (split z, gather y), then over ``"x"`` (split z, gather
   x), so that it holds full x-y planes for ``nz_pad/(px*py)`` z frequencies;
3. transforms along x and y;
4. undoes step 2 with two more ``all_to_all`` and drops the z padding,

so the output has the same layout as the input (``P("x", "y", None)``).  The inverse runs
the same steps backwards.  Cost per transform: the local FFT work of one 3-D FFT plus
four all-to-all exchanges of the whole (z-padded) array (two would suffice if the output
were left transposed; we pay two more so that users never see a transposed layout).  For
the real transforms the z padding of ``nz//2+1`` to a multiple of ``px*py`` adds at most
``px*py-1`` planes.  Mesh axes of size 1 skip their exchange.  Gradients come from JAX's
own transpose rules (the adjoint of ``all_to_all`` is the reverse ``all_to_all``; no
custom VJP is needed).

Requirements: ``nx % px == 0`` and ``ny % py == 0`` (a ``ValueError`` says which axis
fails otherwise).  z is never split in the input layout, so ``nz`` is unrestricted.

Halo exchange
-------------
:func:`halo_exchange` (inside :func:`shard_map`) pads a local block with ``halo`` cells
of its periodic neighbours on each side of x and y (two ``ppermute`` per axis, corners
included by doing x then y); :func:`halo_reduce` is its exact adjoint (adds the margins
back into the neighbours), which is what particle painting needs.  Used by
:mod:`cosmo.pm.painting`.  Helpers: :func:`mesh_layout` returns ``(px, py)``, and
:func:`shard_map` is ``jax.shard_map`` with a version-independent keyword set.

Backends
--------
``set_fft_backend("jax")`` (default) needs nothing beyond JAX.  ``set_fft_backend(
"jaxdecomp")`` uses the `jaxdecomp <https://github.com/DifferentiableUniverseInitiative/
jaxDecomp>`_ distributed FFT (cuFFTMp / NCCL on GPUs) for the complex sharded
transforms (:func:`fftn`, :func:`ifftn`); it must be installed (it needs Python >= 3.12;
it is not a dependency) and selecting it when it is missing raises ``ImportError`` (at
the call for ``set_fft_backend``, at the first sharded FFT for the environment variable).
The environment variable ``COSMO_FFT_BACKEND`` (``jax`` or ``jaxdecomp``) sets the
backend at import.  jaxdecomp's spectrum is transposed; it is transposed back (one more
resharding) to keep the layout contract.  Real transforms and single-device calls always
use the JAX path, and so does the ``(n, 1)`` slab layout (see :func:`_jaxdecomp_or_none`).
Checked with jaxdecomp 0.3.4 on Python 3.12 / jax 0.12, 8 emulated CPU devices: layouts
(1, 8), (2, 4), (4, 2) match ``jnp.fft`` to 4e-16, gradients included
(``tests/cosmo/test_distributed.py::test_jaxdecomp_backend_matches_numpy``, which runs
where jaxdecomp is installed).

Multi-host runs
---------------
Call ``jax.distributed.initialize()`` (on SLURM / Cloud TPU the arguments are detected;
otherwise pass ``coordinator_address="host0:1234", num_processes=N, process_id=i``) in
every process before any other JAX call, then ``make_mesh(layout)`` over
``jax.devices()`` (all processes' devices) and build global arrays with
``jax.make_array_from_process_local_data(field_sharding(mesh), local_data)`` (or
``jax.make_array_from_callback``).  The functions here then run unchanged; each process
sees only its addressable shards.  (Not exercised by the tests, which emulate 8 CPU
devices in one process with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``.)
"""

import functools
import inspect
import os

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

__all__ = [
    "make_mesh", "field_spec", "field_sharding", "shard", "mesh_layout",
    "fftn", "ifftn", "rfftn", "irfftn", "fftfreq_grid",
    "halo_exchange", "halo_reduce", "shard_map",
    "set_fft_backend", "get_fft_backend",
]

AXES = ("x", "y")
_BACKENDS = ("jax", "jaxdecomp")
_backend = "jax"
_jaxdecomp_kwargs = {}


# ----------------------------------------------------------------------------- backend
def _import_jaxdecomp():
    try:
        import jaxdecomp  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "FFT backend 'jaxdecomp' selected but jaxdecomp is not importable (it needs "
            "Python >= 3.12: pip install jaxdecomp); use set_fft_backend('jax') or unset "
            "COSMO_FFT_BACKEND") from err
    return jaxdecomp


def _parse_backend(name):
    name = str(name).strip().lower() or "jax"
    if name not in _BACKENDS:
        raise ValueError("unknown FFT backend %r; choose one of %s" % (name, _BACKENDS))
    return name


def set_fft_backend(name, **jaxdecomp_kwargs):
    """Select the sharded FFT backend: ``"jax"`` (default, shard_map + all_to_all) or
    ``"jaxdecomp"`` (raises ``ImportError`` now if jaxdecomp is not installed; keyword
    arguments, e.g. ``backend="cudecomp"`` on GPUs, are passed on to
    ``jaxdecomp.fft.pfft3d``/``pifft3d``).  Applies to functions traced after the call
    (already-jitted functions keep the backend they were traced with)."""
    global _backend, _jaxdecomp_kwargs
    name = _parse_backend(name)
    if name == "jaxdecomp":
        _import_jaxdecomp()
    elif jaxdecomp_kwargs:
        raise TypeError("keyword arguments are only for the jaxdecomp backend")
    _backend, _jaxdecomp_kwargs = name, dict(jaxdecomp_kwargs)


def get_fft_backend():
    """Name of the current sharded FFT backend."""
    return _backend


# a missing jaxdecomp selected by the environment is reported at the first sharded FFT
_backend = _parse_backend(os.environ.get("COSMO_FFT_BACKEND", "jax"))


# ----------------------------------------------------------------------------- shard_map compat
try:
    _SM_PARAMS = inspect.signature(jax.shard_map).parameters
except (TypeError, ValueError):  # pragma: no cover - signature not introspectable
    _SM_PARAMS = {"check_vma": None}


def shard_map(f, mesh, in_specs, out_specs):
    """``jax.shard_map`` with replication/VMA checking off, across jax versions
    (``check_vma`` in jax >= 0.7, ``check_rep`` before)."""
    kw = {}
    if "check_vma" in _SM_PARAMS:
        kw["check_vma"] = False
    elif "check_rep" in _SM_PARAMS:  # pragma: no cover - old jax
        kw["check_rep"] = False
    return jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, **kw)


# ----------------------------------------------------------------------------- mesh and layout
def make_mesh(layout, devices=None):
    """A ``Mesh`` of ``px*py`` devices with axis names ``("x", "y")``.

    ``layout = (px, py)``; ``devices`` defaults to the first ``px*py`` of ``jax.devices()``.
    """
    px, py = (int(v) for v in layout)
    if px < 1 or py < 1:
        raise ValueError("mesh layout must be two positive integers, got %r" % (layout,))
    devices = list(jax.devices() if devices is None else devices)
    if len(devices) < px * py:
        raise ValueError("mesh layout %r needs %d devices, only %d available (on CPU set "
                         "XLA_FLAGS=--xla_force_host_platform_device_count=%d before "
                         "importing jax)" % (layout, px * py, len(devices), px * py))
    return Mesh(np.array(devices[:px * py], dtype=object).reshape(px, py), AXES)


def mesh_layout(mesh):
    """``(px, py)`` of a mesh made by :func:`make_mesh` (``(1, 1)`` for ``None``)."""
    if mesh is None:
        return (1, 1)
    return (mesh.shape[AXES[0]], mesh.shape[AXES[1]])


def field_spec():
    """``PartitionSpec("x", "y")``: fields (and particle grids) sharded on their first two
    axes, the rest replicated."""
    return P(*AXES)


def field_sharding(mesh):
    """``NamedSharding(mesh, field_spec())``, or ``None`` when ``mesh`` is None."""
    return None if mesh is None else NamedSharding(mesh, field_spec())


def shard(x, mesh):
    """Place ``x`` on ``mesh`` with :func:`field_sharding` (identity for ``mesh=None``)."""
    if mesh is None:
        return x
    _check_divisible(jnp.shape(x), mesh)
    return jax.device_put(x, field_sharding(mesh))


def _check_divisible(shape, mesh, what="array"):
    if len(shape) < 2:
        raise ValueError("%s of shape %s cannot be sharded on two axes" % (what, shape))
    for ax, (n, p) in enumerate(zip(shape[:2], mesh_layout(mesh))):
        if n % p:
            raise ValueError("%s axis %d has length %d, not divisible by the %d devices of "
                             "mesh axis %r (shape %s, layout %s)"
                             % (what, ax, n, p, AXES[ax], tuple(shape), mesh_layout(mesh)))


def _spec(ndim):
    return P(*AXES, *([None] * (ndim - 2)))


# ----------------------------------------------------------------------------- transposes
def _transpose_xy(a, layout, forward):
    """forward: (bx, by, nzp) per device -> (nx, ny, nzp/(px*py)), gathering y then x and
    splitting z (all_to_all); backward: the exact inverse.  Size-1 mesh axes are skipped."""
    steps = [(1, 2, 1), (0, 2, 0)]  # (mesh axis, split axis, concat axis)
    if not forward:
        steps = [(m, concat, split) for m, split, concat in reversed(steps)]
    for m, split, concat in steps:
        if layout[m] > 1:
            a = jax.lax.all_to_all(a, AXES[m], split, concat, tiled=True)
    return a


def _xy_transform(a, layout, inverse):
    """Pad z to a multiple of px*py, FFT (or inverse FFT) over x and y, trim z."""
    nz = a.shape[2]
    ndev = layout[0] * layout[1]
    nzp = -(-nz // ndev) * ndev
    if nzp != nz:
        a = jnp.pad(a, ((0, 0), (0, 0), (0, nzp - nz)))
    a = _transpose_xy(a, layout, True)
    a = (jnp.fft.ifftn if inverse else jnp.fft.fftn)(a, axes=(0, 1))
    a = _transpose_xy(a, layout, False)
    return a[:, :, :nz]


@functools.lru_cache(maxsize=None)
def _sharded_fn(mesh, kind, nz):
    """Jitted shard_map of one transform (cached, so eager calls compile once)."""
    layout = mesh_layout(mesh)
    local = {
        "fftn": lambda a: _xy_transform(jnp.fft.fft(a, axis=2), layout, False),
        "ifftn": lambda a: jnp.fft.ifft(_xy_transform(a, layout, True), axis=2),
        "rfftn": lambda a: _xy_transform(jnp.fft.rfft(a, axis=2), layout, False),
        "irfftn": lambda a: jnp.fft.irfft(_xy_transform(a, layout, True), n=nz, axis=2),
    }[kind]
    spec = _spec(3)
    return jax.jit(shard_map(local, mesh, (spec,), spec))


def _check3(x, mesh, what):
    if jnp.ndim(x) != 3:
        raise ValueError("%s expects a 3-D array, got shape %s" % (what, jnp.shape(x)))
    if mesh is not None:
        _check_divisible(jnp.shape(x), mesh, what + " input")


def _jaxdecomp_or_none(mesh):
    """The jaxdecomp module when that backend is selected and the call is sharded.

    jaxdecomp 0.3's partitioning of an ``(n, 1)`` slab layout does not match the layout
    contract here (measured on 8 emulated CPU devices, Python 3.12, jax 0.12), so that
    layout keeps the JAX path; ``(1, n)`` slabs and pencils use jaxdecomp."""
    if mesh is None or _backend != "jaxdecomp":
        return None
    px, py = mesh_layout(mesh)
    if py == 1 and px > 1:
        return None
    return _import_jaxdecomp()


# ----------------------------------------------------------------------------- FFTs
def _complex_fft(x, mesh, inverse):
    name = "ifftn" if inverse else "fftn"
    _check3(x, mesh, name)
    if mesh is None:
        return (jnp.fft.ifftn if inverse else jnp.fft.fftn)(x)
    jd = _jaxdecomp_or_none(mesh)
    if jd is not None:  # pragma: no cover - needs jaxdecomp
        return _jaxdecomp_fft(jd, x, mesh, inverse)
    return _sharded_fn(mesh, name, None)(_as_complex(x))


def fftn(x, mesh=None):
    """Complex 3-D FFT (numpy sign and normalisation: no factor forward).

    ``x``: complex (or real, promoted) array ``(nx, ny, nz)``, sharded ``P("x","y",None)``
    on ``mesh`` (or on one device for ``mesh=None``); the result has the same shape and
    layout.
    """
    return _complex_fft(x, mesh, inverse=False)


def ifftn(x, mesh=None):
    """Inverse complex 3-D FFT (numpy convention: 1/(nx ny nz) on the inverse); same shape
    and layout in and out (see :func:`fftn`)."""
    return _complex_fft(x, mesh, inverse=True)


def rfftn(x, mesh=None):
    """Real-to-complex 3-D FFT: ``(nx, ny, nz)`` real -> ``(nx, ny, nz//2+1)`` complex
    (numpy ``rfftn`` convention, half spectrum on the last axis), layout
    ``P("x","y",None)`` in and out."""
    _check3(x, mesh, "rfftn")
    if mesh is None:
        return jnp.fft.rfftn(x)
    return _sharded_fn(mesh, "rfftn", None)(x)


def irfftn(k, shape, mesh=None):
    """Complex-to-real inverse of :func:`rfftn`: ``k`` ``(nx, ny, nz//2+1)`` -> real
    ``shape = (nx, ny, nz)`` (``nz`` is needed to tell even from odd), numpy ``irfftn``
    convention, layout ``P("x","y",None)`` in and out."""
    _check3(k, mesh, "irfftn")
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or tuple(k.shape[:2]) != shape[:2] or k.shape[2] != shape[2] // 2 + 1:
        raise ValueError("irfftn: spectrum of shape %s does not match real shape %s"
                         % (tuple(k.shape), shape))
    if mesh is None:
        return jnp.fft.irfftn(k, s=shape)
    return _sharded_fn(mesh, "irfftn", shape[2])(k)


def _as_complex(x):
    x = jnp.asarray(x)
    return x if jnp.iscomplexobj(x) else x.astype(jnp.result_type(x.dtype, jnp.complex64))


def _jaxdecomp_fft(jd, x, mesh, inverse):  # pragma: no cover - needs jaxdecomp
    """jaxdecomp's pfft3d / pifft3d.  With jaxdecomp's default settings pfft3d returns the
    spectrum of an (X, Y, Z) array transposed to (Y, Z, X) and pifft3d takes that
    transposed layout; we transpose back (XLA reshards: one more all-to-all) so that the
    layout contract of this module holds."""
    sharding = field_sharding(mesh)
    # Pin jaxdecomp's own input and output layouts (P("x", "y") on the array it sees):
    # otherwise the constraint on the transposed result propagates into its custom
    # partitioning and contradicts it.
    pin = lambda a: jax.lax.with_sharding_constraint(a, sharding)
    x = pin(_as_complex(x))
    if not inverse:
        k = pin(jd.fft.pfft3d(x, **_jaxdecomp_kwargs))
        return pin(jnp.transpose(k, (2, 0, 1)))
    kt = pin(jnp.transpose(x, (1, 2, 0)))
    return pin(jd.fft.pifft3d(kt, **_jaxdecomp_kwargs))


def fftfreq_grid(shape, mesh=None, real=True):
    """Angular wavenumbers per axis in radians per cell, ``2 pi fftfreq(n)``, shaped to
    broadcast against the spectrum of a ``shape = (nx, ny, nz)`` field: ``kx`` is
    ``(nx, 1, 1)``, ``ky`` ``(1, ny, 1)``, ``kz`` ``(1, 1, nz)`` or, for ``real=True``
    (the :func:`rfftn` half spectrum), ``(1, 1, nz//2+1)``.  Multiply by ``n / L`` per
    axis for physical units (1/length).  With a mesh, ``kx`` is sharded over ``"x"`` and
    ``ky`` over ``"y"`` to match the spectrum layout.  Numpy float64 constants promoted
    to the default float dtype."""
    nx, ny, nz = (int(s) for s in shape)
    dt = jnp.zeros(()).dtype  # float64 under x64, else float32
    kx = jnp.asarray(2 * np.pi * np.fft.fftfreq(nx), dt).reshape(nx, 1, 1)
    ky = jnp.asarray(2 * np.pi * np.fft.fftfreq(ny), dt).reshape(1, ny, 1)
    fz = np.fft.rfftfreq(nz) if real else np.fft.fftfreq(nz)
    kz = jnp.asarray(2 * np.pi * fz, dt).reshape(1, 1, -1)
    if mesh is not None:
        _check_divisible((nx, ny), mesh, "fftfreq_grid shape")
        kx = jax.device_put(kx, NamedSharding(mesh, P(AXES[0])))
        ky = jax.device_put(ky, NamedSharding(mesh, P(None, AXES[1])))
        kz = jax.device_put(kz, NamedSharding(mesh, P()))
    return kx, ky, kz


# ----------------------------------------------------------------------------- halos
def _halo_pair(halo):
    if np.ndim(halo) == 0:
        return (int(halo), int(halo))
    hx, hy = (int(h) for h in halo)
    return (hx, hy)


def _axis_size(name):
    return jax.lax.axis_size(name) if hasattr(jax.lax, "axis_size") else jax.lax.psum(1, name)


def _shift_perm(n, step):
    """ppermute pairs sending device i's data to device (i + step) mod n."""
    return [(i, (i + step) % n) for i in range(n)]


def _check_halo(h, block, ax):
    if h < 0:
        raise ValueError("halo must be >= 0, got %d" % h)
    if h > block:
        raise ValueError("halo %d on axis %d exceeds the local block size %d; use a smaller "
                         "halo or fewer devices on that mesh axis" % (h, ax, block))


def _exchange_axis(a, h, ax, name):
    """Pad axis ``ax`` by ``h`` cells on each side with the periodic neighbours' edges."""
    if h == 0:
        return a
    _check_halo(h, a.shape[ax], ax)
    n = a.shape[ax]
    lo = jax.lax.slice_in_dim(a, 0, h, axis=ax)        # my first h cells
    hi = jax.lax.slice_in_dim(a, n - h, n, axis=ax)    # my last h cells
    size = 1 if name is None else _axis_size(name)
    if size > 1:
        left = jax.lax.ppermute(hi, name, _shift_perm(size, +1))   # left neighbour's last
        right = jax.lax.ppermute(lo, name, _shift_perm(size, -1))  # right neighbour's first
    else:
        left, right = hi, lo
    return jnp.concatenate([left, a, right], axis=ax)


def _reduce_axis(a, h, ax, name):
    """Adjoint of :func:`_exchange_axis`: add the margins into the neighbours' edges."""
    if h == 0:
        return a
    n = a.shape[ax] - 2 * h
    _check_halo(h, n, ax)
    left = jax.lax.slice_in_dim(a, 0, h, axis=ax)
    right = jax.lax.slice_in_dim(a, n + h, n + 2 * h, axis=ax)
    core = jax.lax.slice_in_dim(a, h, n + h, axis=ax)
    size = 1 if name is None else _axis_size(name)
    if size > 1:
        from_right = jax.lax.ppermute(left, name, _shift_perm(size, -1))  # right nbr's left margin
        from_left = jax.lax.ppermute(right, name, _shift_perm(size, +1))  # left nbr's right margin
    else:
        from_right, from_left = left, right
    pad_lo = [(0, 0)] * a.ndim
    pad_hi = [(0, 0)] * a.ndim
    pad_lo[ax] = (0, n - h)
    pad_hi[ax] = (n - h, 0)
    return core + jnp.pad(from_left, pad_lo) + jnp.pad(from_right, pad_hi)


def halo_exchange(local_block, halo, axis_names=AXES):
    """Pad a local block by ``halo`` cells on each side of its first two axes with its
    periodic neighbours' data (``jax.lax.ppermute``), corners included.

    Use inside :func:`shard_map` over a mesh with the given ``axis_names``; ``halo`` is an
    int or a pair ``(hx, hy)`` (0 leaves that axis unpadded) and must not exceed the local
    block size on that axis.  An axis name of ``None`` (or a mesh axis of size 1) wraps the
    block onto itself, so ``halo_exchange(x, h, (None, None))`` outside shard_map equals
    ``jnp.pad(x, ((h, h), (h, h), ...), mode="wrap")``.  Output shape
    ``(bx + 2 hx, by + 2 hy, ...)``.
    """
    hx, hy = _halo_pair(halo)
    a = _exchange_axis(local_block, hx, 0, axis_names[0])
    return _exchange_axis(a, hy, 1, axis_names[1])


def halo_reduce(padded_block, halo, axis_names=AXES):
    """Adjoint of :func:`halo_exchange`: add each halo margin of a padded block into the
    periodic neighbour's interior cells it overlaps, and return the unpadded local block
    ``(bx, by, ...)``.  Used after painting particles into a padded block."""
    hx, hy = _halo_pair(halo)
    a = _reduce_axis(padded_block, hy, 1, axis_names[1])
    return _reduce_axis(a, hx, 0, axis_names[0])
