"""OpenAPI 3.1 -> OpenAPI 3.0.3: the API definition the ``oas30`` conformance class asks for.

FastAPI writes OpenAPI 3.1, whose schemas are JSON Schema 2020-12. The
standard's ``oas30`` class (/req/oas30/oas-definition-1 and -2) wants an
OpenAPI 3.0 document, and 3.0 clients (OWSLib, older generators) read only
that. :func:`to_openapi30` rewrites a 3.1 document into a 3.0.3 one that
means the same, as far as 3.0 has words for it:

- ``type: [X, "null"]`` and ``anyOf``/``oneOf`` with a ``{"type": "null"}``
  branch become ``nullable: true``, the 3.0.3 way: on a schema that has a
  ``type`` (a ``$ref`` or a combination gets a null-only branch,
  :data:`NULL_ONLY`), with ``null`` added to an ``enum``;
- ``const`` becomes a one-value ``enum``; a schema's ``examples`` list its
  first ``example`` (a parameter also gets them all as its ``examples`` map);
- numeric ``exclusiveMinimum``/``exclusiveMaximum`` the boolean form next to
  ``minimum``/``maximum``; ``prefixItems`` (tuples) a common ``items``;
- ``contentEncoding: base64`` becomes ``format: byte``, ``contentMediaType``
  of a string without encoding ``format: binary``;
- ``$defs``/``definitions`` inside a schema move to ``components/schemas``
  (references rewritten); a ``$ref`` with sibling keywords (ignored in 3.0)
  is wrapped in ``allOf``; boolean schemas become ``{}`` and ``{"not": {}}``;
- keywords 3.0 has no word for (``$schema``, ``$id``, ``if``/``then``/``else``,
  ``patternProperties``, ``contains``, ...) are dropped, as are the 3.1-only
  document fields (``webhooks``, ``jsonSchemaDialect``, ``info.summary``,
  ``license.identifier``, ``components.pathItems``, siblings of a non-schema
  ``$ref``). The 3.1 document keeps what they said.

Pure functions on plain dicts: no FastAPI here. The input is not modified.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NULL_ONLY",
    "OPENAPI_30_MEDIA_TYPE",
    "OPENAPI_31_MEDIA_TYPE",
    "OPENAPI_31_URL",
    "OPENAPI_VERSION",
    "to_openapi30",
]

OPENAPI_VERSION = "3.0.3"
"""The ``openapi`` field of the converted document."""
OPENAPI_30_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
"""The ``type`` of the landing page's ``service-desc`` link to the 3.0 document."""
OPENAPI_31_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.1"
OPENAPI_31_URL = "/openapi-3.1.json"
"""Where the server keeps FastAPI's OpenAPI 3.1 document (JSON Schema 2020-12)."""

NULL_ONLY: dict[str, Any] = {"type": "object", "nullable": True, "enum": [None]}
"""A 3.0.3 schema that admits only ``null`` (3.0 has no ``type: null``)."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_KEYS = frozenset({
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "enum", "type", "not", "allOf", "oneOf",
    "anyOf", "items", "properties", "additionalProperties", "description", "format",
    "default", "nullable", "discriminator", "readOnly", "writeOnly", "example",
    "externalDocs", "deprecated", "xml", "$ref",
})
"""The keywords of an OpenAPI 3.0 Schema Object (besides ``x-`` extensions)."""
_TYPES = frozenset({"array", "boolean", "integer", "number", "object", "string"})
_COMBINATORS = ("allOf", "anyOf", "oneOf", "not")
_BASE64 = frozenset({"base64", "base64url"})
_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]")
_LOCAL_DEFS = ("#/$defs/", "#/definitions/")


def to_openapi30(document: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0.3 copy of the OpenAPI 3.1 ``document`` (see the module's notes)."""
    return _DocumentConverter(copy.deepcopy(dict(document))).convert()


