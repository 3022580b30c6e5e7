"""Where GalSim's own test modules and their data come from.

The test modules (``tests/test_*.py``) come from the galsim source distribution on the
package index, downloaded once into a git-ignored cache (``.parity-cache/`` at the
repository root), or from a GalSim checkout named by ``GALSIM_SOURCE_DIR``.  The data
files they read come from ``GALSIM_TESTS_DATA``, else from that checkout, else from
``../shared/galsim-tests-data`` beside the repository.  Nothing from GalSim is
committed to this repository.

The cache folder is laid out as GalSim's repository is (``tests/`` with the modules
and links to the data entries, ``examples/`` linking to the example data), because
the tests open files relative to their own folder.
"""

import hashlib
import os
import re
import shutil
import tarfile
import urllib.request

GALSIM_VERSION = "2.8.5"
SDIST_NAME = "galsim-%s.tar.gz" % GALSIM_VERSION

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE_ROOT = os.path.join(REPO_ROOT, ".parity-cache", "galsim-%s" % GALSIM_VERSION)
TESTS_DIR = os.path.join(CACHE_ROOT, "tests")


def _index_url():
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def _sdist_link():
    """(url, sha256) of the sdist, read from the package index's simple page."""
    page = urllib.request.urlopen("%s/galsim/" % _index_url(), timeout=120).read().decode()
    pattern = r'href="([^"]*/%s)(?:#sha256=([0-9a-f]{64}))?"' % re.escape(SDIST_NAME)
    match = re.search(pattern, page)
    if match is None:
        raise RuntimeError("%s is not listed on %s/galsim/" % (SDIST_NAME, _index_url()))
    url = urllib.request.urljoin("%s/galsim/" % _index_url(), match.group(1))
    return url, match.group(2)


def _download_sdist(dest):
    url, sha256 = _sdist_link()
    print("parity: downloading %s" % url)
    data = urllib.request.urlopen(url, timeout=600).read()
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError("checksum mismatch for %s" % url)
    with open(dest, "wb") as f:
        f.write(data)


def _extract_test_modules(sdist_path, out_dir):
    prefix = "galsim-%s/tests/" % GALSIM_VERSION
    with tarfile.open(sdist_path) as tar:
        for member in tar.getmembers():
            name = member.name
            if name.startswith(prefix) and re.fullmatch(r"test_\w+\.py", name[len(prefix):]):
                src = tar.extractfile(member)
                with open(os.path.join(out_dir, name[len(prefix):]), "wb") as f:
                    f.write(src.read())


def _copy_checkout_modules(source_dir, out_dir):
    tests = os.path.join(source_dir, "tests")
    for name in os.listdir(tests):
        if re.fullmatch(r"test_\w+\.py", name):
            shutil.copy(os.path.join(tests, name), os.path.join(out_dir, name))


def data_dir():
    """The folder laid out as GalSim's repository (``tests/...``, ``examples/...``)."""
    for var in ("GALSIM_TESTS_DATA", "GALSIM_SOURCE_DIR"):
        if os.environ.get(var):
            return os.environ[var]
    return os.path.join(os.path.dirname(REPO_ROOT), "shared", "galsim-tests-data")


def _link_data(out_dir):
    root = data_dir()
    data_tests = os.path.join(root, "tests")
    if not os.path.isdir(data_tests):
        raise RuntimeError("GalSim test data not found at %s (set GALSIM_TESTS_DATA)" % root)
    for name in os.listdir(data_tests):
        if name.endswith(".py") or name in ("conftest.py", "galsim_test_helpers.py"):
            continue
        link = os.path.join(out_dir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(data_tests, name), link)
    examples = os.path.join(CACHE_ROOT, "examples")
    if not os.path.lexists(examples) and os.path.isdir(os.path.join(root, "examples")):
        os.symlink(os.path.join(root, "examples"), examples)


def ensure_tests_dir():
    """Prepare (once) and return the folder holding GalSim's test modules and data."""
    os.makedirs(TESTS_DIR, exist_ok=True)
    if not any(n.startswith("test_") for n in os.listdir(TESTS_DIR)):
        source = os.environ.get("GALSIM_SOURCE_DIR")
        if source:
            _copy_checkout_modules(source, TESTS_DIR)
        else:
            sdist = os.path.join(os.path.dirname(CACHE_ROOT), SDIST_NAME)
            if not os.path.exists(sdist):
                _download_sdist(sdist + ".part")
                os.replace(sdist + ".part", sdist)
            _extract_test_modules(sdist, TESTS_DIR)
    _link_data(TESTS_DIR)
    # Some tests write into output/ without creating it (GalSim's checkout has one).
    os.makedirs(os.path.join(TESTS_DIR, "output"), exist_ok=True)
    return TESTS_DIR
