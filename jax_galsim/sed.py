"""Spectral energy distributions: GalSim's ``SED`` and ``EmissionLine``.

An `SED` is a function of wavelength (always nanometres on input to ``__call__``) that
returns either a photon flux density (photons/nm/cm^2/s, a "spectral" SED) or a
dimensionless number (a normalisation, e.g. ``SED('1', 'nm', '1')``).  Conversions
from the user's native units (``wave_type``, ``flux_type``) follow GalSim 2.8.

Concrete inputs are evaluated with NumPy and reproduce GalSim's float64 numbers.  JAX
arrays (and tracers inside ``jit``/``vmap``/``grad``) are passed through jax.numpy
for the wavelength scalings and the internal `LookupTable` interpolation, with the
range checks skipped while traced.  The SED itself is static structure (it can hold
arbitrary Python callables), not a pytree.

Operations that need a ``galsim.Bandpass`` (``calculateFlux``, ``calculateMagnitude``,
``withFlux``, ``withMagnitude``, ``calculateDCRMomentShifts``,
``calculateSeeingMomentRatio``, ``sampleWavelength`` through a bandpass) raise
``NotImplementedError`` until jax_galsim has a ``bandpass`` module.
"""

import os
from numbers import Real
from pathlib import PosixPath

import jax
import jax.numpy as jnp
import numpy as np
from astropy import constants, units

from . import utilities
from .errors import (
    GalSimError,
    GalSimIncompatibleValuesError,
    GalSimRangeError,
    GalSimSEDError,
    GalSimValueError,
)
from .table import LookupTable, _LookupTable
from .utilities import WeakMethod, lazy_property

__all__ = ["SED", "EmissionLine"]


def _bandpass_class():
    """The ``Bandpass`` class if jax_galsim has one yet, else None."""
    try:
        from .bandpass import Bandpass
    except ImportError:
        return None
    return Bandpass


def _needs_bandpass(what):
    return NotImplementedError("SED.%s needs galsim.Bandpass, not implemented yet" % what)


def _is_jax(x):
    return isinstance(x, (jax.Array, jax.core.Tracer))


def _asarray(x):
    """``x`` as an array: jax.numpy for JAX input, else NumPy."""
    if _is_jax(x):
        return jnp.asarray(x)
    return np.asarray(x)


def _find_share_file(name, subdir):
    """(found, path) for a file given directly or under ``share_dir/subdir``."""
    from .meta_data import share_dir

    name = str(name)
    if os.path.isfile(name):
        return True, name
    for cand in (os.path.join(share_dir, subdir, name), os.path.join(share_dir, name)):
        if os.path.isfile(cand):
            return True, cand
    return False, name


