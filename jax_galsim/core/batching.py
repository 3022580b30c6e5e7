"""Running a vmapped drawing kernel over its batch in cache-sized chunks on the CPU.

``jax.vmap`` of a drawing vectorises the whole batch: every intermediate k image
becomes ``batch`` times larger, and on a CPU a batch of a few hundred postage stamps no
longer fits in cache, so each element-wise pass and each small matrix product runs at
memory speed.  :func:`chunked` keeps ``vmap``'s meaning but, on the CPU backend,
evaluates a batch with ``lax.map(..., batch_size=CPU_CHUNK)``: ``CPU_CHUNK`` stamps at a
time, vectorised within the chunk.  On GPUs and TPUs the whole batch is vectorised as
usual.  Derivatives are unaffected: forward and reverse mode go through the plain
function (a ``custom_jvp`` whose rule is the function's own JVP).
"""

import jax
import jax.numpy as jnp
from jax import custom_batching

__all__ = ["CPU_CHUNK", "chunked"]

#: Stamps evaluated together when a draw is vmapped on the CPU (``None``: vectorise
#: the whole batch, as on accelerators).
CPU_CHUNK = 8


def _chunk():
    return CPU_CHUNK if jax.default_backend() == "cpu" else None


def chunked(fn, *args):
    """``fn(*args)``; under ``vmap`` on the CPU, the batch runs through ``lax.map`` in
    chunks of :data:`CPU_CHUNK`.  ``args`` are pytrees of arrays; ``fn`` must be a pure
    function of them."""
    size = _chunk()
    if size is None:
        return fn(*args)

    @custom_batching.custom_vmap
    def run(*a):
        return fn(*a)

    @run.def_vmap
    def _rule(axis_size, in_batched, *a):
        a = jax.tree_util.tree_map(
            lambda x, batched: x if batched else jnp.broadcast_to(x, (axis_size,) + jnp.shape(x)),
            a, tuple(in_batched))
        out = jax.lax.map(lambda xs: fn(*xs), a, batch_size=min(size, axis_size))
        return out, jax.tree_util.tree_map(lambda _: True, out)

    @jax.custom_jvp
    def wrapped(*a):
        return run(*a)

    @wrapped.defjvp
    def _jvp(primals, tangents):
        return jax.jvp(fn, primals, tangents)

    return wrapped(*args)
