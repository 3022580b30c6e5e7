"""Positions on the celestial sphere.

:class:`CelestialCoord` is a right ascension and declination (both :class:`Angle`) with
the spherical geometry GalSim's world coordinate systems need: great-circle distances,
angles and areas of spherical triangles, tangent-plane projections (gnomonic,
stereographic, Lambert equal-area, Postel equidistant) and their inverses and
Jacobians, precession between epochs, and galactic and ecliptic coordinates.  GalSim
takes this class from the LSSTDESC ``coord`` package; this is our own implementation of
the same API.

JAX notes
    ``CelestialCoord`` is a pytree whose leaves are the radians of ``ra`` and ``dec``.
    With concrete Python floats every result is a Python float computed as ``coord``
    does (NumPy/math), so values agree with GalSim to the last bit in nearly all
    cases.  With JAX values (inside ``jit``/``grad``/``vmap``) the same formulas run on
    ``jax.numpy`` and branches become ``where``; checks that need concrete values
    (``|dec| <= 90 deg``, degenerate inputs) are skipped then.
"""

import datetime
import math

import numpy as np

from .angle import Angle, _Angle, arcsec, degrees, radians
from .core.backend import is_jax
from .core.pytree import Pytree

__all__ = ["CelestialCoord"]


def _mod(*values):
    """``jax.numpy`` if any value is a JAX array/tracer, else NumPy."""
    if is_jax(*values):
        import jax.numpy as jnp

        return jnp
    return np


def _f(x):
    """A concrete 0-d result as a Python float; anything else unchanged."""
    if is_jax(x) or np.ndim(x) != 0:
        return x
    return float(x)


def _is_py(*values):
    return all(isinstance(v, (float, int)) and not isinstance(v, bool) for v in values)


_VALID_PROJECTIONS = [None, "gnomonic", "stereographic", "lambert", "postel"]


def _check_projection(projection):
    if projection not in _VALID_PROJECTIONS:
        raise ValueError("Unknown projection: %s" % projection)


# --- time helpers (ecliptic coordinates) ----------------------------------------------


