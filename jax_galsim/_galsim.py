"""The names of GalSim's compiled layer (``galsim._galsim``) that jax_galsim has.

GalSim keeps a C++ twin of some Python classes (``PositionD._p``, ``BoundsI._b`` are
``galsim._galsim`` objects).  jax_galsim has no compiled layer: the JAX classes are the
implementation, so their ``_p``/``_b`` are the objects themselves, and these names
resolve to the same classes for code that refers to ``galsim._galsim`` directly.
"""

from .bounds import BoundsD, BoundsI
from .position import PositionD, PositionI

__all__ = ["PositionD", "PositionI", "BoundsD", "BoundsI"]
