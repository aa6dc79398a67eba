"""The IDM tests' small world, for the reminders job."""

from tests.idm.conftest import app_manager, clock, world  # noqa: F401 - fixtures
