"""Sharded-vs-single-device checks of cosmo.distributed and cosmo.pm.painting on 8
emulated CPU devices, shared by tests/cosmo/test_distributed.py and test_painting.py.

Emulated devices need ``XLA_FLAGS`` set before jax is imported, so the checks run as this
script in subprocesses; :func:`sharded_results` starts two at once (two layouts each, to
use two cores), caches the merged result for the pytest session and returns
``{layout: {check: max relative error}}`` plus ``"errors"`` (messages of the expected
ValueErrors).  Every function is compiled once per layout (one jitted suite), which
keeps the run within a few tens of seconds.

Usage: python tests/cosmo/_distributed_check.py [--layouts 1x8,8x1,2x4,4x2]
"""

import argparse
import json
import os
import subprocess
import sys

LAYOUTS = ("1x8", "8x1", "2x4", "4x2")
SHAPE = (16, 16, 8)      # field; z length 8 -> rfft length 5, padded per layout
PAINT_HALO = 1           # cells; local blocks are 2..16 cells wide (halo + 1 <= block)
MAX_DISP = 0.9           # cells on x, y: particles stay within PAINT_HALO of their block
HALO = 2                 # halo_exchange widths tested: up to 2 (<= block)
HALOS = ((1, 1), (HALO, 1), (1, HALO))
_CACHE = {}


def sharded_results():
    """Run the checks (once per session) in two concurrent subprocesses and merge them."""
    if "res" not in _CACHE:
        env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu",
                   XLA_FLAGS="--xla_force_host_platform_device_count=8 "
                             "--xla_backend_optimization_level=0")  # faster compiles
        groups = [",".join(LAYOUTS[:2]), ",".join(LAYOUTS[2:]) + ",errors"]
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--layouts", g],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for g in groups]
        res = {}
        for p in procs:
            out, err = p.communicate(timeout=600)
            if p.returncode:
                raise RuntimeError("sharded check subprocess failed:\n" + err[-4000:])
            res.update(json.loads(out.strip().splitlines()[-1]))
        _CACHE["res"] = res
    return _CACHE["res"]


def rel(a, b):
    import numpy as np
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def make_data():
    """Random fields, weights and a displaced Lagrangian particle grid (numpy, float64)."""
    import numpy as np
    rng = np.random.default_rng(42)
    nx, ny, nz = SHAPE
    x = rng.normal(size=SHAPE)
    xc = x + 1j * rng.normal(size=SHAPE)
    w_r, w_c, w_read = (rng.normal(size=SHAPE) for _ in range(3))
    w_k = rng.normal(size=(nx, ny, nz // 2 + 1))
    q = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in SHAPE], indexing="ij"), -1)
    disp = MAX_DISP * rng.uniform(-1, 1, size=SHAPE + (3,))
    disp[..., 2] *= 3.0  # z is never sharded: larger moves are fine
    pos = np.mod(q + 0.5 + disp, np.array(SHAPE, dtype=float))
    pw = 1.0 + 0.3 * rng.uniform(size=SHAPE)
    return x, xc, w_r, w_c, w_k, pos, pw, w_read


