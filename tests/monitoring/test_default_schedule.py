"""After migrate the jobs are scheduled in the database, where the admin can change them."""

import json

import pytest
from django_celery_beat.models import PeriodicTask

from loanportal.celery import app

pytestmark = pytest.mark.django_db


def test_drift_and_data_quality_run_hourly_and_fairness_performance_estimation_and_retention_daily():
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__startswith="Monitoring:").select_related("crontab")}
    expected = {
        "Monitoring: drift, hourly": ("monitoring.runs_schedule", {"kind": "drift", "window_hours": 1}, "5", "*"),
        "Monitoring: fairness, daily": (
            "monitoring.runs_schedule",
            {"kind": "fairness", "window_hours": 720},
            "15",
            "1",
        ),
        "Monitoring: performance, daily": (
            "monitoring.runs_schedule",
            {"kind": "performance", "window_hours": 17520},
            "45",
            "1",
        ),
        "Monitoring: estimated performance, daily": (
            "monitoring.runs_schedule",
            {"kind": "estimated_performance", "window_hours": 24},
            "55",
            "1",
        ),
        "Monitoring: data quality, hourly": (
            "monitoring.runs_schedule",
            {"kind": "data_quality", "window_hours": 1},
            "10",
            "*",
        ),
        "Monitoring: decision-log retention, daily": ("monitoring.retention", {}, "30", "2"),
        "Monitoring: challenger shadow scoring, hourly": ("monitoring.shadow_score", {}, "20", "*"),
        "Monitoring: challenger comparison, daily": ("monitoring.shadow_comparisons", {}, "15", "3"),
    }
    assert set(tasks) == set(expected)
    for name, (task, kwargs, minute, hour) in expected.items():
        periodic = tasks[name]
        assert (periodic.task, json.loads(periodic.kwargs), periodic.enabled) == (task, kwargs, True)
        crontab = periodic.crontab
        assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (minute, hour, "*", "UTC")


def test_every_scheduled_task_name_is_a_task_the_worker_knows():
    app.loader.import_default_modules()
    for periodic in PeriodicTask.objects.filter(name__startswith="Monitoring:"):
        assert periodic.task in app.tasks, periodic.task
