"""The widget factory registry: which Panel widget edits which field.

Each :class:`WidgetFactory` says how well it fits a field (``score``; 0 means
"not at all") and builds the Panel object that edits it (``create``). For
every field the registry asks all factories and uses the best fit; later
registrations win ties, so a user's factory overrides a built-in one of
equal score::

    class ColourFactory(WidgetFactory):
        def score(self, field, schema):
            return 100 if schema.get("format") == "color" else 0

        def create(self, field, renderer):
            picker = pn.widgets.ColorPicker(name=field.title)
            renderer.link(field, picker)
            return picker

    widget_registry.register(ColourFactory())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import panel as pn

    from procdeck.forms import Field
    from procdeck.gui.forms.renderer import FormRenderer

__all__ = ["WidgetFactory", "WidgetRegistry", "widget_registry"]


class WidgetFactory:
    """Builds the widget(s) for fields it fits. Subclass and override both methods."""

    #: Factories that show a "no value" state themselves set this; others get a toggle.
    handles_null: bool = False

    def score(self, field: Field, schema: dict[str, Any]) -> float:
        """How well this factory fits ``field`` (its schema given for convenience); 0 = no."""
        return 0.0

    def create(self, field: Field, renderer: FormRenderer) -> pn.viewable.Viewable:
        """The Panel object editing ``field``; bind it with ``renderer.link`` or watchers."""
        raise NotImplementedError


class WidgetRegistry:
    """An ordered set of factories; :meth:`best` picks the one that fits a field best."""

    def __init__(self) -> None:
        self._factories: list[WidgetFactory] = []

    def register(self, factory: WidgetFactory) -> WidgetFactory:
        """Add a factory (it wins ties against earlier ones); returns it."""
        self._factories.append(factory)
        return factory

    def unregister(self, factory: WidgetFactory) -> None:
        """Remove a factory registered before."""
        self._factories.remove(factory)

    @property
    def factories(self) -> list[WidgetFactory]:
        """The registered factories, oldest first."""
        return list(self._factories)

    def best(self, field: Field) -> WidgetFactory:
        """The best-fitting factory for ``field`` (LookupError if none fits)."""
        best: WidgetFactory | None = None
        best_score = 0.0
        schema = field.schema
        for factory in self._factories:
            score = factory.score(field, schema)
            if score > 0 and score >= best_score:
                best, best_score = factory, score
        if best is None:
            raise LookupError(f"no widget factory fits the field {field.path!r} ({field.kind})")
        return best

    def copy(self) -> WidgetRegistry:
        """An independent registry with the same factories (to customise one form)."""
        other = WidgetRegistry()
        other._factories = list(self._factories)
        return other


#: The registry forms use unless given another; built-in factories are registered on import.
widget_registry = WidgetRegistry()
