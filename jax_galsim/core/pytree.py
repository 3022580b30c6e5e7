"""One declaration of a class's parameters, from which its pytree registration,
equality, hashing, ``repr`` and pickling are derived.

A class that derives from :class:`Pytree` lists the *attribute names* that hold its
traced values (``_leaves``) and its static structure (``_static``)::

    class PositionD(Pytree):
        _leaves = ("x", "y")
        _static = ()

* ``jax.tree_util`` sees the ``_leaves`` attributes as children and the ``_static``
  attributes as auxiliary data, so ``jit``/``vmap``/``grad`` work over the leaves;
* rebuilding from leaves (:meth:`Pytree._from_leaves`) bypasses ``__init__``, so no
  validation runs on tracers;
* ``==`` and ``hash`` compare the class and the concrete values of all declared
  attributes (arrays by content);
* ``repr`` is ``galsim.ClassName(name=value, ...)`` over ``_repr_args()``, which by
  default maps each declared attribute (leading underscore stripped) to its value, so
  ``eval(repr(obj))`` with ``galsim`` bound to ``jax_galsim`` recreates the object.
  A class whose constructor arguments differ from its attributes overrides
  ``_repr_args`` (not ``__repr__``).

Pickling needs nothing: the state is the instance ``__dict__``.
"""

import numbers

import jax
import numpy as np

__all__ = ["Pytree", "concrete_key", "format_value"]


def concrete_key(value):
    """A hashable, comparable stand-in for ``value`` (recursing into containers).

    Tracers have no concrete value; they compare by identity so that ``==`` on traced
    objects never raises a ``ConcretizationTypeError``."""
    if isinstance(value, jax.core.Tracer):
        return ("tracer", id(value))
    if isinstance(value, (np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return arr.item()
        return ("array", arr.dtype.str, arr.shape, arr.tobytes())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return tuple(concrete_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, concrete_key(v)) for k, v in value.items()))
    return value


def format_value(value):
    """``repr`` of a parameter value that evaluates back (no ``Array(...)`` wrappers)."""
    if isinstance(value, jax.core.Tracer):
        return repr(value)
    if isinstance(value, (np.ndarray, jax.Array, np.generic)):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return repr(arr.item())
        return "array(%r, dtype=%s)" % (arr.tolist(), arr.dtype.name)
    if isinstance(value, numbers.Number) or value is None or isinstance(value, str):
        return repr(value)
    return repr(value)


class Pytree:
    """Base class deriving pytree, ``==``, ``hash`` and ``repr`` from ``_leaves``
    and ``_static`` (attribute names).  See the module docstring."""

    _leaves = ()
    _static = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node(cls, cls._tree_flatten, cls._tree_unflatten)

    # --- pytree protocol ---------------------------------------------------------
    def _tree_flatten(self):
        children = tuple(getattr(self, name) for name in self._leaves)
        aux = tuple(getattr(self, name) for name in self._static)
        return children, aux

    @classmethod
    def _tree_unflatten(cls, aux, children):
        return cls._from_leaves(children, aux)

    @classmethod
    def _from_leaves(cls, children, aux=()):
        obj = cls.__new__(cls)
        for name, value in zip(cls._leaves, children):
            object.__setattr__(obj, name, value)
        for name, value in zip(cls._static, aux):
            object.__setattr__(obj, name, value)
        return obj

    def tree_replace(self, **changes):
        """A copy with some declared attributes replaced (no validation)."""
        children, aux = self._tree_flatten()
        children = tuple(changes.pop(n, v) for n, v in zip(self._leaves, children))
        aux = tuple(changes.pop(n, v) for n, v in zip(self._static, aux))
        if changes:
            raise TypeError("Not declared parameters of %s: %s" % (type(self).__name__, sorted(changes)))
        return self._from_leaves(children, aux)

    # --- equality, hashing, repr -------------------------------------------------
    def _key(self):
        return tuple(concrete_key(getattr(self, n)) for n in self._leaves + self._static)

    def __eq__(self, other):
        return self is other or (type(other) is type(self) and self._key() == other._key())

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("galsim." + type(self).__name__, self._key()))

    def _repr_args(self):
        """(name, value) pairs of constructor arguments that recreate ``self``."""
        return [(n.lstrip("_"), getattr(self, n)) for n in self._leaves + self._static]

    def __repr__(self):
        args = ", ".join("%s=%s" % (n, format_value(v)) for n, v in self._repr_args())
        return "galsim.%s(%s)" % (type(self).__name__, args)
