"""Registry invariants the database enforces, not only the code."""

import pytest
from django.db import IntegrityError, transaction

from governance.models import ModelVersion, VersionState


@pytest.mark.django_db
def test_a_model_has_at_most_one_production_version(register_version):
    first, second = register_version(), register_version()
    ModelVersion.objects.filter(pk=first.pk).update(state=VersionState.PRODUCTION)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(state=VersionState.PRODUCTION)


@pytest.mark.django_db
def test_registration_records_history_with_a_reason(draft_version):
    record = draft_version.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == "Registered by the training pipeline"
    assert record.history_user == draft_version.created_by
