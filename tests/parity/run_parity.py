#!/usr/bin/env python3
"""Run GalSim's own test modules, unmodified, against jax_galsim.

Usage::

    python3 tests/parity/run_parity.py [FILE ...] [--update-manifest] [--no-manifest]
                                       [--write-docs] [pytest options ...]

FILE is an upstream module name (``test_image.py`` or ``image``); without FILE every
module named in the manifest runs and ``docs/parity.md`` is rewritten.

Every upstream test function has an expected outcome in ``manifest.txt``: ``pass`` or
``xfail: <reason>``.  The run fails (exit 1) when a ``pass`` test fails, when a test
function is missing from the manifest, or when a manifest entry no longer exists
upstream.  An ``xfail`` that passes is reported (``XPASS``) so the manifest can be
tightened.  A module that does not even import counts as a failure of each of its
functions.  Nothing is skipped silently: a skipped test counts as not passed.

``--update-manifest`` records the observed outcome of unlisted functions (and with
``--retighten`` also rewrites entries whose outcome changed); reasons for failures are
the first line of the error, to be edited by hand where a better reason is known.
"""

import ast
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import upstream  # noqa: E402

MANIFEST = os.path.join(HERE, "manifest.txt")
DOCS = os.path.join(upstream.REPO_ROOT, "docs", "parity.md")
ORDER = {"passed": 0, "xpassed": 0, "xfailed": 1, "skipped": 2, "failed": 3, "error": 3}


# --- manifest -----------------------------------------------------------------------
def read_manifest(path=MANIFEST):
    """{ 'test_x.py::test_f': ('pass'|'xfail', reason) } in file order."""
    entries = collections.OrderedDict()
    if not os.path.exists(path):
        return entries
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, outcome = line.partition(" ")
            outcome = outcome.strip()
            if outcome == "pass":
                entries[key] = ("pass", "")
            elif outcome.startswith("xfail:") and outcome[6:].strip():
                entries[key] = ("xfail", outcome[6:].strip())
            else:
                raise SystemExit("%s:%d: outcome must be 'pass' or 'xfail: <reason>'" % (path, lineno))
    return entries


def write_manifest(entries, path=MANIFEST):
    with open(path, "w") as f:
        f.write("# Expected outcome of every upstream GalSim %s test function under jax_galsim.\n"
                "# <module>::<function>  pass | xfail: <reason>\n"
                "# Checked by tests/parity/run_parity.py; see docs/parity.md.\n"
                % upstream.GALSIM_VERSION)
        for key in sorted(entries, key=lambda k: (k.split("::")[0], list(entries).index(k))):
            outcome, reason = entries[key]
            f.write("%s  %s\n" % (key, "pass" if outcome == "pass" else "xfail: " + reason))


