"""What the Celery tasks of the scheduled jobs share: transient errors are retried.

A job task takes ids, calls one service and is safe to run twice, so a database or broker
that is briefly away costs a retry, not a lost run: up to 5 retries with exponential
backoff and jitter (30 s, 60 s, 120 s, ... capped at 10 min).
"""

from celery import Task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)


class RetryingTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 30  # seconds: 30, 60, 120, ... with jitter
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
