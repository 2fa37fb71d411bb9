"""A decision keeps the digest of its inputs and features from the moment it is logged,
whichever way it was written (one INSERT, or COPY for a batch on PostgreSQL), and the
digest matches what the database hands back, so the sealed audit can check it."""

import pytest

from governance.ledger import digest_of
from governance.sealing.services import audit_seal
from predictions.models import DecisionLog
from tests.governance.audit_support import verify

from .support import BATCH_URL, PREDICT_URL, post_json

pytestmark = pytest.mark.django_db


def test_the_kept_digest_matches_the_stored_inputs_for_single_and_batch_decisions(
    api, applications, settings, tmp_path
):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path)
    assert post_json(api, PREDICT_URL, applications[0]).status_code == 201
    assert post_json(api, BATCH_URL, {"applications": applications}).status_code == 201
    rows = list(DecisionLog.objects.values_list("inputs", "features", "inputs_sha256"))
    assert len(rows) == 1 + len(applications)
    assert all(digest == digest_of({"inputs": inputs, "features": features}) for inputs, features, digest in rows)
    audit_seal()
    status, report = verify("--kind", "decision")
    assert status == 0 and report["kinds"]["decision"]["records"] == len(rows), report
