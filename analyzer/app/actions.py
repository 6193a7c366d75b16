"""The app's writes: diary entries, starting a plan, athlete fixes, units, imports.

Each is a POST (the Guard has already checked the token, the Origin and the CSRF token). A form
posted by a page gets a 303 back to the page with the outcome in ``msg`` or ``error``; a script
(``Accept: application/json``) gets ``{"ok": true, "message": ...}`` or ``{"error": ...}`` with
400 (bad input), 404 (unknown athlete or job), 409 (the store is busy) or 413 (too large).
Every store call goes through :meth:`AppState.writing`, which takes the writer lock as the
CLI does and invalidates the report cache.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

from analyzer.app.forms import athlete_name, choice, field
from analyzer.app.pages import athlete_href, diary_href
from analyzer.errors import AnalyzerError, InvalidInput, NotFound, StoreError, UploadTooLarge


def _status(exc: AnalyzerError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StoreError):
        return 409
    return 400


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _reply(request: Request, *, message: str | None, error: str | None, to: str, status=200):
    if _wants_json(request):
        if error is not None:
            return JSONResponse({"error": error}, status_code=status)
        return JSONResponse({"ok": True, "message": message, "next": to})
    query = urlencode({"error": error} if error is not None else {"msg": message})
    return RedirectResponse(f"{to}?{query}", status_code=303)


def action(work: Callable[..., tuple[str, str]]):
    """An endpoint running ``work(state, form) -> (message, page)`` in a thread."""

    async def endpoint(request: Request):
        form = await request.form()
        state = request.app.state.app
        back = diary_href(form["athlete"]) if isinstance(form.get("athlete"), str) else "/"
        try:
            message, to = await run_in_threadpool(work, state, form)
        except AnalyzerError as exc:
            return _reply(request, message=None, error=str(exc), to=back, status=_status(exc))
        return _reply(request, message=message, error=None, to=to)

    endpoint.__name__ = work.__name__
    endpoint.__doc__ = work.__doc__
    return endpoint


def _athlete(store, form) -> str:
    return store.resolve_athlete(athlete_name(form.get("athlete")))


@action
def log_exercise(state, form) -> tuple[str, str]:
    """One exercise session; a blank dose is the plan's dose of that exercise."""
    from analyzer.plan.exercises import BY_ID
    from analyzer.store.diary import Diary, exercise_id, today

    ex = exercise_id(field(form, "exercise"))
    entry = {k: field(form, k) for k in ("date", "sets", "reps", "seconds", "side", "feel")}
    entry["date"] = entry["date"] or today()
    entry.update(exercise=ex, pain=field(form, "pain"), note=field(form, "note"))
    if not (entry["sets"] or entry["reps"] or entry["seconds"]):
        entry["sets"], entry["reps"] = BY_ID[ex].dose["sets"], BY_ID[ex].dose["reps"]
    with state.writing() as store:
        entry["athlete"] = name = _athlete(store, form)
        added = Diary(store).log_exercises([entry])
    done = "Logged" if added else "Already in the diary:"
    return f"{done} {BY_ID[ex].name} on {entry['date']}.", diary_href(name)


@action
def log_pain(state, form) -> tuple[str, str]:
    """One pain or injury entry (open until resolved)."""
    from analyzer.store.diary import Diary, today

    keys = ("date", "body_part", "side", "pain", "running", "note")
    entry = {k: field(form, k) for k in keys}
    entry["date"] = entry["date"] or today()
    with state.writing() as store:
        entry["athlete"] = name = _athlete(store, form)
        Diary(store).log_pain(entry)
    return f"Logged {entry['body_part']} pain {entry['pain']}/10.", diary_href(name)


@action
def start_plan(state, form) -> tuple[str, str]:
    """Store the recommended plan as the athlete's current one, starting today."""
    from analyzer.analysis import analyse
    from analyzer.analysis.plan_so_far import plan_record
    from analyzer.errors import NotEnoughData
    from analyzer.store.diary import Diary

    with state.writing() as store:
        name = _athlete(store, form)
        an = analyse(store, name)
        if an.plan is None or not an.plan.to_dict().get("items"):
            raise NotEnoughData(f"no plan to start for {name}: {an.reason or 'no exercises'}")
        assessment = an.assessment.to_dict() if an.assessment is not None else None
        version = Diary(store).save_plan(name, plan_record(an.plan.to_dict(), assessment))
    return f"Started plan v{version} for {name}.", diary_href(name)


@action
def rename(state, form) -> tuple[str, str]:
    """Rename an athlete (the new name must be free)."""
    new = athlete_name(form.get("new"), "new name")
    with state.writing() as store:
        old = _athlete(store, form)
        n = store.rename_athlete(old, new)
    return f"Renamed {old} to {new} ({n} runs).", athlete_href(new)


@action
def merge(state, form) -> tuple[str, str]:
    """Move every run of an athlete to another and remove the first (asks for a tick)."""
    into = athlete_name(form.get("into"), "merge into")
    if field(form, "confirm") != "yes":
        raise InvalidInput("tick the box to confirm the merge; nothing was changed")
    with state.writing() as store:
        source = _athlete(store, form)
        n = store.merge_athletes(source, into)
    return f"Merged {source} into {into}: moved {n} runs.", athlete_href(into)


@action
def delete(state, form) -> tuple[str, str]:
    """Delete an athlete with everything of theirs (the name typed again confirms it)."""
    name = athlete_name(form.get("athlete"))
    if field(form, "confirm") != name:
        raise InvalidInput(f"type {name} exactly to confirm the deletion; nothing was deleted")
    with state.writing() as store:
        gone = store.delete_athlete(store.resolve_athlete(name))
    return f"Deleted {name}: {gone.runs} runs, {gone.records:,} records.", "/"


@action
def set_units(state, form) -> tuple[str, str]:
    """Save the display units (the CLI's ``analyzer config units``)."""
    units = choice(form, "units", ("metric", "imperial"))
    state.units = units
    if state.save_units is not None:
        state.save_units(units)
    return f"Units: {units} (saved).", "/"


# -- imports ----------------------------------------------------------------------------------
def _json_error(exc: AnalyzerError, status: int | None = None) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=status or _status(exc))


async def create_import(request: Request):
    """``POST /api/imports`` (form: ``athlete``): a new job that takes uploads."""
    form = await request.form()
    try:
        job = request.app.state.jobs.create(form.get("athlete"))
    except AnalyzerError as exc:
        return _json_error(exc)
    return JSONResponse(job.status(), status_code=201)


async def upload(request: Request):
    """``POST /api/imports/{job}/files?name=NAME``: one file as the request body, streamed."""
    jobs = request.app.state.jobs
    try:
        job = jobs.get(request.path_params["job"])
        name = request.query_params.get("name", "")
        declared = request.headers.get("content-length", "")
        if declared.isdigit():  # refused before a byte of the body is read
            jobs.check_size(job, name, int(declared))
        size = await jobs.receive(job, name, request.stream())
    except UploadTooLarge as exc:
        return _json_error(exc, 413)
    except AnalyzerError as exc:
        return _json_error(exc)
    return JSONResponse({"received": size, "files": job.files})


async def start_import(request: Request):
    """``POST /api/imports/{job}/start``: import what was uploaded, in a child process."""
    jobs = request.app.state.jobs
    try:
        job = jobs.get(request.path_params["job"])
        jobs.start(job)
    except AnalyzerError as exc:
        return _json_error(exc)
    return JSONResponse(job.status(), status_code=202)