class SED:
    """A spectral energy distribution (or a dimensionless function of wavelength).

    Calling an SED with a wavelength in nm returns the photon flux density in
    photons/nm/cm^2/s (spectral SEDs) or a dimensionless value, for a scalar or an
    array of wavelengths.  SEDs are immutable: every transformation returns a new SED.

    ``blue_limit`` and ``red_limit`` (nm, observed frame) bound the range where the SED
    is defined; evaluating outside it raises `GalSimRangeError`.

    Parameters:
        spec:           The rest-frame spectrum: a callable of wavelength, a
                        `LookupTable`, a file name readable by `LookupTable.from_file`,
                        a string expression of ``wave`` (e.g. ``'wave**-2'``), or a
                        number (dimensionless SEDs only).
        wave_type:      Units of the wavelength argument of ``spec``: 'nm' (aliases
                        'nanometer', 'nanometers'), 'Angstrom' (aliases 'A', 'Ang',
                        'Angstroms'), case-insensitive, or an astropy spectral unit.
        flux_type:      What ``spec`` returns: 'flambda' (erg/wave_type/cm^2/s),
                        'fnu' (erg/Hz/cm^2/s), 'fphotons' (photons/wave_type/cm^2/s),
                        '1' (dimensionless), or an astropy spectral-density unit.
        redshift:       Redshift applied to the spectrum. [default: 0]
        fast:           Convert to nm and photons once, tabulated, rather than at each
                        call. [default: True]
        interpolant:    Interpolant used when ``spec`` is read from a file.
                        [default: 'linear']
    """

    _fphotons_base = units.astrophys.photon / (units.s * units.cm**2)
    _flambda_base = units.erg / (units.s * units.cm**2)
    _fphotons = _fphotons_base / units.nm
    _flambda = _flambda_base / units.nm
    _fnu = units.erg / (units.s * units.Hz * units.cm**2)
    _spec_nm = units.spectral_density(1 * units.nm)
    _c = constants.c.to("nm/s").value  # speed of light in nm/s
    _h = constants.h.to("erg s").value  # Planck constant in erg s
    _dimensionless = units.dimensionless_unscaled
    _bolo_max_wave = 1.0e30  # nm; "infinity" for bolometric integrals

    def __init__(
        self,
        spec,
        wave_type,
        flux_type,
        redshift=0.0,
        fast=True,
        interpolant="linear",
        _blue_limit=0.0,
        _red_limit=np.inf,
        _wave_list=None,
    ):
        self._flux_type = flux_type  # as given, for repr
        self.interpolant = interpolant
        self.wave_type, self.wave_factor = self._parse_wave_type(wave_type)
        self.flux_factor = None
        self._parse_flux_type(flux_type)

        self.redshift = redshift
        self.fast = fast
        self._orig_spec = spec
        self._initialize_spec()

        if _wave_list is not None:
            self.wave_list = _wave_list
            self.blue_limit = float(_blue_limit)
            self.red_limit = float(_red_limit)
        elif isinstance(self._spec, LookupTable):
            native = np.array(self._spec.getArgs(), dtype=float)
            if self.wave_factor:
                self.wave_list = native * ((1.0 + self.redshift) / self.wave_factor)
            else:
                nm = (native * self.wave_type).to(units.nm, units.spectral()).value
                self.wave_list = nm * (1.0 + self.redshift)
            self.blue_limit = float(np.min(self.wave_list))
            self.red_limit = float(np.max(self.wave_list))
        else:
            self.blue_limit = 0.0
            self.red_limit = np.inf
            self.wave_list = np.array([], dtype=float)
        self._setup_funcs()

    # --- unit parsing ----------------------------------------------------------------
    @staticmethod
    def _parse_wave_type(wave_type):
        """(wave_type, wave_factor): wave_factor converts nm to the native unit by
        multiplication, or is None for non-length spectral units."""
        if isinstance(wave_type, str):
            key = wave_type.lower()
            if key in ("nm", "nanometer", "nanometers"):
                return "nm", 1.0
            if key in ("a", "ang", "angstrom", "angstroms"):
                return "Angstrom", 10.0
            raise GalSimValueError("Unknown wave_type", wave_type, ("nm", "Angstrom"))
        try:
            factor = (1 * units.nm).to(wave_type).value
        except units.UnitConversionError:
            return units.Unit(wave_type), None
        if factor == 1.0:
            return "nm", 1.0
        if abs(factor - 10.0) < 2.0e-15:
            return "Angstrom", 10.0
        return units.Unit(wave_type), factor

    def _parse_flux_type(self, flux_type):
        if isinstance(flux_type, str):
            key = flux_type.lower()
            if key == "flambda":
                self.flux_type = "flambda"
                self.spectral = True
                self.flux_factor = 1.0 / (SED._h * SED._c)
            elif key == "fphotons":
                self.spectral = True
                if self.wave_factor is not None:
                    self.flux_type = "fphotons"
                    self.flux_factor = self.wave_factor
                else:
                    self.flux_type = SED._fphotons
            elif key == "fnu":
                self.spectral = True
                if self.wave_factor is not None:
                    self.flux_type = "fnu"
                    self.flux_factor = self.wave_factor / SED._h
                else:
                    self.flux_type = SED._fnu
            elif flux_type == "1":
                self.flux_type = "1"
                self.spectral = False
            else:
                raise GalSimValueError("Unknown flux_type", flux_type, ("flambda", "fnu", "fphotons", "1"))
            return

        self.flux_type = flux_type
        self.spectral = self.check_spectral()
        if not self.spectral and not self.check_dimensionless():
            raise GalSimValueError("Flux_type must be equivalent to a spectral density or dimensionless.", flux_type)
        # Reduce astropy flux units to one of the three fast kinds when possible.
        try:
            if self.wave_factor and self.spectral:
                self.flux_factor = (1 * self.flux_type).to(SED._fphotons).value
                self.flux_type = "fphotons"
        except units.UnitConversionError:
            try:
                factor = (1 * self.flux_type).to(SED._flambda).value
                self.flux_factor = factor / (SED._h * SED._c * self.wave_factor)
                self.flux_type = "flambda"
            except units.UnitConversionError:
                try:
                    factor = (1 * self.flux_type).to(SED._fnu).value
                    self.flux_factor = factor * self.wave_factor / SED._h
                    self.flux_type = "fnu"
                except units.UnitConversionError:
                    self.wave_type = units.Unit(self.wave_type)

    def check_spectral(self):
        """Whether ``flux_type`` is a spectral density (convertible to photons/nm/cm^2/s)."""
        return self.flux_type.is_equivalent(SED._fphotons, SED._spec_nm)

    def check_dimensionless(self):
        """Whether ``flux_type`` is dimensionless (then ``'1'`` is recorded for repr)."""
        if self.flux_type.is_equivalent(SED._dimensionless):
            self._flux_type = "1"
            return True
        return False

    @property
    def dimensionless(self):
        """True for a dimensionless SED, False for a spectral density."""
        return not self.spectral

    # --- the spectrum function ----------------------------------------------------------
    def _initialize_spec(self):
        self._const = False
        orig = self._orig_spec
        if isinstance(orig, (int, float)) and not isinstance(orig, bool):
            if not self.dimensionless:
                raise GalSimSEDError("Attempt to set spectral SED using float or integer.", self)
            self._const = True
            value = float(orig)
            self._spec = lambda w: value
        elif isinstance(orig, (str, PosixPath)):
            isfile, filename = _find_share_file(orig, "SEDs")
            if isfile:
                self._spec = LookupTable.from_file(filename, interpolant=self.interpolant)
                return
            try:
                value = float(orig)
            except ValueError:
                pass
            else:
                self._const = True
                self._spec = lambda w: value
                return
            try:
                self._spec = utilities.math_eval("lambda wave : " + orig)
                test_value = self._spec(700.0)
            except ArithmeticError:
                test_value = 0
            except Exception as e:
                raise GalSimValueError(
                    "String spec must either be a valid filename or something that "
                    "can eval to a function of wave.\nCaught error: {0}".format(e),
                    orig,
                )
            if not isinstance(test_value, Real):
                raise GalSimValueError(
                    "The given SED function did not return a valid number at test "
                    "wavelength %s: got %s" % (700.0, test_value),
                    orig,
                )
        else:
            self._spec = orig

    def _setup_funcs(self):
        if self.wave_factor == 1:
            self._get_native_waves = WeakMethod(self._native_waves_trivial)
        elif self.wave_factor:
            self._get_native_waves = WeakMethod(self._native_waves_fast)
        else:
            self._get_native_waves = WeakMethod(self._native_waves_slow)

        if self.redshift == 0.0:
            self._get_rest_native_waves = self._get_native_waves
        elif self.wave_factor:
            self._get_rest_native_waves = WeakMethod(self._rest_native_waves_fast)
        else:
            self._get_rest_native_waves = WeakMethod(self._rest_native_waves_slow)

        if self.flux_type == "fphotons":
            self._flux_to_photons = WeakMethod(self._photons_from_fphotons)
        elif self.flux_type == "flambda":
            self._flux_to_photons = WeakMethod(self._photons_from_flambda)
        elif self.flux_type == "fnu":
            self._flux_to_photons = WeakMethod(self._photons_from_fnu)
        else:
            self._flux_to_photons = WeakMethod(self._photons_from_units)

        self._call = WeakMethod(self._call_fast if self.fast else self._call_slow)

    # nm (observed or rest) -> native wavelength units
    def _native_waves_trivial(self, wave):
        return wave

    def _native_waves_fast(self, wave):
        return _asarray(wave) * self.wave_factor

    def _native_waves_slow(self, wave):
        return (np.asarray(wave) * units.nm).to(self.wave_type, units.spectral()).value

    def _rest_native_waves_fast(self, wave):
        return _asarray(wave) * (self.wave_factor / (1.0 + self.redshift))

    def _rest_native_waves_slow(self, wave):
        return (np.asarray(wave) / (1.0 + self.redshift) * units.nm).to(self.wave_type, units.spectral()).value

    # native flux units -> photons/nm/cm^2/s
    def _photons_from_fphotons(self, flux, wave_native):
        return flux * self.flux_factor

    def _photons_from_flambda(self, flux, wave_native):
        return flux * wave_native * self.flux_factor

    def _photons_from_fnu(self, flux, wave_native):
        return flux / wave_native * self.flux_factor

    def _photons_from_units(self, flux, wave_native):
        return (
            (np.asarray(flux) * self.flux_type)
            .to(SED._fphotons, units.spectral_density(np.asarray(wave_native) * self.wave_type))
            .value
        )

    def _rest_nm_to_photons(self, wave):
        wave_native = self._get_native_waves(wave)
        return self._flux_to_photons(self._spec(wave_native), wave_native)

    def _rest_nm_to_dimensionless(self, wave):
        return self._spec(self._get_native_waves(wave))

    def _check_bounds(self, wave):
        if isinstance(wave, jax.core.Tracer):
            return  # no value checks under tracing
        if hasattr(wave, "__iter__"):
            wmin = np.min(wave)
            wmax = np.max(wave)
        else:
            wmin = wmax = wave
        slop = 1.0e-6
        if wmin < self.blue_limit - slop:
            raise GalSimRangeError(
                "Requested wavelength is bluer than blue_limit.", wave, self.blue_limit, self.red_limit
            )
        if wmax > self.red_limit + slop:
            raise GalSimRangeError(
                "Requested wavelength is redder than red_limit.", wave, self.blue_limit, self.red_limit
            )

    @lazy_property
    def _fast_spec(self):
        """The spectrum as a function of rest-frame nm returning photons/nm/cm^2/s (or
        the dimensionless value): ``_spec`` itself when no conversion is needed, else a
        `LookupTable` on ``wave_list`` (or a conversion wrapper if there is none)."""
        if self.wave_factor == 1.0 and self.flux_factor == 1.0:
            return self._spec
        if len(self.wave_list) == 0:
            if self.spectral:
                return WeakMethod(self._rest_nm_to_photons)
            return WeakMethod(self._rest_nm_to_dimensionless)
        x = self.wave_list / (1.0 + self.redshift)
        f = self._rest_nm_to_photons(x) if self.spectral else self._rest_nm_to_dimensionless(x)
        interp = self._spec.interpolant if isinstance(self._spec, LookupTable) else "linear"
        return _LookupTable(x, f, interpolant=interp)

    def _call_fast(self, wave):
        self._check_bounds(wave)
        return self._fast_spec(_asarray(wave) / (1.0 + self.redshift))

    def _call_slow(self, wave):
        if isinstance(wave, units.Quantity):
            wave = wave.to(units.nm, units.spectral()).value
        wave = _asarray(wave)
        self._check_bounds(wave)
        rest_native = self._get_rest_native_waves(wave)
        out = self._spec(rest_native)
        if self.spectral:
            out = self._flux_to_photons(out, rest_native)
        return out

    def __call__(self, wave):
        """The photon flux density (photons/nm/cm^2/s) or dimensionless value at
        wavelength(s) ``wave`` in nm (with ``fast=False`` also an astropy Quantity).

        Raises `GalSimRangeError` outside ``[blue_limit, red_limit]``."""
        ret = self._call(wave)
        if self._const:
            if _is_jax(wave):
                ret = jnp.full_like(jnp.asarray(wave, dtype=float), ret)
            else:
                ret = np.full_like(wave, ret, dtype=float)
        return ret

    # --- arithmetic -----------------------------------------------------------------------
    def _mul_sed(self, other):
        redshift = self.redshift + other.redshift  # at most one is non-zero in practice
        fast = self.fast and other.fast
        wave_list, blue_limit, red_limit = utilities.combine_wave_list(self, other)
        if fast:
            s_tab = _plain_table(self._fast_spec)
            o_tab = _plain_table(other._fast_spec)
            if s_tab:
                x = wave_list / (1.0 + self.redshift)
                x = utilities.merge_sorted([x, np.linspace(x[0], x[-1], 500)])
                z2 = (1.0 + redshift) / (1.0 + other.redshift)
                f = self._fast_spec(x) * other._fast_spec(x * z2)
                spec = _LookupTable(x, f, self._fast_spec.interpolant)
            elif o_tab:
                x = wave_list / (1.0 + other.redshift)
                x = utilities.merge_sorted([x, np.linspace(x[0], x[-1], 500)])
                z1 = (1.0 + redshift) / (1.0 + other.redshift)
                f = self._fast_spec(x * z1) * other._fast_spec(x)
                spec = _LookupTable(x, f, other._fast_spec.interpolant)
            else:
                z1 = (1.0 + redshift) / (1.0 + self.redshift)
                z2 = (1.0 + redshift) / (1.0 + other.redshift)
                spec = lambda w: self._fast_spec(w * z1) * other._fast_spec(w * z2)  # noqa: E731
        else:
            spec = lambda w: self(w * (1.0 + redshift)) * other(w * (1.0 + redshift))  # noqa: E731
        flux_type = "fphotons" if (self.spectral or other.spectral) else "1"
        return SED(
            spec, "nm", flux_type, redshift=redshift, fast=fast,
            _blue_limit=blue_limit, _red_limit=red_limit, _wave_list=wave_list,
        )

    def _mul_bandpass(self, other):
        wave_list, blue_limit, red_limit = utilities.combine_wave_list(self, other)
        zfactor = (1.0 + self.redshift) / other.wave_factor
        if self.fast:
            if _plain_table(self._fast_spec):
                x = wave_list / (1.0 + self.redshift)
                x = utilities.merge_sorted([x, np.linspace(x[0], x[-1], 500)])
                f = self._fast_spec(x) * other._tp(x * zfactor)
                spec = _LookupTable(x, f, self._fast_spec.interpolant)
            else:
                spec = lambda w: self._fast_spec(w) * other._tp(w * zfactor)  # noqa: E731
        else:
            spec = lambda w: self(w * (1.0 + self.redshift)) * other._tp(w * zfactor)  # noqa: E731
        return SED(
            spec, "nm", "fphotons", redshift=self.redshift, fast=self.fast,
            _blue_limit=blue_limit, _red_limit=red_limit, _wave_list=wave_list,
        )

    def _mul_scalar(self, other, spectral):
        if isinstance(self._spec, LookupTable):
            wave_type = self.wave_type
            flux_type = self._flux_type
            x = self._spec.getArgs()
            f = np.array(self._spec.getVals()) * other
            spec = _LookupTable(
                x, f, x_log=self._spec.x_log, f_log=self._spec.f_log, interpolant=self._spec.interpolant
            )
        elif self._const and not spectral:
            spec = self._spec(42.0) * other
            wave_type = "nm"
            flux_type = "1"
        else:
            wave_type = "nm"
            flux_type = "fphotons" if spectral else "1"
            if self.fast:
                spec = lambda w: self._fast_spec(w) * other  # noqa: E731
            else:
                spec = lambda w: self(w * (1.0 + self.redshift)) * other  # noqa: E731
        return SED(
            spec, wave_type, flux_type, redshift=self.redshift, fast=self.fast,
            _blue_limit=self.blue_limit, _red_limit=self.red_limit, _wave_list=self.wave_list,
        )

    def __mul__(self, other):
        """``SED * SED`` (one must be dimensionless), ``SED * Bandpass``,
        ``SED * callable`` (a dimensionless function of nm) or ``SED * scalar``."""
        from .gsobject import GSObject

        Bandpass = _bandpass_class()
        if isinstance(other, SED):
            if self.spectral and other.spectral:
                raise GalSimIncompatibleValuesError(
                    "Cannot multiply two spectral densities together.", self_sed=self, other=other
                )
            if other._const:
                return self._mul_scalar(other._spec(42.0), self.spectral or other.spectral)
            if self._const:
                return other._mul_scalar(self._spec(42.0), self.spectral or other.spectral)
            return self._mul_sed(other)
        if isinstance(other, GSObject):
            return other * self
        if Bandpass is not None and isinstance(other, Bandpass):
            return self._mul_bandpass(other)
        if callable(other):
            z = 1.0 + self.redshift
            if self.fast:
                spec = lambda w: self._fast_spec(w) * other(w * z)  # noqa: E731
            else:
                spec = lambda w: self(w * z) * other(w * z)  # noqa: E731
            flux_type = "fphotons" if self.spectral else "1"
            return SED(
                spec, "nm", flux_type, redshift=self.redshift, fast=self.fast,
                _blue_limit=self.blue_limit, _red_limit=self.red_limit, _wave_list=self.wave_list,
            )
        if isinstance(other, (int, float)):
            return self._mul_scalar(other, self.spectral)
        raise TypeError("Cannot multiply an SED by %s" % (other))

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        """Division by a scalar or by a dimensionless callable / SED."""
        if isinstance(other, SED) and other.spectral:
            raise GalSimSEDError("Cannot divide by spectral SED.", other)
        z = 1.0 + self.redshift
        if callable(other):
            spec = lambda w: self(w * z) / other(w * z)  # noqa: E731
        elif isinstance(self._spec, LookupTable):
            x = self._spec.getArgs()
            f = [val / other for val in self._spec.getVals()]
            spec = _LookupTable(
                x, f, x_log=self._spec.x_log, f_log=self._spec.f_log, interpolant=self._spec.interpolant
            )
        else:
            spec = lambda w: self(w * z) / other  # noqa: E731
        return SED(
            spec, flux_type=self.flux_type, wave_type=self.wave_type, redshift=self.redshift,
            fast=self.fast, _wave_list=self.wave_list,
            _blue_limit=self.blue_limit, _red_limit=self.red_limit,
        )

    __div__ = __truediv__

    def __add__(self, other):
        """Sum of two SEDs at the same redshift and of the same kind; defined on the
        overlap of their wavelength ranges."""
        if self.redshift != other.redshift:
            raise GalSimIncompatibleValuesError("Can only add SEDs with same redshift.", self_sed=self, other=other)
        if self.dimensionless and other.dimensionless:
            flux_type = "1"
        elif self.spectral and other.spectral:
            flux_type = "fphotons"
        else:
            raise GalSimIncompatibleValuesError(
                "Cannot add SEDs with incompatible dimensions.", self_sed=self, other=other
            )
        wave_list, blue_limit, red_limit = utilities.combine_wave_list(self, other)
        # evaluating once checks the range and builds the _fast_spec tables
        self(blue_limit)
        other(blue_limit)
        if (
            self.fast
            and other.fast
            and _plain_table(self._fast_spec)
            and _plain_table(other._fast_spec)
            and self._fast_spec.interpolant == "linear"
            and other._fast_spec.interpolant == "linear"
        ):
            x = wave_list / (1.0 + self.redshift)
            f = self._fast_spec(x) + other._fast_spec(x)
            spec = _LookupTable(x, f, interpolant="linear")
        else:
            z = 1.0 + self.redshift
            spec = lambda w: self(w * z) + other(w * z)  # noqa: E731
        return SED(
            spec, wave_type="nm", flux_type=flux_type, redshift=self.redshift, fast=self.fast,
            _wave_list=wave_list, _blue_limit=blue_limit, _red_limit=red_limit,
        )

    def __sub__(self, other):
        return self.__add__(-1.0 * other)

    # --- normalisation ---------------------------------------------------------------------
    def withFluxDensity(self, target_flux_density, wavelength):
        """A new SED scaled so that its flux density at ``wavelength`` (nm, or an astropy
        Quantity) is ``target_flux_density`` (photons/nm/cm^2/s, or an astropy Quantity
        of any spectral-density unit)."""
        if self.dimensionless:
            raise GalSimSEDError("Cannot set flux density of dimensionless SED.", self)
        if isinstance(wavelength, units.Quantity):
            wavelength_nm = wavelength.to(units.nm, units.spectral())
            current = self._call(wavelength_nm.value)
        else:
            wavelength_nm = wavelength * units.nm
            current = self._call(wavelength)
        if isinstance(target_flux_density, units.Quantity):
            target_flux_density = target_flux_density.to(
                SED._fphotons, units.spectral_density(wavelength_nm)
            ).value
        return self * (target_flux_density / current)

    def withFlux(self, target_flux, bandpass):
        """A new SED whose flux through ``bandpass`` is ``target_flux`` (photons/cm^2/s)."""
        current = self.calculateFlux(bandpass)
        return self * (target_flux / current)

    def withMagnitude(self, target_magnitude, bandpass):
        """A new SED whose magnitude through ``bandpass`` (with a zeropoint) is
        ``target_magnitude``."""
        if bandpass is None or _bandpass_class() is None:
            raise _needs_bandpass("withMagnitude")
        if bandpass.zeropoint is None:
            raise GalSimError(
                "Cannot call SED.withMagnitude on this bandpass, because it does "
                "not have a zeropoint.  See Bandpass.withZeropoint()"
            )
        current = self.calculateMagnitude(bandpass)
        return self * 10 ** (-0.4 * (target_magnitude - current))

    def atRedshift(self, redshift):
        """A copy of this SED at ``redshift`` (> -1)."""
        if redshift == self.redshift:
            return self
        if redshift <= -1:
            raise GalSimRangeError("Invalid redshift", redshift, -1.0)
        zfactor = (1.0 + redshift) / (1.0 + self.redshift)
        return SED(
            self._spec, self.wave_type, self.flux_type, redshift, self.fast,
            _wave_list=self.wave_list * zfactor,
            _blue_limit=self.blue_limit * zfactor,
            _red_limit=self.red_limit * zfactor,
        )

    def calculateFlux(self, bandpass):
        """The flux (photons/cm^2/s) through ``bandpass`` (None: bolometric)."""
        if self.dimensionless:
            raise GalSimSEDError("Cannot calculate flux of dimensionless SED.", self)
        from . import integ

        if bandpass is None:
            bandpass = _FlatBandpass(SED._bolo_max_wave)
        if len(bandpass.wave_list) > 0 or len(self.wave_list) > 0:
            slop = 1e-6
            if self.blue_limit > bandpass.blue_limit + slop or self.red_limit < bandpass.red_limit - slop:
                raise GalSimRangeError(
                    "Bandpass is not completely within defined wavelength range for this SED.",
                    (bandpass.blue_limit, bandpass.red_limit), self.blue_limit, self.red_limit,
                )
            wmin = max(self.blue_limit, bandpass.blue_limit)
            wmax = min(self.red_limit, bandpass.red_limit)
            if self.fast and isinstance(self._fast_spec, LookupTable):
                wf = 1.0 / (1.0 + self.redshift) / bandpass.wave_factor
                ff = 1.0 / bandpass.wave_factor
                return self._fast_spec.integrate_product(
                    bandpass._tp, wmin * bandpass.wave_factor, wmax * bandpass.wave_factor, wf
                ) * ff
            w, _, _ = utilities.combine_wave_list(self, bandpass)
            if not self.fast and self.flux_type != "fphotons":
                w = utilities.merge_sorted([w, np.linspace(w[0], w[-1], 100)])
            interp = getattr(bandpass._tp, "interpolant", "linear")
            return _LookupTable(w, bandpass(w), interp).integrate_product(self)
        return integ.int1d(lambda w: bandpass(w) * self(w), bandpass.blue_limit, bandpass.red_limit)

    def calculateMagnitude(self, bandpass):
        """The magnitude through ``bandpass`` (which needs a zeropoint)."""
        if self.dimensionless:
            raise GalSimSEDError("Cannot calculate magnitude of dimensionless SED.", self)
        if bandpass is None or _bandpass_class() is None:
            raise _needs_bandpass("calculateMagnitude")
        if bandpass.zeropoint is None:
            raise GalSimError("Cannot do this calculation for a bandpass without an assigned zeropoint")
        flux = self.calculateFlux(bandpass)
        return -2.5 * np.log10(flux) + bandpass.zeropoint

    def calculateDCRMomentShifts(self, bandpass, **kwargs):
        """Differential chromatic refraction moment shifts (needs ``Bandpass`` and
        ``dcr``; not implemented yet)."""
        if self.dimensionless:
            raise GalSimSEDError("Cannot calculate DCR shifts of dimensionless SED.", self)
        raise _needs_bandpass("calculateDCRMomentShifts")

    def calculateSeeingMomentRatio(self, bandpass, alpha=-0.2, base_wavelength=500):
        """Ratio of the PSF second moments to those at ``base_wavelength`` (nm) for
        seeing scaling as wavelength**alpha, weighted by the SED through ``bandpass``."""
        if self.dimensionless:
            raise GalSimSEDError("Cannot calculate seeing moment ratio of dimensionless SED.", self)
        if _bandpass_class() is None:
            raise _needs_bandpass("calculateSeeingMomentRatio")
        from . import integ

        flux = self.calculateFlux(bandpass)
        kernel = lambda w: (w / base_wavelength) ** (2 * alpha)  # noqa: E731
        if len(self.wave_list) > 0 or len(bandpass.wave_list) > 0:
            w, _, _ = utilities.combine_wave_list([self, bandpass])
            w = utilities.merge_sorted([w, np.linspace(w[0], w[-1], 100)])
            interp = getattr(bandpass._tp, "interpolant", "linear")
            bp = _LookupTable(w, bandpass(w), interp)
            return bp.integrate_product(lambda w: self(w) * kernel(w)) / flux
        return integ.int1d(
            lambda w: bandpass(w) * self(w) * kernel(w), bandpass.blue_limit, bandpass.red_limit
        ) / flux

    def thin(self, rel_err=1.0e-4, trim_zeros=True, preserve_range=True, fast_search=True):
        """A copy with fewer tabulated points, keeping the integral accurate to
        ``rel_err`` (only for tabulated SEDs; others are returned unchanged)."""
        if len(self.wave_list) == 0:
            return self
        from .core.thin import thin_tabulated_values as thin_values

        rest_native = self._get_rest_native_waves(self.wave_list)
        spec_native = self._spec(rest_native)
        interp = self._spec.interpolant if isinstance(self._spec, LookupTable) else self.interpolant
        newx, newf = thin_values(
            rest_native, spec_native, rel_err=rel_err, trim_zeros=trim_zeros,
            preserve_range=preserve_range, fast_search=fast_search, interpolant=interp,
        )
        newspec = _LookupTable(newx, newf, interpolant=interp)
        return SED(newspec, self.wave_type, self.flux_type, redshift=self.redshift, fast=self.fast)

    @lazy_property
    def _cache_deviate(self):
        return dict()

    def sampleWavelength(self, nphotons, bandpass, rng=None, npoints=None):
        """``nphotons`` wavelengths (nm) drawn from this SED (times ``bandpass`` unless
        it is None), using a `DistDeviate`."""
        from .random import DistDeviate

        nphotons = int(nphotons)
        key = (bandpass, npoints)
        if key in self._cache_deviate:
            dev = self._cache_deviate[key]
        else:
            if bandpass is None:
                sed = self
            else:
                if _bandpass_class() is None:
                    raise _needs_bandpass("sampleWavelength")
                sed = self._mul_bandpass(bandpass)
            xmin = sed.blue_limit / (1.0 + self.redshift)
            xmax = sed.red_limit / (1.0 + self.redshift)
            dev = DistDeviate(function=sed._fast_spec, x_min=xmin, x_max=xmax, npoints=npoints, clip_neg=True)
            self._cache_deviate[key] = dev
        if rng is not None:
            dev.reset(rng)
        ret = np.empty(nphotons)
        dev.generate(ret)
        ret = np.asarray(ret, dtype=float)
        if self.redshift != 0:
            ret = ret * (1.0 + self.redshift)
            if bandpass is not None:
                ret = np.clip(ret, bandpass.blue_limit, bandpass.red_limit)
        return ret

    # --- comparison, repr, pickling -------------------------------------------------------
    def __eq__(self, other):
        return self is other or (
            isinstance(other, SED)
            and _spec_equal(self._orig_spec, other._orig_spec)
            and self.fast == other.fast
            and self.wave_type == other.wave_type
            and self.flux_type == other.flux_type
            and self.redshift == other.redshift
            and self.red_limit == other.red_limit
            and self.blue_limit == other.blue_limit
            and np.array_equal(self.wave_list, other.wave_list)
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        if "_hash" not in self.__dict__:
            self._hash = hash(
                (
                    "galsim.SED", self._orig_spec, self.wave_type, self.flux_type, self.redshift,
                    self.fast, self.blue_limit, self.red_limit, tuple(np.asarray(self.wave_list).tolist()),
                )
            )
        return self._hash

    def __repr__(self):
        red = "float('inf')" if self.red_limit == np.inf else repr(self.red_limit)
        return (
            "galsim.SED(%r, wave_type=%r, flux_type=%r, redshift=%r, fast=%r, "
            "interpolant=%r, _wave_list=%r, _blue_limit=%r, _red_limit=%s)"
        ) % (
            self._orig_spec, self.wave_type, self._flux_type, self.redshift, self.fast,
            self.interpolant, self.wave_list, self.blue_limit, red,
        )

    def __str__(self):
        orig = repr(self._orig_spec)
        if len(orig) > 80:
            orig = str(self._orig_spec)
        return "galsim.SED(%s, redshift=%s)" % (orig, self.redshift)

    def __getstate__(self):
        d = self.__dict__.copy()
        if not isinstance(d.get("_spec"), LookupTable):
            d.pop("_spec", None)
        d.pop("_fast_spec", None)
        d.pop("_cache_deviate", None)
        d.pop("_hash", None)
        for k in ("_call", "_get_native_waves", "_get_rest_native_waves", "_flux_to_photons"):
            d.pop(k, None)
        return d

    def __setstate__(self, d):
        self.__dict__ = d
        if "_spec" not in d:
            self._initialize_spec()
        self._setup_funcs()


class _FlatBandpass:
    """The unit throughput from 0 to ``red_limit`` nm with no tabulated points: the
    minimal stand-in for ``Bandpass(lambda w: 1., 'nm', 0, red_limit)`` that the
    bolometric `SED.calculateFlux` needs."""

    wave_factor = 1.0
    blue_limit = 0.0
    zeropoint = None

    def __init__(self, red_limit):
        self.red_limit = red_limit
        self.wave_list = np.array([], dtype=float)

    @staticmethod
    def _tp(w):
        return 1.0 if np.ndim(w) == 0 else np.ones(np.shape(w))

    def __call__(self, w):
        return self._tp(w)


def _plain_table(f):
    """Whether ``f`` is a LookupTable interpolated linearly in x and f (not log)."""
    return isinstance(f, LookupTable) and not f.x_log and not f.f_log


def _spec_equal(a, b):
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


class EmissionLine(SED):
    """A triangular emission line: zero except within ``fwhm`` of ``wavelength``, peaking
    at ``flux/fwhm`` so that its integral is ``flux``.

    Parameters:
        wavelength:    Centre of the line, in ``wave_type`` units.
        fwhm:          Full width at half maximum, in ``wave_type`` units. [default: 1.0]
        flux:          Integrated flux of the line, in ``flux_type`` units times
                       ``wave_type`` units. [default: 1.0]
        wave_type:     Wavelength units (a length unit). [default: 'nm']
        flux_type:     Flux units. [default: 'fphotons']
        max_wave:      Largest tabulated wavelength (nm); must exceed
                       ``wavelength + fwhm``. [default: 1.e30]
        **kwargs:      Passed on to `SED` (e.g. ``redshift``, ``fast``).
    """

    def __init__(
        self, wavelength, fwhm=1.0, flux=1.0, wave_type="nm", flux_type="fphotons",
        max_wave=SED._bolo_max_wave, **kwargs
    ):
        self.wavelength = wavelength
        self.fwhm = fwhm
        self.flux = flux
        _, wave_factor = SED._parse_wave_type(wave_type)
        if wave_factor is None:
            raise GalSimValueError("wave_type must be a distance unit", wave_type)
        if not max_wave > wavelength + fwhm:
            raise GalSimValueError("max_wave must be > wavelength + fwhm", max_wave)
        w = wavelength
        # extra zero points at w +- 2 fwhm keep the far wings exactly zero
        spec = LookupTable(
            [0.0, w - 2 * fwhm, w - fwhm, w, w + fwhm, w + 2 * fwhm, max_wave * wave_factor],
            [0, 0, 0, flux / fwhm, 0, 0, 0],
            interpolant="linear",
        )
        super().__init__(spec, wave_type=wave_type, flux_type=flux_type, **kwargs)

    def _with(self, flux=None, redshift=None):
        return EmissionLine(
            self.wavelength, self.fwhm,
            flux=self.flux if flux is None else flux,
            wave_type=self.wave_type, flux_type=self.flux_type,
            redshift=self.redshift if redshift is None else redshift,
            fast=self.fast,
        )

    def atRedshift(self, redshift):
        """A copy of this line at ``redshift`` (> -1)."""
        if redshift == self.redshift:
            return self
        if redshift <= -1:
            raise GalSimRangeError("Invalid redshift", redshift, -1.0)
        return self._with(redshift=redshift)

    def __mul__(self, other):
        if isinstance(other, (int, float)):
            return self._with(flux=self.flux * other)
        return super().__mul__(other)

    def __truediv__(self, other):
        if isinstance(other, (int, float)):
            return self._with(flux=self.flux / other)
        return super().__truediv__(other)

    __div__ = __truediv__

    def __eq__(self, other):
        return self is other or (
            isinstance(other, EmissionLine)
            and self.wavelength == other.wavelength
            and self.fwhm == other.fwhm
            and self.flux == other.flux
            and self.wave_type == other.wave_type
            and self.flux_type == other.flux_type
            and self.redshift == other.redshift
        )

    def __hash__(self):
        return hash(("galsim.EmissionLine", self.wavelength, self.fwhm, self.flux))

    def __repr__(self):
        return (
            "galsim.EmissionLine(%r, %r, flux=%r, wave_type=%r, flux_type=%r, redshift=%r, fast=%r)"
            % (self.wavelength, self.fwhm, self.flux, self.wave_type, self._flux_type, self.redshift, self.fast)
        )

    def __str__(self):
        s = "galsim.EmissionLine(wavelength=%s, fwhm=%s" % (self.wavelength, self.fwhm)
        if self.flux != 1.0:
            s += ", flux=%s" % self.flux
        if self.redshift != 0.0:
            s += ", redshift=%s" % self.redshift
        return s + ")"
