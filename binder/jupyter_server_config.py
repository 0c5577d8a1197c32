"""Jupyter server configuration for Binder: the standalone procdeck app behind Jupyter's proxy.

``postBuild`` links this file to ``~/.jupyter/jupyter_server_config.py``.
jupyter-server-proxy then starts the app (``panel serve procdeck_app.py``) on the
first visit of ``<jupyter url>/procdeck/`` and adds a "procdeck app" tile to
the JupyterLab launcher. The app talks to the local server that ``binder/start``
started.
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file

APP_SCRIPT = Path(__file__).resolve().parent / "procdeck_app.py"

c.ServerProxy.servers = {
    "procdeck": {
        "command": [
            sys.executable, "-m", "panel", "serve", str(APP_SCRIPT),
            "--address", "127.0.0.1",
            "--port", "{port}",
            # The app lives below Jupyter's URL and the browser's origin is Jupyter's.
            "--prefix", "{base_url}procdeck",
            "--allow-websocket-origin", "*",
            "--index", APP_SCRIPT.stem,
        ],
        "absolute_url": True,
        "timeout": 120,
        "launcher_entry": {"enabled": True, "title": "procdeck app"},
    }
}
