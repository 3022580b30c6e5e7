"""GalSim's public API on JAX.

``import jax_galsim as galsim`` in existing GalSim code.  Every profile, transform and
image is a JAX pytree, so ``jax.jit``, ``jax.vmap``, ``jax.grad`` and ``jax.jacfwd``
work over their continuous parameters.  Importing this package never changes JAX's
global configuration; call ``jax.config.update("jax_enable_x64", True)`` yourself for
float64 work (GalSim's default precision).
"""

__version__ = "0.1.0"
__version_info__ = (0, 1, 0)

from .errors import *
from .position import *
from .bounds import *
from .angle import *
from .celestial import *
from .shear import *
from .gsparams import *
from .image import *
from .wcs import *
from .fits import *
from .fitswcs import *
from .random import *
from .noise import *
from .table import *
from .sed import *
from .gsobject import *
from .gaussian import *
from .exponential import *
from .moffat import *
from .box import *
from .deltafunction import *
from .transform import *
from .sum import *
from .convolve import *
from .fouriersqrt import *
from .photon_array import *

from . import errors
from . import utilities
from . import fits
from . import wcs
from . import integ
from . import random
from . import noise
from . import table
from . import hsm
from . import core
from . import fft
from . import photon_array
from . import meta_data
from . import _galsim
