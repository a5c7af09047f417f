"""Keep camera credentials and secrets out of logs, metrics, API output and tracebacks."""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import unquote, urlsplit, urlunsplit

# Greedy up to the last '@' before the first '/': a password typed with a raw '@' is still hidden whole.
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s]+)@")
_QUERY_SECRET_RE = re.compile(r"(?i)([?&](?:password|passwd|pwd|token|key|secret|auth)=)[^&\s]+")


def redact_url(url: str) -> str:
    """Return the URL with user:password and secret query parameters replaced by '***'.

    >>> redact_url("rtsp://viewer:secret@10.0.0.5:554/h264")
    'rtsp://***@10.0.0.5:554/h264'
    """
    return _QUERY_SECRET_RE.sub(r"\1***", _USERINFO_RE.sub(r"\g<scheme>***@", url))


def url_secrets(url: str) -> list[str]:
    """Return the password inside a URL (as typed and percent-decoded) and secret query values, for scrubbing.

    User names are not secrets and are too common ('admin') to scrub from every log line.
    """
    out: list[str] = []
    m = _USERINFO_RE.match(url.strip())
    if m:
        _, _, password = m.group("userinfo").partition(":")
        if password:
            out += [password, unquote(password)]
    out += [q.group(0).split("=", 1)[1] for q in _QUERY_SECRET_RE.finditer(url)]
    return list(dict.fromkeys(out))


def strip_userinfo(url: str) -> str:
    """Return the URL without user info (for display where even '***' is noise)."""
    parts = urlsplit(url)
    if not parts.netloc or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


MIN_SECRET_LEN = 4


class Redactor:
    """Replaces registered secret strings, and any URL user info, in text; shared by logging and the API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

    def add(self, secrets: list[str]) -> None:
        """Register more secrets to scrub (longest first so substrings do not leave parts behind)."""
        with self._lock:
            # Shorter strings would turn ordinary words in the log into '***' (a 1-3 character password is
            # scrubbed inside URLs by redact_url anyway).
            merged = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LEN}
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        """Return text with secrets removed."""
        text = redact_url(text)
        for s in self._secrets:
            if s in text:
                text = text.replace(s, "***")
        return text


REDACTOR = Redactor()
"""Process-wide redactor: logging is process-wide too, so the scrubber must be."""


class RedactingFilter(logging.Filter):
    """Logging filter that scrubs the formatted message and exception text of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drops it."""
        msg = record.getMessage()
        record.msg, record.args = REDACTOR(msg), None
        if record.exc_info:
            import traceback

            record.exc_text = REDACTOR("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        return True