def _julian_day(date):
    """Julian day of a ``datetime.datetime`` (full time) or ``datetime.date`` (noon)."""
    if not isinstance(date, (datetime.date, datetime.datetime)):
        raise ValueError("Date must be a python datetime object!")
    a = (14.0 - date.month) // 12
    y = date.year + 4800 - a
    m = date.month + 12 * a - 3
    jd = date.day + ((153 * m + 2) // 5) + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    if isinstance(date, datetime.datetime):
        # Julian days start at noon, so midnight is -0.5.
        jd += (date.hour + date.minute / 60.0 + date.second / 3600.0) / 24 - 0.5
    return jd


def _sun_ecliptic_longitude(date):
    """Approximate ecliptic longitude of the Sun on ``date`` (an :class:`Angle`);
    accurate to about 0.01 deg for 1950-2050."""
    n = _julian_day(date) - 2451545.0  # days since J2000.0
    mean_longitude = 280.46 * degrees + (0.9856474 * degrees) * n
    mean_anomaly = 357.528 * degrees + (0.9856003 * degrees) * n
    return (
        mean_longitude
        + (1.915 * degrees) * mean_anomaly.sin()
        + (0.020 * degrees) * (2 * mean_anomaly).sin()
    )


def _ecliptic_obliquity(epoch):
    """Obliquity of the ecliptic (an :class:`Angle`) at ``epoch`` (years), from the
    cubic polynomial in Julian centuries since J2000 (JPL 2010 coefficients)."""
    t = (epoch - 2000.0) / 100.0
    ep = Angle.from_dms("23:26:21.406")
    ep -= Angle.from_dms("00:00:46.836769") * t
    ep -= Angle.from_dms("00:00:0.0001831") * (t**2)
    ep += Angle.from_dms("00:00:0.0020034") * (t**3)
    return ep


# J2000 galactic frame (Liu, Zhu & Zhang 2011, arXiv:1010.3773): longitude of the
# ascending node, and the RA and declination offsets of the galactic pole.
_GAL_EL0 = 32.93191857 * degrees
_GAL_R0 = 282.859481208 * degrees
_GAL_D0 = 62.8717488056 * degrees


class CelestialCoord(Pytree):
    """A position on the celestial sphere: right ascension ``ra`` and declination ``dec``.

    Parameters:
        ra:     Right ascension, an :class:`Angle` (or a :class:`CelestialCoord` to copy,
                with no ``dec``).
        dec:    Declination, an :class:`Angle` in [-90, 90] degrees.

    Raises:
        TypeError: if ``ra`` or ``dec`` is missing or not an :class:`Angle`.
        ValueError: if ``|dec| > 90`` degrees.
    """

    _leaves = ("_ra", "_dec")
    _static = ()

    def __init__(self, ra, dec=None):
        if isinstance(ra, CelestialCoord) and dec is None:
            self._ra = ra._ra
            self._dec = ra._dec
            return
        if ra is None or dec is None:
            raise TypeError("ra and dec are both required")
        if not isinstance(ra, Angle):
            raise TypeError("ra must be a galsim.Angle")
        if not isinstance(dec, Angle):
            raise TypeError("dec must be a galsim.Angle")
        if not is_jax(dec.rad):
            d = dec / degrees
            if np.any(d > 90.0) or np.any(d < -90.0):
                raise ValueError("dec must be between -90 deg and +90 deg.")
        self._ra = ra
        self._dec = dec

    @property
    def ra(self):
        """The right ascension, an :class:`Angle`."""
        return self._ra

    @property
    def dec(self):
        """The declination, an :class:`Angle`."""
        return self._dec

    @property
    def rad(self):
        """``(ra, dec)`` in radians."""
        return (self._ra.rad, self._dec.rad)

    # --- unit vectors -------------------------------------------------------------
    def _aux(self):
        """(sinra, cosra, sindec, cosdec, x, y, z) for this position."""
        sindec, cosdec = self._dec.sincos()
        sinra, cosra = self._ra.sincos()
        x = cosdec * cosra
        y = cosdec * sinra
        z = sindec
        return sinra, cosra, sindec, cosdec, x, y, z

    def _xyz(self):
        return self._aux()[4:]

    def get_xyz(self):
        """The unit vector ``(x, y, z)`` of this position: x toward (ra, dec) = (0, 0),
        y toward (90 deg, 0), z toward the north pole."""
        return self._xyz()

    @staticmethod
    def from_xyz(x, y, z):
        """The :class:`CelestialCoord` in the direction of the vector ``(x, y, z)``
        (need not be normalised).  ``ra`` comes back in [0, 2pi).

        Raises:
            ValueError: for the zero vector.
        """
        m = _mod(x, y, z)
        norm = m.sqrt(x * x + y * y + z * z)
        if not is_jax(norm) and norm == 0.0:
            raise ValueError("CelestialCoord for position (0,0,0) is undefined.")
        x = x / norm
        y = y / norm
        z = z / norm
        sindec = z
        cosdec = m.sqrt(x * x + y * y)
        if not is_jax(cosdec):
            if cosdec == 0.0:
                sinra, cosra = 0.0, 1.0
            else:
                sinra, cosra = y / cosdec, x / cosdec
        else:
            pole = cosdec == 0.0
            safe = m.where(pole, 1.0, cosdec)
            sinra = m.where(pole, 0.0, y / safe)
            cosra = m.where(pole, 1.0, x / safe)
        ra = _Angle(_f(m.arctan2(sinra, cosra))).wrap(_Angle(math.pi))
        dec = _Angle(_f(m.arctan2(sindec, cosdec)))
        return _CelestialCoord(ra, dec)

    @staticmethod
    def radec_to_xyz(ra, dec, r=1.0):
        """Unit vectors (times ``r``) for arrays of ``ra``, ``dec`` in radians."""
        m = _mod(ra, dec, r)
        cosdec = m.cos(dec)
        return cosdec * m.cos(ra) * r, cosdec * m.sin(ra) * r, m.sin(dec) * r

    @staticmethod
    def xyz_to_radec(x, y, z, return_r=False):
        """``(ra, dec)`` in radians (and ``r`` if ``return_r``) for arrays of vectors."""
        m = _mod(x, y, z)
        xy2 = x**2 + y**2
        ra = m.arctan2(y, x)
        dec = m.arctan2(z, m.sqrt(xy2))
        if return_r:
            return ra, dec, m.sqrt(xy2 + z**2)
        return ra, dec

    def normal(self):
        """The same position with ``ra`` wrapped into [0, 2pi)."""
        return _CelestialCoord(self._ra.wrap(_Angle(math.pi)), self._dec)

    # --- distances and angles -------------------------------------------------------
    @staticmethod
    def _dsq(a, b):
        ax, ay, az = a
        bx, by, bz = b
        return (ax - bx) ** 2 + (ay - by) ** 2 + (az - bz) ** 2

    @staticmethod
    def _cross(a, b):
        ax, ay, az = a
        bx, by, bz = b
        return (ay * bz - by * az, az * bx - bz * ax, ax * by - bx * ay)

    def distanceTo(self, coord2):
        """The great-circle distance to ``coord2``, an :class:`Angle` in [0, pi].

        Uses the chord length (stable for small separations) and, for nearly
        antipodal points, the cross product."""
        p1, p2 = self._xyz(), coord2._xyz()
        dsq = self._dsq(p1, p2)
        if _is_py(dsq):
            if dsq < 3.99:
                theta = 2.0 * math.asin(0.5 * math.sqrt(dsq))
            else:
                cx, cy, cz = self._cross(p1, p2)
                theta = math.pi - math.asin(math.sqrt(cx**2 + cy**2 + cz**2))
            return _Angle(theta)
        m = _mod(dsq)
        near = dsq < 3.99
        zero = dsq == 0.0
        safe_dsq = m.where(zero | ~near, 1.0, dsq)
        theta_near = m.where(zero, 0.0, 2.0 * m.arcsin(0.5 * m.sqrt(safe_dsq)))
        cx, cy, cz = self._cross(p1, p2)
        crosssq = cx**2 + cy**2 + cz**2
        safe_cross = m.where(near | (crosssq == 0.0), 0.25, crosssq)
        theta_far = m.where(crosssq == 0.0, math.pi, math.pi - m.arcsin(m.sqrt(safe_cross)))
        return _Angle(m.where(near, theta_near, theta_far))

    def greatCirclePoint(self, coord2, theta):
        """The point at angle ``theta`` from ``self`` along the great circle toward
        ``coord2`` (``theta`` an :class:`Angle`).

        Raises:
            ValueError: if ``self`` and ``coord2`` do not define a unique great circle.
        """
        u = self._xyz()
        v = coord2._xyz()
        dsq = self._dsq(u, v)
        # w = (u x v) x u = v - u (u.v), with u.v = 1 - dsq/2; unnormalised.
        w = [vi - ui + ui * dsq / 2.0 for ui, vi in zip(u, v)]
        wr = (w[0] ** 2 + w[1] ** 2 + w[2] ** 2) ** 0.5
        if not is_jax(wr) and wr == 0.0:
            raise ValueError("coord2 does not define a unique great circle with self.")
        w = [wi / wr for wi in w]
        s, c = theta.sincos()
        r = [ui * c + wi * s for ui, wi in zip(u, w)]
        return CelestialCoord.from_xyz(*r)

    @staticmethod
    def _triple(c, a, b):
        """(A x C) . B for unit vectors c (self), a (coord2), b (coord3), as the
        determinant of the rows A, C, B."""
        m = _mod(*c, *a, *b)
        return m.linalg.det(m.array([list(a), list(c), list(b)]))

    @staticmethod
    def _alt_triple(c, a, b):
        """(A x C) . (B x C) = A.B - (A.C)(B.C), written with chord lengths for accuracy
        at small separations."""
        dsq_ac = CelestialCoord._dsq(c, a)
        dsq_bc = CelestialCoord._dsq(c, b)
        dsq_ab = CelestialCoord._dsq(b, a)
        return 0.5 * (dsq_ac + dsq_bc - dsq_ab - 0.5 * dsq_ac * dsq_bc)

    def angleBetween(self, coord2, coord3):
        """The angle at ``self`` from ``coord2`` to ``coord3``, an :class:`Angle` in
        (-pi, pi]; positive when the turn from coord2 to coord3 is counter-clockwise as
        seen from the sky (i.e. east of north is positive for north = coord2)."""
        c, a, b = self._xyz(), coord2._xyz(), coord3._xyz()
        sinC = self._triple(c, a, b)
        cosC = self._alt_triple(c, a, b)
        if _mod(sinC, cosC) is np:
            return _Angle(math.atan2(sinC, cosC))
        return _Angle(_mod(sinC, cosC).arctan2(sinC, cosC))

    def area(self, coord2, coord3):
        """The area (steradians) of the spherical triangle with these three vertices,
        from the spherical excess ``tan(E/2) = F / ((4-da^2)(4-db^2)/4 + G)``."""
        c, a, b = self._xyz(), coord2._xyz(), coord3._xyz()
        F = self._triple(c, a, b)
        G = self._alt_triple(c, a, b)
        dasq = self._dsq(c, a)
        dbsq = self._dsq(c, b)
        tanEo2 = F / (0.25 * (4.0 - dasq) * (4.0 - dbsq) + G)
        if _mod(tanEo2) is np:
            return 2.0 * math.atan(abs(tanEo2))
        return 2.0 * _mod(tanEo2).arctan(abs(tanEo2))

    # --- projections ---------------------------------------------------------------
    def project(self, coord2, projection=None):
        """Project ``coord2`` onto the tangent plane at ``self``.

        Parameters:
            coord2:      The :class:`CelestialCoord` to project.
            projection:  ``'gnomonic'`` (default, great circles to straight lines),
                         ``'stereographic'`` (preserves angles), ``'lambert'``
                         (preserves area) or ``'postel'`` (preserves distance from
                         the centre).

        Returns:
            ``(u, v)`` as :class:`Angle`; +u points to decreasing ra (east to the left),
            +v to the north.
        """
        _check_projection(projection)
        sinra, cosra, sindec, cosdec = coord2._aux()[:4]
        u, v = self._project(cosra, sinra, cosdec, sindec, projection)
        return _Angle(_f(u)), _Angle(_f(v))

    def project_rad(self, ra, dec, projection=None):
        """As :meth:`project`, for ``ra``, ``dec`` in radians (floats or arrays);
        returns ``(u, v)`` in radians."""
        _check_projection(projection)
        m = _mod(ra, dec)
        u, v = self._project(m.cos(ra), m.sin(ra), m.cos(dec), m.sin(dec), projection)
        return _f(u), _f(v)

    def _project(self, cosra, sinra, cosdec, sindec, projection):
        sinra0, cosra0, sindec0, cosdec0 = self._aux()[:4]
        m = _mod(cosra, sinra, cosdec, sindec, sinra0, cosra0)
        # cos(ra - ra0) and -sin(ra - ra0) (x increases toward decreasing ra)
        cosdra = cosra0 * cosra + sinra0 * sinra
        sindra = sinra0 * cosra - cosra0 * sinra
        # cosine of the angular distance from the centre
        cosc = cosdec * cosdra * cosdec0 + sindec0 * sindec
        if projection is None or projection[0] == "g":
            k = 1.0 / cosc
        elif projection[0] == "s":
            k = 2.0 / (1.0 + cosc)
        elif projection[0] == "l":
            k = m.sqrt(2.0 / (1.0 + cosc))
        else:
            # k = c / sin(c); numpy's sinc is sin(pi x) / (pi x)
            c = m.arccos(cosc)
            k = 1.0 / m.sinc(c / np.pi)
        u = cosdec * sindra * k
        v = (cosdec * cosdra * (-sindec0) + cosdec0 * sindec) * k
        return u, v

    def deproject(self, u, v, projection=None):
        """The inverse of :meth:`project`: the :class:`CelestialCoord` at tangent-plane
        position ``(u, v)`` (:class:`Angle` values) around ``self``."""
        _check_projection(projection)
        ra, dec = self._deproject(u / radians, v / radians, projection)
        return CelestialCoord(_Angle(_f(ra)), _Angle(_f(dec)))

    def deproject_rad(self, u, v, projection=None):
        """As :meth:`deproject`, for ``u``, ``v`` in radians (floats or arrays);
        returns ``(ra, dec)`` in radians."""
        _check_projection(projection)
        ra, dec = self._deproject(u, v, projection)
        return _f(ra), _f(dec)

    def _deproject(self, u, v, projection):
        sinra0, cosra0, sindec0, cosdec0 = self._aux()[:4]
        m = _mod(u, v, sindec0, cosdec0, self._ra.rad)
        rsq = u * u + v * v
        # Only cos(c) and sin(c)/r are needed, c the angular distance from the centre.
        if projection is None or projection[0] == "g":  # c = arctan(r)
            cosc = sinc_over_r = 1.0 / m.sqrt(1.0 + rsq)
        elif projection[0] == "s":  # c = 2 arctan(r/2)
            cosc = (4.0 - rsq) / (4.0 + rsq)
            sinc_over_r = 4.0 / (4.0 + rsq)
        elif projection[0] == "l":  # c = 2 arcsin(r/2)
            cosc = 1.0 - rsq / 2.0
            sinc_over_r = m.sqrt(4.0 - rsq) / 2.0
        else:  # c = r
            if m is np:
                r = np.sqrt(rsq)
            else:
                zero = rsq == 0.0
                r = m.where(zero, 0.0, m.sqrt(m.where(zero, 1.0, rsq)))
            cosc = m.cos(r)
            sinc_over_r = m.sinc(r / np.pi)
        sindec = v * sinc_over_r * cosdec0 + cosc * sindec0
        tandra_num = -(u * sinc_over_r)
        tandra_denom = v * sinc_over_r * (-sindec0) + cosc * cosdec0
        dec = m.arcsin(sindec)
        ra = self._ra.rad + m.arctan2(tandra_num, tandra_denom)
        return ra, dec

    def jac_deproject(self, u, v, projection=None):
        """The Jacobian of :meth:`deproject` at ``(u, v)`` (:class:`Angle` values).

        A 2x2 NumPy array ``[[dx/du, dx/dv], [ddec/du, ddec/dv]]`` where
        ``dx = -cos(dec) dra`` is the local eastward-negative offset (the same sense as
        ``u``), so the Jacobian is the identity at ``(0, 0)``; its determinant is the
        ratio of sky area to tangent-plane area."""
        _check_projection(projection)
        return self._jac_deproject(u.rad, v.rad, projection)

    def jac_deproject_rad(self, u, v, projection=None):
        """As :meth:`jac_deproject`, for ``u``, ``v`` in radians."""
        _check_projection(projection)
        return self._jac_deproject(u, v, projection)

    def _jac_deproject(self, u, v, projection):
        sinra0, cosra0, s0, c0 = self._aux()[:4]
        m = _mod(u, v, s0, c0)
        rsq = u * u + v * v
        # c = cos(angular distance), s = sin(distance)/r, and their u, v derivatives
        if projection is None or projection[0] == "g":
            c = s = 1.0 / m.sqrt(1.0 + rsq)
            s3 = s * s * s
            dcdu = dsdu = -u * s3
            dcdv = dsdv = -v * s3
        elif projection[0] == "s":
            s = 4.0 / (4.0 + rsq)
            c = 2.0 * s - 1.0
            ssq = s * s
            dcdu = -u * ssq
            dcdv = -v * ssq
            dsdu = 0.5 * dcdu
            dsdv = 0.5 * dcdv
        elif projection[0] == "l":
            c = 1.0 - rsq / 2.0
            s = m.sqrt(4.0 - rsq) / 2.0
            dcdu = -u
            dcdv = -v
            dsdu = -u / (4.0 * s)
            dsdv = -v / (4.0 * s)
        elif m is np and np.ndim(rsq) == 0 and rsq == 0.0:
            c = s = 1.0
            dcdu = -u
            dcdv = -v
            dsdu = dsdv = 0.0
        else:
            zero = rsq == 0.0
            safe_rsq = m.where(zero, 1.0, rsq)
            r = m.sqrt(safe_rsq)
            c = m.where(zero, 1.0, m.cos(r))
            s = m.where(zero, 1.0, m.sin(r) / r)
            dcdu = -s * u
            dcdv = -s * v
            dsdu = m.where(zero, 0.0, (c - s) * u / safe_rsq)
            dsdv = m.where(zero, 0.0, (c - s) * v / safe_rsq)

        sindec = c * s0 + v * s * c0
        cosdec = m.sqrt(1.0 - sindec * sindec)
        dddu = (s0 * dcdu + v * dsdu * c0) / cosdec
        dddv = (s0 * dcdv + (v * dsdv + s) * c0) / cosdec

        tandra_num = u * s
        tandra_denom = c * c0 - v * s * s0
        # A^2 sec^2(dra) = denom^2 + num^2
        A2sec2dra = tandra_denom**2 + tandra_num**2
        drdu = ((u * dsdu + s) * tandra_denom - u * s * (dcdu * c0 - v * dsdu * s0)) / A2sec2dra
        drdv = (u * dsdv * tandra_denom - u * s * (dcdv * c0 - (v * dsdv + s) * s0)) / A2sec2dra
        drdu = drdu * cosdec
        drdv = drdv * cosdec
        return m.array([[drdu, drdv], [dddu, dddv]])

    # --- other frames -------------------------------------------------------------
    def precess(self, from_epoch, to_epoch):
        """This position precessed from ``from_epoch`` to ``to_epoch`` (years, e.g.
        2000.), with Lieske et al. (1977) precession angles."""
        if not is_jax(from_epoch, to_epoch) and from_epoch == to_epoch:
            return self
        # Lieske's T (from J2000) and t (interval), in Julian centuries
        T = (from_epoch - 2000.0) / 100.0
        t = (to_epoch - from_epoch) / 100.0
        T2 = T * T
        t2 = t * t
        t3 = t2 * t
        zeta = ((2306.2181 + 1.39656 * T - 0.000139 * T2) * t
                + (0.30188 - 0.000344 * T) * t2 + 0.017998 * t3) * arcsec
        zA = ((2306.2181 + 1.39656 * T - 0.000139 * T2) * t
              + (1.09468 + 0.000066 * T) * t2 + 0.018203 * t3) * arcsec
        thetaA = ((2004.3109 - 0.85330 * T - 0.000217 * T2) * t
                  + (-0.42665 - 0.000217 * T) * t2 - 0.041833 * t3) * arcsec
        sina, cosa = zeta.sincos()
        sinb, cosb = zA.sincos()
        sinc, cosc = thetaA.sincos()

        # rotation matrix rows
        xx = cosa * cosc * cosb - sina * sinb
        yx = -sina * cosc * cosb - cosa * sinb
        zx = -sinc * cosb
        xy = cosa * cosc * sinb + sina * cosb
        yy = -sina * cosc * sinb + cosa * cosb
        zy = -sinc * sinb
        xz = cosa * sinc
        yz = -sina * sinc
        zz = cosc

        x, y, z = self._xyz()
        x2 = xx * x + yx * y + zx * z
        y2 = xy * x + yy * y + zy * z
        z2 = xz * x + yz * y + zz * z
        return CelestialCoord.from_xyz(x2, y2, z2).normal()

    def galactic(self, epoch=2000.0):
        """Galactic longitude and latitude ``(el, b)`` (:class:`Angle`), J2000 frame;
        ``el`` in [0, 2pi).  ``epoch`` is accepted for compatibility (J2000 only)."""
        sind0, cosd0 = _GAL_D0.sincos()
        sind, cosd = self._dec.sincos()
        sinr, cosr = (self._ra - _GAL_R0).sincos()

        cbcl = cosd * cosr
        cbsl = sind * sind0 + cosd * sinr * cosd0
        sb = sind * cosd0 - cosd * sinr * sind0
        m = _mod(cbcl, cbsl, sb)
        b = _Angle(_f(m.arcsin(sb)) if m is not np else math.asin(sb))
        el_raw = m.arctan2(cbsl, cbcl) if m is not np else math.atan2(cbsl, cbcl)
        el = (_Angle(_f(el_raw)) + _GAL_EL0).wrap(_Angle(math.pi))
        return (el, b)

    @staticmethod
    def from_galactic(el, b, epoch=2000.0):
        """The :class:`CelestialCoord` at galactic longitude ``el`` and latitude ``b``
        (:class:`Angle`), J2000 frame."""
        sind0, cosd0 = _GAL_D0.sincos()
        sinb, cosb = b.sincos()
        sinl, cosl = (el - _GAL_EL0).sincos()
        x1 = cosb * cosl
        y1 = cosb * sinl
        z1 = sinb
        x2 = x1
        y2 = y1 * cosd0 - z1 * sind0
        z2 = y1 * sind0 + z1 * cosd0
        temp = CelestialCoord.from_xyz(x2, y2, z2)
        return CelestialCoord(temp.ra + _GAL_R0, temp.dec).normal()

    def ecliptic(self, epoch=2000.0, date=None):
        """Ecliptic longitude and latitude ``(lam, beta)`` (:class:`Angle`), ``lam`` in
        [-pi, pi).

        Parameters:
            epoch:  The epoch (years) of the obliquity of the ecliptic. [default: 2000]
            date:   A ``datetime``; if given, ``lam`` is measured from the Sun's
                    longitude on that date, and the epoch is the date's year.
        """
        x, y, z = self._xyz()
        if date is not None:
            epoch = date.year
        sin_ep, cos_ep = _ecliptic_obliquity(epoch).sincos()
        x_ecl = x
        y_ecl = cos_ep * y + sin_ep * z
        z_ecl = -sin_ep * y + cos_ep * z
        m = _mod(x_ecl, y_ecl, z_ecl)
        if m is np:
            beta = _Angle(math.asin(z_ecl))
            lam = _Angle(math.atan2(y_ecl, x_ecl))
        else:
            beta = _Angle(m.arcsin(z_ecl))
            lam = _Angle(m.arctan2(y_ecl, x_ecl))
        if date is not None:
            lam -= _sun_ecliptic_longitude(date)
        return (lam.wrap(), beta)

    @staticmethod
    def from_ecliptic(lam, beta, epoch=2000.0, date=None):
        """The :class:`CelestialCoord` at ecliptic longitude ``lam`` and latitude
        ``beta`` (:class:`Angle`); ``epoch`` and ``date`` as for :meth:`ecliptic`."""
        if date is not None:
            lam += _sun_ecliptic_longitude(date)
        sinbeta, cosbeta = beta.sincos()
        sinlam, coslam = lam.sincos()
        x_ecl = cosbeta * coslam
        y_ecl = cosbeta * sinlam
        z_ecl = sinbeta
        if date is not None:
            epoch = date.year
        sin_ep, cos_ep = _ecliptic_obliquity(epoch).sincos()
        x_eq = x_ecl
        y_eq = cos_ep * y_ecl - sin_ep * z_ecl
        z_eq = sin_ep * y_ecl + cos_ep * z_ecl
        return CelestialCoord.from_xyz(x_eq, y_eq, z_eq)

    # --- printing ------------------------------------------------------------------
    def __repr__(self):
        return "galsim.CelestialCoord(%r, %r)" % (self._ra, self._dec)

    def __str__(self):
        return "galsim.CelestialCoord(%s, %s)" % (self._ra, self._dec)


def _CelestialCoord(ra, dec):
    """A :class:`CelestialCoord` from ``ra``, ``dec`` (:class:`Angle`) without checks."""
    ret = CelestialCoord.__new__(CelestialCoord)
    ret._ra = ra
    ret._dec = dec
    return ret
