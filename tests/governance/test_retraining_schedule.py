"""After migrate the retraining triggers are scheduled daily in the database."""

import pytest
from django_celery_beat.models import PeriodicTask

from loanportal.celery import app

pytestmark = pytest.mark.django_db


def test_the_retraining_triggers_run_daily_after_the_nights_monitoring():
    task = PeriodicTask.objects.select_related("crontab").get(name="Governance: retraining triggers, daily")
    assert (task.task, task.kwargs, task.enabled) == ("governance.retraining_triggers", "{}", True)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week, str(task.crontab.timezone)) == (
        "0",
        "3",
        "*",
        "UTC",
    )
    app.loader.import_default_modules()
    assert {"governance.retraining_triggers", "governance.retraining_execute"} <= set(app.tasks)
