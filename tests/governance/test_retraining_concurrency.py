"""Two beats or two requests at once make one retraining run: the partial unique
constraint decides, on PostgreSQL, between two connections."""

import threading

import pytest
from django.db import connection

from governance.errors import RetrainingConflict
from governance.models import RetrainingRun, RetrainingState, RetrainingTrigger
from governance.retraining.service import retraining_request, retraining_triggers_run
from monitoring import rules
from monitoring.incidents import incident_raise
from tests.governance.retraining_support import quick_policy

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def side_by_side(work, n=2):
    """Run `work` in `n` threads, each on its own database connection, released together."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = work()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_requests_at_once_make_one_run(production_version, author):
    results = side_by_side(
        lambda: retraining_request(
            model_name="loan-default", reason="at once", trigger=RetrainingTrigger.API, requested_by=author
        )
    )
    runs = [r for r in results if isinstance(r, RetrainingRun)]
    conflicts = [r for r in results if isinstance(r, RetrainingConflict)]
    assert len(runs) == 1 and len(conflicts) == 1, results
    assert list(RetrainingRun.objects.values_list("pk", "state")) == [(runs[0].pk, RetrainingState.PENDING)]


def test_two_beats_at_once_make_one_run_and_one_skipped(production_version):
    quick_policy(production_version.registered_model, max_model_age_days=0, new_outcomes_min=0, cooldown_days=0)
    breach = rules.auc_breach(cohort="2026-05", auc=0.61, validation_auc=0.85, tolerance=0.05, floor=0.75)
    incident_raise(breach=breach, version=production_version)
    results = side_by_side(retraining_triggers_run)
    assert all(isinstance(r, list) for r in results), results
    states = sorted(RetrainingRun.objects.values_list("state", flat=True))
    assert states == [RetrainingState.PENDING, RetrainingState.SKIPPED]
    skipped = RetrainingRun.objects.get(state=RetrainingState.SKIPPED)
    assert "already pending" in skipped.failure
