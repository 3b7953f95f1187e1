import pytest

from accounts.world import build_world


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    """Hash with MD5 in tests (the world has eleven users); tests marked ``real_hasher`` keep
    Django's default PBKDF2."""
    if not request.node.get_closest_marker("real_hasher"):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()
