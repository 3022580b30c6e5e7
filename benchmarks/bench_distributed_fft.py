"""Benchmark the sharded real 3-D FFT round trip of cosmo.distributed on 8 emulated CPU
devices against jnp.fft on one device.

Times, in one run, ``irfftn(rfftn(x))`` of a float32 field of 64^3 and 128^3 cells,
jitted, for the mesh layouts (2, 4) (pencil) and (1, 8) (slab) and for
``jnp.fft.irfftn(jnp.fft.rfftn(x))`` on one device; compile (first call: trace + compile
+ run) is reported separately from the steady-state median.  The 8 devices are emulated
on this machine's CPU cores (``XLA_FLAGS=--xla_force_host_platform_device_count=8``,
set below before jax is imported), so this measures correctness and the overhead of the
all-to-all exchanges, not distributed speed: speed needs a run on GPUs.

Usage:  python3 benchmarks/bench_distributed_fft.py [--no-write] [--sizes 64,128]
"""

import os

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_force_host_platform_device_count=8").strip()

import argparse  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import first_call_time, machine_line, steady_time, publish  # noqa: E402

LAYOUTS = ((2, 4), (1, 8))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--sizes", default="64,128", help="comma-separated cube sizes")
    args = p.parse_args(argv)
    import numpy as np
    import jax
    import jax.numpy as jnp
    from cosmo import distributed as dist

    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        shape = (n, n, n)
        x = jnp.asarray(np.random.default_rng(0).normal(size=shape), jnp.float32)
        single = jax.jit(lambda a: jnp.fft.irfftn(jnp.fft.rfftn(a), s=shape))
        t_c = first_call_time(lambda: jax.block_until_ready(single(x)))
        t_1 = steady_time(lambda: jax.block_until_ready(single(x)))
        rows.append((n, "one device, jnp.fft", t_c, t_1, 1.0, None))
        for layout in LAYOUTS:
            mesh = dist.make_mesh(layout)
            xs = dist.shard(x, mesh)
            f = jax.jit(lambda a: dist.irfftn(dist.rfftn(a, mesh), shape, mesh))
            t_c = first_call_time(lambda: jax.block_until_ready(f(xs)))
            t = steady_time(lambda: jax.block_until_ready(f(xs)))
            err = float(jnp.max(jnp.abs(f(xs) - single(x))))
            rows.append((n, "8 devices, layout %dx%d" % layout, t_c, t, t / t_1, err))
        print("done: %d^3" % n, flush=True)

    lines = [
        "## Distributed 3-D FFT: rfftn + irfftn round trip (cosmo.distributed)", "",
        "Command: `python3 benchmarks/bench_distributed_fft.py`  ",
        "Machine: %s; 8 devices emulated with "
        "`XLA_FLAGS=--xla_force_host_platform_device_count=8`. Float32. Steady state is the "
        "median of repeated calls; compile is the first call (trace + compile + run)."
        % machine_line(), "",
        "| grid | run | compile (s) | round trip (ms) | ratio to one device | max abs diff |",
        "|---|---|---:|---:|---:|---:|"]
    for n, run, t_c, t, ratio, err in rows:
        lines.append("| %d^3 | %s | %.2f | %.2f | %.2f | %s |" % (
            n, run, t_c, t * 1e3, ratio, "" if err is None else "%.1e" % err))
    lines += ["", "On CPU the 8 emulated devices share the same cores, so this measures "
              "correctness and the all-to-all overhead of the shard_map path; distributed "
              "speed is for a GPU run."]
    publish("bench_distributed_fft", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
