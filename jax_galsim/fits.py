"""Reading and writing `Image` objects as FITS files (through ``astropy.io.fits``).

Functions: `read`, `readMulti`, `readCube`, `readFile`, `write`, `writeMulti`,
`writeCube`, `writeFile`, `closeHDUList`, and the dict-like `FitsHeader`.

Compression (the ``compression`` argument):

* ``'rice'``, ``'gzip_tile'``, ``'hcompress'``, ``'plio'``: tiled compression inside
  the FITS file (``CompImageHDU``; the image goes into extension 1);
* ``'gzip'``, ``'bzip2'``: the whole file is compressed;
* ``None`` / ``'none'``: no compression;
* ``'auto'`` (default): from the file name: ``.fz`` -> rice, ``.gz`` -> gzip,
  ``.bz2`` -> bzip2, anything else -> none.

The WCS is written with the WCS's ``writeToFitsHeader`` and read with
`galsim.wcs.readFromFitsHeader` (``GS_XMIN``/``GS_YMIN`` keep the image origin).

JAX notes:
    FITS I/O is eager host code; images holding traced arrays cannot be written.
"""

import bz2
import copy
import gzip
import io
import os

import numpy as np

from ._pyfits import pyfits
from .errors import (
    GalSimIncompatibleValuesError,
    GalSimValueError,
    galsim_warn,
)
from .image import Image

__all__ = ["FitsHeader"]

_COMPRESSIONS = ("rice", "gzip_tile", "hcompress", "plio", "gzip", "bzip2", "none", "auto")

_TILE_TYPES = {
    "rice": "RICE_1", "RICE_1": "RICE_1",
    "gzip_tile": "GZIP_1", "GZIP_1": "GZIP_1",
    "hcompress": "HCOMPRESS_1", "HCOMPRESS_1": "HCOMPRESS_1",
    "plio": "PLIO_1", "PLIO_1": "PLIO_1",
}


def _parse_compression(compression, file_name):
    """Split ``compression`` into (whole-file compression, tile compression type)."""
    if compression in _TILE_TYPES:
        return None, _TILE_TYPES[compression]
    if compression in ("gzip", "bzip2"):
        return compression, None
    if compression is None or compression == "none":
        return None, None
    if compression == "auto":
        if file_name:
            name = file_name.lower()
            if name.endswith(".fz"):
                return None, "RICE_1"
            if name.endswith(".gz"):
                return "gzip", None
            if name.endswith(".bz2"):
                return "bzip2", None
        return None, None
    raise GalSimValueError("Invalid compression", compression, _COMPRESSIONS)


def _ensure_dir(file_name):
    d = os.path.dirname(file_name)
    if d and not os.path.exists(d):
        os.makedirs(d, exist_ok=True)


