"""Markdown of the knowledge files as safe HTML: raw HTML is escaped, unsafe links dropped."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@cache
def _parser() -> MarkdownIt:
    # CommonMark with tables; "html": False escapes any HTML in the text, and the
    # parser's link validation refuses javascript:, vbscript:, file: and data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> Markup:
    return Markup(_parser().render(text))  # noqa: S704 - the parser escapes all HTML
