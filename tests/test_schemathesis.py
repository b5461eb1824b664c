"""Property-based run of the whole OpenAPI schema: authenticated, a bounded number of examples per
operation, no 5xx and no response that breaks the schema. It grows by itself as routes are added."""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_user
from yanglao.accounts.services import token_create

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _load_schema():
    # pytest-django has configured Django before collection; building the schema reads no database.
    from yanglao.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = _load_schema()


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI app, not through Django's test client, so switch off what the
    client switches off: closing the connection at each request's end would end the test transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fresh_headers(db, keep_test_connection):
    admin = make_user("schema-admin", "admin", "150000")
    make_user("schema-worker", "caregiver", "150523100001")

    def headers():
        # A new token per example: a generated call may legitimately revoke the one it was given.
        _, raw = token_create(user=admin)
        return {"Authorization": f"Bearer {raw}"}

    return headers


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_schema(case, fresh_headers):
    case.call_and_validate(headers=fresh_headers(), checks=CHECKS)
