"""``GET /`` (landing page) and ``GET /conformance``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import BaseRoute, Route

from procdeck.ogc.models import ConformanceDeclaration, LandingPage
from procdeck.ogc.vocabulary import (
    DECLARED_CONFORMANCE,
    MEDIA_HTML,
    MEDIA_JSON,
    REL_CONFORMANCE,
    REL_JOB_LIST,
    REL_PROCESSES,
    REL_SELF,
    REL_SERVICE,
    REL_SERVICE_DESC,
    REL_SERVICE_DOC,
)
from procdeck.server.openapi30 import OPENAPI_30_MEDIA_TYPE, OPENAPI_31_MEDIA_TYPE, OPENAPI_31_URL
from procdeck.server.routes._responses import json_response, link
from procdeck.server.state import StateDep, base_url

router = APIRouter(tags=["Capabilities"])

_HTML_ROUTES = {"swagger_ui_html", "swagger_ui_redirect", "redoc_html"}
_DOC_ROUTES = {*_HTML_ROUTES, "openapi"}
# where outputs by reference point, and procdeck's callback log: not seed links
_UNLISTED = {"get_job_output", "get_job_callbacks", "get_job_file", "head_job_file"}


def _flat_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, looking into included routers (newer FastAPI keeps them nested)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner.routes)
        else:
            yield route


def _landing_links(request: Request, base: str) -> list[dict[str, str]]:
    """The seed's links: self, then one ``service`` link per API route, titled by its name.

    Followed by the standard's relations (service-desc, service-doc,
    conformance, processes, job-list) for clients that look for those. The
    OpenAPI 3.0 ``service-desc`` comes first (/req/oas30/oas-definition-1),
    the 3.1 document second, as an alternative.
    """
    links = [link(f"{base}/", REL_SELF, "get_capabilities")]
    seen: set[tuple[str, str]] = set()
    for route in _flat_routes(request.app.routes):
        if not isinstance(route, Route):  # FastAPI's APIRoute is a Route too
            continue
        if not route.include_in_schema and route.name not in _DOC_ROUTES:
            continue
        if route.name in _UNLISTED:
            continue
        key = (route.path, route.name)
        if key in seen:
            continue
        seen.add(key)
        kind = MEDIA_HTML if route.name in _HTML_ROUTES else MEDIA_JSON
        links.append(link(base + route.path, REL_SERVICE, route.name, kind))
    openapi_url = request.app.openapi_url or "/openapi.json"
    links += [
        link(base + openapi_url, REL_SERVICE_DESC, "OpenAPI 3.0 definition",
             OPENAPI_30_MEDIA_TYPE),
        link(base + OPENAPI_31_URL, REL_SERVICE_DESC, "OpenAPI 3.1 definition",
             OPENAPI_31_MEDIA_TYPE),
        link(f"{base}/docs", REL_SERVICE_DOC, "API documentation", MEDIA_HTML),
        link(f"{base}/conformance", REL_CONFORMANCE, "Conformance classes"),
        link(f"{base}/processes", REL_PROCESSES, "Processes"),
        link(f"{base}/jobs", REL_JOB_LIST, "Jobs"),
    ]
    return links


@router.get(
    "/",
    name="get_capabilities",
    summary="Landing page",
    response_model=None,
    responses={200: {"model": LandingPage, "description": "Title, description and links"}},
)
async def get_capabilities(request: Request, state: StateDep) -> Response:
    """The landing page: what this server is and links to the API's resources."""
    base = base_url(request)
    key = ("landing", base)
    body = state.cache.get(key)
    if body is None:
        document = {
            "title": state.title,
            "description": state.description,
            "links": _landing_links(request, base),
        }
        body = state.cache[key] = json.dumps(document).encode()
    return json_response(body)


@router.get(
    "/conformance",
    name="get_conformance",
    summary="Conformance classes",
    response_model=None,
    responses={200: {"model": ConformanceDeclaration, "description": "Conformance classes"}},
)
async def get_conformance() -> Response:
    """The conformance classes of OGC API - Processes this server implements."""
    return json_response(json.dumps({"conformsTo": list(DECLARED_CONFORMANCE)}))
