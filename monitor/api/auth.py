"""API access: roles, tokens (from the environment and the tokens file), /metrics basic auth, secrets to redact."""

from __future__ import annotations

import hmac
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from ..config import LoadedConfig
from ..config.service import Role

_ROLE_RANK: dict[Role, int] = {"viewer": 0, "admin": 1}
_TOKEN_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Principal:
    """Who made a request: a token's name and role, or 'anonymous' when the API has no tokens."""

    name: str
    role: Role


@dataclass(frozen=True)
class FileToken:
    """A token read from the tokens file."""

    name: str
    role: Role
    token: str


class TokensFileError(ValueError):
    """The tokens file is missing, readable by others, or malformed; the message never holds a token."""


def read_tokens_file(path: Path) -> list[FileToken]:
    """Return the tokens of a 'name:role:token' secrets file after checking it is private (mode 600 or 400).

    >>> read_tokens_file(Path("/nonexistent/tokens"))
    Traceback (most recent call last):
    ...
    monitor.api.auth.TokensFileError: cannot read tokens file /nonexistent/tokens: No such file or directory
    """
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise TokensFileError(f"tokens file {path} is not a regular file")
        # Checked before reading: a token file others can read is a leaked token, refuse it loudly.
        if st.st_mode & 0o077:
            raise TokensFileError(f"tokens file {path} is readable or writable by group/others (mode "
                                  f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TokensFileError(f"cannot read tokens file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TokensFileError(f"tokens file {path} is not UTF-8 text") from None
    out: list[FileToken] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep1, rest = line.partition(":")
        role, sep2, token = rest.partition(":")
        where = f"tokens file {path} line {n}"
        if not (sep1 and sep2):
            raise TokensFileError(f"{where}: expected 'name:role:token'")
        if not _TOKEN_NAME_RE.match(name):
            raise TokensFileError(f"{where}: bad token name (letters, digits, '_.@-', at most 64)")
        if role not in ("viewer", "admin"):
            raise TokensFileError(f"{where}: role must be 'viewer' or 'admin'")
        if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
            raise TokensFileError(f"{where}: token must be at least {MIN_TOKEN_LENGTH} characters, no spaces")
        if token in seen:
            raise TokensFileError(f"{where}: the same token appears twice")
        seen.add(token)
        out.append(FileToken(name, role, token))  # type: ignore[arg-type]  # role checked just above
    return out


def tokens_file_path(loaded: LoadedConfig) -> Path | None:
    """Return the tokens file of a config, relative paths taken from the config file's folder."""
    path = loaded.config.service.tokens_file
    if path is None or path.is_absolute() or loaded.path is None:
        return path
    return loaded.path.parent / path


def load_file_tokens(loaded: LoadedConfig) -> list[FileToken]:
    """Read the config's tokens file (none configured: no tokens); raise TokensFileError when unusable."""
    path = tokens_file_path(loaded)
    return [] if path is None else read_tokens_file(path)


def access_secrets(loaded: LoadedConfig, tokens: list[FileToken]) -> list[str]:
    """Return the secrets of the access settings (file tokens, metrics password) for the log redactor."""
    out = [t.token for t in tokens]
    auth = loaded.config.service.metrics_auth
    if auth is not None and os.environ.get(auth.password_env):
        out.append(os.environ[auth.password_env])
    return [s for s in out if len(s) >= 3]


class Access(Protocol):
    """What checking a request needs: the running config (tokens, metrics_auth) and the tokens file's tokens."""

    config: LoadedConfig
    file_tokens: list[FileToken]


def get_access(request: Request) -> Access:
    """Return the access settings of the app (its monitor.api.deps.AppParts, which are re-read on reload)."""
    access: Access = request.app.state.parts
    return access


_bearer = HTTPBearer(auto_error=False)


def _principal(parts: Access, creds: HTTPAuthorizationCredentials | None) -> Principal:
    service = parts.config.config.service
    if not service.auth_enabled():
        return Principal("anonymous", "admin")
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    given = creds.credentials.encode()
    match: Principal | None = None
    candidates = [(tok.name, tok.role, os.environ.get(tok.env, "")) for tok in service.tokens]
    candidates += [(tok.name, tok.role, tok.token) for tok in parts.file_tokens]
    for name, role, value in candidates:
        # Compare against every token, in constant time, so timing tells nothing about which one nearly matched.
        if value and hmac.compare_digest(value.encode(), given):
            match = Principal(name, role)
    if match is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return match


def require(role: Role) -> Callable[..., Principal]:
    """Return a dependency that admits tokens of at least ``role``."""

    def dep(parts: Access = Depends(get_access),
            creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        who = _principal(parts, creds)
        if _ROLE_RANK[who.role] < _ROLE_RANK[role]:
            raise HTTPException(403, f"this needs the {role} role")
        return who

    return dep


_basic = HTTPBasic(auto_error=False)


def metrics_access(parts: Access = Depends(get_access),
                   creds: HTTPBasicCredentials | None = Depends(_basic)) -> None:
    """Admit a /metrics scrape: open unless service.metrics_auth asks for HTTP basic auth."""
    auth = parts.config.config.service.metrics_auth
    if auth is None:
        return
    password = os.environ.get(auth.password_env, "")
    challenge = {"WWW-Authenticate": 'Basic realm="metrics"'}
    if creds is None:
        raise HTTPException(401, "metrics need basic auth", headers=challenge)
    # Both compared, always, in constant time; an unset password variable admits nobody.
    user_ok = hmac.compare_digest(creds.username.encode(), auth.user.encode())
    password_ok = hmac.compare_digest(creds.password.encode(), password.encode())
    if not (user_ok and password_ok and password):
        raise HTTPException(401, "invalid metrics credentials", headers=challenge)


