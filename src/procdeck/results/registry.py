"""The openers procdeck knows, and the one rule that picks an opener for a source.

Built-ins and plug-ins arrive the same way: through the ``procdeck.openers`` entry-point
group, loaded once on first use. The built-ins' own entry point is
``procdeck.results.builtin:builtin_openers``; when the installed metadata does not list it
(an editable install not reinstalled), the function is called directly, never twice.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any

from procdeck.results import _modules
from procdeck.results.errors import ResultOpenError, UnknownKindError
from procdeck.results.opener import KINDS, Opener
from procdeck.results.source import Source, base_media_type, schema_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "choose_opener",
    "open_source",
    "openers",
    "register_opener",
    "unregister_opener",
]

ENTRY_POINT_GROUP = "procdeck.openers"
BUILTINS_ENTRY_POINT = "procdeck.results.builtin:builtin_openers"

# Media types that say nothing about the content: the source is treated as untyped.
_GENERIC_MEDIA_TYPES = frozenset({
    "application/octet-stream", "binary/octet-stream", "application/binary",
    "application/unknown", "application/x-download", "application/force-download",
})
# Schema formats that stand for a media type.
_FORMAT_MEDIA_TYPES: Mapping[str, str] = {
    "geojson-feature-collection": "application/geo+json",
    "geojson-feature": "application/geo+json",
    "geojson-geometry": "application/geo+json",
    "geojson": "application/geo+json",
    "binary": "application/octet-stream",
}


def _entry_points() -> Iterable[Any]:
    """The installed entry points of the group (a test stands in for this lookup)."""
    return entry_points(group=ENTRY_POINT_GROUP)


def _builtin_openers() -> list[Opener]:
    from procdeck.results.builtin import builtin_openers

    return builtin_openers()


def _as_openers(loaded: Any) -> list[Opener]:
    """An entry point's object: an Opener, or a callable returning one or a list of them."""
    if isinstance(loaded, Opener):
        return [loaded]
    if not callable(loaded):
        raise TypeError(f"expected an Opener or a callable returning openers, got {loaded!r}")
    made = loaded()
    items = [made] if isinstance(made, Opener) else list(made)
    for item in items:
        if not isinstance(item, Opener):
            raise TypeError(f"expected Opener objects, got {item!r}")
    return items


class _Registry:
    """The openers by name, in registration order (the order breaks ties)."""

    def __init__(self) -> None:
        self._openers: dict[str, Opener] | None = None
        self._lock = threading.RLock()

    def reset(self) -> None:
        """Forget every registration; the next use loads the entry points again."""
        with self._lock:
            self._openers = None

    def all(self) -> dict[str, Opener]:
        with self._lock:
            if self._openers is None:
                self._openers = self._load()
            return self._openers

    def _load(self) -> dict[str, Opener]:
        try:
            points = list(_entry_points())
        except Exception as exc:  # broken metadata must not break opening results
            warnings.warn(f"procdeck: could not list the {ENTRY_POINT_GROUP!r} entry points: "
                          f"{exc}", RuntimeWarning, stacklevel=4)
            points = []
        builtin = [ep for ep in points if _value_of(ep) == BUILTINS_ENTRY_POINT][:1]
        others = [ep for ep in points if _value_of(ep) != BUILTINS_ENTRY_POINT]
        found: dict[str, Opener] = {}
        if not builtin:
            for opener in _builtin_openers():
                found[opener.name] = opener
        for ep in builtin + others:  # built-ins first: a plug-in cannot shadow one by accident
            try:
                loaded = _as_openers(ep.load())
            except Exception as exc:
                warnings.warn(f"procdeck: skipped the opener entry point {ep.name!r} "
                              f"({_value_of(ep)}): {type(exc).__name__}: {exc}",
                              RuntimeWarning, stacklevel=4)
                continue
            for opener in loaded:
                if opener.name in found:
                    warnings.warn(f"procdeck: the opener entry point {ep.name!r} offers "
                                  f"{opener.name!r}, which is already registered; skipped",
                                  RuntimeWarning, stacklevel=4)
                    continue
                found[opener.name] = opener
        return found

    def register(self, opener: Opener, *, replace: bool) -> None:
        if not isinstance(opener, Opener):
            raise TypeError(f"register_opener takes an Opener, got {opener!r}")
        with self._lock:
            known = self.all()
            if opener.name in known and not replace:
                raise ValueError(f"an opener named {opener.name!r} is already registered "
                                 "(pass replace=True to replace it)")
            known[opener.name] = opener

    def unregister(self, name: str) -> None:
        with self._lock:
            known = self.all()
            if name not in known:
                raise KeyError(f"no opener named {name!r}")
            del known[name]


