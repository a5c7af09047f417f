"""The web console: live overview, camera pages and the zone editor, served by the API process itself."""

from .pages import install_console

__all__ = ["install_console"]
