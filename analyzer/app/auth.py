"""Who may talk to the app: the token, the Host check, same-origin and CSRF for every write.

The model is Jupyter's server: the first URL carries a random token; opening it sets an
HttpOnly, SameSite=Strict cookie and redirects to the same URL without the token, so the token
stays out of the history and the page. Every request then needs that cookie (or an
``Authorization: token TOKEN`` header, for scripts); without it the answer is 403.

- **Host** (DNS rebinding): a page on ``evil.example`` whose name is re-pointed at 127.0.0.1
  reaches the app with ``Host: evil.example``. Only the bound address, ``localhost`` and the
  loopback literals are accepted, on the bound port; when bound to every interface (0.0.0.0)
  any IP literal too (a rebinding attack needs a name, never an IP).
- **Writes** (POST/PUT/PATCH/DELETE) also need an ``Origin`` equal to the page's own origin and
  the CSRF token, sent as the ``X-CSRF-Token`` header or a ``csrf_token`` query parameter (read
  before the body, so a refused upload is never read). The CSRF token is printed only into
  the app's own pages, which another site cannot read.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse

#: Methods that never change anything (everything else needs Origin and the CSRF token).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Host names accepted whatever address the app is bound to.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Header and query parameter that carry the CSRF token.
CSRF_HEADER = "x-csrf-token"
CSRF_PARAM = "csrf_token"

_NO_TOKEN = (
    "403 Forbidden: this local analyzer app needs its token. Open the full URL that "
    "`analyzer serve` printed (http://127.0.0.1:PORT/?token=...)."
)


def _compare(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Secrets:
    """The server's token (in the first URL, then a cookie) and its CSRF token (in its pages)."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class Guard:
    """ASGI middleware applying the rules of this module to every HTTP request.

    Parameters
    ----------
    app : ASGI app
    secrets : Secrets
    host : str
        The address the server is bound to.
    port : int
        The port it listens on (the cookie name carries it: two apps on one machine, two ports,
        two cookies).
    """

    def __init__(self, app, *, secrets: Secrets, host: str, port: int):
        self.app = app
        self.secrets = secrets
        self.host = host
        self.port = port

    @property
    def cookie(self) -> str:
        return f"analyzer_token_{self.port}"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.host_allowed(host):
            reply = PlainTextResponse(
                f"403 Forbidden: this app answers to 127.0.0.1 or localhost only, not to "
                f"Host {host[:100]!r}.",
                status_code=403,
            )
            await reply(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        method = scope["method"]
        if "token" in query and method in SAFE_METHODS:
            await self._trade_token(scope, receive, send, query)
            return
        if not self._authenticated(headers):
            await PlainTextResponse(_NO_TOKEN, status_code=403)(scope, receive, send)
            return
        if method not in SAFE_METHODS:
            problem = self._write_problem(headers, host, query)
            if problem:
                await PlainTextResponse(f"403 Forbidden: {problem}", status_code=403)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)

    # -- the rules ------------------------------------------------------------------------
    def host_allowed(self, host_header: str) -> bool:
        """True for ``HOST[:PORT]`` naming this server (see the module doc)."""
        name, port = _split_host(host_header)
        if name is None or (port is not None and port != self.port):
            return False
        if name in LOOPBACK_NAMES or name == self.host:
            return True
        if self.host in ("0.0.0.0", "::"):
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    def _authenticated(self, headers: Headers) -> bool:
        cookies = _cookies(headers.get("cookie", ""))
        if _compare(cookies.get(self.cookie), self.secrets.token):
            return True
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "token" and _compare(value.strip(), self.secrets.token)

    def _write_problem(self, headers: Headers, host: str, query: dict) -> str | None:
        origin = headers.get("origin")
        if origin is None or origin != f"http://{host}":
            return (
                f"a change must come from this app's own pages (Origin {origin!r} is not "
                f"http://{host}); nothing was changed"
            )
        given = headers.get(CSRF_HEADER) or query.get(CSRF_PARAM)
        if not _compare(given, self.secrets.csrf):
            return "the form's CSRF token is missing or wrong: reload the page; nothing was changed"
        return None

    async def _trade_token(self, scope, receive, send, query: dict) -> None:
        if not _compare(query.get("token"), self.secrets.token):
            await PlainTextResponse(_NO_TOKEN, status_code=403)(scope, receive, send)
            return
        rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
        reply = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
        reply.set_cookie(
            self.cookie, self.secrets.token, httponly=True, samesite="strict", path="/"
        )
        await reply(scope, receive, send)


def _split_host(value: str) -> tuple[str | None, int | None]:
    """``"127.0.0.1:8765"`` → ``("127.0.0.1", 8765)``; ``"[::1]:80"`` → ``("::1", 80)``."""
    value = value.strip().lower()
    if not value:
        return None, None
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = value.partition(":")
    if not port_text:
        return name, None
    if not port_text.isdigit():
        return None, None
    return name, int(port_text)


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            out[key] = value
    return out
