from tests.idm.conftest import clock, world  # noqa: F401 - fixtures
