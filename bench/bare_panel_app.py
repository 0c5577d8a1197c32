"""Yardstick for ``bench_app.py``: a bare Panel page with one text input.

Run: ``python bench/bare_panel_app.py PORT`` (serves until killed).
"""

from __future__ import annotations

import sys

import panel as pn


def page() -> pn.viewable.Viewable:
    """One labelled text input, nothing else."""
    return pn.widgets.TextInput(name="Value")


if __name__ == "__main__":
    pn.extension()
    pn.serve({"/": page}, port=int(sys.argv[1]), address="127.0.0.1", show=False,
             websocket_origin=[f"127.0.0.1:{sys.argv[1]}"])
