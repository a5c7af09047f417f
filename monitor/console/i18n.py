"""Every text of the web console, in Vietnamese (the default) and English: one catalogue for pages and scripts.

The catalogue is data (messages.yaml beside this module), read once at import.
"""

from __future__ import annotations

from pathlib import Path

import yaml

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
CATALOGUE = Path(__file__).with_name("messages.yaml")


def load_catalogue(path: Path) -> dict[str, tuple[str, str]]:
    """Read the catalogue: key -> (Vietnamese, English); ValueError naming a key that lacks a language."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of text keys")
    out: dict[str, tuple[str, str]] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES) \
                or not all(isinstance(entry[lang], str) for lang in LANGUAGES):
            raise ValueError(f"{path}: {key!r} needs a text for each of {', '.join(LANGUAGES)}")
        out[str(key)] = (entry["vi"], entry["en"])
    return out


# key: (Vietnamese, English). Scripts get the chosen language's dict; {name} placeholders are filled in there.
TEXTS: dict[str, tuple[str, str]] = load_catalogue(CATALOGUE)


def texts(lang: str) -> dict[str, str]:
    """Return every text in one language (Vietnamese for an unknown code)."""
    i = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return {key: pair[i] for key, pair in TEXTS.items()}
