"""Every API operation, fuzzed from the OpenAPI schema the portal serves: whatever a client
sends, the answer is never a 5xx, its status is one the schema documents, and its body
has the documented content type and shape. Scoring logs a decision only when it answers 201.

The schema is read from `/api/schema/` of the WSGI application, in process, and
schemathesis generates valid and invalid requests for each operation (a test item each).
The run is bounded and derandomized so CI sees the same cases every time: a failure here
reproduces with the same command.
"""

import zlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from governance.models import ModelVersion
from governance.services import api_token_issue
from loanportal.roles import Role
from monitoring import rules
from monitoring.incidents import incident_raise
from predictions.models import DecisionLog

from ..predictions.support import PREDICT_URL, post_json

# Examples per operation in the fuzzing phase; the coverage phase adds its boundary and
# invalid cases. Measured on 2 cores: about 2,000 requests over the 24 operations, 20 s.
MAX_EXAMPLES = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

CLIENT_PATHS = ("/api/v1/predictions/", "/api/v1/outcomes/")
SCORING_PATHS = ("/api/v1/predictions/", "/api/v1/predictions/batch/")


@pytest.fixture
def one_connection(known: dict[str, Any]) -> Iterator[None]:
    """Django closes a database connection that is inside a transaction when a WSGI request
    starts or finishes, which would end the test's transaction. Django's test client stops
    that for each of its requests and undoes it after (so this comes after `known`, which
    uses it); the fuzzed requests go straight to the WSGI application."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known(
    settings: Any, make_user: Any, production_version: ModelVersion, application: dict[str, Any]
) -> dict[str, Any]:
    """Credentials per audience and ids of rows that exist, so that fuzzed requests reach
    the views instead of stopping at 401/403/404 (or 429: the batch limit is 30 a minute)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min", "api-batch": "100000/min"},
    }
    client_user = make_user("fuzz-client", Role.API_CLIENT)
    # Compliance too, so that the audit proof requests reach the view (only it may).
    staff_user = make_user(
        "fuzz-staff", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER, Role.COMPLIANCE_OFFICER
    )
    client_token = f"Token {api_token_issue(user=client_user)}"
    scoring = APIClient(HTTP_AUTHORIZATION=client_token)
    decisions = [post_json(scoring, PREDICT_URL, application).json()["prediction_id"] for _ in range(2)]
    incident = incident_raise(
        breach=rules.drift_breach(subject="Credit_Score", psi=0.4, alerting=True, act=0.25), version=production_version
    )
    return {
        "client": client_token,
        "staff": f"Token {api_token_issue(user=staff_user)}",
        "versions": [production_version.pk],
        "decisions": decisions,
        "incidents": [incident.pk],
        "models": [production_version.registered_model.name],
    }


def _point_at_known_rows(case: Any, known: dict[str, Any]) -> None:
    """Generated ids almost never name a row, which would leave every detail and action a
    404: in about half the valid cases the id is replaced by one the fixture made. (Not in
    invalid cases: a malformed id must stay malformed to be refused.)"""
    if not case.meta.generation.mode.is_positive:
        return
    path = case.operation.path
    for name, value in list((case.path_parameters or {}).items()):
        if name == "name":
            pool = known["models"]
        elif path.startswith("/api/v1/versions/"):
            pool = known["versions"]
        elif path.startswith("/api/v1/incidents/"):
            pool = known["incidents"]
        elif path.startswith("/api/v1/predictions/"):
            pool = known["decisions"]
        else:
            continue
        pick = zlib.crc32(str(value).encode())  # not hash(): that differs between runs
        if pick % 2 == 0:
            case.path_parameters[name] = pool[pick // 2 % len(pool)]


@SCHEMA.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # One database transaction and one set of rows serve all of an operation's examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: Any, known: dict[str, Any], one_connection: None
) -> None:
    _point_at_known_rows(case, known)
    audience = "client" if case.operation.path.startswith(CLIENT_PATHS) else "staff"
    decisions_before = DecisionLog.objects.count()
    # A negative case may leave the Authorization header out on purpose; giving it the
    # fixture's credentials would undo the very violation it tests.
    credentials = {"Authorization": known[audience]} if "Authorization" in (case.headers or {}) else {}
    response = case.call_and_validate(headers=credentials, checks=CHECKS)
    scored = 0
    if response.status_code == 201 and case.operation.path in SCORING_PATHS:
        body = response.json()
        scored = len(body["results"]) if "results" in body else 1
    assert DecisionLog.objects.count() == decisions_before + scored
