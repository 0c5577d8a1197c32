"""The app in a Jupyter notebook: ``client.show()``, ``client.show_jobs()``, ``client.show_form()``.

Each function sets Panel up for the notebook frontend (see
:mod:`procdeck.gui.frontend`: everything comes from the kernel, no CDN) and returns a
Panel object that displays when it is the last expression of a cell.
"""

from __future__ import annotations

import inspect
from typing import Any

import panel as pn
import param

from procdeck.client.kinds import AnyClient
from procdeck.gui.frontend import FrontendDisplay, notebook_mode, repr_mimebundle, stop_when_closed
from procdeck.ogc.models import ProcessDescription

__all__ = ["NotebookForm", "show_app", "show_form", "show_jobs"]


def show_app(client: AnyClient, **params: Any) -> Any:
    """The whole app (processes, form, jobs) for ``client``, laid out for a notebook cell."""
    from procdeck.forms.validation import warm_up
    from procdeck.gui.app import App

    notebook_mode()
    warm_up()  # the first form's validator, imported while the browser loads the app
    return App(client, notebook=True, **params)


def show_jobs(client: AnyClient) -> Any:
    """The live job table of ``client``'s server, polling while it is displayed."""
    from procdeck.gui.jobs import JobPoller, JobTable

    notebook_mode()
    poller = JobPoller(client)
    table = JobTable(poller)
    poller.start()
    stop_when_closed(table.__panel__(), poller.stop,
                     pause=lambda paused: setattr(poller, "paused", paused))
    # shown as the frontend needs (the ipywidget in Voilà, VS Code and Colab)
    table._repr_mimebundle_ = lambda include=None, exclude=None: repr_mimebundle(
        table, include, exclude)
    return table


class NotebookForm(FrontendDisplay, pn.viewable.Viewer):
    """One process's input form; read or set its inputs with :attr:`value`.

    ``form.value`` is the ``inputs`` dict of an execute request (what
    ``client.execute_process(process_id, {"inputs": form.value})`` needs);
    ``form.request`` is the whole request; ``form.is_valid`` and
    ``form.errors`` tell whether it can be sent.
    """

    value = param.Dict(default={}, doc="The inputs the form holds (settable)")

    def __init__(self, description: ProcessDescription, **params: Any) -> None:
        from procdeck.forms import InputForm
        from procdeck.gui.forms import InputFormView

        super().__init__(**params)
        self.description = description
        self.form = InputForm(description)
        self.view = InputFormView(self.form)
        self.value = dict(self.form.value)
        self.form.param.watch(self._from_form, "value")
        self.param.watch(self._to_form, "value")

    def _from_form(self, event: param.parameterized.Event) -> None:
        if event.new != self.value:
            self.value = dict(event.new)

    def _to_form(self, event: param.parameterized.Event) -> None:
        if event.new != self.form.value:
            self.form.value = dict(event.new)

    @property
    def is_valid(self) -> bool:
        """True when the inputs can be sent."""
        return bool(self.form.is_valid)

    @property
    def errors(self) -> dict[str, Any]:
        """Input path -> messages."""
        return dict(self.form.errors)

    @property
    def request(self) -> dict[str, Any]:
        """The execute request (``{"inputs": ...}``) for this form."""
        return {"inputs": dict(self.form.value)}

    def __panel__(self) -> pn.viewable.Viewable:
        return self.view


def show_form(client: AnyClient, process: str | ProcessDescription) -> NotebookForm:
    """The input form of ``process`` (an id, or a description already fetched).

    With an :class:`~procdeck.AsyncClient`, fetch the description first
    (``await client.get_process(id)``) and pass it: a running notebook event
    loop cannot wait for a coroutine here.
    """
    notebook_mode()
    if isinstance(process, ProcessDescription):
        description = process
    else:
        if inspect.iscoroutinefunction(client.get_process):
            raise TypeError(
                "show_form needs the description with an AsyncClient: "
                "show_form(client, await client.get_process(process_id))"
            )
        description = client.get_process(process)
    return NotebookForm(description)
