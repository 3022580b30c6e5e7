"""Score-based diffusion on SO(3) with the IGSO(3) heat kernel.

Forward process
---------------
Brownian motion on SO(3) (space frame): ``R_t = exp(B_{s(t)}) R_0`` with ``B`` a
standard Brownian motion on so(3) = R^3 and ``s(t) = sigma(t)^2 = 2 eps(t)^2``, so
``R_t | R_0 ~ IGSO(3)(R_0, eps(t))``. The schedule is geometric in ``eps``:

    eps(t) = eps_min^(1 - t) * eps_max^t,   t in [0, 1],
    g(t)^2 = d sigma^2 / dt = 4 eps(t)^2 log(eps_max / eps_min).

With the defaults (``eps_min = 0.01``, ``eps_max = 2``) the marginal at ``t = 1`` is
within ~1e-3 (relative density) of the Haar measure, which is the prior.

Model and training
------------------
``score(R, t, y) = MLP(R, t, y) / sigma(t)`` approximates the space-frame score
``grad log p_t(R | y)`` (see :func:`inference.so3.igso3.igso3_score` for the frame).
Denoising score matching with weight ``sigma(t)^2``: for ``R_t = exp(omega n) R_0``
the conditional score is ``(d log f / d omega)(omega; eps(t)) n`` and the loss is

    E_{t ~ U(0,1)} || MLP(R_t, t, y) - sigma(t) * (d log f / d omega) n ||^2 .

Samplers
--------
* probability-flow ODE ``dR/dt = hat(v) R`` with ``v = -g(t)^2 score / 2``, integrated
  with the geometric Heun (explicit Lie-group midpoint / RKMK2) step
  ``y1 = h v(x_n, t_n); y2 = h v(exp(y1/2) x_n, t_n + h/2); x_{n+1} = exp(y2) x_n``;
* reverse SDE as a geodesic random walk
  ``x <- exp(Delta score(x, t) + sqrt(Delta) z) x``, ``Delta = sigma^2(t_n) - sigma^2(t_{n+1})``.

Log-likelihood
--------------
Along the probability-flow ODE ``d log p_t(x_t) / dt = -div v``; the divergence on
SO(3) of ``R -> hat(v(R)) R`` is ``sum_i d v_i(exp(tau e_i) R) / d tau_i`` (the
right-invariant fields are divergence free), computed exactly with a 3x3 forward
Jacobian. ``log p_0(x_0) = log p_1(x_1) + int_0^1 div v dt`` with ``log p_1 = 0``
(Haar prior, densities w.r.t. the normalised Haar measure). The time integral uses
the same midpoint evaluations as the Heun step.

Everything is pure JAX; the training loop shows progress and returns what was trained
so far when interrupted with Ctrl-C.
"""

import dataclasses
import math
import sys
import time
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import igso3, lie, network

__all__ = [
    "SO3ScoreModel", "dsm_loss", "train_score_model", "TrainResult", "geometric_heun_step",
    "integrate", "pf_ode_sample", "reverse_sde_sample", "ode_log_likelihood",
    "velocity_divergence",
]


