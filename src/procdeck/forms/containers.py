"""Composite field view-models: objects, key/value maps, arrays and oneOf/anyOf choices."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import param

from procdeck.forms.fields import MISSING, Field
from procdeck.forms.schema import json_type

__all__ = ["ArrayField", "ChoiceField", "CompositeField", "MapField", "ObjectField"]


class CompositeField(Field):
    """A field whose value is derived from child fields.

    A child's change is collected into the value (:meth:`_publish`); a value set from
    outside is pushed into the children while ``_own_change`` is held, so the children
    loaded on the way are not collected back.
    """

    kind: ClassVar[str] = "composite"

    def __init__(self, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._null = False
        self.present = False

    @property
    def is_null(self) -> bool:
        """True when the composite stands for null rather than for its children's value."""
        return self._null

    def _child_changed(self, child: Field) -> None:
        if self._own_change:
            return  # a child loaded while the value is pushed down
        self._null = False
        self.present = True
        self._publish()

    def _publish(self) -> None:
        """Make the children's value the field's value and announce it."""
        self._set_own_value(self._collect())
        self._notify()

    def _absorb(self, value: Any) -> None:
        self._null = value is None
        self.present = value is not MISSING
        self._push(value)

    def _push(self, value: Any) -> None:
        """Load ``value`` into the children (while ``_own_change`` is held: they are
        not collected back)."""

    def _collect(self) -> Any:
        raise NotImplementedError

    def _finish(self, value: Any, empty: bool) -> Any:
        if self._null:
            return None
        if empty and not self.present and not self.required:
            return MISSING
        return value

    def clear(self) -> None:
        """Enter nothing: the children are emptied too."""
        self.value = MISSING

    def _route_to_children(self, records: list[tuple[str, str]]) -> list[tuple[str, str]]:
        children = self.built_children()
        if not children:
            return records
        mine: list[tuple[str, str]] = []
        taken: dict[int, list[tuple[str, str]]] = {id(c): [] for c in children}
        paths = [(c, c.path) for c in children]
        for record in records:
            target = _owner(paths, record[0])
            if target is None:
                mine.append(record)
            else:
                taken[id(target)].append(record)
        for child in children:
            child.show_errors(taken[id(child)])
        return mine


def _owner(paths: list[tuple[Field, str]], path: str) -> Field | None:
    best: Field | None = None
    best_len = -1
    for child, child_path in paths:
        if (path == child_path or path.startswith(child_path + ".")
                or path.startswith(child_path + "[")) and len(child_path) > best_len:
            best, best_len = child, len(child_path)
    return best


def _load(field: Field, value: Any) -> None:
    """Set a child's value and bring the child in line, without it notifying its parent."""
    with field._own_change:
        field.value = value
        field._absorb(value)


