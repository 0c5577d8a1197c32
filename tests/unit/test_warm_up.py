"""jsonschema (slow to import next to Jupyter) is imported off the path to the first form."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys, time
from procdeck.gui.app import App
import procdeck.forms
assert "jsonschema" not in sys.modules, "imported with the app"
import asyncio
from procdeck.forms.validation import _warming, warm_up

async def main():
    warm_up()
    assert "jsonschema" not in sys.modules  # not before the current cell ends
    await asyncio.sleep(0.2)

asyncio.run(main())
assert "jsonschema.validators" in sys.modules
from procdeck.forms.validation import FORMAT_CHECKER, format_checker
assert FORMAT_CHECKER is format_checker()
assert not format_checker().conforms("2025-02-30", "date")
print("ok")
"""


def test_the_app_imports_without_jsonschema_and_warm_up_brings_it() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
