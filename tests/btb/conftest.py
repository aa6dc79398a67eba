"""The IDM tests' small world (enterprises A, B, N, VLAIO; the demo personas in the national register)."""

from tests.idm.conftest import app_manager, clock, world  # noqa: F401 - fixtures
