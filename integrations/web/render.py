"""The one-action page as HTML: Jinja2 templates (autoescaped) over the
neutral ``bot.pages.Page``. Pure; no JavaScript. One small stylesheet
(``static/page.css``), served by the server at ``STYLESHEET``."""

from __future__ import annotations

import functools
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.pages import Page

STYLESHEET = "/assets/page.css"


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("integrations.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(page: Page, *, action_url: str) -> str:
    """The page as a complete HTML document; forms post to ``action_url``."""
    template = _environment().get_template("page.html")
    return template.render(page=page, action_url=action_url, stylesheet=STYLESHEET)


@functools.cache
def stylesheet() -> bytes:
    return files("integrations.web").joinpath("static/page.css").read_bytes()
