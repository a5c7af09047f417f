"""Helpers of the console's browser tests: Debian's chromium, a tab that records its requests, screenshots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


class Tab:
    """A browser context (its own session storage) that records every request and CSP complaint."""

    def __init__(self, browser: Any, base: str, viewport: tuple[int, int] = (1400, 1000), touch: bool = False,
                 locale: str | None = None) -> None:
        """Open a context on ``browser`` for the service at ``base``, and a first page."""
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, has_touch=touch,
                                           is_mobile=touch, locale=locale)
        self.requests: list[str] = []
        self.failed: dict[str, str] = {}
        self.console: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failed.__setitem__(r.url, r.failure or ""))
        self.base = base
        self.page = self.new_page()

    def new_page(self) -> Any:
        """Open another page in this context (same session storage origin, own tab)."""
        page = self.context.new_page()
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        return page

    def sign_in(self, token: str, path: str = "/", page: Any = None) -> None:
        """Open path, get sent to the sign-in form (the token lives in each tab's session storage), sign in."""
        page = page or self.page
        page.goto(self.base + path)
        page.wait_for_url("**/login?next=*")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(self.base + path)

    def foreign(self) -> list[str]:
        """Return the requests that went anywhere but the service (blob: URLs of its own pages are the service's)."""
        return [u for u in self.requests if not (u.startswith(self.base + "/") or u.startswith("blob:" + self.base))]

    def errors(self) -> list[str]:
        """Return script errors and Content-Security-Policy complaints of the pages."""
        return [m for m in self.console if m.startswith("pageerror") or "Content Security Policy" in m]

    def close(self) -> None:
        """Close the context and its pages."""
        self.context.close()


def shot(page: Any, name: str, tmp_dir: Path, full_page: bool = False) -> Path:
    """Screenshot to the test's folder and, when ONESTOP_SCREENSHOTS names a folder (docs/images), there too."""
    out = tmp_dir / f"{name}.png"
    page.screenshot(path=str(out), full_page=full_page)
    target = os.environ.get("ONESTOP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(target) / out.name)
    return out
