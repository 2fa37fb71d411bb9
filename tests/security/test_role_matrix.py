"""Who may call what: every API endpoint, and the admin's audit screens, for every role.

Each case is called by each principal: no credentials, a user with no role, a superuser
with no role (no bypass), and one user per portal role. Roles in `allowed` must get the
endpoint's success status, everyone else 401 (no credentials) or 403 (and for the admin,
which answers with its login page, a redirect). A state-changing call is made on objects
made fresh for that one call, in the state the action needs, so the role is the only
reason for a refusal.

`test_every_api_endpoint_is_in_the_matrix` fails when an endpoint is added without a row
here: a new endpoint is not "secure by default" until someone has decided who calls it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from governance.models import ModelVersion
from governance.sealing.services import audit_seal
from governance.services import model_version_transition
from loanportal.roles import Role
from monitoring import rules
from monitoring.incidents import incident_raise
from predictions.models import DecisionLog
from tests.predictions.support import as_application, token_client
from tests.support import waive_all_high, waive_challenger_evidence

pytestmark = pytest.mark.django_db

DS, MV, MA, CO, API = (
    Role.DATA_SCIENTIST,
    Role.MODEL_VALIDATOR,
    Role.MODEL_APPROVER,
    Role.COMPLIANCE_OFFICER,
    Role.API_CLIENT,
)
STAFF = {DS, MV, MA, CO}
MONITORING_WORK = {DS, MV, MA}
PRINCIPALS = ["anonymous", "no role", "superuser", DS, MV, MA, CO, API]


class World:
    """A model with a version in production, and the objects a case needs, made on demand
    for the one call it makes."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.production()

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def version_in(self, state: str) -> ModelVersion:
        """A version of loan-default in `state`, authored by the Data Scientist principal,
        validated by the Model Validator principal, approved by the Model Approver."""
        register, take_to = self.fixture("register_version"), self.fixture("take_to")
        if state == "production":
            return self.production()
        if state == "retired":
            version = self.production()
            return model_version_transition(
                version_id=version.pk, action="retire", actor=self.fixture("approver"), comment="retired in test"
            )
        return take_to(register(), state)

    def in_shadow(self) -> ModelVersion:
        """A validated version in shadow, started by the Model Approver principal."""
        version = self.version_in("validated")
        return model_version_transition(version_id=version.pk, action="start_shadow", actor=self.fixture("approver"))

    def production(self) -> ModelVersion:
        return self.fixture("production_version")

    def application(self) -> dict[str, Any]:
        frame = self.fixture("demo_dataset").frame
        return as_application(frame.iloc[0].to_dict())

    def decision(self) -> str:
        client = token_client(self.fixture("api_client_user"))
        response = client.post("/api/v1/predictions/", self.application(), format="json")
        assert response.status_code == 201, response.content
        return response.json()["prediction_id"]

    def sealed_decision(self) -> str:
        decision = self.decision()
        audit_seal()
        return decision

    @staticmethod
    def outcome() -> dict[str, Any]:
        """An outcome observed now: after the decision, not in the future."""
        return {"defaulted": True, "observed_at": timezone.now().isoformat()}

    def report(self) -> int:
        from governance.reports.services import report_generate

        return report_generate(version_id=self.production().pk, kind="validation").pk

    def incident(self) -> int:
        breach = rules.drift_breach(subject="Credit_Score", psi=0.4, alerting=True, act=0.25)
        return incident_raise(breach=breach, version=self.production()).pk


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    allowed: frozenset[str]
    success: int
    # Builds the call on fresh objects: (path, JSON body or None).
    call: Callable[[World], tuple[str, Any]]


def action(name: str, state: str, allowed: set[str], comment: str = "In the role matrix test.") -> Case:
    def call(world: World) -> tuple[str, Any]:
        version = world.version_in(state)
        waivers = waive_all_high(version) if name == "validate" else {}
        if name == "promote":
            waivers = waive_challenger_evidence(version)  # this is about roles, not the gate
        return f"/api/v1/versions/{version.pk}/{name}/", {"comment": comment, "waivers": waivers}

    return Case(f"POST versions/{{id}}/{name}/", "post", frozenset(allowed), 200, call)