def suite(m, data):
    """All values and gradients on mesh ``m`` (or on one device for None) as one jittable
    function of the data; for a mesh also halo_exchange of ``x`` and ``<E x, b>``,
    ``<x, E^T b>`` for each halo in HALOS (b: the padded random arrays in data[8:])."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import PartitionSpec as P
    from cosmo import distributed as dist
    from cosmo.pm import painting
    x, xc, w_r, w_c, w_k, pos, pw, w_read = data[:8]

    def grads(loss, *args):
        return jax.grad(loss, argnums=tuple(range(len(args))))(*args)

    def loss_c(f):
        return lambda a: jnp.sum(jnp.real(f(a) * w_c)) + jnp.sum(jnp.imag(f(a)) ** 2)

    def pipeline(p):  # paint -> rfftn -> filter -> irfftn -> read
        rho = painting.cic_paint(jnp.zeros(SHAPE), p, mesh=m, halo=PAINT_HALO)
        phi = dist.irfftn(dist.rfftn(rho, m) * w_k, SHAPE, m)
        return jnp.sum(painting.cic_read(phi, p, mesh=m, halo=PAINT_HALO) * w_read)

    k1 = jnp.fft.rfftn(x)
    out = {
        "fftn": dist.fftn(xc, m),
        "ifftn": dist.ifftn(xc, m),
        "rfftn": dist.rfftn(x, m),
        "irfftn": dist.irfftn(k1, SHAPE, m),
        "grad_fftn": grads(loss_c(lambda a: dist.fftn(a, m)), xc),
        "grad_ifftn": grads(loss_c(lambda a: dist.ifftn(a, m)), xc),
        "grad_rfftn": grads(lambda a: jnp.sum(jnp.abs(dist.rfftn(a, m) * w_k) ** 2), x),
        "grad_irfftn": grads(lambda k: jnp.sum(dist.irfftn(k, SHAPE, m) ** 3 * w_r), k1),
        "cic_paint": painting.cic_paint(jnp.zeros(SHAPE), pos, pw, mesh=m, halo=PAINT_HALO),
        "cic_read": painting.cic_read(x, pos, mesh=m, halo=PAINT_HALO),
        "grad_cic_paint": grads(lambda f, p, w: jnp.sum(
            painting.cic_paint(f, p, w, mesh=m, halo=PAINT_HALO) ** 2 * w_r), x, pos, pw),
        "grad_cic_read": grads(lambda f, p: jnp.sum(
            painting.cic_read(f, p, mesh=m, halo=PAINT_HALO) ** 2 * w_read), x, pos),
        "grad_pipeline": grads(pipeline, pos),
    }
    if m is not None:
        spec = P(*dist.AXES, None)
        for h, b in zip(HALOS, data[8:]):
            ex = dist.shard_map(lambda v: dist.halo_exchange(v, h), m, (spec,), spec)(x)
            red = dist.shard_map(lambda v: dist.halo_reduce(v, h), m, (spec,), spec)(b)
            out["halo_%dx%d" % h] = (ex, jnp.vdot(ex, b), jnp.vdot(x, red))
    return out


def halo_reference(x, layout, h):
    """Global array of the padded local blocks, from wrap-padding the global array."""
    import numpy as np
    bx, by = SHAPE[0] // layout[0], SHAPE[1] // layout[1]
    ref = np.pad(x, ((h[0], h[0]), (h[1], h[1]), (0, 0)), mode="wrap")
    rows = [np.concatenate([ref[i * bx:i * bx + bx + 2 * h[0], j * by:j * by + by + 2 * h[1]]
                            for j in range(layout[1])], 1) for i in range(layout[0])]
    return np.concatenate(rows, 0)


def check_layout(layout, data, ref):
    import numpy as np
    import jax
    from jax.sharding import NamedSharding, PartitionSpec as P
    from cosmo import distributed as dist
    mesh = dist.make_mesh(layout)
    rng = np.random.default_rng(7)
    pads = [rng.normal(size=(SHAPE[0] + 2 * layout[0] * h[0], SHAPE[1] + 2 * layout[1] * h[1],
                             SHAPE[2])) for h in HALOS]
    sdata = [dist.shard(a, mesh) for a in data]
    sdata += [jax.device_put(b, NamedSharding(mesh, P(*dist.AXES, None))) for b in pads]
    got = jax.jit(lambda d: suite(mesh, d))(sdata)
    flat_ref = dict(jax.tree_util.tree_flatten_with_path(ref)[0])
    out = {}
    for path, val in jax.tree_util.tree_flatten_with_path(got)[0]:
        if path in flat_ref:
            name = path[0].key
            out[name] = max(out.get(name, 0.0), rel(val, flat_ref[path]))
    for name in ("fftn", "rfftn", "cic_paint", "cic_read"):  # same layout out as in
        out[name + "_layout_differs"] = float(not got[name].sharding.is_equivalent_to(
            dist.field_sharding(mesh), got[name].ndim))
    for h in HALOS:
        ex, lhs, rhs = got["halo_%dx%d" % h]
        out["halo_exchange_%dx%d" % h] = rel(ex, halo_reference(data[0], layout, h))
        norm = np.linalg.norm(np.asarray(ex)) * np.linalg.norm(pads[HALOS.index(h)])
        out["halo_reduce_adjoint_%dx%d" % h] = abs(float(lhs) - float(rhs)) / norm
    return out


def edge_cases(data):
    """On a (2, 4) mesh: messages of the ValueErrors for an indivisible shape and an
    oversized halo; the painted mass when one particle moves beyond the halo (lost) and
    one moves just within it; default-halo painting vs one device."""
    import numpy as np
    import jax.numpy as jnp
    from cosmo import distributed as dist
    from cosmo.pm import painting
    mesh = dist.make_mesh((2, 4))
    out = {}
    for name, fn in [("fft_indivisible", lambda: dist.rfftn(jnp.zeros((16, 6, 8)), mesh)),
                     ("halo_too_big", lambda: painting.cic_paint(
                         dist.shard(jnp.zeros(SHAPE), mesh), dist.shard(data[5], mesh),
                         mesh=mesh, halo=4))]:
        try:
            fn()
            out[name] = None
        except ValueError as e:
            out[name] = str(e)
    q = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in SHAPE], indexing="ij"), -1)
    pos = q + 0.5
    # x blocks are [0, 8) and [8, 16), y blocks 4 wide; halo 1 covers [x0 - 1, x0 + bx + 1)
    pos[0, 0, 0, 0] += 3.0    # 3.5: moved but still inside its block
    pos[7, 0, 0, 0] += 1.4    # 8.9 < 8 + halo: kept exactly
    pos[7, 1, 0, 0] += 3.0    # 10.5: cells 10, 11 beyond the padding [-2, 10): lost
    pos[1, 1, 0, 1] -= 2.4    # -0.9 >= -halo: kept exactly
    pos[1, 0, 0, 1] -= 3.6    # -3.1: cells -4, -3 beyond the padding [-2, 6): lost
    fld = painting.cic_paint(dist.shard(jnp.zeros(SHAPE), mesh), dist.shard(pos, mesh),
                             mesh=mesh, halo=1)
    out["lost_mass"] = float(np.prod(SHAPE) - jnp.sum(fld))
    kept = np.ones(SHAPE, bool)
    kept[7, 1, 0] = kept[1, 0, 0] = False
    ref = painting.cic_paint(jnp.zeros(SHAPE), pos[kept])
    out["lost_paint_vs_kept"] = rel(fld, ref)
    out["default_halo"] = painting.default_halo(SHAPE, mesh)
    out["default_halo_paint"] = rel(
        painting.cic_paint(dist.shard(jnp.zeros(SHAPE), mesh), dist.shard(data[5], mesh),
                           mesh=mesh), painting.cic_paint(jnp.zeros(SHAPE), data[5]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--layouts", default=",".join(LAYOUTS) + ",errors")
    args = ap.parse_args(argv)
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    import jax
    assert jax.config.jax_enable_x64 and len(jax.devices()) >= 8, "need x64 and 8 devices"
    data = make_data()
    ref = jax.jit(lambda d: suite(None, d))(data)
    res = {}
    for lay in args.layouts.split(","):
        if lay == "errors":
            res["errors"] = edge_cases(data)
        else:
            res[lay] = check_layout(tuple(int(v) for v in lay.split("x")), data, ref)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
