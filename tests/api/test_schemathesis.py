"""Fuzzing the API through its OpenAPI schema (schemathesis, in-process over WSGI, no network):
no operation answers with a server error or with a body that violates its response schema. The
operations of geo and targets (regions, departments, indicators, targets, observations, progress)
must also answer only with documented status codes and content types.

Left out, on purpose: ``ignored_auth`` (the schema offers cookie *or* token; with a valid token
sent, a forged cookie is rightly ignored) and ``positive_data_acceptance`` (a filter naming a
region code that does not exist is a 400 although the schema cannot list the codes).

Bounded: EXAMPLES generated cases per operation (CHAINWATCH_FUZZ_EXAMPLES raises it)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chainwatch.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CHAINWATCH_FUZZ_EXAMPLES", "12"))
OWN = ("/api/v1/regions/", "/api/v1/departments/", "/api/v1/indicators/", "/api/v1/targets/",
       "/api/v1/observations/", "/api/v1/progress/")

# Loaded at collection: the schema view needs neither a database nor a user.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the WSGI handler, whose request_started/finished signals would close
    the test's connection (inside its transaction) on PostgreSQL; Django's test client
    disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    from chainwatch.accounts.models import Role
    from chainwatch.accounts.services import create_user, issue_token
    from factories import region

    user = create_user("fuzz-league", role=Role.PREFECTURE, region=region("152500"), actor=None)
    return issue_token(user, actor=None)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_matches_its_schema(case, token):
    checks = [not_a_server_error, response_schema_conformance]
    if case.path.startswith(OWN):
        checks += [status_code_conformance, content_type_conformance]
    case.call_and_validate(headers={"Authorization": f"Token {token}", "Host": "localhost"}, checks=checks)