class _DocumentConverter:
    """Walks one document; knows where schemas sit and collects hoisted ``$defs``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        components = document.get("components")
        self.components: dict[str, Any] = components if isinstance(components, dict) else {}
        self.hoisted: dict[str, Any] = {}

    # -- the document's structure ------------------------------------------------------------

    def convert(self) -> dict[str, Any]:
        doc = self.document
        doc["openapi"] = OPENAPI_VERSION
        for key in ("jsonSchemaDialect", "webhooks"):
            doc.pop(key, None)
        info = doc.get("info")
        if isinstance(info, dict):
            info.pop("summary", None)
            license_ = info.get("license")
            if isinstance(license_, dict):
                license_.pop("identifier", None)
        paths = doc.setdefault("paths", {})
        for name, item in list(paths.items()):
            paths[name] = self.path_item(item)
        if self.components:
            self.convert_components(self.components)
        if self.hoisted:
            schemas = self.document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(self.hoisted)
        return doc

    def convert_components(self, components: dict[str, Any]) -> None:
        components.pop("pathItems", None)
        kinds = {
            "schemas": lambda node: self.schema(node, {}),
            "parameters": self.parameter,
            "headers": self.header,
            "requestBodies": self.request_body,
            "responses": self.response,
            "callbacks": self.callback,
        }
        for kind, convert in kinds.items():
            entries = components.get(kind)
            if isinstance(entries, dict):
                for name, node in list(entries.items()):
                    entries[name] = convert(node)
        for kind in ("examples", "links", "securitySchemes"):
            entries = components.get(kind)
            if isinstance(entries, dict):
                for name, node in list(entries.items()):
                    entries[name] = _bare_reference(node)

    def path_item(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        if "$ref" in item:
            return _bare_reference(item)
        if isinstance(item.get("parameters"), list):
            item["parameters"] = [self.parameter(p) for p in item["parameters"]]
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                item[method] = self.operation(item[method])
        return item

    def operation(self, operation: dict[str, Any]) -> dict[str, Any]:
        if isinstance(operation.get("parameters"), list):
            operation["parameters"] = [self.parameter(p) for p in operation["parameters"]]
        if "requestBody" in operation:
            operation["requestBody"] = self.request_body(operation["requestBody"])
        responses = operation.get("responses")
        if isinstance(responses, dict):
            for code, response in list(responses.items()):
                responses[code] = self.response(response)
        callbacks = operation.get("callbacks")
        if isinstance(callbacks, dict):
            for name, callback in list(callbacks.items()):
                callbacks[name] = self.callback(callback)
        return operation

    def callback(self, callback: Any) -> Any:
        if not isinstance(callback, dict) or "$ref" in callback:
            return _bare_reference(callback)
        return {expression: self.path_item(item) for expression, item in callback.items()}

    def parameter(self, parameter: Any) -> Any:
        if not isinstance(parameter, dict) or "$ref" in parameter:
            return _bare_reference(parameter)
        schema = parameter.get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("examples"), list) \
                and schema["examples"] and not {"example", "examples"} & set(parameter):
            parameter["examples"] = _example_map(schema["examples"])
        return self.header(parameter)

    def header(self, header: Any) -> Any:
        """A header, or the part of a parameter that is like one: its schema or content."""
        if not isinstance(header, dict) or "$ref" in header:
            return _bare_reference(header)
        if "schema" in header:
            header["schema"] = self.schema(header["schema"], {})
        if isinstance(header.get("content"), dict):
            header["content"] = self.content(header["content"])
        return header

    def request_body(self, body: Any) -> Any:
        if not isinstance(body, dict) or "$ref" in body:
            return _bare_reference(body)
        if isinstance(body.get("content"), dict):
            body["content"] = self.content(body["content"])
        return body

    def response(self, response: Any) -> Any:
        if not isinstance(response, dict) or "$ref" in response:
            return _bare_reference(response)
        headers = response.get("headers")
        if isinstance(headers, dict):
            for name, header in list(headers.items()):
                headers[name] = self.header(header)
        if isinstance(response.get("content"), dict):
            response["content"] = self.content(response["content"])
        links = response.get("links")
        if isinstance(links, dict):
            for name, link in list(links.items()):
                links[name] = _bare_reference(link)
        return response

    def content(self, content: dict[str, Any]) -> dict[str, Any]:
        for media_type in content.values():
            if not isinstance(media_type, dict):
                continue
            if "schema" in media_type:
                media_type["schema"] = self.schema(media_type["schema"], {})
            encodings = media_type.get("encoding")
            if isinstance(encodings, dict):
                for encoding in encodings.values():
                    headers = encoding.get("headers") if isinstance(encoding, dict) else None
                    if isinstance(headers, dict):
                        for name, header in list(headers.items()):
                            headers[name] = self.header(header)
        return content

    # -- schemas ---------------------------------------------------------------------------

    def schema(self, node: Any, scope: Mapping[str, str]) -> Any:
        """``node`` in the 3.0 dialect; ``scope`` maps local ``$defs`` names to new refs."""
        if node is True:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, dict):
            return node
        scope = self.hoist(node, scope)
        if "$ref" in node:
            return self.reference(node, scope)
        if node.get("type") == "null" or node.get("type") == ["null"]:
            rest = {k: v for k, v in node.items() if k != "type"}
            return {**self.schema(rest, scope), **NULL_ONLY}
        if isinstance(node.get("type"), list):
            node = _split_type_list(node)
        for combinator in ("anyOf", "oneOf"):
            branches = node.get(combinator)
            if isinstance(branches, list) and any(_is_null(b) for b in branches):
                return self.nullable(node, combinator, scope)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "items" and isinstance(value, list):  # draft 4 tuples
                out["prefixItems"] = [self.schema(item, scope) for item in value]
            elif key in ("items", "not"):
                out[key] = self.schema(value, scope)
            elif key == "additionalProperties":
                out[key] = value if isinstance(value, bool) else self.schema(value, scope)
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems") and isinstance(value, list):
                out[key] = [self.schema(branch, scope) for branch in value]
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: self.schema(prop, scope) for name, prop in value.items()}
            else:
                out[key] = value
        return _keywords(out)

    def reference(self, node: dict[str, Any], scope: Mapping[str, str]) -> dict[str, Any]:
        ref = node["$ref"]
        if isinstance(ref, str):
            for prefix in _LOCAL_DEFS:
                if ref.startswith(prefix) and ref[len(prefix):] in scope:
                    ref = scope[ref[len(prefix):]]
        siblings = {k: v for k, v in node.items() if k not in ("$ref", "$defs", "definitions")}
        converted = self.schema(siblings, scope) if siblings else {}
        if not converted:
            return {"$ref": ref}
        if converted.get("nullable") is True and "type" not in converted:
            # `{$ref, type: [null]}`-like siblings: the reference or null.
            converted.pop("nullable")
            return {**converted, "anyOf": [{"$ref": ref}, dict(NULL_ONLY)]}
        return {"allOf": [{"$ref": ref}], **converted}  # 3.0 ignores a $ref's siblings

    def nullable(
        self, node: dict[str, Any], combinator: str, scope: Mapping[str, str]
    ) -> dict[str, Any]:
        """``anyOf``/``oneOf`` with a null branch, as 3.0.3 ``nullable``."""
        branches = [self.schema(b, scope) for b in node[combinator] if not _is_null(b)]
        outer = self.schema({k: v for k, v in node.items() if k != combinator}, scope)
        if not branches:
            return {**outer, **NULL_ONLY}
        if len(branches) == 1 and _takes_nullable(branches[0]):
            merged = {**branches[0], **{k: v for k, v in outer.items() if k != "nullable"}}
            return _admit_null(merged)
        takers = [b for b in branches if _takes_nullable(b)] if combinator == "anyOf" else []
        untyped_takers = [b for b in takers if "enum" not in b] or takers
        if untyped_takers:
            ids = {id(b) for b in untyped_takers}
            branches = [_admit_null(b) if id(b) in ids else b for b in branches]
        else:
            branches = [*branches, dict(NULL_ONLY)]
        if combinator in outer:  # both anyOf and oneOf on one schema: keep both meanings
            return {**outer, "allOf": [*outer.get("allOf", []), {combinator: branches}]}
        return {**outer, combinator: branches}

    def hoist(self, node: dict[str, Any], scope: Mapping[str, str]) -> Mapping[str, str]:
        """Move ``node``'s ``$defs``/``definitions`` to the components; the scope with them."""
        defs: dict[str, Any] = {}
        for key in ("definitions", "$defs"):
            value = node.pop(key, None)
            if isinstance(value, dict):
                defs.update(value)
        if not defs:
            return scope
        inner = dict(scope)
        names = {name: self.component_name(name) for name in defs}
        for name, new in names.items():
            inner[name] = f"#/components/schemas/{new}"
            self.hoisted[new] = {}  # reserve the name before converting (recursion)
        for name, definition in defs.items():
            self.hoisted[names[name]] = self.schema(definition, inner)
        return inner

    def component_name(self, name: str) -> str:
        base = _COMPONENT_NAME.sub("_", name) or "Schema"
        taken = set(self.components.get("schemas", {})) | set(self.hoisted)
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        return candidate


