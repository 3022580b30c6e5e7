"""WCS types read from FITS headers.

Only the linear part is implemented so far: :func:`FitsWCS` reads headers with no WCS
(giving ``PixelScale(1.0)``) and headers with a ``LINEAR`` (or absent) ``CTYPE1``
(giving an `AffineTransform`, simplified to `PixelScale` / `OffsetWCS` where exact),
as GalSim does.  The celestial WCS classes (`GSFitsWCS`, `AstropyWCS`, `PyAstWCS`,
`WcsToolsWCS`) and the factories `TanWCS` and `FittedSIPWCS` are not implemented yet
(later issue): they raise `GalSimNotImplementedError`.  For a celestial header,
`FitsWCS` falls back, with a warning, to GalSim's last resort: the `AffineTransform`
of the header's linear keys (CD matrix in the header's units, usually degrees).
"""

from .errors import GalSimIncompatibleValuesError, GalSimNotImplementedError, galsim_warn
from .wcs import AffineTransform, CelestialWCS, OffsetWCS, PixelScale, _as_fits_header

__all__ = [
    "AstropyWCS",
    "PyAstWCS",
    "WcsToolsWCS",
    "GSFitsWCS",
    "FitsWCS",
    "TanWCS",
    "FittedSIPWCS",
]


def _not_implemented(name):
    raise GalSimNotImplementedError("galsim.%s is not implemented yet in jax_galsim: later issue" % name)


class AstropyWCS(CelestialWCS):
    """A celestial WCS backed by astropy.wcs.  Not implemented yet (later issue)."""

    def __init__(self, *args, **kwargs):
        _not_implemented("AstropyWCS")


class PyAstWCS(CelestialWCS):
    """A celestial WCS backed by starlink.Ast.  Not implemented yet (later issue)."""

    def __init__(self, *args, **kwargs):
        _not_implemented("PyAstWCS")


class WcsToolsWCS(CelestialWCS):
    """A celestial WCS backed by the wcstools programs.  Not implemented yet (later
    issue)."""

    def __init__(self, *args, **kwargs):
        _not_implemented("WcsToolsWCS")


class GSFitsWCS(CelestialWCS):
    """GalSim's native celestial FITS WCS (TAN, TPV, TAN-SIP, ...).  Not implemented
    yet (later issue)."""

    def __init__(self, *args, **kwargs):
        _not_implemented("GSFitsWCS")


def TanWCS(affine, world_origin, units=None):
    """A tangent-plane projection WCS.  Not implemented yet (later issue)."""
    _not_implemented("TanWCS")


def FittedSIPWCS(x, y, ra, dec, wcs_type="TAN", order=3, center=None):
    """A TAN-SIP WCS fitted to reference positions.  Not implemented yet (later
    issue)."""
    _not_implemented("FittedSIPWCS")


#: WCS classes FitsWCS tries, in order, on celestial headers (none implemented yet).
fits_wcs_types = []


def FitsWCS(
    file_name=None,
    dir=None,
    hdu=None,
    header=None,
    compression="auto",
    text_file=False,
    suppress_warning=False,
):
    """Read a WCS from a FITS file or header and return a WCS that works.

    Parameters:
        file_name:        The FITS file to read the WCS from. [default: None]
        dir:              Optional directory to prepend to ``file_name``. [default: None]
        hdu:              The HDU to use when reading a file. [default: None]
        header:           A FITS header (astropy header, `FitsHeader` or dict).
                          [default: None]
        compression:      The compression of the file (see ``galsim.fits.read``).
                          [default: 'auto']
        text_file:        Whether ``file_name`` is a text file of header cards.
                          [default: False]
        suppress_warning: Whether to suppress the warning given when the WCS defaults to
                          `PixelScale` or `AffineTransform`. [default: False]

    With no WCS keys this is ``PixelScale(1.0)``; with linear keys an `AffineTransform`
    (a `PixelScale` or `OffsetWCS` where that is exact).  Celestial WCS types are not
    implemented yet: such headers fall back, with a warning, to the `AffineTransform` of
    their linear keys, GalSim's own last resort.
    """
    if file_name is not None:
        if header is not None:
            raise GalSimIncompatibleValuesError(
                "Cannot provide both file_name and pyfits header", file_name=file_name, header=header
            )
        from .fits import FitsHeader

        header = FitsHeader(
            file_name=file_name, dir=dir, hdu=hdu, compression=compression, text_file=text_file
        )
    else:
        file_name = "header"
    if header is None:
        raise GalSimIncompatibleValuesError(
            "Must provide either file_name or header", file_name=file_name, header=header
        )
    header = _as_fits_header(header)

    if "CTYPE1" not in header and "CDELT1" not in header:
        if not suppress_warning:
            galsim_warn("No WCS information found in %r. Defaulting to PixelScale(1.0)" % (file_name))
        return PixelScale(1.0)

    if header.get("CTYPE1", "LINEAR") == "LINEAR":
        wcs = AffineTransform._readHeader(header)
        if wcs.dudx == wcs.dvdy and wcs.dudy == wcs.dvdx == 0:
            if wcs.x0 == wcs.y0 == wcs.u0 == wcs.v0 == 0:
                wcs = PixelScale(wcs.dudx)
            else:
                wcs = OffsetWCS(wcs.dudx, wcs.origin, wcs.world_origin)
        return wcs

    for wcs_type in fits_wcs_types:
        try:
            return wcs_type._readHeader(header)
        except Exception:
            pass
    # Celestial WCS classes are not implemented yet, so say so even when the caller
    # asked to suppress GalSim's usual fallback warning.
    galsim_warn(
        "Celestial FITS WCS types (CTYPE1=%r) are not implemented yet in jax_galsim. "
        "Using AffineTransform of the linear keys of %r instead, which will not really "
        "be correct." % (header.get("CTYPE1"), file_name)
    )
    return AffineTransform._readHeader(header)