class ObjectField(CompositeField):
    """An object with named properties, built lazily (only when opened or filled)."""

    kind: ClassVar[str] = "object"

    def __init__(self, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._children: dict[str, Field] | None = None
        self.extra: MapField | None = None

    @property
    def property_names(self) -> list[str]:
        """Property names in display order (``x-ui-order`` first, then as declared)."""
        props = self.schema.get("properties") or {}
        return ordered_names(props)

    @property
    def required_names(self) -> set[str]:
        """Names of the required properties."""
        req = self.schema.get("required")
        return set(req) if isinstance(req, list) else set()

    @property
    def is_built(self) -> bool:
        """True once the property fields exist."""
        return self._children is not None

    @property
    def fields(self) -> list[Field]:
        """The property fields (built on first access)."""
        self.build()
        assert self._children is not None
        return list(self._children.values())

    def field(self, name: str) -> Field:
        """The field of one property."""
        self.build()
        assert self._children is not None
        return self._children[name]

    def initial_value(self) -> Any:
        """The default; else, when the object must be sent, what its properties start with
        (MISSING while a required property has no default: nothing valid to send yet)."""
        if self.default is not MISSING or not self.required:
            return super().initial_value()
        self.build()
        values = {}
        for name, child in (self._children or {}).items():
            start = child.initial_value()
            if start is not MISSING:
                values[name] = start
        return MISSING if self.required_names - set(values) else values

    def build(self) -> None:
        """Create the property fields and fill them from the current value."""
        if self._children is not None:
            return
        props = self.schema.get("properties") or {}
        required = self.required_names
        children: dict[str, Field] = {}
        for name in self.property_names:
            children[name] = self.context.build(
                props[name], key=name, parent=self, required=name in required
            )
        self._children = children
        with self._own_change:
            self._push(self.value)

    def _extra_schema(self) -> Any:
        extra = self.schema.get("additionalProperties")
        return extra if isinstance(extra, dict) else {}

    def extra_entries(self) -> MapField:
        """The editor of entries beyond the named properties (created on first use)."""
        if self.extra is None:
            self.extra = MapField(
                self._extra_schema(), value_schema=self._extra_schema(), key=None,
                title="More entries", required=False, context=self.context,
                parent=self,
            )
        return self.extra

    @property
    def allows_extra(self) -> bool:
        """True when the schema invites more entries than the named properties."""
        extra = self.schema.get("additionalProperties")
        return extra is True or (isinstance(extra, dict) and extra != {}) or (
            extra == {} and not self.schema.get("properties"))

    def _push(self, value: Any) -> None:
        if self._children is None:
            return
        if value is MISSING:
            # Nothing entered yet: the properties show what they start with, and
            # become the value as soon as the user edits any of them.
            for child in self._children.values():
                _load(child, child.initial_value())
            return
        data = value if isinstance(value, dict) else {}
        for name, child in self._children.items():
            _load(child, data.get(name, MISSING))
        extras = {k: v for k, v in data.items() if k not in self._children}
        if extras or self.extra is not None or self.allows_extra:
            _load(self.extra_entries(), extras or MISSING)

    def _collect(self) -> Any:
        if self._children is None:
            return self.value
        out = {name: child.value for name, child in self._children.items()
               if child.value is not MISSING}
        if self.extra is not None and isinstance(self.extra.value, dict):
            for key, item in self.extra.value.items():
                out.setdefault(key, item)
        return self._finish(out, not out)

    def built_children(self) -> list[Field]:
        """Property fields (if built) and the extra-entries editor."""
        children = list(self._children.values()) if self._children else []
        if self.extra is not None:
            children.append(self.extra)
        return children

    def child_for(self, part: str | int) -> Field | None:
        """The property field named ``part`` (or the extra entry), if built."""
        if self._children is None or not isinstance(part, str):
            return None
        child = self._children.get(part)
        if child is None and self.extra is not None:
            return self.extra.child_for(part)
        return child


def ordered_names(props: dict[str, Any]) -> list[str]:
    """Names sorted by their ``x-ui-order`` hint (unordered ones keep declaration order, last)."""
    def order(item: tuple[int, str]) -> tuple[int, float, int]:
        index, name = item
        sub = props[name]
        hint = sub.get("x-ui-order") if isinstance(sub, dict) else None
        if isinstance(hint, int | float) and not isinstance(hint, bool):
            return (0, float(hint), index)
        return (1, 0.0, index)
    return [name for _, name in sorted(enumerate(props), key=order)]


class MapField(CompositeField):
    """Free-form entries (``additionalProperties``): a key/value editor."""

    kind: ClassVar[str] = "map"
    entries = param.List(
        per_instance=False, default=[],
        doc="The value fields, one per entry (key = field.key).",
    )

    def __init__(self, schema: dict[str, Any], *, value_schema: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        extra = schema.get("additionalProperties") if value_schema is None else value_schema
        self.value_schema = extra if isinstance(extra, dict) else {}
        self._unnamed: set[Field] = set()  # entries added without a key, not renamed yet

    def _new_entry(self, key: str) -> Field:
        return self.context.build(self.value_schema, key=key, parent=self, required=True,
                                  title="Value")

    def add(self, key: str | None = None, value: Any = MISSING) -> Field:
        """Add an entry (left out of the value until it has a key); returns its value field."""
        entry = self._new_entry(key or "")
        if key is None:
            self._unnamed.add(entry)
        _load(entry, entry.initial_value() if value is MISSING else value)
        self.entries = [*self.entries, entry]
        self._child_changed(entry)
        return entry

    def remove(self, index: int) -> None:
        """Remove the entry at ``index``."""
        entries = list(self.entries)
        self._unnamed.discard(entries.pop(index))
        self.entries = entries
        self.present = True
        self._publish()

    def rename(self, index: int, key: str) -> None:
        """Change the key of the entry at ``index``."""
        entry = self.entries[index]
        entry.key = key
        self._unnamed.discard(entry)
        self._child_changed(entry)

    def _push(self, value: Any) -> None:
        data = value if isinstance(value, dict) else {}
        entries = []
        for key, item in data.items():
            entry = self._new_entry(key)
            _load(entry, item)
            entries.append(entry)
        self._unnamed.clear()
        self.entries = entries

    def _collect(self) -> Any:
        out = {str(e.key): e.value for e in self.entries
               if e.value is not MISSING and e not in self._unnamed}
        return self._finish(out, not self.entries)

    def own_errors(self) -> list[str]:
        """Entries added but not named yet, repeated keys."""
        keys = [str(e.key) for e in self.entries if e not in self._unnamed]
        problems = []
        if self._unnamed:
            problems.append("Every entry needs a key.")
        dupes = sorted({k for k in keys if k and keys.count(k) > 1})
        if dupes:
            problems.append("Repeated key(s): " + ", ".join(dupes) + ".")
        return problems

    def built_children(self) -> list[Field]:
        """The entries' value fields."""
        return list(self.entries)

    def child_for(self, part: str | int) -> Field | None:
        """The value field of the entry with key ``part``."""
        for entry in self.entries:
            if entry.key == part:
                return entry
        return None


class ArrayField(CompositeField):
    """A list of items edited one by one (add, remove, reorder) under minItems/maxItems.

    Also edits the occurrences of an input whose ``maxOccurs`` is above 1.
    """

    kind: ClassVar[str] = "array"
    items = param.List(per_instance=False, default=[], doc="One field per item.")

    def __init__(self, schema: dict[str, Any], *, item_schema: Any,
                 min_items: int = 0, max_items: int | None = None,
                 occurrences: bool = False, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.item_schema = item_schema if isinstance(item_schema, dict) else {}
        self.min_items = min_items
        self.max_items = max_items
        self.occurrences = occurrences

    @property
    def can_add(self) -> bool:
        """False once maxItems is reached."""
        return self.max_items is None or len(self.items) < self.max_items

    @property
    def can_remove(self) -> bool:
        """False at minItems."""
        return len(self.items) > self.min_items

    def initial_value(self) -> Any:
        """The default; else minItems empty items when the list must be sent."""
        start = super().initial_value()
        if start is MISSING and self.required and not self.nullable:
            if not self.min_items:
                return []
            first = self._new_item(0).initial_value()
            if first is not MISSING:
                return [copy.deepcopy(first) for _ in range(self.min_items)]
        return start

    def _new_item(self, index: int) -> Field:
        return self.context.build(self.item_schema, key=index, parent=self, required=True,
                                  title=f"{self.title} {index + 1}")

    def add(self, value: Any = MISSING) -> Field:
        """Append an item (its default unless ``value`` is given); returns its field."""
        item = self._new_item(len(self.items))
        _load(item, item.initial_value() if value is MISSING else value)
        self.items = [*self.items, item]
        self._child_changed(item)
        return item

    def remove(self, index: int) -> None:
        """Remove the item at ``index``."""
        items = list(self.items)
        del items[index]
        self._renumber(items)
        self.items = items
        self._after_reshape()

    def move(self, index: int, to: int) -> None:
        """Move the item at ``index`` to position ``to``."""
        items = list(self.items)
        if not (0 <= to < len(items)):
            return
        items.insert(to, items.pop(index))
        self._renumber(items)
        self.items = items
        self._after_reshape()

    def _renumber(self, items: list[Field]) -> None:
        for index, item in enumerate(items):
            item.key = index
            item.title = f"{self.title} {index + 1}"

    def _after_reshape(self) -> None:
        self.present = True
        self._null = False
        self._publish()

    def _push(self, value: Any) -> None:
        data = value if isinstance(value, list) else []
        items = list(self.items[: len(data)])
        for index in range(len(items), len(data)):
            items.append(self._new_item(index))
        for item, sub in zip(items, data, strict=True):
            _load(item, sub)
        if items != self.items:
            self.items = items

    def _collect(self) -> Any:
        out = [None if item.value is MISSING else item.value for item in self.items]
        return self._finish(out, not out)

    def built_children(self) -> list[Field]:
        """The item fields."""
        return list(self.items)

    def child_for(self, part: str | int) -> Field | None:
        """The item at index ``part``."""
        if isinstance(part, int) and 0 <= part < len(self.items):
            return self.items[part]
        return None


class ChoiceField(CompositeField):
    """A choice between schema branches (``oneOf``/``anyOf``/type lists).

    Each branch keeps its own draft, so switching back and forth loses nothing;
    loading a value selects the branch it belongs to (``discriminator`` first,
    then the first branch the value is valid against).
    """

    kind: ClassVar[str] = "choice"
    branch = param.Integer(per_instance=False, default=0, doc="Index of the selected branch.")

    def __init__(self, schema: dict[str, Any], *, branches: list[dict[str, Any]],
                 labels: list[str], originals: list[Any], positions: list[int],
                 **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.branch_schemas = branches
        self.labels = labels
        self._originals = originals  # the branch schemas as written, for validation
        self.positions = positions  # index of each branch in the oneOf/anyOf list
        self._branch_fields: dict[int, Field] = {}
        self.param.watch(self._on_branch, "branch")

    def branch_field(self, index: int | None = None) -> Field:
        """The field of a branch (built on first use); the selected one by default."""
        index = self.branch if index is None else index
        field = self._branch_fields.get(index)
        if field is None:
            field = self.context.build(
                self.branch_schemas[index], key=None, parent=self, required=self.required,
                title=self.title,
            )
            _load(field, field.initial_value())
            self._branch_fields[index] = field
        return field

    def initial_value(self) -> Any:
        """The default, else what the first branch starts with."""
        start = super().initial_value()
        if start is MISSING and self.required and not self.nullable:
            return self.branch_field(self.branch).initial_value()
        return start

    def _on_branch(self, event: param.parameterized.Event) -> None:
        if self._own_change:
            return  # picked by a loaded value (see _push)
        self._null = False
        self.present = True
        self._publish()

    def _child_changed(self, child: Field) -> None:
        if child is self._branch_fields.get(self.branch):
            super()._child_changed(child)

    def _push(self, value: Any) -> None:
        if value is MISSING or value is None:
            return
        index = self.detect_branch(value)
        self.branch = index
        _load(self.branch_field(index), value)

    def _collect(self) -> Any:
        if self._null:
            return None
        return self.branch_field().value

    def detect_branch(self, value: Any) -> int:
        """The branch a value belongs to."""
        by_discriminator = self._discriminated_branch(value)
        if by_discriminator is not None:
            return by_discriminator
        validator = self.context.validator
        if validator is not None:
            for index, original in enumerate(self._originals):
                try:
                    if validator.evolve(schema=original).is_valid(value):
                        return index
                except Exception:  # an odd branch must not break loading
                    continue
        kind = json_type(value)
        for index, branch in enumerate(self.branch_schemas):
            types = branch.get("type")
            types = [types] if isinstance(types, str) else (types or [])
            if kind in types or (kind == "integer" and "number" in types):
                return index
        return self.branch

    def _discriminated_branch(self, value: Any) -> int | None:
        disc = self.schema.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(value, dict):
            return None
        prop = disc.get("propertyName")
        tag = value.get(prop) if isinstance(prop, str) else None
        if not isinstance(tag, str):
            return None
        mapping = disc.get("mapping") if isinstance(disc.get("mapping"), dict) else {}
        target = mapping.get(tag)
        for index, original in enumerate(self._originals):
            ref = original.get("$ref") if isinstance(original, dict) else None
            if isinstance(ref, str) and (ref == target or ref.rsplit("/", 1)[-1] == tag):
                return index
            prop_schema = (self.branch_schemas[index].get("properties") or {}).get(prop)
            if isinstance(prop_schema, dict) and (
                prop_schema.get("const") == tag or tag in (prop_schema.get("enum") or [])
            ):
                return index
        return None

    def built_children(self) -> list[Field]:
        """The selected branch's field (errors are about the selected branch)."""
        return [self.branch_field()]

    def child_for(self, part: str | int) -> Field | None:
        """Path steps go through the selected branch."""
        return self.branch_field().child_for(part)

    def _route_to_children(self, records: list[tuple[str, str]]) -> list[tuple[str, str]]:
        own = self.path
        mine = [r for r in records if r[0] == own and self._null]
        rest = [r for r in records if not (r[0] == own and self._null)]
        self.branch_field().show_errors(rest)
        return mine