def _bare_reference(node: Any) -> Any:
    """A non-schema Reference Object: in 3.0 nothing but ``$ref`` (3.1 allows a summary)."""
    if isinstance(node, dict) and "$ref" in node:
        return {"$ref": node["$ref"]}
    return node


def _example_map(values: list[Any]) -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    for index, value in enumerate(values):
        name = value if isinstance(value, str) and value else f"example{index + 1}"
        examples.setdefault(name, {"value": value})
    return examples


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") in ("null", ["null"]) and not (
        set(schema) - {"type", "title", "description"}
    )


def _takes_nullable(schema: Any) -> bool:
    """True when ``nullable: true`` on ``schema`` admits null (3.0.3: next to a ``type``)."""
    return isinstance(schema, dict) and isinstance(schema.get("type"), str) and not any(
        key in schema for key in ("$ref", *_COMBINATORS)
    )


def _admit_null(schema: dict[str, Any]) -> dict[str, Any]:
    out = {**schema, "nullable": True}
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _split_type_list(node: dict[str, Any]) -> dict[str, Any]:
    """``type: [a, b, "null"]`` as the ``anyOf``/``null`` form the combinator code reads."""
    types = [t for t in node["type"] if t != "null"]
    nullable = "null" in node["type"]
    rest = {k: v for k, v in node.items() if k != "type"}
    if len(types) == 1:
        rest["type"] = types[0]
        return {"anyOf": [rest, {"type": "null"}]} if nullable else rest
    branches: list[Any] = [{"type": t} for t in types]
    if nullable:
        branches.append({"type": "null"})
    if not branches:
        return {**rest, "type": "null"}
    if "anyOf" in rest:
        return {**rest, "allOf": [*rest.get("allOf", []), {"anyOf": branches}]}
    return {**rest, "anyOf": branches}