CASES = [
    # Registry and audit trail: staff read it, API clients (machines) do not.
    Case("GET models/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/models/", None)),
    Case("GET models/{name}/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/models/loan-default/", None)),
    Case(
        "GET models/{name}/versions/",
        "get",
        frozenset(STAFF),
        200,
        lambda w: ("/api/v1/models/loan-default/versions/", None),
    ),
    Case(
        "GET versions/{id}/ (with its transitions)",
        "get",
        frozenset(STAFF),
        200,
        lambda w: (f"/api/v1/versions/{w.production().pk}/", None),
    ),
    # A retraining proposes a draft: Data Scientists start one; everyone else is refused.
    Case(
        "POST models/{name}/retrain/",
        "post",
        frozenset({DS}),
        202,
        lambda w: ("/api/v1/models/loan-default/retrain/", {"reason": "In the role matrix test."}),
    ),
    # The inventory: staff read it; a periodic review is a Model Validator's (four-eyes: the
    # fixtures' validator did not author, submit or approve the production version).
    Case("GET inventory/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/inventory/", None)),
    Case(
        "POST models/{name}/reviews/",
        "post",
        frozenset({MV}),
        201,
        lambda w: (
            f"/api/v1/models/{w.production().registered_model.name}/reviews/",
            {"outcome": "satisfactory", "comment": "In the role matrix test."},
        ),
    ),
    # Reports: staff read and download them, as they read the registry.
    Case("GET reports/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/reports/?model=loan-default", None)),
    Case(
        "GET reports/{id}/download/",
        "get",
        frozenset(STAFF),
        200,
        lambda w: (f"/api/v1/reports/{w.report()}/download/", None),
    ),
    # The sealed audit: staff may fetch the public key; proofs (the record itself) are compliance's.
    Case("GET audit/public-key/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/audit/public-key/", None)),
    Case(
        "GET audit/proof/",
        "get",
        frozenset({CO}),
        200,
        lambda w: (f"/api/v1/audit/proof/?kind=decision&id={w.sealed_decision()}", None),
    ),
    # The workflow: one role per step; compliance and API clients change nothing.
    action("submit", "draft", {DS}),
    action("validate", "submitted", {MV}),
    action("reject", "submitted", {MV, MA}),
    action("approve", "validated", {MA}),
    action("promote", "approved", {MA}),
    action("retire", "production", {MA}),
    action("rollback", "retired", {MA}),
    action("start_shadow", "validated", {MA}),
    Case(
        "POST versions/{id}/stop_shadow/",
        "post",
        frozenset({MA}),
        200,
        lambda w: (f"/api/v1/versions/{w.in_shadow().pk}/stop_shadow/", {"comment": "Shadow evidence collected."}),
    ),
    # Scoring and outcomes: API clients only; compliance reads decisions.
    Case("POST predictions/", "post", frozenset({API}), 201, lambda w: ("/api/v1/predictions/", w.application())),
    Case(
        "POST predictions/batch/",
        "post",
        frozenset({API}),
        201,
        lambda w: ("/api/v1/predictions/batch/", {"applications": [w.application()]}),
    ),
    Case(
        "GET predictions/{id}/",
        "get",
        frozenset({API, CO}),
        200,
        lambda w: (f"/api/v1/predictions/{w.decision()}/", None),
    ),
    Case(
        "POST predictions/{id}/outcome/",
        "post",
        frozenset({API}),
        201,
        lambda w: (f"/api/v1/predictions/{w.decision()}/outcome/", w.outcome()),
    ),
    Case(
        "POST outcomes/",
        "post",
        frozenset({API}),
        201,
        lambda w: ("/api/v1/outcomes/", {"outcomes": [{"prediction_id": w.decision(), **w.outcome()}]}),
    ),
    # Monitoring: staff read it; compliance does not run jobs or work incidents.
    *(
        Case(
            f"GET monitoring/{kind}/",
            "get",
            frozenset(STAFF),
            200,
            lambda w, k=kind: (f"/api/v1/monitoring/{k}/", None),
        )
        for kind in ("drift", "fairness", "performance", "estimated-performance", "data-quality")
    ),
    Case(
        "POST monitoring/drift/run/",
        "post",
        frozenset(MONITORING_WORK),
        202,
        lambda w: ("/api/v1/monitoring/drift/run/", {"model": "loan-default", "window_hours": 1}),
    ),
    Case(
        "GET monitoring/comparisons/",
        "get",
        frozenset(STAFF),
        200,
        lambda w: ("/api/v1/monitoring/comparisons/?model=loan-default", None),
    ),
    Case(
        "POST monitoring/comparisons/run/",
        "post",
        frozenset(MONITORING_WORK),
        202,
        lambda w: (
            "/api/v1/monitoring/comparisons/run/",
            {"model": "loan-default", "challenger": (w.production(), w.version_in("validated"))[1].pk},
        ),
    ),
    Case("GET incidents/", "get", frozenset(STAFF), 200, lambda w: ("/api/v1/incidents/", None)),
    Case("GET incidents/{id}/", "get", frozenset(STAFF), 200, lambda w: (f"/api/v1/incidents/{w.incident()}/", None)),
    Case(
        "POST incidents/{id}/acknowledge/",
        "post",
        frozenset(MONITORING_WORK),
        200,
        lambda w: (f"/api/v1/incidents/{w.incident()}/acknowledge/", {"note": "Looking into it."}),
    ),
    Case(
        "POST incidents/{id}/resolve/",
        "post",
        frozenset(MONITORING_WORK),
        200,
        lambda w: (f"/api/v1/incidents/{w.incident()}/resolve/", {"note": "Upstream feed fixed."}),
    ),
]

