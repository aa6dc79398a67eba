"""Browser-test harness: Debian's Chromium, Playwright (sync API) and pytest-django's live server.

- ``browser``: one headless Chromium per test module, ``/usr/bin/chromium`` (Playwright never downloads one);
  a missing Chromium fails the tests with a clear message instead of skipping them.
- ``page``: a fresh browser context per test (1280×800, Dutch), with ``base_url`` set to the live server, so
  ``page.goto("/")`` works; console errors and uncaught exceptions are collected in ``page_errors``.

Helpers, in harness.py:

- ``axe_check(page)``: axe-core (bundled in axe-playwright-python) with the WCAG 2.0/2.1 A and AA rules; fails
  with a readable list of the violations.
- ``screenshot(page, name)``: full-page PNG under ``var/screenshots/`` (``$KMOP_VAR_DIR/screenshots``).
- ``check_page(page, name)``: both of them at 1280 px and at 375 px (mobile), plus no horizontal scrolling
  and no console errors.

Mark browser tests with ``pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]`` so that,
under ``pytest -n 2 --dist loadgroup``, they share one worker (and one live server).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from .harness import CHROMIUM, CHROMIUM_ARGS, DESKTOP


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium package. "
            "Run `make test` (it installs it), or `apt-get install chromium`.",
            pytrace=False,
        )
    # While Playwright's sync API runs, this thread has a running event loop, and Django refuses database
    # calls (the live server's set-up, the flush after each test) unless told that it is safe: it is, the
    # live server has its own thread. The variable is set only for that time (per test module), so that it
    # does not leak into other tests or their subprocesses (`check --deploy` refuses it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    return []


@pytest.fixture
def browser_context_options() -> dict[str, object]:
    """Override in a test module (or parametrize indirectly) for e.g. ``java_script_enabled=False``."""
    return {}


@pytest.fixture
def page(browser: Browser, live_server, page_errors: list[str], browser_context_options) -> Iterator[Page]:
    options: dict = {"viewport": DESKTOP, "locale": "nl-BE", **browser_context_options}
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    new_page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: page_errors.append(f"page error: {error}"))
    yield new_page
    context.close()
