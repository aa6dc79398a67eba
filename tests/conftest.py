"""Set-up for the whole suite.

The compiled translations (.mo) are committed, but a .po may be newer than its .mo while someone works on the
translations: the suite then compiles the project's .po files once, before the first test, in the main process
(the xdist controller), never in the workers.

With ``KMOP_REQUIRE_SAMPLES=1`` (set by ``.ci/run``), a test skipped because the real sample data beside the
repository (``../shared/samples``) is absent fails instead: in CI the samples are always there.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from pathlib import Path

import pytest


def _stale_catalogs(src_dir: Path) -> list[Path]:
    """The project's .po files whose .mo is missing or older (only under src/, never the virtualenv's)."""
    stale = []
    for po in src_dir.rglob("locale/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def _compile_messages() -> None:
    from django.conf import settings
    from django.core.management import CommandError, call_command
    from django.utils.translation import trans_real

    src_dir = Path(settings.SRC_DIR)
    if not _stale_catalogs(src_dir):
        return
    try:
        # From src/kmop, so compilemessages walks the project's locale directories only.
        with contextlib.chdir(src_dir):
            call_command("compilemessages", verbosity=0)
    except CommandError as error:
        raise pytest.UsageError(
            f"Could not compile the translations ({error}). Install GNU gettext (msgfmt): `make test` does."
        ) from error
    # Forget any catalogue loaded before the .mo files existed.
    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # WhiteNoise warns on every request when STATIC_ROOT does not exist yet (before any collectstatic).
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has compiled them already
        return
    _compile_messages()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    report = yield
    if (
        os.environ.get("KMOP_REQUIRE_SAMPLES") == "1"
        and isinstance(report, pytest.TestReport)
        and report.skipped
        and "samples" in str(report.longrepr)
    ):
        report.outcome = "failed"
        report.longrepr = f"KMOP_REQUIRE_SAMPLES=1 but the test was skipped: {report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def _dutch_by_default() -> Generator[None]:
    """Every test starts in the default language (Dutch), whatever an earlier test activated."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
