"""Hybrid physical-neural PM: a learned isotropic Fourier filter on the PM force.

Model (Lanzieri, Lanusse & Starck 2022, "Hybrid Physical-Neural ODEs for Fast N-body
Simulations", arXiv:2207.05509): the Fourier-space potential of the PM solver is
multiplied by ``1 + f_theta(a, |k|)``, where f_theta depends on the wavenumber only
through its modulus (so the corrected force keeps the translation and the
cube-rotation symmetries of the PM scheme) and on the scale factor ``a``.  As in the
paper, f_theta is a B-spline in |k| whose coefficients are the output of a small
multi-layer perceptron of ``a``:

    f_theta(a, k) = sum_j c_j(a) B3(x / h - j),   x = |k| / pi = k / k_Nyq,

with B3 the cardinal cubic B-spline, ``n_knots`` uniform knots h = sqrt(3) / (n_knots - 1)
covering the whole FFT cube (|k| <= sqrt(3) pi radians per cell), and
c(a) = MLP(a, sin(pi m a), cos(pi m a), m = 1..n_fourier) (GELU hidden layers).  The
last layer is initialised to zero, so an untrained model is exactly the identity
filter and the corrected run equals the plain PM run.

Training (:func:`train`): a reference PM run with a force mesh ``boost`` times finer
than the particle grid and more time steps, and a coarse PM run (force mesh = particle
grid, few steps) from the same initial conditions; the loss over snapshots at
``save_at`` is the paper's

    L = < |x_coarse - x_ref|^2 >  +  lambda_pk < (P_coarse(k) / P_ref(k) - 1)^2 >,

(periodic position differences in particle-grid cells; both spectra of the CIC density
on the particle-grid mesh, so the painting window cancels in the ratio), minimised with
Adam (optax).

Units: ``box_size`` in Mpc/h and k in h/Mpc (the :mod:`cosmo.pm` convention); the
network sees |k| in units of the Nyquist frequency of the force mesh.
"""

import time
from functools import partial

import numpy as np
import jax
import jax.numpy as jnp

from .nbody import nbody
from .initial import linear_field
from .statistics import density_contrast, power_spectrum, default_kedges

__all__ = ["init_params", "correction", "make_force_filter", "periodic_difference",
           "make_reference", "coarse_run", "hybrid_loss", "pk_ratio", "train", "initial_field",
           "nyquist_error"]

_SQRT3 = float(np.sqrt(3.0))


# ---------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------
def init_params(key, n_knots=16, hidden=(32, 32), n_fourier=3):
    """Random parameters of f_theta, zero last layer (identity filter).

    Parameters
    ----------
    key : jax PRNG key
    n_knots : int
        Number of B-spline coefficients in |k| (uniform over [0, sqrt 3] k_Nyq).
    hidden : tuple of int
        Widths of the hidden layers of the MLP of ``a``.
    n_fourier : int
        Number of Fourier features sin/cos(pi m a) of the input (plus ``a`` itself).

    Returns a dict pytree ``{"layers": [(W, b), ...]}``; the architecture is read
    back from the shapes, so the dict is all :func:`correction` needs.
    """
    sizes = (1 + 2 * n_fourier,) + tuple(hidden) + (n_knots,)
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for i, (k, n_in, n_out) in enumerate(zip(keys, sizes[:-1], sizes[1:])):
        if i == len(sizes) - 2:
            w = jnp.zeros((n_in, n_out))
        else:
            w = jax.random.normal(k, (n_in, n_out)) * np.sqrt(2.0 / n_in)
        layers.append((w, jnp.zeros((n_out,))))
    return {"layers": layers}


def _features(a, n_in):
    n_fourier = (n_in - 1) // 2
    a = jnp.asarray(a)
    m = jnp.arange(1, n_fourier + 1, dtype=a.dtype) * jnp.pi
    return jnp.concatenate([a[None], jnp.sin(m * a), jnp.cos(m * a)])


def _spline_coefficients(params, a):
    layers = params["layers"]
    h = _features(a, layers[0][0].shape[0]).astype(layers[0][0].dtype)
    for w, b in layers[:-1]:
        h = jax.nn.gelu(h @ w + b)
    w, b = layers[-1]
    return h @ w + b


def _bspline3(u):
    """Cardinal cubic B-spline centred on 0 (support |u| < 2, partition of unity)."""
    u = jnp.abs(u)
    inner = (2.0 - u) ** 3 / 6.0 - 4.0 * jnp.clip(1.0 - u, 0.0) ** 3 / 6.0
    return jnp.where(u < 2.0, inner, 0.0)


def correction(params, a, kk):
    """f_theta(a, |k|) (dimensionless).

    Parameters
    ----------
    params : dict from :func:`init_params`
    a : float scalar
        Scale factor.
    kk : array, any shape
        |k| in radians per cell of the force mesh (Nyquist = pi).

    Returns an array of ``kk``'s shape: sum_j c_j(a) B3(x/h - j), x = kk / pi.
    """
    c = _spline_coefficients(params, a)
    n = c.shape[0]
    h = _SQRT3 / (n - 1)
    x = jnp.asarray(kk) / jnp.pi
    basis = _bspline3(x[..., None] / h - jnp.arange(n, dtype=x.dtype))
    return basis @ c.astype(x.dtype)


