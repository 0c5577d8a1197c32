"""The app factory (:func:`create_app`) and the blocking runner (:func:`run_server`)."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema

from procdeck import __version__
from procdeck.ogc.models import ApiError, ProcessRequest
from procdeck.server.auth.openapi import document_sign_in
from procdeck.server.callbacks import Attempt, CallbackDeliverer, CallbackSettings
from procdeck.server.errors import install_error_handlers
from procdeck.server.executors import JobExecutor, make_executor
from procdeck.server.jobs import JobManager
from procdeck.server.openapi30 import OPENAPI_31_URL, to_openapi30
from procdeck.server.registry import ProcessRegistry
from procdeck.server.routes import files_router, jobs_router, landing_router, processes_router
from procdeck.server.routes._responses import document_problems
from procdeck.server.security import (
    PUBLIC_PATHS,
    SecuritySettings,
    install_security,
    is_loopback,
)
from procdeck.server.state import ServerState
from procdeck.server.store import JobStore

__all__ = [
    "create_app",
    "default_store_path",
    "load_registry",
    "openapi_31",
    "run_server",
]

log = logging.getLogger("procdeck.server")

DEFAULT_TITLE = "procdeck local server"
DEFAULT_DESCRIPTION = "Local server implementing the OGC API - Processes 1.0 Standard"


def default_store_path() -> Path:
    """The per-user job store: ``$PROCDECK_HOME/jobs.sqlite`` (default ``~/.procdeck``)."""
    return Path(os.environ.get("PROCDECK_HOME", "~/.procdeck")).expanduser() / "jobs.sqlite"


def create_app(
    registry: ProcessRegistry | None = None,
    *,
    store: str | Path = ":memory:",
    workers: int = 4,
    data_dir: Path | None = None,
    executor: JobExecutor | str | None = None,
    scheduler: str | None = None,
    title: str = DEFAULT_TITLE,
    description: str = DEFAULT_DESCRIPTION,
    commit_interval: float = 0.005,
    security: SecuritySettings | None = None,
    allowed_paths: Sequence[str | Path] = (),
    callbacks: CallbackSettings | None = None,
) -> FastAPI:
    """Build the OGC API - Processes app.

    ``registry`` defaults to the demo processes. Jobs persist in ``store`` (a
    SQLite file, or ``":memory:"``) and run on ``executor``: a
    :class:`JobExecutor`, or ``"threads"`` (the default: a pool of ``workers``
    threads) or ``"dask"`` (the Dask scheduler at ``scheduler``, or a local
    cluster of ``workers`` processes; see ``docs/scale.md``). Result files go
    to ``data_dir`` (default: ``data``
    next to the store file, or a temporary directory removed at shutdown for an
    in-memory store). The store opens and the workers start when the app
    starts (its lifespan); they are flushed and stopped when it stops.

    ``security`` sets the access token, CORS origins and request limits
    (default: no token, no CORS, 16 MiB bodies; see ``docs/security.md``).
    Processes write files only below the data directory and ``allowed_paths``.
    ``callbacks`` names the hosts execute requests may ask to be called back
    at (``subscriber``) and how hard delivery tries (default: no host, so
    every subscriber is refused; see :mod:`procdeck.server.callbacks`).
    """
    if registry is None:
        from procdeck.demo import registry as demo_registry

        registry = demo_registry
    callback_settings = callbacks or CallbackSettings()
    state = ServerState(registry=registry, title=title, description=description,
                        callbacks=callback_settings)
    jobs_executor = _executor(executor, workers, scheduler)  # bad names fail here, not at start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        job_store = JobStore(store, commit_interval=commit_interval)
        data, temporary = _data_dir(store, data_dir)
        manager = JobManager(registry, job_store, jobs_executor, data,
                             allowed_dirs=[Path(p).expanduser().resolve() for p in allowed_paths],
                             callbacks=_deliverer(callback_settings, job_store))
        manager.open()
        state.manager_ = manager
        try:
            yield
        finally:
            state.manager_ = None
            manager.close()
            if temporary:
                shutil.rmtree(data, ignore_errors=True)

    app = FastAPI(title=title, description=description, version=__version__, lifespan=lifespan)
    app.state.procdeck = state
    install_error_handlers(app)
    install_security(app, security or SecuritySettings())
    app.include_router(landing_router)
    app.include_router(processes_router)
    app.include_router(jobs_router)
    app.include_router(files_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.get(OPENAPI_31_URL, include_in_schema=False, name="openapi_3_1")
    async def openapi_3_1_document(request: Request) -> JSONResponse:
        return JSONResponse(openapi_31(request.app))

    return app


def _deliverer(settings: CallbackSettings, store: JobStore) -> CallbackDeliverer | None:
    """The callback deliverer recording into ``store``; None when no host is allowed."""
    if not settings.allowed_hosts:
        return None

    def record(attempt: Attempt) -> None:
        store.add_callback_attempt(attempt.job_seq, attempt.kind, attempt.uri, attempt.attempt,
                                   attempt.time, attempt.status, attempt.error)

    return CallbackDeliverer(settings, record)


def _executor(
    executor: JobExecutor | str | None, workers: int, scheduler: str | None
) -> JobExecutor:
    if isinstance(executor, JobExecutor):
        return executor
    return make_executor(executor or "threads", workers=workers, scheduler=scheduler)


def _data_dir(store: str | Path, data_dir: Path | None) -> tuple[Path, bool]:
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path.resolve(), False
    if str(store) != ":memory:":
        path = Path(store).expanduser().resolve().parent / "data"
        path.mkdir(parents=True, exist_ok=True)
        return path, False
    return Path(tempfile.mkdtemp(prefix="procdeck-data-")).resolve(), True


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document (``/openapi.json``, /docs, /redoc): :func:`openapi_31` converted.

    The ``oas30`` conformance class asks for OpenAPI 3.0, and 3.0 clients
    (OWSLib) read nothing else. Converted once, then cached like FastAPI's own.
    """
    if app.openapi_schema:
        return app.openapi_schema
    app.openapi_schema = to_openapi30(openapi_31(app))
    return app.openapi_schema