def _value_of(ep: Any) -> str:
    return "".join(str(getattr(ep, "value", "")).split())


_REGISTRY = _Registry()


def register_opener(opener: Opener, *, replace: bool = False) -> None:
    """Add ``opener``; a name already taken is a ``ValueError`` unless ``replace``."""
    _REGISTRY.register(opener, replace=replace)


def unregister_opener(name: str) -> None:
    """Remove the opener called ``name`` (a ``KeyError`` when there is none)."""
    _REGISTRY.unregister(name)


def openers() -> list[Opener]:
    """Every opener: built-ins, then entry points, then ``register_opener`` calls."""
    return list(_REGISTRY.all().values())


# -- choosing ------------------------------------------------------------------------------


def choose_opener(source: Source, as_: str | None = None, *, sniff: bool = True) -> Opener | None:
    """The opener for ``source``, or ``None`` when nothing tells yet (see docs/results.md).

    The first of these that matches decides: ``as_`` (an opener's name; a kind only
    narrows the choice), the source's media type, the schema (``contentMediaType``, then
    ``format``), the extension of the path or href, the bytes (``sniff``), and at last the
    form of the value: JSON, text or bytes. Among the openers that match, an installed one
    wins, then the higher ``priority``; when the best has missing modules this raises
    :class:`ResultOpenError` naming the extra to install.
    """
    known = _REGISTRY.all()
    if as_ is not None and as_ in known:
        return _require(known[as_], source)
    kinds = KINDS + tuple(sorted({o.kind for o in known.values()} - set(KINDS)))
    if as_ is not None and as_ not in kinds:
        raise UnknownKindError(
            f"Unknown as_={as_!r} for output {source.output!r}: use one of the kinds "
            f"{', '.join(kinds)}, or an opener's name", output=source.output,
            media_type=source.media_type)
    fitting = [o for o in known.values() if (as_ is None or o.kind == as_) and _fits(o, source)]

    if as_ is None and _wants_records(source):
        records = [o for o in fitting if o.kind == "pandas" and "application/json" in o.media_types
                   and not _modules.missing(o.modules)]
        if records:
            return _best(records, source)
    for stage in _stages(source, sniff):
        matches = [o for o in fitting if stage(o)]
        if matches:
            return _best(matches, source)
    return _fallback(fitting, source, as_, sniff)


def _fits(opener: Opener, source: Source) -> bool:
    """Whether the opener can take what the source holds (before download: any)."""
    if source.data is not None or source.path is not None:
        return True
    if source.has_value:
        return opener.accepts_value
    if source.store is not None:
        return opener.remote
    return True


def _stages(source: Source, sniff: bool) -> list[Callable[[Opener], bool]]:
    stages: list[Callable[[Opener], bool]] = []
    media = base_media_type(source.media_type)
    if media in _GENERIC_MEDIA_TYPES:
        media = None
    schema = schema_of(source)
    schema_media = schema.get("contentMediaType")
    schema_media = base_media_type(schema_media) if isinstance(schema_media, str) else None
    fmt = schema.get("format")
    format_media = _FORMAT_MEDIA_TYPES.get(fmt.lower()) if isinstance(fmt, str) else None
    for typed in (media, schema_media, format_media):
        if typed:
            stages += _media_stages(typed)
    location = (source.location or "").lower()
    if location:
        stages.append(lambda o: any(location.endswith(ext) for ext in o.extensions))
        stages.append(lambda o: any(ext + "/" in location for ext in o.extensions))
    if sniff:
        stages.append(lambda o: o.sniff is not None and _sniffs(o, source))
    return stages


