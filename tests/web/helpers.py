"""Small HTML helpers for the page tests (the standard library's parser, no extra dependency)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.http import HttpResponse


def html(response: HttpResponse) -> str:
    return response.content.decode()


def html_lang(response: HttpResponse) -> str:
    match = re.search(r'<html lang="([^"]+)"', html(response))
    assert match, "no <html lang> in the page"
    return match.group(1)


def h1(response: HttpResponse) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html(response), re.S)
    assert match, "no <h1> in the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.link_texts: list[str] = []
        self.inline_scripts = 0
        self.style_attributes = 0
        self._in_a = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "script" and not attributes.get("src"):
            self.inline_scripts += 1
        if tag == "style":
            self.style_attributes += 1
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"] or "")
            self._in_a, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._in_a:
            self.link_texts.append(re.sub(r"\s+", " ", "".join(self._text)).strip())
            self._in_a = False

    def handle_data(self, data: str) -> None:
        if self._in_a:
            self._text.append(data)


def parse(response: HttpResponse) -> _Collector:
    collector = _Collector()
    collector.feed(html(response))
    return collector