# The admin's audit screens and who reads them (superusers too: they look, never change).
# Workflow history is for all portal staff; the decision log holds applicants' data, so
# only compliance reads it. API clients and users without a role get the login page.
ADMIN_AUDIT_PAGES = {
    "/admin/governance/transition/": STAFF,
    "/admin/governance/transition/export/": STAFF,
    "/admin/governance/governanceevent/": STAFF,
    "/admin/governance/registeredmodel/inventory.csv": STAFF,
    "/admin/governance/periodicreview/": STAFF,
    "/admin/governance/report/": STAFF,
    "/admin/governance/modelversion/{version}/history/": STAFF,
    "/admin/predictions/decisionlog/": {CO},
    "/admin/predictions/decisionlog/export.csv": {CO},
}


@pytest.fixture
def principal_user(request: pytest.FixtureRequest, make_user: Any) -> Any:
    """The user behind a principal; the role users are the workflow fixtures' users, so the
    Data Scientist is the versions' author and the validator and approver are independent."""
    principal = request.param
    by_role = {DS: "author", MV: "validator", MA: "approver", CO: "compliance_officer", API: "api_client_user"}
    if principal == "anonymous":
        return None
    if principal == "no role":
        return make_user("nora-norole")
    if principal == "superuser":
        return get_user_model().objects.create_superuser("root-admin", password="a long superuser password")
    return request.getfixturevalue(by_role[principal])


def expected(case_allowed: frozenset[str], principal: str, success: int) -> int:
    if principal in case_allowed:
        return success
    return 401 if principal == "anonymous" else 403


@pytest.mark.parametrize("principal_user", PRINCIPALS, indirect=True, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_role_may_call_exactly_the_endpoints_meant_for_it(
    case: Case, principal_user: Any, request: pytest.FixtureRequest
) -> None:
    principal = request.node.callspec.params["principal_user"]
    path, body = case.call(World(request))
    client = APIClient() if principal_user is None else token_client(principal_user)
    decisions_before = DecisionLog.objects.count()

    response = getattr(client, case.method)(path, body, format="json") if body is not None else client.get(path)

    assert response.status_code == expected(case.allowed, principal, case.success), response.content
    if response.status_code in (401, 403):
        assert response.json()["detail"]
        assert DecisionLog.objects.count() == decisions_before  # a refused call decides nothing


@pytest.mark.parametrize("principal_user", PRINCIPALS, indirect=True, ids=str)
@pytest.mark.parametrize("admin_page", ADMIN_AUDIT_PAGES)
def test_the_audit_trail_in_the_admin_is_read_by_the_roles_meant_for_it(
    admin_page: str, principal_user: Any, request: pytest.FixtureRequest, client: Any
) -> None:
    principal = request.node.callspec.params["principal_user"]
    version = World(request).production()
    if principal_user is not None:
        client.force_login(principal_user)

    response = client.get(admin_page.format(version=version.pk))

    if principal in ADMIN_AUDIT_PAGES[admin_page] or principal == "superuser":
        assert response.status_code == 200
    elif principal in STAFF:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def _api_routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    routes: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= _api_routes(pattern.url_patterns, route)
        elif route.startswith("api/v1/"):
            routes.add(route)
    return routes


def test_every_api_endpoint_is_in_the_matrix() -> None:
    covered = {case.name.split(" ", 1)[1].split(" ")[0] for case in CASES}
    routes = {
        route.removeprefix("api/v1/")
        .replace("<slug:name>", "{name}")
        .replace("<int:pk>", "{id}")
        .replace("<uuid:pk>", "{id}")
        for route in _api_routes(get_resolver().url_patterns)
    }
    assert routes == covered