def functions_in(path):
    """Top-level ``test_*`` functions of an upstream module, read without importing it."""
    with open(path) as f:
        tree = ast.parse(f.read())
    return [n.name for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")]


# --- the pytest plugin ----------------------------------------------------------------
def _first_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    line = text.strip().splitlines()[0] if text.strip() else "failed"
    return " ".join(line.split())[:160]


class ParityPlugin:
    def __init__(self, manifest, files, use_manifest=True):
        self.manifest = manifest
        self.files = files
        self.use_manifest = use_manifest
        self.outcome = {}          # key -> passed/failed/xfailed/xpassed/skipped/error
        self.message = {}          # key -> first line of the failure
        self.import_errors = {}    # file -> first line of the collection error
        self.collected = set()
        self.start = time.time()
        self.file_seconds = collections.Counter()

    def pytest_addoption(self, parser):
        parser.addoption("--run_slow", action="store_true", default=False,
                         help="Run GalSim's slow test variants")

    def pytest_collectreport(self, report):
        if report.failed:
            self.import_errors[os.path.basename(str(report.fspath))] = _first_line(report)

    def pytest_collection_modifyitems(self, session, config, items):
        import pytest
        for item in items:
            key = "%s::%s" % (item.path.name, getattr(item, "originalname", None) or item.name)
            self.collected.add(key)
            expected = self.manifest.get(key)
            if self.use_manifest and expected and expected[0] == "xfail":
                item.add_marker(pytest.mark.xfail(reason=expected[1], strict=False))

    def pytest_runtest_logreport(self, report):
        key = "%s::%s" % (os.path.basename(report.fspath), report.location[2].split("[")[0])
        self.file_seconds[os.path.basename(report.fspath)] += report.duration
        if hasattr(report, "wasxfail"):
            result = "xpassed" if report.passed else "xfailed"
        elif report.failed:
            result = "failed" if report.when == "call" else "error"
        elif report.skipped:
            result = "skipped"
        elif report.when == "call":
            result = "passed"
        else:
            return
        if result in ("failed", "error", "xfailed"):
            self.message.setdefault(key, _first_line(report))
        old = self.outcome.get(key)
        if old is None or ORDER[result] > ORDER[old]:
            self.outcome[key] = result

    # -- results ------------------------------------------------------------------------
    def results(self):
        """key -> observed outcome for every function of every module that ran."""
        observed = {}
        for name in self.files:
            for func in functions_in(os.path.join(upstream.TESTS_DIR, name)):
                key = "%s::%s" % (name, func)
                if name in self.import_errors:
                    observed[key] = "error"
                    self.message[key] = "module does not import: " + self.import_errors[name]
                else:
                    observed[key] = self.outcome.get(key, "not run")
        return observed

    def problems(self, observed):
        out = []
        for key, result in observed.items():
            expected = self.manifest.get(key)
            if expected is None:
                out.append("NOT IN MANIFEST  %s (%s)" % (key, result))
            elif expected[0] == "pass" and result not in ("passed",):
                out.append("REGRESSION  %s: %s" % (key, self.message.get(key, result)))
        ran = set(self.files)
        for key in self.manifest:
            if key.split("::")[0] in ran and key not in observed:
                out.append("STALE MANIFEST ENTRY  %s (no such upstream function)" % key)
        return out

    def table(self, observed):
        rows = []
        for name in self.files:
            keys = [k for k in observed if k.startswith(name + "::")]
            passed = sum(observed[k] in ("passed", "xpassed") for k in keys)
            xfail = sum(self.manifest.get(k, ("?",))[0] == "xfail" for k in keys)
            xpass = sum(observed[k] == "xpassed" for k in keys)
            rows.append((name, len(keys), passed, xfail, xpass, self.file_seconds[name]))
        return rows


def format_table(rows):
    lines = ["| upstream module | functions | passed | xfail (expected) | xfail that passed | seconds |",
             "|---|---:|---:|---:|---:|---:|"]
    tot = [0, 0, 0, 0, 0.0]
    for name, n, passed, xfail, xpass, secs in rows:
        lines.append("| %s | %d | %d | %d | %d | %.0f |" % (name, n, passed, xfail, xpass, secs))
        tot = [tot[0] + n, tot[1] + passed, tot[2] + xfail, tot[3] + xpass, tot[4] + secs]
    lines.append("| **total** | %d | %d | %d | %d | %.0f |" % tuple(tot))
    return "\n".join(lines)


def write_docs(rows, observed, plugin):
    xfails = [(k, plugin.manifest[k][1]) for k in observed if plugin.manifest.get(k, ("",))[0] == "xfail"]
    with open(DOCS, "w") as f:
        f.write("# GalSim parity\n\n"
                "GalSim %s's own test modules, run unmodified with `galsim` bound to "
                "`jax_galsim` (and float64 enabled).\nProduced by `jax-galsim parity` "
                "(equivalently `python3 tests/parity/run_parity.py`); the expected outcome "
                "of every function is in `tests/parity/manifest.txt`.\n\n" % upstream.GALSIM_VERSION)
        f.write(format_table(rows) + "\n\n")
        f.write("## Expected failures and their reasons\n\n")
        for key, reason in xfails:
            f.write("- `%s`: %s\n" % (key, reason))


def resolve_files(names, manifest):
    tests_dir = upstream.ensure_tests_dir()
    if not names:
        names = sorted({k.split("::")[0] for k in manifest})
    files = []
    for name in names:
        base = os.path.basename(name)
        if not base.endswith(".py"):
            base = base if base.startswith("test_") else "test_" + base
            base += ".py"
        if not os.path.exists(os.path.join(tests_dir, base)):
            raise SystemExit("no upstream module %s in %s" % (base, tests_dir))
        files.append(base)
    return tests_dir, files


def use_galsim_share_dir():
    """Point jax_galsim at the installed GalSim's data files (SEDs, bandpasses), which
    the tests read through ``galsim.meta_data.share_dir``; found without importing
    galsim, whose name is about to be bound to jax_galsim."""
    import importlib.util
    spec = importlib.util.find_spec("galsim")
    if spec is not None and spec.origin and "GALSIM_SHARE_DIR" not in os.environ:
        share = os.path.join(os.path.dirname(spec.origin), "share")
        if os.path.isdir(share):
            os.environ["GALSIM_SHARE_DIR"] = share


OPTIONS_WITH_VALUE = ("-k", "-m", "-p", "--tb", "--maxfail", "-W", "--durations")


def split_args(argv):
    """Upstream module names, and everything else for pytest (option values stay put)."""
    names, rest, take_value = [], [], False
    for a in argv:
        if take_value:
            rest.append(a)
            take_value = False
        elif a in OPTIONS_WITH_VALUE:
            rest.append(a)
            take_value = True
        elif not a.startswith("-"):
            names.append(a)
        else:
            rest.append(a)
    return names, rest


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    flags = {f: (f in argv) for f in ("--update-manifest", "--retighten", "--no-manifest",
                                      "--write-docs")}
    argv = [a for a in argv if a not in flags]
    names, pytest_args = split_args(argv)
    manifest = read_manifest()
    tests_dir, files = resolve_files(names, manifest)
    full_run = not names and not any(a in ("-k", "-x") for a in pytest_args)

    use_galsim_share_dir()
    import jax
    jax.config.update("jax_enable_x64", True)   # GalSim's tests are float64 throughout
    import alias
    alias.install()
    import pytest

    sys.path.insert(0, tests_dir)
    os.chdir(tests_dir)
    plugin = ParityPlugin(manifest, files, use_manifest=not flags["--no-manifest"])
    args = [os.path.join(tests_dir, f) for f in files] + [
        "-p", "no:cacheprovider", "--rootdir", tests_dir, "--continue-on-collection-errors", "-q", "-rfEX", "--tb=short",
        "-W", "ignore::DeprecationWarning"] + pytest_args
    pytest_status = pytest.main(args, plugins=[plugin])

    observed = plugin.results()
    rows = plugin.table(observed)
    print("\nGalSim parity (upstream %s):\n%s" % (upstream.GALSIM_VERSION, format_table(rows)))
    xpassed = [k for k, v in observed.items() if v == "xpassed"]
    if xpassed:
        print("\nxfail entries that now pass (tighten the manifest):")
        for k in xpassed:
            print("  XPASS", k)

    if flags["--update-manifest"]:
        for key, result in observed.items():
            passed = result in ("passed", "xpassed")
            if key in manifest:
                # Existing entries change only with --retighten, and only where the
                # observed outcome contradicts them (curated reasons are kept).
                if not flags["--retighten"] or (manifest[key][0] == "pass") == passed:
                    continue
            if passed:
                manifest[key] = ("pass", "")
            else:
                manifest[key] = ("xfail", plugin.message.get(key, result))
        write_manifest(manifest)
        print("manifest updated: %s" % MANIFEST)
        return 0

    if full_run or flags["--write-docs"]:
        write_docs(rows, observed, plugin)
        print("wrote %s" % DOCS)

    if flags["--no-manifest"]:
        return 0 if pytest_status in (0, 5) else 1
    problems = plugin.problems(observed)
    if problems:
        print("\nParity check FAILED:")
        for p in problems:
            print("  " + p)
        return 1
    if pytest_status not in (0, 1, 5):   # 1 = some test failed, judged above
        return int(pytest_status)
    print("\nParity check passed: %d functions as expected." % len(observed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
