"""Choosing and filling templates: the clinic's own file (templates_dir setting) for the kind and
the patient's language, else the built-in text, else English. A clinic file with a placeholder
the kind does not offer is refused for the rows that would use it (they are listed, not sent)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from coordinator_tui.domain.reminder_templates import (
    FALLBACK,
    Template,
    TemplateInvalid,
    built_in,
    check,
    file_name,
)
from coordinator_tui.services.context import AppContext

MAX_TEMPLATE_BYTES = 20_000


class Templates:
    """Templates for one batch, each file read and checked once."""

    def __init__(self, ctx: AppContext):
        self.folder = Path(ctx.settings.templates_dir).expanduser() if ctx.settings.templates_dir else None
        self._cache: dict[tuple[str, str], Template | TemplateInvalid] = {}

    def get(self, kind: str, language: str) -> Template:
        """The template, or TemplateInvalid saying which file and what is wrong."""
        key = (kind, language)
        if key not in self._cache:
            self._cache[key] = self._load(kind, language)
        found = self._cache[key]
        if isinstance(found, TemplateInvalid):
            raise found
        return found

    def _load(self, kind: str, language: str) -> Template | TemplateInvalid:
        for lang in dict.fromkeys((language, FALLBACK)):
            if self.folder is None:
                break
            path = self.folder / file_name(kind, lang)
            if not path.is_file():
                continue
            try:
                raw = path.read_bytes()[:MAX_TEMPLATE_BYTES + 1]
                if len(raw) > MAX_TEMPLATE_BYTES:
                    return TemplateInvalid(f"template {path.name} is too long")
                text = raw.decode("utf-8").strip()
                check(kind, text)
            except UnicodeDecodeError:
                return TemplateInvalid(f"template {path.name} is not UTF-8 text")
            except OSError as exc:
                return TemplateInvalid(f"template {path.name} cannot be read ({exc.strerror})")
            except TemplateInvalid as exc:
                return TemplateInvalid(f"template {path.name} {exc}")
            return Template(kind, lang, text, path.name)
        return built_in(kind, language)


def date_words(day: date, language: str, day_first: bool) -> str:
    if language == "en" and not day_first:
        return f"{day:%m/%d/%Y}"
    return f"{day:%d/%m/%Y}"


def time_words(local: datetime, language: str) -> str:
    if language == "en":
        return f"{local:%I:%M %p}".lstrip("0")
    return f"{local:%H:%M}"
