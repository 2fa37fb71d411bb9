"""A version goes from submitted to production, and its audit trail is exported, in a real browser."""

import csv
import io

import pytest

from governance.models import ModelVersion, VersionState
from governance.services import portal_user_provision
from loanportal.roles import Role
from tests.browser.support import log_in

# The live server runs in another thread, so the test's data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long browser test password"


@pytest.fixture
def people() -> dict[str, object]:
    return {
        name: portal_user_provision(username=name, role=role, password=PASSWORD, check_password=False)
        for name, role in (
            ("vic", Role.MODEL_VALIDATOR),
            ("ada", Role.MODEL_APPROVER),
            ("cora", Role.COMPLIANCE_OFFICER),
        )
    }


def press(page, action: str, comment: str, waivers: dict[str, str] | None = None) -> None:
    panel = page.locator("details.workflow-action", has=page.locator(f"input[name=action][value={action}]"))
    panel.locator("summary").click()
    for key, text in (waivers or {}).items():
        panel.locator(f'textarea[name="waiver:{key}"]').fill(text)
    panel.locator("textarea[name=comment]").fill(comment)
    panel.locator("input[type=submit]").click()
    page.wait_for_load_state()


def test_validator_waives_and_validates_approver_promotes_compliance_exports(page, people, draft_version, take_to):
    version = take_to(draft_version, "submitted")
    high = [f["id"] for f in version.findings if f["severity"] == "high"]

    log_in(page, "vic", PASSWORD)
    page.click("text=Model versions")
    page.click(f"text={version}")
    assert page.locator("h1 .state").inner_text() == "Submitted"
    press(page, "validate", "Leakage screen reviewed", {key: "Known artifact of the vendor file." for key in high})
    assert "is now validated" in page.locator("ul.messagelist").inner_text()
    for key in high:
        assert page.locator("#card-findings", has_text=key).is_visible()
    assert page.locator("#card-findings").get_by_text("Known artifact of the vendor file.").count() == len(high)

    log_in(page, "ada", PASSWORD)
    page.goto(f"/admin/governance/modelversion/{version.pk}/change/")
    press(page, "approve", "Fit for purpose")
    press(page, "promote", "Go live")
    assert page.locator("h1 .state").inner_text() == "Production"
    assert ModelVersion.objects.get(pk=version.pk).state == VersionState.PRODUCTION

    log_in(page, "cora", PASSWORD)
    page.click("text=Model versions")
    page.click(f"text={version}")
    assert not page.locator("#card-workflow").count()  # read-only: no workflow buttons
    page.click("text=Audit trail")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("register", "dana-scientist"),
        ("submit", "dana-scientist"),
        ("validate", "vic"),
        ("approve", "ada"),
        ("promote", "ada"),
    ]
    assert rows[2]["comment"] == "Leakage screen reviewed"
