"""Security headers on every answer: a strict Content-Security-Policy (no inline scripts), no framing, no sniffing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
               "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
"""Console pages: only the service's own scripts, styles and API; pictures also from blob: (fetched with the token)."""

DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; "
            "frame-ancestors 'none'")
"""/docs and /redoc: Swagger UI and ReDoc set inline style attributes and ReDoc starts a blob: worker; scripts
are still only the service's own files."""

API_CSP = "default-src 'none'; frame-ancestors 'none'"

DOCS_PATHS = ("/docs", "/redoc")


def csp_for(path: str, content_type: str) -> str:
    """Return the policy for an answer: HTML pages by where they are, anything else locked down."""
    if not content_type.startswith("text/html"):
        return API_CSP
    return DOCS_CSP if path.startswith(DOCS_PATHS) else CONSOLE_CSP


class SecurityHeaders:
    """ASGI middleware that adds the headers to every HTTP answer (set once; a route's own headers win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and add the headers to the answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                ctype = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
                extra = {b"content-security-policy": csp_for(path, ctype).encode(),
                         b"x-content-type-options": b"nosniff", b"referrer-policy": b"no-referrer",
                         b"x-frame-options": b"DENY", b"cross-origin-opener-policy": b"same-origin"}
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
