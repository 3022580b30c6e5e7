"""Benchmark the particle-mesh simulator (cosmo.pm): 2LPT and LPT + 10-step PM.

For each mesh size n (one particle per cell, force mesh = particle grid, 4 Mpc/h cells:
box = 4 n Mpc/h), in a fresh subprocess so that peak memory is per size:

* ``lpt``: linear field from white noise + 2LPT displacement at a = 0.1;
* ``pm``:  ICs + 2LPT + 10 FastPM KDK steps from a = 0.1 to 1 + final CIC density.

Reported: trace + compile time (``jit(f).lower(x).compile()``), steady-state median time, the process
peak resident memory (``ru_maxrss``, includes JAX/XLA's own footprint) and the compiled
function's temporary + output buffers from ``memory_analysis()``.  The default JAX
backend is used, so the same command times a GPU where there is one (``--device gpu``
insists on it).  The peer, JaxPM, is timed when it imports.

Usage:  python benchmarks/bench_pm.py [--sizes 32 64 128] [--float64] [--device cpu|gpu]
        [--no-write]   (writes the section ``bench_pm`` of docs/benchmarks.md)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)


def _child(n, float64, device):
    import jax
    if float64:
        jax.config.update("jax_enable_x64", True)
    if device:
        assert jax.default_backend() == device, (jax.default_backend(), device)
    from _report import steady_time, first_call_time  # noqa: F401
    from cosmo.cosmology import LSST_Y10_FIDUCIAL as C
    from cosmo.pm.initial import white_noise, linear_field
    from cosmo.pm.lpt import lpt
    from cosmo.pm.nbody import simulate

    shape, box = (n, n, n), 4.0 * n
    noise = white_noise(jax.random.PRNGKey(0), shape)
    funcs = {
        "lpt": jax.jit(lambda z: lpt(C, linear_field(z, shape, box, C), 0.1, order=2)[0]),
        "pm": jax.jit(lambda z: simulate(C, z, shape, box, a_init=0.1, a_final=1.0,
                                         n_steps=10, order=2).density),
    }
    out = {}
    for name, f in funcs.items():
        t0 = time.perf_counter()
        compiled = f.lower(noise).compile()  # trace + compile
        tc = time.perf_counter() - t0
        mem = None
        try:
            ma = compiled.memory_analysis()
            mem = (ma.temp_size_in_bytes + ma.output_size_in_bytes) / 2**20
        except Exception:  # pragma: no cover - backend without memory analysis
            pass
        t1 = first_call_time(lambda: jax.block_until_ready(compiled(noise)))
        ts = steady_time(lambda: jax.block_until_ready(compiled(noise)), min_repeat=3,
                         min_seconds=1.0)
        out[name] = dict(compile=tc, first=t1, steady=ts, xla_mb=mem)
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT " + json.dumps(out))


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    p.add_argument("--float64", action="store_true")
    p.add_argument("--device", choices=["cpu", "gpu", "tpu"], default=None,
                   help="require this JAX backend (default: whatever JAX picks)")
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        return _child(args.child, args.float64, args.device)

    import jax
    from _report import machine_line, publish
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = {}
    for n in args.sizes:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(n)]
        if args.float64:
            cmd.append("--float64")
        if args.device:
            cmd += ["--device", args.device]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True)
        line = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
        if res.returncode or not line:
            print(res.stdout + res.stderr)
            raise SystemExit("size %d failed" % n)
        rows[n] = json.loads(line[0][7:])
        print("n=%d done in %.0f s: %s" % (n, time.perf_counter() - t0, rows[n]), flush=True)

    peer = "not importable here"
    try:  # the peer package, JaxPM
        import jaxpm.pm  # noqa: F401
        peer = "importable but not wired into this script"
    except Exception as e:
        peer = "not importable here (%s: %s)" % (type(e).__name__, e)

    def mb(x):
        return "" if x is None else "%.0f" % x

    prec = "float64" if args.float64 else "float32"
    lines = ["## Particle mesh (`cosmo.pm`): 2LPT and LPT + 10-step PM", "",
             "Command: `python3 benchmarks/bench_pm.py%s` (%s; one particle per cell, force "
             "mesh = particle grid, box = 4 n Mpc/h, a = 0.1 -> 1; each size in its own "
             "process)." % (" --float64" if args.float64 else "", prec),
             "Machine: %s; 1-minute load average %.1f when the run started (other jobs "
             "sharing the cores slow every figure down by about that factor over the "
             "core count)." % (machine_line(), load), "",
             "| mesh | task | trace + compile [s] | steady state [s] | XLA temp+out [MiB] "
             "| process peak RSS [MiB] |", "|---|---|---:|---:|---:|---:|"]
    for n, r in rows.items():
        for task, label in (("lpt", "ICs + 2LPT"), ("pm", "ICs + 2LPT + 10 PM steps + density")):
            lines.append("| %d^3 | %s | %.1f | %.3f | %s | %.0f |" % (
                n, label, r[task]["compile"], r[task]["steady"], mb(r[task]["xla_mb"]),
                r["maxrss_mb"]))
    lines += ["", "Peak RSS is per process and covers both tasks (JAX runtime included). "
              "Peer (JaxPM 0.1.6 from PyPI): %s; it requires `jax_cosmo` and `jaxdecomp`, and "
              "jaxdecomp needs Python >= 3.12, so it cannot run in this Python 3.11 "
              "environment." % peer]
    publish("bench_pm", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
