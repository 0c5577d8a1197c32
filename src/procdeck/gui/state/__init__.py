"""The view-models :class:`~procdeck.gui.app_state.AppState` is made of, one per concern.

Each is Panel-free and tested on its own; ``AppState`` composes them:

- :mod:`.processes`: the process list, asked again with backoff when the server refuses it;
- :mod:`.descriptions`: process descriptions, cached, fetched once however many ask;
- :mod:`.drafts`: each process's form and request options, and their handover to a new
  session;
- :mod:`.request_file`: a saved execute request read back into a form;
- :mod:`.execution`: why Execute is disabled, and sending the request.
"""
