"""Benchmark and acceptance figures for the SO(3) diffusion models (inference.so3).

Speed: training steps per second (denoising score matching, optax Adam), samples per
second of the probability-flow ODE (100 geometric Heun steps) and of the reverse SDE,
and ODE log-likelihood evaluations per second, on this machine's CPU. JIT compile
time is reported separately from steady-state time.

Accuracy (the acceptance figures that need longer training than the test suite):
held-out NLL gap of the IGSO(3) mixture and of the tetrahedral-symmetric toy, the
conditional toy's mode error, and the IA ED / w_g+ chi-square of model vs truth.

There is no peer package to time against (no maintained public SO(3) diffusion
implementation exists).

    python benchmarks/bench_so3.py [--quick]      (writes its section of docs/benchmarks.md)
"""

import argparse
import datetime
import math
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import write_section  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)  # a script, not the library: float64 for the NLLs

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from inference import so3  # noqa: E402
from inference.so3 import lie  # noqa: E402


def _timeit(fn, *args, repeat=3):
    """(compile+first-call seconds, best steady-state seconds)."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return first, best


def bench_speed(quick):
    rows = []
    mix = so3.random_mixture(jax.random.PRNGKey(0), 3, 0.3)
    data = np.asarray(mix.sample(jax.random.PRNGKey(1), 20000), np.float32)
    for hidden in ((128, 128, 128), (256, 256, 256)):
        model = so3.SO3ScoreModel(hidden=hidden)
        spc = 100 if quick else 250
        res = so3.train_score_model(model, jax.random.PRNGKey(2), data=data, n_steps=4 * spc,
                                    steps_per_call=spc, progress=False)
        rows.append(("train (DSM + Adam), MLP %s, batch 256 (float32)" % (hidden,),
                     "%.0f steps/s" % res.steps_per_second, "%.1f s" % res.first_chunk_seconds))
        params = res.ema_params
        for n, dt in ((1000, jnp.float32), (10000, jnp.float32), (1000, jnp.float64)):
            f = jax.jit(lambda k: so3.pf_ode_sample(model, params, k, n, n_steps=100, dtype=dt))
            c, s = _timeit(f, jax.random.PRNGKey(3), repeat=1 if quick else 2)
            rows.append(("PF-ODE sample, 100 Heun steps, MLP %s, batch %d (%s)"
                         % (hidden, n, jnp.dtype(dt).name), "%.0f samples/s" % (n / s), "%.1f s" % c))
        n = 1000
        f = jax.jit(lambda k: so3.reverse_sde_sample(model, params, k, n, n_steps=100, dtype=jnp.float32))
        c, s = _timeit(f, jax.random.PRNGKey(4), repeat=1)
        rows.append(("reverse SDE, 100 steps, MLP %s, batch %d (float32)" % (hidden, n),
                     "%.0f samples/s" % (n / s), "%.1f s" % c))
        R = jnp.asarray(data[:n], jnp.float32)
        f = jax.jit(lambda R: so3.ode_log_likelihood(model, params, R, n_steps=100))
        c, s = _timeit(f, R, repeat=1)
        rows.append(("ODE log-likelihood (exact divergence), 100 steps, MLP %s, batch %d (float32)"
                     % (hidden, n), "%.0f evaluations/s" % (n / s), "%.1f s" % c))
    # IGSO(3) sampling itself
    f = jax.jit(lambda k: so3.igso3_sample(k, 0.3, (100000,)))
    c, s = _timeit(f, jax.random.PRNGKey(5))
    rows.append(("IGSO(3) sampling (inverse CDF), 1e5 draws (float64)", "%.2e samples/s" % (1e5 / s),
                 "%.1f s" % c))
    return rows


def bench_numerics():
    """IGSO(3) and integrator checks (float64): the worst case over a grid."""
    from inference.so3 import igso3

    rows = []
    pdf = jax.jit(igso3.igso3_angle_pdf)
    x, w = np.polynomial.legendre.leggauss(64)
    worst = 0.0
    for eps in np.geomspace(0.01, 2.0, 25):
        top = min(math.pi, 20 * eps)
        tot = 0.0
        for a, b in ((0.0, top), (top, math.pi)):
            if b <= a:
                continue
            edges = np.linspace(a, b, 17)
            for lo, hi in zip(edges[:-1], edges[1:]):
                xx = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
                tot += 0.5 * (hi - lo) * float(np.sum(w * np.asarray(pdf(jnp.asarray(xx), eps))))
        worst = max(worst, abs(tot - 1))
    rows.append(("Haar normalisation, 25 eps in [0.01, 2]", "max abs(int - 1) = %.1e" % worst))
    worst = 0.0
    for eps in (0.01, 0.03, 0.1, 0.2, 0.3, 0.45):
        lmax = igso3.series_lmax(eps, 1e-18)
        om = jnp.linspace(0.0, min(math.pi, 30 * eps), 3001)
        lc = np.asarray(igso3.igso3_log_density_closed(om, eps))
        fs = np.asarray(igso3.igso3_density_series(om, eps, lmax))
        l = np.arange(lmax + 1)
        ok = fs > 1e-9 * np.sum((2 * l + 1) ** 2 * np.exp(-l * (l + 1) * eps ** 2))
        worst = max(worst, float(np.max(np.abs(np.expm1(lc[ok] - np.log(fs[ok]))))))
    rows.append(("closed form vs series (eps < 0.5, where the series has precision)",
                 "max relative difference %.1e" % worst))
    mu = lie.random_rotation(jax.random.PRNGKey(0))
    f = jax.jit(lambda R, eps: (so3.igso3_score(R, mu, eps), jax.vmap(lambda r: lie.tangent_gradient(
        lambda x: so3.igso3_log_prob(x, mu, eps), r))(R)))
    worst = 0.0
    for eps in (0.05, 0.3, 0.7, 1.5):
        R = so3.igso3_sample(jax.random.PRNGKey(1), eps, (200,), mu=mu)
        a, b = f(R, eps)
        worst = max(worst, float(jnp.max(jnp.abs(a - b)) / max(1.0, float(jnp.max(jnp.abs(b))))))
    rows.append(("analytic score vs autodiff (eps 0.05-1.5)", "max relative difference %.1e" % worst))
    mix = so3.random_mixture(jax.random.PRNGKey(0), 3, 0.3)
    sched = so3.SO3ScoreModel()
    R = jax.jit(lambda k: so3.pf_ode_sample(sched, None, k, 500, n_steps=1000,
                                            score_fn=mix.score_fn(sched)))(jax.random.PRNGKey(2))
    e1, e2 = lie.orthogonality_error(R)
    rows.append(("PF-ODE, 1000 geometric Heun steps (exact mixture score)",
                 "max abs(R^T R - I) = %.1e, max abs(det R - 1) = %.1e" % (float(e1), float(e2))))
    Rs = jax.jit(lambda k: so3.reverse_sde_sample(sched, None, k, 500, n_steps=1000,
                                                  score_fn=mix.score_fn(sched)))(jax.random.PRNGKey(3))
    e1, e2 = lie.orthogonality_error(Rs)
    rows.append(("reverse SDE, 1000 geodesic random-walk steps",
                 "max abs(R^T R - I) = %.1e, max abs(det R - 1) = %.1e" % (float(e1), float(e2))))
    R0 = mix.sample(jax.random.PRNGKey(4), 500)
    ll = jax.jit(lambda R: so3.ode_log_likelihood(sched, None, R, n_steps=100,
                                                  score_fn=mix.score_fn(sched)))(R0)
    d = ll - mix.log_prob(R0)
    rows.append(("ODE log-likelihood with the exact score (100 steps)",
                 "mean error %.1e nats, max abs error %.1e" % (float(jnp.mean(d)), float(jnp.max(jnp.abs(d))))))
    return rows


def _nll_gap(model, params, dist, key, n=2000):
    R = dist.sample(key, n).astype(jnp.float64)
    ll = jax.jit(lambda R: so3.ode_log_likelihood(model, params, R, n_steps=100))(R)
    true = dist.log_prob(R)
    return float(jnp.mean(true)), float(jnp.mean(true - ll)), float(jnp.std(true - ll)) / math.sqrt(n)


def bench_accuracy(quick):
    rows = []
    steps = 800 if quick else 6000
    hidden = (256, 256, 256)
    mix = so3.random_mixture(jax.random.PRNGKey(0), 3, 0.3)
    model = so3.SO3ScoreModel(hidden=hidden)
    t0 = time.perf_counter()
    res = so3.train_score_model(model, jax.random.PRNGKey(2), sampler=mix.sample, n_steps=steps,
                                batch_size=512, learning_rate=2e-3, steps_per_call=250)
    lp, gap, se = _nll_gap(model, res.ema_params, mix, jax.random.PRNGKey(11))
    rows.append(("IGSO(3) mixture (3 comp., eps 0.3), MLP %s, %d steps, batch 512" % (hidden, steps),
                 "true NLL %.4f; model - true = %.4f +- %.4f nats" % (-lp, gap, se),
                 "%.0f s" % (time.perf_counter() - t0)))

    sym = so3.symmetric_mixture(jax.random.PRNGKey(6), "tetrahedral", eps=0.25)
    # a tetrahedrally invariant density has no spin-1 or spin-2 part: feed the network
    # the degree <= 3 monomials of the matrix entries
    smodel = so3.SO3ScoreModel(hidden=hidden, degree=3)
    t0 = time.perf_counter()
    res = so3.train_score_model(smodel, jax.random.PRNGKey(3), sampler=sym.sample, n_steps=steps,
                                batch_size=512, learning_rate=2e-3, steps_per_call=250)
    lp, gap, se = _nll_gap(smodel, res.ema_params, sym, jax.random.PRNGKey(12))
    R = jax.jit(lambda k: so3.pf_ode_sample(smodel, res.ema_params, k, 2400, n_steps=100,
                                            dtype=jnp.float64))(jax.random.PRNGKey(13))
    d = jax.vmap(lambda m: lie.geodesic_distance(R, m), out_axes=-1)(sym.mus)
    counts = np.bincount(np.asarray(jnp.argmin(d, -1)), minlength=12)
    from scipy import stats
    rows.append(("tetrahedral-symmetric toy (12 comp., eps 0.25), MLP %s on degree-3 features, "
                 "%d steps, batch 512" % (hidden, steps),
                 "true NLL %.4f; model - true = %.4f +- %.4f nats; mode occupancy chi2 p = %.2f"
                 % (-lp, gap, se, stats.chisquare(counts).pvalue),
                 "%.0f s" % (time.perf_counter() - t0)))

    toy = so3.ConditionalToy(axis=(1.0, 1.0, 0.0), max_angle=2.0, eps=0.25)
    cmodel = so3.SO3ScoreModel(hidden=(128, 128, 128), cond_dim=1)
    t0 = time.perf_counter()
    res = so3.train_score_model(cmodel, jax.random.PRNGKey(3), sampler=toy.sample, n_steps=steps,
                                batch_size=256, learning_rate=2e-3, steps_per_call=250)
    sample = jax.jit(lambda k, y: so3.pf_ode_sample(cmodel, res.ema_params, k, 2000, y=y,
                                                    n_steps=100, dtype=jnp.float64))
    errs = []
    for i, y in enumerate((-0.9, -0.4, 0.0, 0.35, 0.8)):
        Rs = sample(jax.random.PRNGKey(20 + i), jnp.array([y]))
        errs.append(float(lie.geodesic_distance(lie.chordal_mean(Rs), toy.mode(y))))
    rows.append(("conditional toy (mode rotates 4 rad over y in [-1, 1]), MLP (128,)*3, %d steps" % steps,
                 "mode error at y = -0.9, -0.4, 0, 0.35, 0.8: " + ", ".join("%.3f" % e for e in errs)
                 + " rad", "%.0f s" % (time.perf_counter() - t0)))

    from inference.cli_so3 import run_ia
    t0 = time.perf_counter()
    n_test = 2000 if quick else 4000
    iar = run_ia(0, n_steps=1000 if quick else 4000, n_train=4000 if quick else 20000,
                 n_test=n_test)
    rows.append(("IA model vs generator (%d test halos, 8 bins 1-40 Mpc/h, paired bootstrap)" % n_test,
                 "ED chi2 = %.1f / 8 (p = %.2f); w_g+ chi2 = %.1f / 8 (p = %.2f)"
                 % (iar["ed_compare"]["chi2"], iar["ed_compare"]["pvalue"],
                    iar["w_compare"]["chi2"], iar["w_compare"]["pvalue"]),
                 "%.0f s" % (time.perf_counter() - t0)))
    return rows


def _table(rows, head):
    out = ["| %s |" % " | ".join(head), "|" + "---|" * len(head)]
    out += ["| %s |" % " | ".join(r) for r in rows]
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--skip-accuracy", action="store_true")
    args = p.parse_args(argv)
    try:
        numerics = bench_numerics()
        speed = bench_speed(args.quick)
        acc = [] if args.skip_accuracy else bench_accuracy(args.quick)
    except KeyboardInterrupt:
        print("interrupted; nothing written")
        return 1
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cmd = "python benchmarks/bench_so3.py" + (" --quick" if args.quick else "")
    text = ["## SO(3) diffusion (`inference.so3`)", "",
            "Command: `%s`. Machine: %s, %d CPU cores visible (shared with other jobs when "
            "measured), jax %s, %s." % (cmd, cpu, os.cpu_count(), jax.__version__,
                                        datetime.date.today().isoformat()),
            "No peer package exists to compare with. Steady-state time excludes compilation, "
            "which is listed separately.", "", "### Speed", "",
            _table(speed, ("task", "steady state", "compile + first call")),
            "", "### Numerical checks (float64)", "", _table(numerics, ("check", "result"))]
    if acc:
        text += ["", "### Accuracy (acceptance figures)", "",
                 _table(acc, ("problem", "result", "wall time (incl. training)"))]
    text = "\n".join(text) + "\n"
    write_section("bench_so3", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
