"""Train the hybrid PM correction (Lanzieri et al. 2022) and plot P(k) against a
high-resolution reference: docs/figures/hybrid_pm_pk.png.

Setup (defaults): 32^3 particles in a 128 Mpc/h box, 2LPT at a = 0.1, LSST Y10
fiducial cosmology.  Reference: PM with a 64^3 force mesh (FastPM boost 2) and 40
steps; coarse: PM on the 32^3 particle mesh with 10 steps.  The correction is trained
on IC seeds 0 and 1 (snapshots a = 0.4, 0.6, 0.8, 1) and evaluated on the held-out
seed 2.  Prints the P(k) error near the Nyquist scale (RMS of P/P_ref - 1 for
k in [0.5, 1] k_Nyq at a = 1) before and after, and the position RMS error.

Usage:  python benchmarks/hybrid_pm_figure.py [--n-iter 150] [--float64]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _figures import FIGURES, save_figure  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n-part", type=int, default=32)
    p.add_argument("--box", type=float, default=128.0)
    p.add_argument("--n-iter", type=int, default=150)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--lambda-pk", type=float, default=1.0)
    p.add_argument("--steps-coarse", type=int, default=10)
    p.add_argument("--steps-ref", type=int, default=40)
    p.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--test-seed", type=int, default=2)
    p.add_argument("--float64", action="store_true")
    p.add_argument("--out", default=os.path.join(FIGURES, "hybrid_pm_pk.png"))
    args = p.parse_args(argv)

    import jax
    if args.float64:
        jax.config.update("jax_enable_x64", True)
    import numpy as np
    import jax.numpy as jnp
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cosmo.cosmology import LSST_Y10_FIDUCIAL as C
    from cosmo.pm import hybrid as H

    n, box = args.n_part, args.box
    save = (0.4, 0.6, 0.8, 1.0)
    t0 = time.time()
    params, hist = H.train(C, seeds=args.train_seeds, n_part=n, box_size=box, save_at=save,
                           n_steps_coarse=args.steps_coarse, n_steps_ref=args.steps_ref,
                           n_iter=args.n_iter, learning_rate=args.lr,
                           lambda_pk=args.lambda_pk, print_every=25)
    t_train = time.time() - t0
    kny = np.pi * n / box
    rows, curves = [], {}
    for label, seed in [("train", args.train_seeds[0]), ("held-out", args.test_seed)]:
        field = H.initial_field(C, seed, n, box)
        ref = H.make_reference(C, field, save, 0.1, args.steps_ref, 2)
        plain = H.coarse_run(C, field, save, None, 0.1, args.steps_coarse)
        hyb = H.coarse_run(C, field, save, params, 0.1, args.steps_coarse)
        k, r0 = H.pk_ratio(plain, ref, box)
        _, r1 = H.pk_ratio(hyb, ref, box)
        def rms(x):
            d = H.periodic_difference(x[-1], ref[-1], n)
            return float(jnp.sqrt(jnp.mean(jnp.sum(d**2, -1))))

        dx0, dx1 = rms(plain), rms(hyb)
        e0 = H.nyquist_error(k, r0[-1], box, n)
        e1 = H.nyquist_error(k, r1[-1], box, n)
        rows.append((label, seed, e0, e1, dx0, dx1))
        curves[label] = (np.asarray(k) / kny, np.asarray(r0[-1]), np.asarray(r1[-1]))
    t_all = time.time() - t0

    print()
    print(f"| IC seed | P(k) RMS error, k in [0.5, 1] k_Nyq, a=1: PM | hybrid | "
          f"position RMS error [cells]: PM | hybrid |")
    print("|---|---|---|---|---|")
    for label, seed, e0, e1, dx0, dx1 in rows:
        print(f"| {seed} ({label}) | {e0:.3f} | {e1:.3f} | {dx0:.3f} | {dx1:.3f} |")
    print(f"\ntraining {t_train:.0f} s, total {t_all:.0f} s "
          f"({args.n_iter} Adam steps, jax {jax.__version__}, "
          f"{'float64' if args.float64 else 'float32'})")

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for label, ls in [("held-out", "-"), ("train", ":")]:
        x, r0, r1 = curves[label]
        ax[0].plot(x, r0, "C0" + ls, label=f"PM {n}$^3$, {args.steps_coarse} steps ({label} IC)")
        ax[0].plot(x, r1, "C3" + ls, label=f"hybrid PM ({label} IC)")
    ax[0].axhline(1.0, color="k", lw=0.5)
    ax[0].set_xlabel(r"$k / k_{\rm Nyq}$")
    ax[0].set_ylabel(r"$P(k) / P_{\rm ref}(k)$ at $a=1$")
    ax[0].set_title(f"reference: {2 * n}$^3$ force mesh, {args.steps_ref} steps")
    ax[0].legend(fontsize=8)
    ax[1].semilogy(hist["loss"], label="total")
    ax[1].semilogy(hist["mse_x"], label="position MSE [cells$^2$]")
    ax[1].semilogy(hist["mse_pk"], label="P(k) ratio MSE")
    ax[1].set_xlabel("Adam step")
    ax[1].legend(fontsize=8)
    ax[1].set_title("training loss")
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
