"""Processes for ``bench_app.py``: the 200-input synthetic description of ``make_big_schema``.

Served with ``procdeck serve --processes procdeck.demo --processes app_bench_processes``
(``bench/`` on ``PYTHONPATH``).
"""

from __future__ import annotations

from typing import Any

from make_big_schema import big
from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()


def _sum_numbers(**inputs: Any) -> float:
    """Whatever the inputs, a number (the benchmark only measures the form)."""
    return float(sum(v for v in inputs.values() if isinstance(v, int | float)))


registry.add(big(200), _sum_numbers)
