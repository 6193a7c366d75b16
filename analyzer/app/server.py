"""``analyzer serve``: the app on uvicorn, bound to loopback, its URL printed first.

:func:`create_app` builds the Starlette app (the routes of :mod:`~analyzer.app.pages`,
:mod:`~analyzer.app.api` and :mod:`~analyzer.app.actions` behind the
:class:`~analyzer.app.auth.Guard`); :func:`serve` binds the socket (``port=0``: a free one),
prints ``analyzer app: http://HOST:PORT/?token=TOKEN`` as its first line, opens the browser and
runs until Ctrl-C, which also interrupts a running import the way it interrupts the CLI's.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from pathlib import Path

from analyzer.app.auth import Guard, Secrets
from analyzer.app.state import AppState

#: What the browser may load: our own script and stylesheet, the report's inline styles and
#: data-URI figures, nothing from anywhere else.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: under no-referrer Chromium sends ``Origin: null`` with a
    # form's POST, which the Guard must refuse
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_app(state: AppState, *, secrets: Secrets, host: str, port: int):
    """The ASGI app: every route behind the Guard (token, Host, Origin, CSRF)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from analyzer.app import actions, api, pages
    from analyzer.app.jobs import Jobs

    jobs = Jobs(state)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        jobs.shutdown()

    routes = [
        Route("/", pages.athletes),
        Route("/athletes/{name:path}", pages.athlete),
        Route("/diary/{name:path}", pages.diary),
        Route("/import", pages.import_page),
        Route("/api/athletes", api.athletes),
        Route("/api/athletes/{name:path}", api.athlete),
        Route("/api/imports", actions.create_import, methods=["POST"]),
        Route("/api/imports/{job}", api.import_status),
        Route("/api/imports/{job}/files", actions.upload, methods=["POST"]),
        Route("/api/imports/{job}/start", actions.start_import, methods=["POST"]),
        Route("/api/diary/exercise", actions.log_exercise, methods=["POST"]),
        Route("/api/diary/pain", actions.log_pain, methods=["POST"]),
        Route("/api/plan/start", actions.start_plan, methods=["POST"]),
        Route("/api/rename", actions.rename, methods=["POST"]),
        Route("/api/merge", actions.merge, methods=["POST"]),
        Route("/api/delete", actions.delete, methods=["POST"]),
        Route("/api/units", actions.set_units, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("analyzer.app", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(Guard, secrets=secrets, host=host, port=port),
        ],
    )
    app.state.app = state
    app.state.secrets = secrets
    app.state.jobs = jobs
    return app


def exposure_warning(host: str) -> str | None:
    """The warning printed when the app listens beyond this machine (None on loopback)."""
    if host in LOOPBACK:
        return None
    return (
        f"Warning: listening on {host}, not 127.0.0.1: anyone who can reach this machine on "
        "that address and has the token URL can read and change every athlete's runs, diary "
        "and reports. The connection is plain HTTP (not encrypted): use this only on a network "
        "you trust."
    )


def serve(
    store_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    units: str = "metric",
    save_units=None,
) -> int:
    """Run the app until Ctrl-C; returns the exit code.

    Raises
    ------
    StoreError
        The port cannot be bound (in use, or not allowed).
    """
    import uvicorn

    from analyzer.errors import StoreError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StoreError(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port, "
            "or --port 0 for any free one"
        ) from None
    # Listening before the URL is printed: a browser or script that reads the first line and
    # connects at once is queued until uvicorn accepts, never refused.
    sock.listen(128)
    port = sock.getsockname()[1]
    secrets = Secrets()
    state = AppState(store_path, units=units, save_units=save_units)
    app = create_app(state, secrets=secrets, host=host, port=port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/?token={secrets.token}"
    print(f"analyzer app: {url}", flush=True)
    warning = exposure_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"Store: {store_path}. Press Ctrl-C to stop.", file=sys.stderr, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has stopped
        uvicorn.Server(config).run(sockets=[sock])
    print("analyzer app stopped.", file=sys.stderr, flush=True)
    return 0
