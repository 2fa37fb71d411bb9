"""Admin screens a person reads: no Python reprs, numbers to 4 digits with the full value in
a tooltip, times marked UTC, ISO date filters, refusal reasons in the transitions list."""

import re

import pytest
from django.urls import reverse

from governance.errors import WorkflowRefused
from governance.services import model_version_transition
from governance.templatetags.readable import four_digits, readable
from loanportal.roles import Role
from tests.support import waive_all_high

pytestmark = pytest.mark.django_db
# What str() of a dict or list of strings looks like, escaped or not.
PYTHON_REPR = re.compile(r"\{'|\['|\{&#x27;|\[&#x27;|&#x27;: ")


def test_readable_renders_mappings_lists_and_numbers_for_people():
    assert str(readable({"loan_limit": 0.0222, "age": None})) == (
        '<ul class="readable"><li><strong>loan_limit</strong>: 0.0222</li>'
        "<li><strong>age</strong>: <em>none</em></li></ul>"
    )
    assert str(readable(0.123456789)) == '<span title="0.123456789">0.1235</span>'
    assert str(readable(["CIB", "EQUI"])) == "CIB, EQUI"
    assert str(readable([{"group": "F", "ratio": 0.5}, {"group": "M"}])) == (
        '<table class="readable"><thead><tr><th>group</th><th>ratio</th></tr></thead><tbody>'
        "<tr><td>F</td><td>0.5</td></tr><tr><td>M</td><td></td></tr></tbody></table>"
    )
    assert (
        str(readable({"note": "<script>"}))
        == '<ul class="readable"><li><strong>note</strong>: &lt;script&gt;</li></ul>'
    )
    assert str(four_digits(0.38919362497958687)) == '<span title="0.38919362497958687">0.3892</span>'


def test_the_model_card_shows_evidence_waivers_and_history_without_python_reprs(
    client, draft_version, take_to, validator
):
    version = take_to(draft_version, "validated")
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_change", args=[version.pk])).content.decode()
    assert "Field-level history" in page or "history" in page.lower()
    assert PYTHON_REPR.findall(page) == []
    assert f'<span title="{version.threshold!r}">{version.threshold:.4f}</span>' in page


def test_the_version_list_rounds_the_threshold_and_says_utc(client, draft_version, validator):
    client.force_login(validator)
    page = client.get(reverse("admin:governance_modelversion_changelist")).content.decode()
    assert f'<span title="{draft_version.threshold!r}">{draft_version.threshold:.4f}</span>' in page
    assert f"{draft_version.created_at:%Y-%m-%d %H:%M:%S} UTC" in page
    assert "YYYY-MM-DD" in page


def test_the_transitions_list_shows_the_refusal_reason(client, draft_version, make_user):
    both = make_user("sam", Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR)
    model_version_transition(version_id=draft_version.pk, action="submit", actor=both)
    with pytest.raises(WorkflowRefused) as refused:
        model_version_transition(
            version_id=draft_version.pk, action="validate", actor=both, waivers=waive_all_high(draft_version)
        )
    client.force_login(make_user("olga", Role.COMPLIANCE_OFFICER))
    page = client.get(reverse("admin:governance_transition_changelist")).content.decode()
    assert "Refusal reason" in page
    assert refused.value.message.replace("'", "&#x27;") in page


def test_the_monitored_version_form_leads_to_the_monitoring_page(client, draft_version, validator):
    client.force_login(validator)
    response = client.get(reverse("admin:monitoring_monitoredversion_change", args=[draft_version.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:monitoring_version", args=[draft_version.pk])
