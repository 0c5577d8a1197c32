"""Benchmark: building the input form of big synthetic process descriptions.

Times, for ``make_big_schema.big(50)`` and ``big(200)``:

- view-models: ``InputForm(description)`` (schema translation, field tree,
  defaults, first validation);
- widgets: ``InputFormView(form)`` plus materialising its Panel layout with
  ``.__panel__()`` (not rendered in a browser);

and prints the median (and best) of repeated runs with the machine and date.
Target: the 200-input form under 110 ms in total.

Run: ``.venv/bin/python bench/bench_forms.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_big_schema import big

TARGET_MS = 110.0


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def measure(n_inputs: int, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per run for the view-models and the widgets of a big(n) form."""
    from procdeck.forms import InputForm
    from procdeck.gui.forms import InputFormView

    description = big(n_inputs)
    times: dict[str, list[float]] = {"view-models": [], "widgets": [], "total": []}
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        form = InputForm(description)
        built = time.perf_counter()
        InputFormView(form).__panel__()
        done = time.perf_counter()
        times["view-models"].append((built - start) * 1e3)
        times["widgets"].append((done - built) * 1e3)
        times["total"].append((done - start) * 1e3)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21, help="runs per size (default 21)")
    args = parser.parse_args()

    start = time.perf_counter()
    import panel  # noqa: F401 - imported once, outside the timings

    import procdeck.gui.forms  # noqa: F401
    print(f"imports (panel + procdeck.gui.forms): {(time.perf_counter() - start) * 1e3:.0f} ms")
    # warm-up: first instances pay for class-level setup (param, Panel, jsonschema caches)
    measure(50, 3)

    print(f"machine: {_machine()}")
    print(f"date:    {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"runs:    {args.repeat} per size (median, best in brackets)")
    for n_inputs in (50, 200):
        times = measure(n_inputs, args.repeat)
        cells = [f"{name} {statistics.median(values):6.1f} ms ({min(values):5.1f})"
                 for name, values in times.items()]
        print(f"big({n_inputs:3d}): " + " | ".join(cells))
        if n_inputs == 200:
            median = statistics.median(times["total"])
            verdict = "meets" if median < TARGET_MS else "MISSES"
            print(f"200-input form: {median:.1f} ms median {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
