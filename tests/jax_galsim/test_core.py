"""jax_galsim.core: the Pytree declaration and backend selection."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jax_galsim.core.backend import as_scalar, is_traced, xp
from jax_galsim.core.pytree import Pytree


class Pair(Pytree):
    _leaves = ("a", "b")
    _static = ("label",)

    def __init__(self, a, b, label="p"):
        self.a = as_scalar(a)
        self.b = as_scalar(b)
        self.label = label

    def total(self):
        return self.a + self.b


def test_pytree_round_trip_and_transforms():
    p = Pair(1.0, 2.0, "x")
    leaves, treedef = jax.tree_util.tree_flatten(p)
    assert leaves == [1.0, 2.0]
    q = jax.tree_util.tree_unflatten(treedef, leaves)
    assert q == p and q.label == "x"
    assert jax.jit(lambda p: p.total())(p) == 3.0
    g = jax.grad(lambda p: p.a * p.b)(p)
    assert isinstance(g, Pair) and g.a == 2.0 and g.b == 1.0
    batched = Pair(jnp.arange(3.0), jnp.ones(3))
    np.testing.assert_allclose(jax.vmap(lambda p: p.total())(batched), [1.0, 2.0, 3.0])


def test_eq_hash_repr_pickle():
    p = Pair(1.0, 2.0, "x")
    assert p == Pair(1, 2, "x") and hash(p) == hash(Pair(1, 2, "x"))
    assert p != Pair(1.0, 2.5, "x") and p != Pair(1.0, 2.0, "y") and p != (1.0, 2.0)
    assert repr(p) == "galsim.Pair(a=1.0, b=2.0, label='x')"
    assert pickle.loads(pickle.dumps(p)) == p
    assert p.tree_replace(b=5.0) == Pair(1.0, 5.0, "x")
    with pytest.raises(TypeError):
        p.tree_replace(c=1)


def test_traced_objects_compare_by_identity():
    def f(a):
        p = Pair(a, 1.0)
        assert p == p
        assert p != Pair(a + 1.0, 1.0)
        return p.total()
    assert jax.jit(f)(1.0) == 2.0


def test_backend_choice():
    assert xp(1.0, np.ones(2)) is np
    assert xp(1.0, jnp.ones(2)) is jnp
    assert as_scalar(np.float32(0.5)) == 0.5 and type(as_scalar(np.float32(0.5))) is float
    assert type(as_scalar(jnp.asarray(0.25))) is float
    arr = np.arange(3.0)
    assert as_scalar(arr) is arr
    assert not is_traced(1.0, arr)
    seen = []
    jax.jit(lambda x: seen.append(is_traced(x)) or x)(1.0)
    assert seen == [True]
