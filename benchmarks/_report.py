"""Shared by the benchmark scripts: timing and writing their section of docs/benchmarks.md.

Each script owns one section of ``docs/benchmarks.md``, delimited by HTML comments, and
rewrites only that section, so the scripts can be run independently.
"""

import os
import platform
import re
import statistics
import time

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                    "benchmarks.md")
HEADER = ("# Benchmarks\n\nEach section is written by the script named in it, which times "
          "our code and the peer in the same run on the same machine.\n")


def steady_time(func, min_repeat=5, min_seconds=0.5):
    """Median wall time of ``func()`` (seconds) once warm, over enough calls to fill
    ``min_seconds`` (at least ``min_repeat``)."""
    func()
    times = []
    t_end = time.perf_counter() + min_seconds
    while len(times) < min_repeat or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved_times(funcs, min_repeat=5, min_seconds=0.5):
    """Median wall time (seconds) of each ``funcs[name]()`` once warm, calling them in
    turn (round robin) until ``min_seconds`` have passed for each: ratios between them
    are then measured under the same machine conditions, even on a noisy machine."""
    for func in funcs.values():
        func()
    times = {name: [] for name in funcs}
    t_end = time.perf_counter() + min_seconds * len(funcs)
    while min(len(t) for t in times.values()) < min_repeat or time.perf_counter() < t_end:
        for name, func in funcs.items():
            t0 = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def first_call_time(func):
    """Wall time of the first call (for a jitted function: trace + compile + one run)."""
    t0 = time.perf_counter()
    func()
    return time.perf_counter() - t0


def machine_line():
    import jax
    return "%s, %d cores, Python %s, jax %s, backend %s" % (
        platform.processor() or platform.machine(), os.cpu_count(), platform.python_version(),
        jax.__version__, jax.default_backend())


def write_section(name, markdown):
    """Replace (or append) the section ``name`` of docs/benchmarks.md."""
    start, end = "<!-- %s:start -->" % name, "<!-- %s:end -->" % name
    text = open(DOCS).read() if os.path.exists(DOCS) else HEADER
    block = "%s\n%s\n%s" % (start, markdown.strip(), end)
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    os.makedirs(os.path.dirname(DOCS), exist_ok=True)
    with open(DOCS, "w") as f:
        f.write(text)


def publish(name, lines, write=True):
    """Print the markdown ``lines`` and, if ``write``, make them section ``name`` of
    docs/benchmarks.md."""
    text = "\n".join(lines)
    print(text)
    if write:
        write_section(name, text)