def _keywords(node: dict[str, Any]) -> dict[str, Any]:
    """Rewrite one (already recursed) schema's 2020-12 keywords; drop what 3.0 lacks."""
    if "const" in node:
        node["enum"] = [node.pop("const")]
    examples = node.pop("examples", None)
    if isinstance(examples, list) and examples:
        node.setdefault("example", examples[0])
    for exclusive, bound, stricter in (("exclusiveMinimum", "minimum", max),
                                       ("exclusiveMaximum", "maximum", min)):
        value = node.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            limit = node.get(bound)
            if isinstance(limit, int | float) and stricter(limit, value) == limit \
                    and limit != value:
                del node[exclusive]  # the inclusive bound is the stricter one
            else:
                node[bound] = value
                node[exclusive] = True
    prefix = node.pop("prefixItems", None)
    if isinstance(prefix, list) and prefix:
        variants: list[Any] = []
        extra = node.get("items")
        for item in [*prefix, *([extra] if isinstance(extra, dict) else [])]:
            if item not in variants:
                variants.append(item)
        node["items"] = variants[0] if len(variants) == 1 else {"anyOf": variants}
    _content_keywords(node)
    if node.get("type") == "array" and "items" not in node:
        node["items"] = {}  # 3.0: "items MUST be present if the type is array"
    if node.get("required") == []:
        del node["required"]
    if isinstance(node.get("type"), str) and node["type"] not in _TYPES:
        del node["type"]
    return {
        key: value for key, value in node.items()
        if key in _SCHEMA_KEYS or key.startswith("x-")
    }


def _content_keywords(node: dict[str, Any]) -> None:
    """``contentEncoding``/``contentMediaType`` as the 3.0 string formats ``byte``/``binary``."""
    encoding = node.pop("contentEncoding", None)
    media_type = node.pop("contentMediaType", None)
    node.pop("contentSchema", None)
    if node.get("type", "string") != "string":
        return
    if isinstance(encoding, str) and encoding.lower() in _BASE64:
        if node.get("format") in (None, "base64"):
            node["format"] = "byte"
    elif media_type is not None and encoding is None and "format" not in node:
        node["format"] = "binary"
