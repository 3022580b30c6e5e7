"""Where GalSim's shared data files live (``galsim.meta_data.share_dir``).

GalSim ships SEDs, bandpasses and other tables in its ``share`` folder.  jax_galsim
ships none yet (the chromatic classes that read them are not implemented), so
``share_dir`` is ``$GALSIM_SHARE_DIR`` when set, else ``jax_galsim/share``, which is
absent until such data is added.
"""

import os

if "GALSIM_SHARE_DIR" in os.environ:
    share_dir = os.environ["GALSIM_SHARE_DIR"]
else:
    share_dir = os.path.join(os.path.dirname(os.path.realpath(__file__)), "share")