def make_force_filter(params):
    """The ``force_filter`` for :func:`cosmo.pm.nbody.nbody`: ``(a, kk) -> 1 + f_theta``."""
    def force_filter(a, kk):
        return 1.0 + correction(params, a, kk)
    return force_filter


# ---------------------------------------------------------------------------------
# Reference and coarse runs, loss
# ---------------------------------------------------------------------------------
def periodic_difference(x, y, n):
    """x - y wrapped into [-n/2, n/2) per axis (n: periodic box in the same units)."""
    n = jnp.asarray(n, dtype=jnp.result_type(x, y))
    return jnp.mod(x - y + 0.5 * n, n) - 0.5 * n


def make_reference(cosmo, init_field, save_at, a_init=0.1, n_steps=40, boost=2):
    """High-resolution PM snapshots: force mesh ``boost`` times finer, ``n_steps`` steps.

    ``init_field`` (n, n, n): linear density at a = 1 (one particle per cell, 2LPT at
    ``a_init``); ``save_at``: snapshot scale factors (static).  Returns snapshot
    positions (n_save, n, n, n, 3) in **particle-grid** cells (the fine-mesh positions
    divided by ``boost``).  Jitted; the compiled run is cached per static setting.
    """
    return _reference(cosmo, init_field, _static_times(save_at), float(a_init),
                      int(n_steps), int(boost))


def _static_times(save_at):
    return tuple(float(s) for s in np.atleast_1d(np.asarray(save_at, dtype=float)))


@partial(jax.jit, static_argnums=(2, 3, 4, 5))
def _reference(cosmo, init_field, save_at, a_init, n_steps, boost):
    shape = tuple(init_field.shape)
    fine = tuple(boost * s for s in shape) if boost != 1 else None
    *_, snaps = nbody(cosmo, init_field, a_init, max(save_at), n_steps,
                      save_at=np.asarray(save_at), force_mesh_shape=fine)
    return snaps / boost


def coarse_run(cosmo, init_field, save_at, params=None, a_init=0.1, n_steps=10):
    """Coarse PM snapshots (force mesh = particle grid, ``n_steps`` steps from 2LPT at
    ``a_init``) with the correction ``params`` (None: plain PM).  Returns
    (n_save, n, n, n, 3) positions in cells.  Differentiable in ``params``, ``cosmo``
    and ``init_field``; jitted (cached per static setting)."""
    return _coarse(cosmo, init_field, params, _static_times(save_at), float(a_init),
                   int(n_steps))


@partial(jax.jit, static_argnums=(3, 4, 5))
def _coarse(cosmo, init_field, params, save_at, a_init, n_steps):
    ff = None if params is None else make_force_filter(params)
    *_, snaps = nbody(cosmo, init_field, a_init, max(save_at), n_steps,
                      save_at=np.asarray(save_at), force_filter=ff)
    return snaps


def pk_ratio(snapshots, ref_snapshots, box_size, kedges=None):
    """P_snap(k) / P_ref(k) of the CIC densities on the particle-grid mesh.

    ``box_size`` [Mpc/h]; returns ``(k [h/Mpc], ratio (n_save, n_k))``; ``kedges``
    default :func:`cosmo.pm.statistics.default_kedges`.
    """
    shape = tuple(snapshots.shape[1:4])
    kedges = default_kedges(shape, box_size) if kedges is None else kedges
    return _pk_ratio(snapshots, ref_snapshots, float(box_size),
                     tuple(float(k) for k in np.asarray(kedges)))


@partial(jax.jit, static_argnums=(2, 3))
def _pk_ratio(snapshots, ref_snapshots, box_size, kedges):
    shape = tuple(snapshots.shape[1:4])
    kedges = np.asarray(kedges)

    def pk(x):
        return power_spectrum(density_contrast(x, shape), box_size, kedges)[:2]

    # a Python loop, not vmap: on jax 0.10.2 CPU the float32 gradient of a vmapped
    # cic_paint segfaults (XLA); snapshots are few
    k, p = zip(*[pk(x) for x in snapshots])
    pr = jnp.stack([pk(x)[1] for x in ref_snapshots])
    return k[0], jnp.stack(p) / pr


def nyquist_error(k, ratio, box_size, n_mesh, band=(0.5, 1.0)):
    """RMS of (ratio - 1) over the bins with k / k_Nyq in ``band`` (k_Nyq = pi n / L)."""
    kny = np.pi * n_mesh / float(box_size)
    k = np.asarray(k)
    sel = (k >= band[0] * kny) & (k <= band[1] * kny)
    r = np.asarray(ratio)[..., sel]
    return float(np.sqrt(np.mean((r - 1.0) ** 2)))