def _media_stages(media: str) -> list[Callable[[Opener], bool]]:
    """Exact type, then a ``+json`` suffix (as JSON), then ``type/*``: one stage each."""
    major = media.split("/", 1)[0] + "/*"
    stages: list[Callable[[Opener], bool]] = [lambda o: media in o.media_types]
    if media.endswith("+json"):
        stages.append(lambda o: "application/json" in o.media_types)
    stages.append(lambda o: major in o.media_types)
    return stages


def _sniffs(opener: Opener, source: Source) -> bool:
    try:
        return bool(opener.sniff(source))  # type: ignore[misc]
    except Exception:  # a sniff that fails on odd input simply does not match
        return False


def _wants_records(source: Source) -> bool:
    """The schema says an array of objects and the media type says no more than JSON."""
    schema = schema_of(source)
    media = base_media_type(source.media_type)
    if media not in (None, "application/json") or schema.get("contentMediaType"):
        return False
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, Mapping) and (
        items.get("type") == "object" or "properties" in items)


def _fallback(fitting: list[Opener], source: Source, as_: str | None,
              sniff: bool) -> Opener | None:
    if as_ is not None:  # the kind's best opener for what the source holds
        inline_json = (source.has_value and source.data is None and source.path is None
                       and not isinstance(source.value, str))
        if inline_json:  # an object or list: the kind's JSON readers first
            fitting = [o for o in fitting if any(
                m == "application/json" or m.endswith("+json") for m in o.media_types)
            ] or fitting
        return _best(fitting, source) if fitting else None
    if source.data is not None or source.path is not None:
        if not sniff:
            return None  # the bytes may still tell: do not settle for raw bytes
        if source.path is not None and source.path.is_dir():
            return None
        wanted = ("bytes",)
    elif source.has_value:
        wanted = ("text",) if isinstance(source.value, str) else ("json",)
    elif source.store is not None:
        remote = [o for o in fitting if o.remote]
        return _best(remote, source) if remote else None
    else:
        return None
    matches = [o for o in fitting if o.name in wanted] or [o for o in fitting if o.kind in wanted]
    return _best(matches, source) if matches else None


def _best(matches: list[Opener], source: Source) -> Opener:
    ranked = sorted(enumerate(matches), key=lambda item: (
        not _modules.missing(item[1].modules), item[1].priority, -item[0]))
    return _require(ranked[-1][1], source)


def _require(opener: Opener, source: Source) -> Opener:
    absent = _modules.missing(opener.modules)
    if absent:
        raise ResultOpenError(
            f"Cannot open output {source.output!r} ({source.described_as}) with {opener.name}: "
            f"it needs {', '.join(absent)}, which is not installed; "
            f"{_modules.install_hint(opener.extra, absent)} (or pass as_='bytes')",
            output=source.output, media_type=source.media_type, extra=opener.extra,
            opener=opener.name)
    return opener


# -- opening -------------------------------------------------------------------------------


def open_source(source: Source, as_: str | None = None) -> Any:
    """Open ``source`` with the opener :func:`choose_opener` picks.

    Whatever the library raises while reading (a truncated file, another format) becomes a
    :class:`ResultOpenError` naming the output, the media type and the opener.
    """
    opener = choose_opener(source, as_)
    if opener is None:
        if not (source.has_value or source.data is not None or source.path is not None
                or source.store is not None):
            reason = "there is nothing to read yet (download the link first)"
        elif as_ is not None:
            reason = f"no {as_} opener takes it"
        else:
            reason = "no opener recognises it (pass as_= to choose one)"
        raise ResultOpenError(
            f"Cannot open output {source.output!r} ({source.described_as}): {reason}",
            output=source.output, media_type=source.media_type)
    try:
        return opener.open(source)
    except ResultOpenError as exc:
        exc.output = exc.output or source.output
        exc.media_type = exc.media_type or source.media_type
        exc.opener = exc.opener or opener.name
        raise
    except Exception as exc:
        detail = str(exc).strip() or "no detail"
        if len(detail) > 300:
            detail = detail[:297] + "..."
        raise ResultOpenError(
            f"Cannot open output {source.output!r} ({source.described_as}) with "
            f"{opener.name}: {type(exc).__name__}: {detail}",
            output=source.output, media_type=source.media_type,
            extra=opener.extra if isinstance(exc, ImportError) else None,
            opener=opener.name) from exc
