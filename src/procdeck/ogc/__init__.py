"""The standard itself: OGC API - Processes Part 1 (Core 1.0), with no HTTP and no Panel.

Everything procdeck knows about the standard lives here and only here; the client,
the server and the form engine use it:

- :mod:`procdeck.ogc.models`: the documents as pydantic models;
- :mod:`procdeck.ogc.extensions`: schema keywords beyond the 1.0 schema object, carried
  in ``additionalParameters``.
- :mod:`procdeck.ogc.jsonschema`: the one OpenAPI 3.0 -> JSON Schema 2020-12 translation,
  format checker and validator cache (form and server agree on what is valid).

This package imports nothing of procdeck outside it, and no HTTP, web or GUI library.
"""
