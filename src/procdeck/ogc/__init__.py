"""The standard itself: OGC API - Processes Part 1 (Core 1.0), with no HTTP and no Panel.

Everything procdeck knows about the standard lives here and only here; the client,
the server and the form engine use it:

- :mod:`procdeck.ogc.vocabulary`: the words (job states, conformance classes, link
  relations, media types, exception types), one constant each;
- :mod:`procdeck.ogc.models`: the documents as pydantic models;
- :mod:`procdeck.ogc.requests`: the execute request, from what a caller gives (or what
  arrives on the wire) to the standard body;
- :mod:`procdeck.ogc.extensions`: schema keywords beyond the 1.0 schema object, carried
  in ``additionalParameters``;
- :mod:`procdeck.ogc.jsonschema`: the one OpenAPI 3.0 -> JSON Schema 2020-12 translation,
  format checker and validator cache (form and server agree on what is valid);
- :mod:`procdeck.ogc.display`: hooks through which the GUI, when installed, renders
  documents in a notebook (this package never imports it).

This package imports nothing of procdeck outside it but :mod:`procdeck._util`, and no
HTTP, web or GUI library.
"""
