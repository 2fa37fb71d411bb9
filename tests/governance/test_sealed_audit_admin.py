"""The admin shows where a decision and a model card's version are sealed, and lists the
blocks read-only."""

import pytest
from django.urls import reverse

from governance.models import AuditBlock
from governance.sealing.services import audit_seal

from .audit_support import log_some_decisions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def test_the_decision_page_says_not_sealed_yet_then_the_block(
    client, compliance_officer, production_version, log_decisions
):
    decision = log_some_decisions(log_decisions, production_version, count=2)[0]
    client.force_login(compliance_officer)
    url = reverse("admin:predictions_decisionlog_change", args=[decision.pk])
    assert "not sealed yet" in client.get(url).content.decode()
    audit_seal()
    block = AuditBlock.objects.get(kind="decision")
    assert f"sealed in block 1 at {block.signed_at:%Y-%m-%d %H:%M:%S} UTC" in client.get(url).content.decode()


def test_the_model_card_says_where_the_version_is_sealed(client, validator, production_version):
    client.force_login(validator)
    url = reverse("admin:governance_modelversion_change", args=[production_version.pk])
    assert "latest record: not sealed yet" in client.get(url).content.decode()
    audit_seal()
    block = AuditBlock.objects.get(kind="model_version_history")
    assert f"latest record: sealed in block {block.number} at" in client.get(url).content.decode()


def test_blocks_are_listed_and_cannot_be_added_changed_or_deleted(client, validator, production_version):
    audit_seal()
    client.force_login(validator)
    listing = client.get(reverse("admin:governance_auditblock_changelist"))
    assert listing.status_code == 200 and "model_version_history" in listing.content.decode()
    block = AuditBlock.objects.first()
    assert client.get(reverse("admin:governance_auditblock_add")).status_code == 403
    assert (
        client.post(reverse("admin:governance_auditblock_delete", args=[block.pk]), {"post": "yes"}).status_code == 403
    )
    page = client.get(reverse("admin:governance_auditblock_change", args=[block.pk])).content.decode()
    assert 'name="_save"' not in page