def hybrid_loss(params, cosmo, init_field, ref_snapshots, save_at, box_size,
                lambda_pk=1.0, a_init=0.1, n_steps=10, kedges=None):
    """Lanzieri et al. (2022) loss of the corrected coarse run against the reference.

    mean squared periodic position error [cells^2] over all particles and snapshots
    + ``lambda_pk`` x mean over snapshots and k bins of (P / P_ref - 1)^2, with
    ``box_size`` [Mpc/h] and the other arguments as for :func:`coarse_run` and
    :func:`pk_ratio`.  Returns ``(loss, (position_mse, pk_mse))``.
    """
    snaps = coarse_run(cosmo, init_field, save_at, params, a_init, n_steps)
    n = init_field.shape[0]
    d = periodic_difference(snaps, ref_snapshots, n)
    mse_x = jnp.mean(jnp.sum(d**2, axis=-1))
    _, ratio = pk_ratio(snaps, ref_snapshots, box_size, kedges)
    mse_pk = jnp.mean((ratio - 1.0) ** 2)
    return mse_x + lambda_pk * mse_pk, (mse_x, mse_pk)


# ---------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------
def initial_field(cosmo, seed, n_part, box_size):
    """The linear density at a = 1 of IC seed ``seed`` (``PRNGKey(seed)`` white noise)
    on an ``n_part``^3 mesh of side ``box_size`` [Mpc/h] (jitted, cosmology traced)."""
    return _initial(cosmo, jax.random.PRNGKey(int(seed)), int(n_part), float(box_size))


@partial(jax.jit, static_argnums=(2, 3))
def _initial(cosmo, key, n, box_size):
    return linear_field(key, (n,) * 3, box_size, cosmo)


def train(cosmo, seeds=(0,), n_part=32, box_size=128.0, save_at=(0.4, 0.6, 0.8, 1.0),
          a_init=0.1, n_steps_coarse=10, n_steps_ref=40, boost=2, n_iter=200,
          learning_rate=3e-3, lambda_pk=1.0, params=None, key=None, print_every=0,
          network=None):
    """Train f_theta against a boosted-resolution PM reference.

    Parameters
    ----------
    cosmo : Cosmology
    seeds : sequence of int
        IC seeds of the training set (``jax.random.PRNGKey(seed)`` white noise); Adam
        cycles through them, one per iteration.
    n_part : int
        Particles (and coarse force-mesh cells) per side.
    box_size : float
        Box side [Mpc/h].
    save_at : sequence of float
        Scale factors of the snapshots entering the loss.
    a_init : float
        Starting scale factor (2LPT initial conditions).
    n_steps_coarse, n_steps_ref : int
        Time steps of the coarse and reference runs.
    boost : int
        Reference force mesh = ``boost * n_part`` per side.
    n_iter : int
        Adam iterations.
    learning_rate : float
    lambda_pk : float
        Weight of the P(k) term of :func:`hybrid_loss`.
    params : optional initial parameters (default :func:`init_params`).
    key : PRNG key for the network initialisation (default PRNGKey(0)).
    print_every : int
        Print the loss every that many iterations (0: silent).
    network : dict, optional
        Keyword arguments for :func:`init_params`.

    Returns ``(params, history)`` with ``history`` a dict of per-iteration lists
    ``loss``, ``mse_x``, ``mse_pk``.  A KeyboardInterrupt stops the loop and returns
    the parameters reached so far.
    """
    import optax

    save_at = np.asarray(save_at, dtype=float)
    if params is None:
        key = jax.random.PRNGKey(0) if key is None else key
        params = init_params(key, **(network or {}))
    # the cosmology is a traced argument, not a closed-over constant: XLA would
    # otherwise constant-fold the growth tables at every compilation
    data = []
    for s in seeds:
        field = initial_field(cosmo, int(s), n_part, box_size)
        data.append((field, make_reference(cosmo, field, save_at, a_init, n_steps_ref, boost)))
    opt = optax.adam(learning_rate)
    state = opt.init(params)

    @jax.jit
    def update(params, state, cosmo, field, ref):
        (loss, aux), g = jax.value_and_grad(hybrid_loss, has_aux=True)(
            params, cosmo, field, ref, save_at, box_size, lambda_pk, a_init, n_steps_coarse)
        upd, state = opt.update(g, state, params)
        return optax.apply_updates(params, upd), state, loss, aux

    history = {"loss": [], "mse_x": [], "mse_pk": []}
    t0 = time.time()
    try:
        for it in range(int(n_iter)):
            field, ref = data[it % len(data)]
            params, state, loss, (mx, mp) = update(params, state, cosmo, field, ref)
            history["loss"].append(float(loss))
            history["mse_x"].append(float(mx))
            history["mse_pk"].append(float(mp))
            if print_every and (it % print_every == 0 or it == n_iter - 1):
                print(f"hybrid train {it:5d}: loss {float(loss):.5f}  pos {float(mx):.5f} "
                      f"cells^2  pk {float(mp):.5f}  ({time.time() - t0:.1f} s)", flush=True)
    except KeyboardInterrupt:
        print("hybrid train: interrupted, returning the current parameters", flush=True)
    return params, history
