"""Panel rendering of the form engine: widget factories, their registry and ``InputFormView``.

``widget_registry`` holds the built-in factories; register your own to change
how a kind of field is edited (the best-scoring factory wins, ties go to the
one registered last).
"""

from procdeck.gui.forms.components import NativeInput, NumberRow
from procdeck.gui.forms.composites import (
    ArrayFactory,
    ChoiceFactory,
    Disclosure,
    MapFactory,
    ObjectFactory,
)
from procdeck.gui.forms.factories import (
    BBoxObjectFactory,
    BinaryFactory,
    BooleanFactory,
    ConstFactory,
    EnumFactory,
    InlineFactory,
    JsonFactory,
    MultiChoiceFactory,
    NumberFactory,
    NumberRowFactory,
    RadioFactory,
    SliderFactory,
    TextFactory,
)
from procdeck.gui.forms.group import FieldGroup, InlineSpec
from procdeck.gui.forms.registry import WidgetFactory, WidgetRegistry, widget_registry
from procdeck.gui.forms.renderer import FormRenderer
from procdeck.gui.forms.view import InputFormView

for _factory in (
    TextFactory(), NumberFactory(), SliderFactory(), BooleanFactory(), EnumFactory(),
    RadioFactory(), MultiChoiceFactory(), ConstFactory(), BinaryFactory(), NumberRowFactory(),
    BBoxObjectFactory(), JsonFactory(), ObjectFactory(), MapFactory(), ArrayFactory(),
    ChoiceFactory(),
):
    widget_registry.register(_factory)

__all__ = [
    "ArrayFactory",
    "BBoxObjectFactory",
    "BinaryFactory",
    "BooleanFactory",
    "ChoiceFactory",
    "ConstFactory",
    "Disclosure",
    "EnumFactory",
    "FieldGroup",
    "FormRenderer",
    "InlineFactory",
    "InlineSpec",
    "InputFormView",
    "JsonFactory",
    "MapFactory",
    "MultiChoiceFactory",
    "NativeInput",
    "NumberFactory",
    "NumberRow",
    "NumberRowFactory",
    "ObjectFactory",
    "RadioFactory",
    "SliderFactory",
    "TextFactory",
    "WidgetFactory",
    "WidgetRegistry",
    "widget_registry",
]
