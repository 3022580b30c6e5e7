"""``so3-demo``: train SO(3) diffusion models on a toy problem and on an intrinsic-
alignment catalogue, and write plots and a summary.

Usage (through the project CLI, ``jax-galsim so3-demo``, or directly)::

    python -m inference.cli_so3 [--out output/so3-demo] [--quick] [--seed 0]

Stages (each shows progress; Ctrl-C during training keeps what was trained so far):

1. IGSO(3) mixture toy: train, held-out NLL from the probability-flow ODE against the
   exact density; plots of the rotation-angle histogram (angle to the nearest
   component mean) and marginal projections (rotation-vector components and the
   rotated z axis on the sky) for data and model samples.
2. IA: a training and a test halo catalogue (``cosmo.intrinsic_alignment``), the
   conditional model of galaxy orientations in the halo frame, orientations sampled
   for the test halos, ED and w_g+ of model vs truth with bootstrap errors, and the
   misalignment-angle histograms per mass bin.

Outputs: PNG files and ``summary.json`` under ``--out``.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np


def _log(msg):
    print("[so3-demo] " + msg, flush=True)


def run_toy(seed=0, n_steps=5000, hidden=(128, 128, 128), n_eval=2000, progress=True,
            n_components=3, eps=0.3):
    """Train on an IGSO(3) mixture; return a dict of results and arrays for plots."""
    import jax
    import jax.numpy as jnp

    from inference import so3

    key = jax.random.PRNGKey(seed)
    kmix, ktrain, keval, ksamp, kdata = jax.random.split(key, 5)
    mix = so3.random_mixture(kmix, n_components, eps)
    model = so3.SO3ScoreModel(hidden=tuple(hidden))
    t0 = time.perf_counter()
    res = so3.train_score_model(model, ktrain, sampler=mix.sample, n_steps=n_steps,
                                batch_size=256, learning_rate=2e-3, steps_per_call=250,
                                progress=progress)
    t_train = time.perf_counter() - t0
    R_eval = mix.sample(keval, n_eval)
    ll = jax.jit(lambda R: so3.ode_log_likelihood(model, res.ema_params, R, n_steps=100))(R_eval)
    true = mix.log_prob(R_eval)
    R_model = jax.jit(lambda k: so3.pf_ode_sample(model, res.ema_params, k, n_eval, n_steps=100))(ksamp)
    R_data = mix.sample(kdata, n_eval)
    return {
        "mixture": mix, "model": model, "result": res, "train_seconds": t_train,
        "nll_true": -float(jnp.mean(true)), "nll_model": -float(jnp.mean(ll)),
        "nll_gap": float(jnp.mean(true - ll)),
        "nll_gap_se": float(jnp.std(true - ll)) / math.sqrt(n_eval),
        "R_model": np.asarray(R_model), "R_data": np.asarray(R_data),
    }


R_BINS = np.geomspace(1.0, 40.0, 9)


def run_ia(seed=0, n_steps=4000, n_train=20000, n_test=4000, box_size=200.0, progress=True,
           hidden=(128, 128, 128)):
    """Train the IA model and compare ED and w_g+ of model samples with the truth."""
    import jax

    from cosmo import intrinsic_alignment as ia
    from inference.so3 import ia as sia

    key = jax.random.PRNGKey(1000 + seed)
    k1, k2, k3, k4 = jax.random.split(key, 4)
    _log("IA: generating catalogues (%d training, %d test halos)" % (n_train, n_test))
    train = ia.make_halo_catalogue(k1, n_halos=n_train, box_size=box_size)
    test = ia.make_halo_catalogue(k2, n_halos=n_test, box_size=box_size)
    t0 = time.perf_counter()
    model, res = sia.train_ia_model(train, k3, model=sia.ia_model(hidden=hidden), n_steps=n_steps,
                                    steps_per_call=250, progress=progress)
    t_train = time.perf_counter() - t0
    _log("IA: sampling orientations for the test halos (probability-flow ODE, 100 steps)")
    frames = sia.sample_ia_orientations(model, res.ema_params, test, k4)
    _log("IA: ED and w_g+ (pair counts and bootstrap)")
    e_t = ia.projected_ellipticity(test.galaxy_frames, test.galaxy_axis_ratios)
    e_m = ia.projected_ellipticity(frames, test.galaxy_axis_ratios)
    ed_t = ia.ed_correlation(test.positions, test.galaxy_frames, test.box_size, R_BINS)
    ed_m = ia.ed_correlation(test.positions, frames, test.box_size, R_BINS)
    w_t = ia.wgplus(test.positions, e_t, test.box_size, R_BINS, pi_max=30.0)
    w_m = ia.wgplus(test.positions, e_m, test.box_size, R_BINS, pi_max=30.0)
    return {
        "catalogue": test, "model_frames": frames, "result": res, "train_seconds": t_train,
        "ed_truth": ed_t, "ed_model": ed_m, "w_truth": w_t, "w_model": w_m,
        "ed_compare": ia.compare_statistics(ed_t, ed_m),
        "w_compare": ia.compare_statistics(w_t, w_m),
    }


def _nearest_angle(mus, R):
    d = np.einsum("kij,nij->nk", mus, R)       # tr(mu^T R)
    return np.arccos(np.clip((d.max(1) - 1) / 2, -1, 1))


def plot_toy(toy, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from inference.so3 import lie

    mus = np.asarray(toy["mixture"].mus)
    Rd, Rm = toy["R_data"], toy["R_model"]
    fig, ax = plt.subplots(1, 1, figsize=(5, 4))
    bins = np.linspace(0, 1.6, 41)
    ax.hist(_nearest_angle(mus, Rd), bins, histtype="step", density=True, label="data")
    ax.hist(_nearest_angle(mus, Rm), bins, histtype="step", density=True, label="model (ODE)")
    ax.set_xlabel("angle to nearest component mean [rad]")
    ax.set_ylabel("density")
    ax.set_title("IGSO(3) mixture: NLL gap %.3f nats" % toy["nll_gap"])
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "toy_angle_hist.png"), dpi=110)
    plt.close(fig)

    vd, vm = np.asarray(lie.log(Rd)), np.asarray(lie.log(Rm))
    fig, axs = plt.subplots(1, 4, figsize=(16, 3.6))
    for i in range(3):
        b = np.linspace(-math.pi, math.pi, 61)
        axs[i].hist(vd[:, i], b, histtype="step", density=True, label="data")
        axs[i].hist(vm[:, i], b, histtype="step", density=True, label="model")
        axs[i].set_xlabel("rotation vector component %d [rad]" % i)
    axs[0].legend()
    for R, lab, m in ((Rd, "data", "."), (Rm, "model", "x")):
        z = R[:, :, 2]
        axs[3].scatter(np.arctan2(z[:, 1], z[:, 0]), np.arcsin(np.clip(z[:, 2], -1, 1)), s=2,
                       marker=m, alpha=0.4, label=lab)
    axs[3].set_xlabel("longitude of R e_z [rad]")
    axs[3].set_ylabel("latitude [rad]")
    axs[3].legend(markerscale=4)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "toy_marginals.png"), dpi=110)
    plt.close(fig)


def plot_ia(iar, out):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cat = iar["catalogue"]
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    for ax, a, b, lab, comp in ((axs[0], iar["w_truth"], iar["w_model"], "w_g+ [Mpc/h]", "w_compare"),
                                (axs[1], iar["ed_truth"], iar["ed_model"], "ED", "ed_compare")):
        r = a.bin_centres
        scale = r if lab.startswith("w") else np.ones_like(r)
        ax.errorbar(r, scale * a.value, scale * a.error, fmt="o", label="generator truth")
        ax.errorbar(r * 1.04, scale * b.value, scale * b.error, fmt="s", label="diffusion model")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("r_p [Mpc/h]" if lab.startswith("w") else "r [Mpc/h]")
        ax.set_ylabel(("r_p " + lab) if lab.startswith("w") else lab)
        c = iar[comp]
        ax.set_title("chi2 = %.1f / %d, p = %.2f" % (c["chi2"], c["dof"], c["pvalue"]))
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "ia_wgplus_ed.png"), dpi=110)
    plt.close(fig)

    rel_t = cat.relative_orientations()
    rel_m = cat.relative_orientations(iar["model_frames"])
    ang = lambda M: np.arccos(np.clip((np.trace(M, axis1=1, axis2=2) - 1) / 2, -1, 1))
    at, am = ang(rel_t), ang(rel_m)
    fig, axs = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (lo, hi) in zip(axs, ((11.5, 12.0), (12.0, 13.0), (13.0, 14.5))):
        m = (cat.log10_mass >= lo) & (cat.log10_mass < hi)
        b = np.linspace(0, math.pi, 31)
        ax.hist(at[m], b, histtype="step", density=True, label="truth")
        ax.hist(am[m], b, histtype="step", density=True, label="model")
        ax.set_title("%.1f <= log10 M < %.1f (%d halos)" % (lo, hi, m.sum()))
        ax.set_xlabel("galaxy-halo misalignment angle [rad]")
    axs[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "ia_misalignment_hist.png"), dpi=110)
    plt.close(fig)


def main(argv=None):
    """Entry point: ``so3-demo``. Returns a process exit code."""
    p = argparse.ArgumentParser(prog="so3-demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join("output", "so3-demo"), help="output folder")
    p.add_argument("--quick", action="store_true", help="short training (a smoke run)")
    p.add_argument("--toy-steps", type=int, default=None, help="training steps, toy")
    p.add_argument("--ia-steps", type=int, default=None, help="training steps, IA")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-ia", action="store_true", help="only the toy problem")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    toy_steps = args.toy_steps or (500 if args.quick else 6000)
    ia_steps = args.ia_steps or (500 if args.quick else 4000)
    summary = {}
    try:
        _log("toy: IGSO(3) mixture, %d training steps" % toy_steps)
        toy = run_toy(args.seed, toy_steps, n_eval=500 if args.quick else 2000)
        _log("toy: held-out NLL model %.4f vs true %.4f nats (gap %.4f +- %.4f)"
             % (toy["nll_model"], toy["nll_true"], toy["nll_gap"], toy["nll_gap_se"]))
        plot_toy(toy, args.out)
        summary["toy"] = {k: toy[k] for k in ("nll_true", "nll_model", "nll_gap", "nll_gap_se",
                                              "train_seconds")}
        summary["toy"]["steps"] = int(toy["result"].steps_done)
        if not args.skip_ia:
            _log("IA: %d training steps" % ia_steps)
            iar = run_ia(args.seed, ia_steps, n_train=4000 if args.quick else 20000,
                         n_test=2000 if args.quick else 4000)
            plot_ia(iar, args.out)
            for name, lab in (("ed_compare", "ED"), ("w_compare", "w_g+")):
                c = iar[name]
                _log("IA: %s model vs truth: chi2 = %.2f for %d bins, p = %.3f"
                     % (lab, c["chi2"], c["dof"], c["pvalue"]))
            summary["ia"] = {
                "train_seconds": iar["train_seconds"], "steps": int(iar["result"].steps_done),
                "r_bins": R_BINS.tolist(),
                "wgplus_truth": iar["w_truth"].value.tolist(), "wgplus_model": iar["w_model"].value.tolist(),
                "wgplus_err": iar["w_truth"].error.tolist(),
                "ed_truth": iar["ed_truth"].value.tolist(), "ed_model": iar["ed_model"].value.tolist(),
                "ed_err": iar["ed_truth"].error.tolist(),
                "ed_chi2": iar["ed_compare"]["chi2"], "ed_pvalue": iar["ed_compare"]["pvalue"],
                "wgplus_chi2": iar["w_compare"]["chi2"], "wgplus_pvalue": iar["w_compare"]["pvalue"],
            }
    except KeyboardInterrupt:
        _log("interrupted; writing what is done")
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    _log("wrote %s" % os.path.abspath(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
