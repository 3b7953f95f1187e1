"""Shared fixtures. The knowledge pack is loaded once per test session into the test database;
each test then runs in a transaction that is rolled back, so every test sees the pack."""

import os

import pytest

from chainwatch.knowledge.loader import load_pack

# The browser tests run in their own invocation (`CHAINWATCH_E2E=1 pytest tests/e2e`, as `make
# test` does): their live server flushes the database, which would take the pack from the rest.
collect_ignore = [] if os.environ.get("CHAINWATCH_E2E") == "1" else ["e2e"]


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