def _read_file(file_name, dir, file_compress):
    """Open a FITS file (decompressing whole-file gzip/bzip2 in memory).

    Returns ``(hdu_list, fin)``; ``fin`` is an extra handle to close (or None)."""
    if dir:
        file_name = os.path.join(dir, file_name)
    if not os.path.isfile(file_name):
        raise OSError("File %s not found" % file_name)
    if not file_compress:
        return pyfits.open(file_name, "readonly"), None
    opener = gzip.open if file_compress == "gzip" else bz2.BZ2File
    try:
        with opener(file_name, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise OSError("Unable to decompress %s with %s: %s" % (file_name, file_compress, e)) from None
    fin = io.BytesIO(data)
    return pyfits.open(fin, "readonly"), fin


_WRITE_KW = {"output_verify": "silentfix+ignore"}


def _write_file(file_name, dir, hdu_list, clobber, file_compress):
    if dir:
        file_name = os.path.join(dir, file_name)
    _ensure_dir(file_name)
    if os.path.isfile(file_name):
        if clobber:
            os.remove(file_name)
        else:
            raise OSError("File %r already exists" % file_name)
    if not file_compress:
        hdu_list.writeto(file_name, **_WRITE_KW)
        return
    buf = io.BytesIO()
    hdu_list.writeto(buf, **_WRITE_KW)
    opener = gzip.open if file_compress == "gzip" else bz2.BZ2File
    with opener(file_name, "wb") as fout:
        fout.write(buf.getvalue())


def _add_hdu(hdu_list, data, tile_compress):
    if tile_compress:
        if len(hdu_list) == 0:
            hdu_list.append(pyfits.PrimaryHDU())
        hdu = pyfits.CompImageHDU(data, compression_type=tile_compress)
    elif len(hdu_list) == 0:
        hdu = pyfits.PrimaryHDU(data)
    else:
        hdu = pyfits.ImageHDU(data)
    hdu_list.append(hdu)
    return hdu


def _add_to_header(hdu, image):
    h = FitsHeader(hdu.header)
    if hasattr(image, "header"):
        h.extend(image.header)
    if image.wcs:
        image.wcs.writeToFitsHeader(h, image.bounds)


def _check_hdu(hdu, tile_compress, header_only=False):
    hdu.header  # astropy fixes fixable problems on access
    if not header_only:
        try:
            hdu.data
        except pyfits.VerifyError:  # pragma: no cover
            hdu.verify("fix")
            hdu.data
    if tile_compress:
        if not isinstance(hdu, pyfits.CompImageHDU):
            raise OSError("Found invalid HDU type reading FITS file (expected a CompImageHDU)")
    elif not isinstance(hdu, (pyfits.CompImageHDU, pyfits.ImageHDU, pyfits.PrimaryHDU)):
        raise OSError("Found invalid HDU type reading FITS file (expected an ImageHDU)")


def _get_hdu(hdu_list, hdu, tile_compress, header_only=False):
    if isinstance(hdu_list, pyfits.HDUList):
        if hdu is None:
            if tile_compress:
                if len(hdu_list) <= 1:
                    raise OSError("Expecting at least one extension HDU in galsim.read")
                hdu = 1
            else:
                hdu = 0
        if len(hdu_list) <= hdu:
            raise OSError("Expecting at least %d HDUs in galsim.read" % (hdu + 1))
        hdu = hdu_list[hdu]
    elif isinstance(hdu_list, (pyfits.ImageHDU, pyfits.PrimaryHDU, pyfits.CompImageHDU)):
        hdu = hdu_list
    else:
        raise TypeError("Invalid hdu_list: %s" % (hdu_list,))
    _check_hdu(hdu, tile_compress, header_only)
    return hdu


def _check_file_or_list(file_name, hdu_list):
    if file_name and hdu_list is not None:
        raise GalSimIncompatibleValuesError(
            "Cannot provide both file_name and hdu_list", file_name=file_name, hdu_list=hdu_list
        )
    if not (file_name or hdu_list is not None):
        raise GalSimIncompatibleValuesError(
            "Must provide either file_name or hdu_list", file_name=file_name, hdu_list=hdu_list
        )


def _host_array(image):
    arr = image.array
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(arr)
    return arr


def closeHDUList(hdu_list, fin):
    """Close an HDUList (and the extra file handle ``fin`` from `readFile`, if any)."""
    hdu_list.close()
    if fin:
        fin.close()


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def write(image, file_name=None, dir=None, hdu_list=None, clobber=True, compression="auto"):
    """Write one `Image` to a FITS file (or append it to ``hdu_list``).

    Also available as ``image.write(...)``.

    Parameters:
        image:       The `Image` (real-valued; complex images raise ValueError).
        file_name:   The file to write. [either this or ``hdu_list`` is required]
        dir:         Directory prepended to ``file_name``. [default: None]
        hdu_list:    An ``astropy.io.fits.HDUList`` to append the image to instead.
        clobber:     Overwrite an existing file (else raise OSError). [default: True]
        compression: See the module docstring. [default: 'auto']
    """
    if image.iscomplex:
        raise GalSimValueError(
            "Cannot write complex Images to a fits file. "
            "Write image.real and image.imag separately.", image
        )
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    if hdu_list is None:
        hdu_list = pyfits.HDUList()
    hdu = _add_hdu(hdu_list, _host_array(image), tile_compress)
    _add_to_header(hdu, image)
    if file_name:
        _write_file(file_name, dir, hdu_list, clobber, file_compress)


def writeMulti(image_list, file_name=None, dir=None, hdu_list=None, clobber=True,
               compression="auto"):
    """Write a list of images to a multi-extension FITS file, one HDU per image.

    Items of ``image_list`` that are not `Image` objects are taken to be ready-made
    HDUs and appended as they are.  Other parameters as for `write`.
    """
    if any(im.iscomplex for im in image_list if isinstance(im, Image)):
        raise GalSimValueError(
            "Cannot write complex Images to a fits file. "
            "Write image.real and image.imag separately.", image_list
        )
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    if hdu_list is None:
        hdu_list = pyfits.HDUList()
    for image in image_list:
        if isinstance(image, Image):
            hdu = _add_hdu(hdu_list, _host_array(image), tile_compress)
            _add_to_header(hdu, image)
        else:
            hdu_list.append(image)
    if file_name:
        _write_file(file_name, dir, hdu_list, clobber, file_compress)


def writeCube(image_list, file_name=None, dir=None, hdu_list=None, clobber=True,
              compression="auto"):
    """Write images of equal shape as one FITS data cube.

    ``image_list`` may be a list of `Image` objects, a list of 2-d NumPy arrays, or a
    3-d NumPy array.  The first image's WCS and header go into the FITS header.
    Other parameters as for `write`.
    """
    if isinstance(image_list, np.ndarray):
        is_all_numpy = True
        if image_list.dtype.kind == "c":
            raise GalSimValueError(
                "Cannot write complex numpy arrays to a fits file. "
                "Write array.real and array.imag separately.", image_list
            )
    elif len(image_list) == 0:
        raise GalSimValueError("In writeCube: image_list has no images", image_list)
    elif all(isinstance(item, np.ndarray) for item in image_list):
        is_all_numpy = True
        if any(a.dtype.kind == "c" for a in image_list):
            raise GalSimValueError(
                "Cannot write complex numpy arrays to a fits file. "
                "Write array.real and array.imag separately.", image_list
            )
    else:
        is_all_numpy = False
        if any(im.iscomplex for im in image_list):
            raise GalSimValueError(
                "Cannot write complex images to a fits file. "
                "Write image.real and image.imag separately.", image_list
            )
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    if hdu_list is None:
        hdu_list = pyfits.HDUList()

    if is_all_numpy:
        cube = np.asarray(image_list)
    else:
        first = image_list[0]
        nx = first.xmax - first.xmin + 1
        ny = first.ymax - first.ymin + 1
        cube = np.zeros((len(image_list), ny, nx), dtype=_host_array(first).dtype)
        for k, im in enumerate(image_list):
            if im.xmax - im.xmin + 1 != nx or im.ymax - im.ymin + 1 != ny:
                raise GalSimValueError(
                    "In writeCube: image %d has the wrong shape. Shape is (%d,%d). "
                    "Should be (%d,%d)" % (k, im.xmax - im.xmin + 1, im.ymax - im.ymin + 1, nx, ny),
                    im,
                )
            cube[k] = _host_array(im)
    hdu = _add_hdu(hdu_list, cube, tile_compress)
    if not is_all_numpy:
        _add_to_header(hdu, image_list[0])
    if file_name:
        _write_file(file_name, dir, hdu_list, clobber, file_compress)


def writeFile(file_name, hdu_list, dir=None, clobber=True, compression="auto"):
    """Write an ``astropy.io.fits.HDUList`` to a file, applying GalSim's whole-file
    compression options (``'gzip'``, ``'bzip2'`` or by extension with ``'auto'``).
    Tile compression types are invalid here (compress the HDUs themselves)."""
    file_compress, tile_compress = _parse_compression(compression, file_name)
    if tile_compress and compression != "auto":
        raise GalSimValueError("Compression %s is invalid for writeFile" % compression, compression)
    _write_file(file_name, dir, hdu_list, clobber, file_compress)


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
def _image_data(hdu):
    data = hdu.data
    if data is None:
        raise OSError("HDU is empty.  (data is None)")
    if data.dtype.type not in Image.valid_dtypes:
        galsim_warn(
            "No C++ Image template instantiation for data type %s. "
            "Using numpy.float64 instead." % (data.dtype.type,)
        )
        data = data.astype(np.float64)
    return data


def _read_wcs(header, suppress_warning):
    from .wcs import readFromFitsHeader

    return readFromFitsHeader(header, suppress_warning)


def read(file_name=None, dir=None, hdu_list=None, hdu=None, compression="auto",
         read_header=False, suppress_warning=True):
    """Read an `Image` from a FITS file or an HDUList.

    Parameters:
        file_name:        The file to read. [either this or ``hdu_list`` is required]
        dir:              Directory prepended to ``file_name``. [default: None]
        hdu_list:         An ``astropy.io.fits.HDUList`` (or a single image HDU).
        hdu:              Which HDU to read. [default: None, the primary HDU, or the first
                          extension for tile-compressed files]
        compression:      See the module docstring. [default: 'auto']
        read_header:      Store the header as ``image.header`` (a `FitsHeader`).
                          [default: False]
        suppress_warning: Do not warn when the WCS could not be read and a default was
                          used. [default: True]

    Returns:
        the `Image`, with its origin and WCS from the header (``PixelScale(1.0)`` and
        origin (1,1) if there is none).
    """
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    fin = None
    if file_name:
        hdu_list, fin = _read_file(file_name, dir, file_compress)
    try:
        h = _get_hdu(hdu_list, hdu, tile_compress)
        data = _image_data(h)
        wcs, origin = _read_wcs(h.header, suppress_warning)
        image = Image(array=data)
        image.setOrigin(origin)
        image.wcs = wcs
        if read_header:
            image.header = FitsHeader(h.header)
    finally:
        if file_name:
            closeHDUList(hdu_list, fin)
    return image


def readMulti(file_name=None, dir=None, hdu_list=None, compression="auto",
              read_headers=False, suppress_warning=True):
    """Read every image HDU of a FITS file (or HDUList) into a list of `Image` objects.

    Parameters as for `read` (``read_headers`` stores each header as ``image.header``).
    """
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    fin = None
    if file_name:
        hdu_list, fin = _read_file(file_name, dir, file_compress)
    elif not isinstance(hdu_list, pyfits.HDUList):
        raise TypeError("In readMulti, hdu_list is not an HDUList")
    try:
        if tile_compress:
            first = 1
            if len(hdu_list) <= 1:
                raise OSError("Expecting at least one extension HDU in galsim.read")
        else:
            first = 0
            if len(hdu_list) < 1:
                raise OSError("Expecting at least one HDU in galsim.readMulti")
        images = [
            read(hdu_list=hdu_list, hdu=k, compression=tile_compress, read_header=read_headers,
                 suppress_warning=suppress_warning)
            for k in range(first, len(hdu_list))
        ]
    finally:
        if file_name:
            closeHDUList(hdu_list, fin)
    return images


def readCube(file_name=None, dir=None, hdu_list=None, hdu=None, compression="auto",
             suppress_warning=True):
    """Read a FITS data cube into a list of `Image` objects (one per plane), all with
    the origin and WCS of the header.  Parameters as for `read`."""
    file_compress, tile_compress = _parse_compression(compression, file_name)
    _check_file_or_list(file_name, hdu_list)
    fin = None
    if file_name:
        hdu_list, fin = _read_file(file_name, dir, file_compress)
    try:
        h = _get_hdu(hdu_list, hdu, tile_compress)
        data = _image_data(h)
        wcs, origin = _read_wcs(h.header, suppress_warning)
        if data.ndim == 2:
            data = data[np.newaxis, :, :]
        images = []
        for k in range(data.shape[0]):
            image = Image(array=data[k, :, :])
            image.setOrigin(origin)
            image.wcs = wcs
            images.append(image)
    finally:
        if file_name:
            closeHDUList(hdu_list, fin)
    return images


def readFile(file_name, dir=None, hdu=None, compression="auto"):
    """Open a FITS file with GalSim's compression handling.

    Returns ``(hdu, hdu_list, fin)``: the requested HDU (default: the primary, or the
    first extension for tile compression), the HDUList and a file handle; release
    them with ``closeHDUList(hdu_list, fin)``."""
    file_compress, tile_compress = _parse_compression(compression, file_name)
    hdu_list, fin = _read_file(file_name, dir, file_compress)
    h = _get_hdu(hdu_list, hdu, tile_compress)
    return h, hdu_list, fin


# ---------------------------------------------------------------------------------------
# FitsHeader
# ---------------------------------------------------------------------------------------
class FitsHeader:
    """A dict-like wrapper of an ``astropy.io.fits.Header``.

    Construct from any one of:

    * ``header``: an astropy ``Header`` (used, not copied), a dict, or a list of
      (key, value) / (key, value, comment) cards; a string is taken as ``file_name``;
    * ``file_name`` (with optional ``dir``, ``hdu``, ``compression``): read from a FITS
      file, or, with ``text_file=True``, from a text file of header cards;
    * ``hdu_list`` (with optional ``hdu``): the header of that HDU (kept attached).

    Keys are upper-cased on writing.  Supports ``len``, ``in``, ``[]``, ``del``,
    iteration, ``get``, ``pop``, ``items``, ``keys``, ``values``, ``update``, ``clear``,
    ``append``, ``extend`` and ``comment``.
    """

    _req_params = {"file_name": str}
    _opt_params = {"dir": str, "hdu": int, "compression": str, "text_file": bool}

    def __init__(self, header=None, file_name=None, dir=None, hdu_list=None, hdu=None,
                 compression="auto", text_file=False):
        if header and file_name:
            raise GalSimIncompatibleValuesError(
                "Cannot provide both file_name and header", file_name=file_name, header=header
            )
        if header and hdu_list:
            raise GalSimIncompatibleValuesError(
                "Cannot provide both hdu_list and header", hdu_list=hdu_list, header=header
            )
        if file_name and hdu_list:
            raise GalSimIncompatibleValuesError(
                "Cannot provide both file_name and hdu_list", file_name=file_name, hdu_list=hdu_list
            )
        if isinstance(header, str):
            file_name, header = header, None

        file_compress, tile_compress = _parse_compression(compression, file_name)
        self._tag = None
        fin = None
        if file_name is not None:
            full = os.path.join(dir, file_name) if dir is not None else file_name
            self._tag = "file_name=" + repr(full)
            if hdu is not None:
                self._tag += ", hdu=%r" % hdu
            if compression != "auto":
                self._tag += ", compression=%r" % compression
            if text_file:
                self._tag += ", text_file=True"
                with open(full, "r") as f:
                    lines = [line.strip() for line in f]
                end = lines.index("END") if "END" in lines else len(lines)
                header = pyfits.Header([pyfits.Card.fromstring(line) for line in lines[:end]])
            else:
                hdu_list, fin = _read_file(file_name, dir, file_compress)
        if hdu_list:
            header = _get_hdu(hdu_list, hdu, tile_compress, header_only=True).header

        if file_name and not text_file:
            self.header = copy.copy(header)
            closeHDUList(hdu_list, fin)
        elif isinstance(header, pyfits.Header):
            self.header = header
        else:
            self.header = pyfits.Header()
            if header is not None:
                if hasattr(header, "items"):
                    self.update(header)
                else:
                    for card in header:
                        self.header.append(card, end=True)

    def __len__(self):
        return len(self.header)

    def __contains__(self, key):
        return key in self.header

    def __delitem__(self, key):
        self._tag = None
        del self.header[key]

    def __getitem__(self, key):
        return self.header[key]

    def __iter__(self):
        return iter(self.header)

    def __setitem__(self, key, value):
        self._tag = None
        self.header[key.upper()] = value

    def comment(self, key):
        """The comment of header card ``key``."""
        return self.header.comments[key.upper()]

    def clear(self):
        """Remove all cards."""
        self._tag = None
        self.header.clear()

    def get(self, key, default=None):
        """The value of ``key``, or ``default`` if it is absent."""
        return self.header.get(key, default)

    def pop(self, key, default=None):
        """Remove ``key`` and return its value (``default`` if absent)."""
        self._tag = None
        return self.header.pop(key, default)

    def items(self):
        """The (key, value) pairs."""
        return self.header.items()

    def iteritems(self):
        """Same as `items`."""
        return self.items()

    def iterkeys(self):
        """Same as `keys`."""
        return self.keys()

    def itervalues(self):
        """Same as `values`."""
        return self.values()

    def keys(self):
        """The keys."""
        return self.header.keys()

    def values(self):
        """The values."""
        return self.header.values()

    def update(self, dict2):
        """Set every (key, value) of the dict-like ``dict2`` (overwriting)."""
        self._tag = None
        for key, item in dict2.items():
            self.header[key.upper()] = item

    def append(self, key, value="", comment=None, useblanks=True):
        """Append a card at the end (even if ``key`` exists already)."""
        self._tag = None
        self.header.append((key.upper(), value, comment), useblanks=useblanks)

    def extend(self, other, replace=False, useblanks=True):
        """Append the cards of another `FitsHeader`, skipping keys already present
        (or replacing them if ``replace``)."""
        self._tag = None
        self.header.extend(other.header, unique=not replace, update=replace, useblanks=useblanks)

    def __repr__(self):
        if self._tag is None:
            return "galsim.FitsHeader(header=%r)" % list(self.items())
        return "galsim.FitsHeader(%s)" % self._tag

    def __str__(self):
        if self._tag is None:
            return "galsim.FitsHeader(header=<Header object at %s>)" % id(self.header)
        return "galsim.FitsHeader(%s)" % self._tag

    def __eq__(self, other):
        return self is other or (
            isinstance(other, FitsHeader) and list(self.header.items()) == list(other.header.items())
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(tuple(sorted(self.items())))


# ``image.write(...)`` is `write`.
Image.write = write
