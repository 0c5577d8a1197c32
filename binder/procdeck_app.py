"""The procdeck app as a Panel script: ``panel serve binder/procdeck_app.py``.

On Binder, jupyter-server-proxy serves it at ``<jupyter url>/procdeck/`` (see
jupyter_server_config.py). The client finds the server through
``PROCDECK_SERVER_URL`` (exported by ``binder/start``), else the config file or
``http://127.0.0.1:8008``.
"""

import panel as pn

from procdeck import Client
from procdeck.gui.app import App
from procdeck.gui.serve import configure_panel

configure_panel()
client = Client()
pn.state.on_session_destroyed(lambda _context: client.close())
App(client).servable(title="procdeck")
