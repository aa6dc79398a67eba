"""Helpers of the browser tests: axe-core check, screenshots, console errors (see conftest.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 812}


def screenshot_dir() -> Path:
    var_dir = Path(os.environ.get("KMOP_VAR_DIR") or Path(settings.BASE_DIR) / "var")
    directory = var_dir / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) (axe-core, WCAG 2.1 A/AA) on {url}:"]
    for violation in violations:
        lines.append(f"\n- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"  * {target}")
            lines.append(f"    {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def axe_check(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with the list of violations."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    violations = results.response["violations"]
    if violations:
        pytest.fail(format_violations(page.url, violations), pytrace=False)


def screenshot(page: Page, name: str) -> Path:
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = screenshot_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_page_errors(page_errors: list[str], *, allow: tuple[str, ...] = ()) -> None:
    unexpected = [error for error in page_errors if not any(allowed in error for allowed in allow)]
    assert not unexpected, "errors in the browser console:\n" + "\n".join(unexpected)


def check_page(page: Page, name: str, page_errors: list[str], *, allow_errors: tuple[str, ...] = ()) -> None:
    """axe check and screenshot at desktop and mobile width; no horizontal scrolling; no console errors."""
    original = page.viewport_size or DESKTOP
    for viewport in (DESKTOP, MOBILE):
        page.set_viewport_size(viewport)
        axe_check(page)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], f"{name}: horizontal scrolling at {viewport['width']} px"
        screenshot(page, name)
    page.set_viewport_size(original)
    assert_no_page_errors(page_errors, allow=allow_errors)
