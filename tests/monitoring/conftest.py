"""Monitoring fixtures: Celery tasks run in the test process."""

from collections.abc import Iterator

import pytest

from loanportal.celery import app as celery_app


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Queued tasks run at once in the test process, as a worker would run them."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