@dataclasses.dataclass(frozen=True)
class SO3ScoreModel:
    """Static description of a conditional score model on SO(3) (hashable).

    Attributes
    ----------
    eps_min, eps_max : float
        IGSO(3) concentration at t = 0 and t = 1.
    hidden : tuple of int
        MLP hidden widths.
    n_freq : int
        Number of Fourier frequencies of the time embedding.
    cond_dim : int
        Length of the conditioning vector ``y`` (0 for an unconditional model).
    degree : int
        Highest degree of the monomials of the matrix entries fed to the network
        (1: the 9 entries; 3 is needed for densities with a discrete symmetry).
    """

    eps_min: float = 0.01
    eps_max: float = 2.0
    hidden: tuple = (256, 256, 256)
    n_freq: int = 6
    cond_dim: int = 0
    degree: int = 1

    # --- schedule -------------------------------------------------------------------
    def eps(self, t):
        """IGSO(3) concentration eps(t) (geometric schedule)."""
        t = jnp.asarray(t)
        return self.eps_min * jnp.exp(t * math.log(self.eps_max / self.eps_min))

    def sigma(self, t):
        """Brownian scale sigma(t) = sqrt(2) eps(t) (radians)."""
        return math.sqrt(2.0) * self.eps(t)

    def g2(self, t):
        """g(t)^2 = d sigma^2 / dt."""
        return 4.0 * self.eps(t) ** 2 * math.log(self.eps_max / self.eps_min)

    # --- network --------------------------------------------------------------------
    def init(self, key, dtype=jnp.float32):
        """Fresh network parameters (pytree)."""
        n_in = (network.n_rotation_features(self.degree) + network.n_time_features(self.n_freq)
                + self.cond_dim)
        return network.init_mlp(key, n_in, self.hidden, 3, dtype)

    def _y(self, y):
        if self.cond_dim == 0:
            return None
        if y is None:
            raise ValueError("this model needs a conditioning vector y of length %d" % self.cond_dim)
        return y

    def score(self, params, R, t, y=None):
        """Model score at one rotation ``R`` (3, 3), time ``t``, conditioning ``y``.

        Returns a (3,) space-frame tangent vector in ``R.dtype``.
        """
        x = network.score_features(R, t, self._y(y), self.n_freq, self.degree)
        out = network.apply_mlp(params, x).astype(R.dtype)
        return out / self.sigma(jnp.asarray(t, R.dtype))

    def velocity(self, params, R, t, y=None):
        """Probability-flow ODE velocity ``-g^2(t) score / 2`` (space frame)."""
        return -0.5 * self.g2(jnp.asarray(t, R.dtype)) * self.score(params, R, t, y)


# ------------------------------------------------------------------------------------
# training


def _batch_y(y, n):
    if y is None:
        return None
    y = jnp.asarray(y)
    return jnp.broadcast_to(y, (n,) + y.shape[-1:])


def dsm_loss(model, params, key, R0, y=None, table=None):
    """Denoising score-matching loss (sigma^2 weighted) on a batch ``R0`` (B, 3, 3).

    ``table`` (an :class:`~inference.so3.igso3.AngleQuantileTable` spanning the
    model's eps range) makes the noise draws cheap; without it each draw builds its
    own CDF table (exact but slow).
    """
    B = R0.shape[0]
    kt, ka, kn = jax.random.split(key, 3)
    # stratified times reduce the variance of the estimate
    t = (jnp.arange(B, dtype=R0.dtype) + jax.random.uniform(kt, (B,), R0.dtype)) / B
    eps = model.eps(t)
    if table is None:
        omega = jax.vmap(lambda k, e: igso3.igso3_sample_angle(k, e, (), 256))(
            jax.random.split(ka, B), eps)
    else:
        omega = table.sample(ka, eps).astype(R0.dtype)
    n = jax.random.normal(kn, (B, 3), R0.dtype)
    n = n / jnp.linalg.norm(n, axis=-1, keepdims=True)
    Rt = lie.exp(omega[:, None] * n) @ R0
    target = (model.sigma(t) * igso3.igso3_dlog_density(omega, eps))[:, None] * n
    yb = _batch_y(y, B)
    if yb is None:
        out = jax.vmap(lambda R, tt: network.apply_mlp(
            params, network.score_features(R, tt, None, model.n_freq, model.degree)))(Rt, t)
    else:
        out = jax.vmap(lambda R, tt, yy: network.apply_mlp(
            params, network.score_features(R, tt, yy, model.n_freq, model.degree)))(Rt, t, yb)
    return jnp.mean(jnp.sum((out.astype(R0.dtype) - target) ** 2, axis=-1))