def openapi_31(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI 3.1 document, plus the execute request schema, minus the unused 422s.

    Served at :data:`OPENAPI_31_URL` for tools that read JSON Schema 2020-12
    (it keeps what 3.0 cannot say, e.g. tuple items). Made once per app.
    """
    cached: dict[str, Any] | None = getattr(app.state, "openapi_31", None)
    if cached is not None:
        return cached
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _, defs = models_json_schema(
        [(ProcessRequest, "validation"), (ApiError, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(defs.get("$defs", {}))
    # Invalid parameters are answered 400 (RFC 7807), never FastAPI's 422.
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    _parameter_examples(schema, {
        "processID": [process.id for process in app.state.procdeck.registry],
        "jobId": ["job_0", "job_1"],
        "path": ["table.csv"],
    })
    settings: SecuritySettings = app.state.security
    document_problems(schema, token_required=False, public_paths=PUBLIC_PATHS)
    document_sign_in(schema, token=settings.token is not None,
                     api_key_header=settings.api_key_header if settings.api_keys else None,
                     oidc_discovery=None, public_paths=PUBLIC_PATHS)
    app.state.openapi_31 = schema
    return schema


def _parameter_examples(schema: dict[str, Any], examples: dict[str, list[str]]) -> None:
    """Tidy parameter schemas and give path parameters example values.

    A query parameter is absent or a value, never JSON null: FastAPI's
    ``anyOf: [X, {type: null}]`` for optional parameters becomes ``X``
    (keeping the other keys, e.g. an ``items`` enum given as schema extra).
    Examples let /docs pre-fill real ids and fuzzers reach real resources.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter_schema = parameter.setdefault("schema", {})
                variants = parameter_schema.get("anyOf")
                if variants and {"type": "null"} in variants:
                    rest = [v for v in variants if v != {"type": "null"}]
                    if len(rest) == 1:
                        extra = {k: v for k, v in parameter_schema.items() if k != "anyOf"}
                        parameter_schema.clear()
                        parameter_schema.update({**rest[0], **extra})
                values = examples.get(parameter.get("name"))
                if values and parameter.get("in") == "path":
                    parameter_schema["examples"] = values


def load_registry(modules: Sequence[str] | None) -> ProcessRegistry:
    """The processes of ``modules`` (each exposes a ``registry``, or ``module:attribute``).

    Without modules: the demo processes.
    """
    if not modules:
        from procdeck.demo import registry as demo_registry

        return demo_registry
    merged = ProcessRegistry()
    for spec in modules:
        module_name, _, attribute = spec.partition(":")
        module = importlib.import_module(module_name)
        registry = getattr(module, attribute or "registry", None)
        if not isinstance(registry, ProcessRegistry):
            raise TypeError(
                f"{spec}: expected a ProcessRegistry named {attribute or 'registry'!r} "
                f"in module {module_name!r}"
            )
        merged.update(registry)
    return merged


def _jobs_on(executor: str, scheduler: str | None) -> str:
    if executor == "threads":
        return ""
    return f", jobs on {executor} {scheduler or 'local cluster'}"


def _callbacks_to(callbacks: CallbackSettings | None) -> str:
    if callbacks is None or not callbacks.allowed_hosts:
        return ""
    return f", callbacks to {', '.join(sorted(callbacks.allowed_hosts))}"


def _sign_in_note(security: SecuritySettings) -> str:
    methods = [name for name, used in (("access token", security.token is not None),
                                       ("API key", security.api_keys is not None)) if used]
    return f", {' or '.join(methods)} required" if methods else ""


def _log_sign_in(level: str) -> None:
    """Send the sign-in log (refusals at INFO, never credentials) to stderr, as uvicorn's."""
    auth_log = logging.getLogger("procdeck.server.auth")
    if auth_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("procdeck: %(levelname)s: %(message)s"))
    auth_log.addHandler(handler)
    auth_log.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping()
                      else logging.INFO)
    auth_log.propagate = False


