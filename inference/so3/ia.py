"""Conditional SO(3) diffusion for intrinsic-alignment orientations.

The physics (catalogue generator, projected shapes, ED and w_g+) is in
:mod:`cosmo.intrinsic_alignment`. Here the orientation of each galaxy *relative to
its host halo's eigenframe*, ``Delta = R_halo^T R_gal``, is modelled as
``p(Delta | y)`` with ``y`` the halo properties (``HaloCatalogue.conditioning()``:
log mass and axis ratio). Working in the halo frame uses the rotational symmetry
of the physics (the misalignment law does not depend on where the halo points), so
a small network learns it from a few thousand halos; new galaxies are
``R_gal = R_halo Delta`` with ``Delta`` sampled by the probability-flow ODE (or the
reverse SDE).
"""

import jax
import jax.numpy as jnp
import numpy as np

from . import diffusion

__all__ = ["ia_model", "train_ia_model", "sample_ia_orientations"]


def ia_model(hidden=(128, 128, 128), eps_min=0.01, eps_max=2.0, cond_dim=2):
    """The :class:`~inference.so3.diffusion.SO3ScoreModel` used for IA orientations."""
    return diffusion.SO3ScoreModel(eps_min=eps_min, eps_max=eps_max, hidden=tuple(hidden),
                                   cond_dim=cond_dim)


def train_ia_model(catalogue, key, model=None, n_steps=4000, batch_size=256,
                   learning_rate=2e-3, progress=True, **kw):
    """Train a conditional score model on a :class:`cosmo.intrinsic_alignment.HaloCatalogue`.

    Returns ``(model, TrainResult)``; sample with :func:`sample_ia_orientations`
    using ``result.ema_params``. Extra keywords go to
    :func:`~inference.so3.diffusion.train_score_model`.
    """
    model = model or ia_model(cond_dim=catalogue.conditioning().shape[1])
    data = catalogue.relative_orientations()
    cond = catalogue.conditioning()
    res = diffusion.train_score_model(model, key, data=data, cond=cond, n_steps=n_steps,
                                      batch_size=batch_size, learning_rate=learning_rate,
                                      progress=progress, **kw)
    return model, res


def sample_ia_orientations(model, params, catalogue, key, n_steps=100, method="ode",
                           batch_size=4096, dtype=None):
    """Sample galaxy orientations (N, 3, 3) for the halos of ``catalogue``.

    ``method``: ``'ode'`` (probability flow, geometric Heun, ``n_steps``) or ``'sde'``
    (geodesic random walk). Runs in batches of ``batch_size`` halos. ``dtype``
    defaults to JAX's default float (float64 when x64 is enabled).
    """
    dtype = dtype or jnp.zeros(()).dtype
    cond = jnp.asarray(catalogue.conditioning(), dtype)
    n = cond.shape[0]
    out = []
    if method == "ode":
        fn = jax.jit(lambda k, y: diffusion.pf_ode_sample(model, params, k, y.shape[0], y=y,
                                                          n_steps=n_steps, dtype=dtype))
    elif method == "sde":
        fn = jax.jit(lambda k, y: diffusion.reverse_sde_sample(model, params, k, y.shape[0], y=y,
                                                               n_steps=n_steps, dtype=dtype))
    else:
        raise ValueError("method must be 'ode' or 'sde'")
    for i0 in range(0, n, batch_size):
        key, k = jax.random.split(key)
        y = cond[i0:i0 + batch_size]
        pad = batch_size - y.shape[0] if n > batch_size else 0
        if pad:
            y = jnp.concatenate([y, jnp.broadcast_to(y[:1], (pad, y.shape[1]))])
        d = fn(k, y)
        out.append(np.asarray(d[:d.shape[0] - pad]))
    delta = np.concatenate(out)
    return np.asarray(catalogue.halo_frames) @ delta
