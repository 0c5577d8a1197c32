"""The API's routers: landing page and conformance, processes, jobs, job files."""

from procdeck.server.routes.files import router as files_router
from procdeck.server.routes.jobs import router as jobs_router
from procdeck.server.routes.landing import router as landing_router
from procdeck.server.routes.processes import router as processes_router

__all__ = ["files_router", "jobs_router", "landing_router", "processes_router"]
