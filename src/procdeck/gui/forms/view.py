"""``InputFormView``: a Panel view of an :class:`~procdeck.forms.InputForm`."""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from procdeck.forms import InputForm
from procdeck.gui.forms.composites import Disclosure
from procdeck.gui.forms.registry import WidgetRegistry, widget_registry
from procdeck.gui.forms.renderer import FormRenderer

__all__ = ["InputFormView"]


class InputFormView(pn.viewable.Viewer):
    """The widgets of a form: one input per process input, advanced ones in a collapsed
    "Advanced" section (built when first opened).

    Edits go straight into the form's view-models; setting ``form.value`` refills
    the widgets. ``registry`` chooses widgets (default: :data:`widget_registry`).
    """

    form = param.ClassSelector(class_=InputForm, constant=True, doc="The form shown.")

    def __init__(self, form: InputForm, *, registry: WidgetRegistry | None = None,
                 **params: Any) -> None:
        super().__init__(form=form, **params)
        self.renderer = FormRenderer(registry or widget_registry)
        self._layout: pn.Column | None = None
        self.advanced: Disclosure | None = None

    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = self._build()
        return self._layout

    def _build(self) -> pn.Column:
        form = self.form
        column = self.renderer.column(form.basic_fields, css_classes=["pd-form"],
                                      sizing_mode="stretch_width")
        advanced = form.advanced_fields
        if advanced:
            self.advanced = Disclosure(
                "Advanced", lambda: self.renderer.column(advanced), opened=False)
            self.advanced.attach(column.append)
            column.append(self.advanced.view)
        return column