class TrainResult(NamedTuple):
    """Output of :func:`train_score_model`."""

    params: Any          # last iterate
    ema_params: Any      # exponential moving average (use these for sampling)
    losses: np.ndarray   # mean loss per chunk of ``steps_per_call`` steps
    steps_done: int
    interrupted: bool
    first_chunk_seconds: float = float("nan")   # includes JIT compilation
    steps_per_second: float = float("nan")      # steady state, after the first chunk


def _progress(msg, stream):
    if stream is not None:
        stream.write("\r" + msg)
        stream.flush()


def train_score_model(model, key, *, data=None, cond=None, sampler=None, n_steps=2000,
                      batch_size=256, learning_rate=1e-3, ema_decay=0.999,
                      steps_per_call=100, params=None, dtype=jnp.float32,
                      progress=True, optimizer=None):
    """Train ``model`` by denoising score matching with optax (Adam + cosine decay).

    Give either ``data`` (array (N, 3, 3) of rotations, with ``cond`` (N, c) for a
    conditional model) to draw minibatches from, or ``sampler(key, batch_size)``
    returning ``R`` (B, 3, 3) or ``(R, y)`` for fresh samples each step.

    Steps run in jitted chunks of ``steps_per_call`` (``n_steps`` is rounded up to a
    whole number of chunks). The learning rate follows a warm-up + cosine schedule
    down to 2% of ``learning_rate``; gradients are clipped to global norm 1; the
    exponential moving average of the parameters (decay ``ema_decay`` with the usual
    ``(1 + n) / (10 + n)`` warm-up) is returned as ``ema_params`` and is what the
    samplers should use. Training runs in ``dtype`` (float32 by default).

    Progress (step, loss, steady-state steps/s) is written to stderr when
    ``progress`` is true. Ctrl-C stops training and returns the parameters as of the
    last completed chunk (``interrupted=True``).
    """
    import optax

    if (data is None) == (sampler is None):
        raise ValueError("give exactly one of data= or sampler=")
    kinit, key = jax.random.split(key)
    if params is None:
        params = model.init(kinit, dtype)
    if optimizer is None:
        sched = optax.warmup_cosine_decay_schedule(
            0.0, learning_rate, min(500, max(1, n_steps // 10)), max(n_steps, 2), learning_rate * 0.02)
        optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(sched))
    opt_state = optimizer.init(params)
    ema = params
    table = igso3.AngleQuantileTable.build(model.eps_min, model.eps_max, dtype=dtype)

    if data is not None:
        data_arr = jnp.asarray(data, dtype)
        cond_arr = None if cond is None else jnp.asarray(cond, dtype)
        n_data = data_arr.shape[0]

        def get_batch(k):
            idx = jax.random.randint(k, (batch_size,), 0, n_data)
            return data_arr[idx], (None if cond_arr is None else cond_arr[idx])
    else:
        def get_batch(k):
            out = sampler(k, batch_size)
            if isinstance(out, tuple):
                return out[0].astype(dtype), out[1].astype(dtype)
            return out.astype(dtype), None

    def one_step(carry, k):
        p, o, e, n = carry
        kb, kl = jax.random.split(k)
        R0, y = get_batch(kb)
        loss, grads = jax.value_and_grad(lambda pp: dsm_loss(model, pp, kl, R0, y, table))(p)
        updates, o = optimizer.update(grads, o, p)
        p = optax.apply_updates(p, updates)
        # EMA with the usual warm-up so that short runs are not dominated by the init
        d = jnp.minimum(ema_decay, (1.0 + n) / (10.0 + n)).astype(dtype)
        e = jax.tree_util.tree_map(lambda a, b: d * a + (1 - d) * b, e, p)
        return (p, o, e, n + 1), loss

    @jax.jit
    def chunk(carry, k):
        carry, losses = jax.lax.scan(one_step, carry, jax.random.split(k, steps_per_call))
        return carry, jnp.mean(losses)

    stream = sys.stderr if progress else None
    carry = (params, opt_state, ema, jnp.zeros((), dtype))
    losses = []
    n_chunks = max(1, -(-n_steps // steps_per_call))
    done = 0
    interrupted = False
    t0 = time.perf_counter()
    t_first = None
    try:
        for i in range(n_chunks):
            key, k = jax.random.split(key)
            carry, l = chunk(carry, k)
            losses.append(float(l))
            done += steps_per_call
            now = time.perf_counter()
            if i == 0:
                t_first = now   # the first chunk includes compilation
                rate = ""
            else:
                rate = "%.1f steps/s" % ((done - steps_per_call) / max(now - t_first, 1e-9))
            _progress("[so3 train] step %d/%d  loss %.4f  %s   "
                      % (done, n_chunks * steps_per_call, losses[-1], rate), stream)
    except KeyboardInterrupt:
        interrupted = True
        _progress("[so3 train] interrupted at step %d; returning the model trained so far\n" % done, stream)
    else:
        _progress("\n", stream)
    params, _, ema, _ = carry
    t_end = time.perf_counter()
    first = (t_first - t0) if t_first is not None else float("nan")
    rate = ((done - steps_per_call) / (t_end - t_first)
            if t_first is not None and done > steps_per_call else float("nan"))
    return TrainResult(params, ema, np.asarray(losses), done, interrupted, first, rate)


# ------------------------------------------------------------------------------------
# integrators


def geometric_heun_step(f, R, t, h):
    """One geometric Heun (Lie midpoint) step for ``dR/dt = hat(f(R, t)) R``.

    ``f`` maps rotations ``(..., 3, 3)`` and a scalar time to ``(..., 3)``.
    ``y1 = h f(R, t); y2 = h f(exp(y1/2) R, t + h/2); return exp(y2) R``.
    The result is exactly a rotation up to rounding.
    """
    y1 = h * f(R, t)
    Rm = lie.exp(0.5 * y1) @ R
    y2 = h * f(Rm, t + 0.5 * h)
    return lie.exp(y2) @ R


def integrate(f, R, t0, t1, n_steps, return_path=False):
    """Integrate ``dR/dt = hat(f(R, t)) R`` from ``t0`` to ``t1`` with ``n_steps`` Heun steps."""
    h = (t1 - t0) / n_steps
    ts = t0 + h * jnp.arange(n_steps, dtype=R.dtype)

    def body(R, t):
        Rn = geometric_heun_step(f, R, t, h)
        return Rn, (Rn if return_path else None)

    R, path = jax.lax.scan(body, R, ts)
    return (R, path) if return_path else R


def _score_callable(model, params, score_fn):
    """Per-sample score s(R, t, y): the network's, or ``score_fn`` when given."""
    if score_fn is not None:
        return score_fn
    return lambda R, t, y: model.score(params, R, t, y)


def _batched(fn, y):
    """vmap a per-sample function fn(R, t, y) over a batch of R (and of y if batched)."""
    if y is None:
        return lambda R, t: jax.vmap(lambda r: fn(r, t, None))(R)
    return lambda R, t: jax.vmap(lambda r, yy: fn(r, t, yy))(R, _batch_y(y, R.shape[0]))


def pf_ode_sample(model, params, key=None, n=None, y=None, n_steps=100, R1=None, dtype=None,
                  return_path=False, score_fn=None):
    """Sample with the probability-flow ODE from t = 1 (Haar prior) to t = 0.

    Either give ``key`` and ``n`` (Haar-uniform starting points) or ``R1`` (B, 3, 3).
    ``y`` is (c,) or (B, c) for a conditional model. Returns rotations (B, 3, 3).
    ``score_fn(R, t, y)`` (per sample) replaces the network when given (e.g. a known
    true score); ``model`` then only provides the schedule.
    """
    if R1 is None:
        R1 = lie.random_rotation(key, (n,), dtype=dtype)
    sf = _score_callable(model, params, score_fn)
    f = _batched(lambda R, t, yy: -0.5 * model.g2(t) * sf(R, t, yy), y)
    return integrate(f, R1, jnp.asarray(1.0, R1.dtype), jnp.asarray(0.0, R1.dtype), n_steps,
                     return_path)


def reverse_sde_sample(model, params, key, n, y=None, n_steps=200, noise="gaussian", dtype=None,
                       score_fn=None):
    """Sample with the reverse SDE as a geodesic random walk from t = 1 to t = 0.

    Each step ``x <- exp(Delta score(x, t_n) + xi) x`` with ``Delta = sigma^2(t_n) -
    sigma^2(t_{n+1})`` and ``xi`` either ``sqrt(Delta) N(0, I_3)`` (``noise='gaussian'``)
    or an exact Brownian increment, an IGSO(3)(eps = sqrt(Delta / 2)) rotation vector
    (``noise='igso3'``). The last step lands on t = 0 (eps_min).
    """
    k0, key = jax.random.split(key)
    R = lie.random_rotation(k0, (n,), dtype=dtype)
    ts = jnp.linspace(1.0, 0.0, n_steps + 1, dtype=R.dtype)
    sfn = _batched(_score_callable(model, params, score_fn), y)

    def body(R, inp):
        ta, tb, k = inp
        delta = model.sigma(ta) ** 2 - model.sigma(tb) ** 2
        s = sfn(R, ta)
        if noise == "gaussian":
            xi = jnp.sqrt(delta) * jax.random.normal(k, (n, 3), R.dtype)
            return lie.exp(delta * s + xi) @ R, None
        Rn = igso3.igso3_sample(k, jnp.sqrt(0.5 * delta), (n,), n_grid=512).astype(R.dtype)
        return Rn @ lie.exp(delta * s) @ R, None

    R, _ = jax.lax.scan(body, R, (ts[:-1], ts[1:], jax.random.split(key, n_steps)))
    return R


def velocity_divergence(vfn, R):
    """Value and exact divergence of the field ``R -> hat(vfn(R)) R`` at one rotation R.

    ``div = sum_i d vfn(exp(tau e_i) R)_i / d tau_i`` at tau = 0 (3x3 forward Jacobian).
    """
    def g(tau):
        v = vfn(lie.exp(tau) @ R)
        return v, v

    J, v = jax.jacfwd(g, has_aux=True)(jnp.zeros(3, R.dtype))
    return v, jnp.trace(J)


def ode_log_likelihood(model, params, R0, y=None, n_steps=100, return_prior_point=False,
                       score_fn=None):
    """log density (w.r.t. the normalised Haar measure) of rotations ``R0`` (B, 3, 3).

    Integrates the probability-flow ODE from t = 0 to 1 with the geometric Heun step
    and accumulates the exact divergence at the midpoints:
    ``log p_0(R0) = log p_1(R1) + int_0^1 div v dt`` with ``log p_1 = 0`` (Haar prior).
    Returns (B,) log densities (nats); negate and average for the NLL.
    ``score_fn(R, t, y)`` replaces the network when given.
    """
    yb = None if y is None else _batch_y(y, R0.shape[0])
    sf = _score_callable(model, params, score_fn)

    def vel(x, t, yy):
        return -0.5 * model.g2(t) * sf(x, t, yy)

    def fd(R, t):
        if yb is None:
            return jax.vmap(lambda r: velocity_divergence(lambda x: vel(x, t, None), r))(R)
        return jax.vmap(lambda r, yy: velocity_divergence(lambda x: vel(x, t, yy), r))(R, yb)

    h = 1.0 / n_steps
    ts = h * jnp.arange(n_steps, dtype=R0.dtype)

    def body(carry, t):
        R, ll = carry
        v1, _ = fd(R, t)
        Rm = lie.exp(0.5 * h * v1) @ R
        v2, d2 = fd(Rm, t + 0.5 * h)
        return (lie.exp(h * v2) @ R, ll + h * d2), None

    (R1, ll), _ = jax.lax.scan(body, (R0, jnp.zeros(R0.shape[0], R0.dtype)), ts)
    return (ll, R1) if return_prior_point else ll
