"""``pyfits``: the FITS I/O module GalSim uses, i.e. ``astropy.io.fits``.

GalSim's tests do ``from galsim._pyfits import pyfits``."""

from astropy.io import fits as pyfits

__all__ = ["pyfits"]
