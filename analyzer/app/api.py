"""The JSON twin of the pages (Datasette's habit): the same dicts the CLI prints.

- ``GET /api/athletes``: every athlete with status, index, level and last run (the rows of the
  team dict, :func:`analyzer.report.team_from_reports`).
- ``GET /api/athletes/{name}``: the report dict, equal to ``analyzer report --json --athlete
  NAME`` but for ``generated_at``.
- ``GET /api/imports/{job}``: an import's state, progress and summary.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from analyzer.errors import AnalyzerError, NotFound


def _error(exc: AnalyzerError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=404 if isinstance(exc, NotFound) else 400)


async def athletes(request: Request):
    team = await run_in_threadpool(request.app.state.app.team)
    rows = [{k: v for k, v in row.items() if k != "file"} for row in team["athletes"]]
    return JSONResponse({"athletes": rows})


async def athlete(request: Request):
    try:
        data = await run_in_threadpool(request.app.state.app.report, request.path_params["name"])
    except AnalyzerError as exc:
        return _error(exc)
    return JSONResponse(data)


async def import_status(request: Request):
    try:
        job = request.app.state.jobs.get(request.path_params["job"])
    except AnalyzerError as exc:
        return _error(exc)
    return JSONResponse(job.status())
