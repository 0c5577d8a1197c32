"""The form engine: process inputs' JSON schemas as param view-models (no widgets).

``InputForm(description)`` turns a process description into a tree of field
view-models that hold values, validity and errors and produce the ``inputs``
of an execute request. ``procdeck.gui.forms`` renders it with Panel.
"""

from procdeck.forms.builder import BuildContext
from procdeck.forms.containers import ArrayField, ChoiceField, CompositeField, MapField, ObjectField
from procdeck.forms.fields import (
    MISSING,
    BBoxField,
    BinaryField,
    BooleanField,
    ConstField,
    EnumField,
    Field,
    JsonField,
    MultiChoiceField,
    NumberField,
    NumberRowField,
    StringField,
)
from procdeck.forms.form import InputForm
from procdeck.forms.schema import SchemaError, translate
from procdeck.forms.validation import compile_validator

__all__ = [
    "MISSING",
    "ArrayField",
    "BBoxField",
    "BinaryField",
    "BooleanField",
    "BuildContext",
    "ChoiceField",
    "CompositeField",
    "ConstField",
    "EnumField",
    "Field",
    "InputForm",
    "JsonField",
    "MapField",
    "MultiChoiceField",
    "NumberField",
    "NumberRowField",
    "ObjectField",
    "SchemaError",
    "StringField",
    "compile_validator",
    "translate",
]