def run_server(
    host: str = "127.0.0.1",
    port: int = 8008,
    *,
    store: str | Path | None = None,
    processes: list[str] | None = None,
    workers: int = 4,
    data_dir: Path | None = None,
    executor: str = "threads",
    scheduler: str | None = None,
    access_log: bool = False,
    log_level: str = "info",
    security: SecuritySettings | None = None,
    allowed_paths: Sequence[str | Path] = (),
    callbacks: CallbackSettings | None = None,
) -> None:
    """Serve the processes of ``processes`` (default: the demo processes) until stopped.

    ``store`` defaults to :func:`default_store_path`. The access log is off
    by default (it costs throughput); turn it on with ``access_log=True``.
    ``executor``/``scheduler``: where jobs run (see :func:`create_app`).
    Without an access token on a non-loopback ``host``, prints a warning.
    ``callbacks``: the allowed callback hosts (see :func:`create_app`).
    """
    import uvicorn

    registry = load_registry(processes)
    store = store if store is not None else default_store_path()
    security = security or SecuritySettings()
    if not security.sign_in_required and not is_loopback(host):
        print(
            f"procdeck: WARNING: serving on {host} without an access token: anyone who can "
            "reach this address can run processes and read every job "
            "(use --token-file, --api-keys or --auth oidc, or --host 127.0.0.1)",
            file=sys.stderr,
            flush=True,
        )
    app = create_app(registry, store=store, workers=workers, data_dir=data_dir,
                     executor=executor, scheduler=scheduler,
                     security=security, allowed_paths=allowed_paths, callbacks=callbacks)
    print(
        f"procdeck: serving {len(registry)} process(es) on http://{host}:{port} "
        f"(store: {store}, workers: {workers}{_jobs_on(executor, scheduler)}"
        f"{_sign_in_note(security)}"
        f"{_callbacks_to(callbacks)})",
        flush=True,
    )
    _log_sign_in(log_level)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=5,
    )
