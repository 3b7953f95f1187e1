"""Shared fixtures. The knowledge pack is loaded once per test session into the test database;
each test then runs in a transaction that is rolled back, so every test sees the pack."""

import pytest

from chainwatch.knowledge.loader import load_pack


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_pack()


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "a-strong-password-1")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
