"""Field-level history (django-simple-history) as the portal records it: each historical
row says why the change was made, by whom, and in which request.

A service sets all three on the instance before saving it (`history_stamp`), as it sets
the request id on a transition; simple-history writes the reason and the user, and the
receiver below copies the request id onto historical models that have the field
(`RequestIdHistoricalModel`, given as `HistoricalRecords(bases=...)`).
"""

from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

# simple-history's own column for the reason is this long.
CHANGE_REASON_LENGTH = 100


class RequestIdHistoricalModel(models.Model):
    """Base of a historical model whose rows carry the id of the request they were made in."""

    request_id = models.CharField(max_length=64, blank=True, help_text="Empty for jobs and commands.")

    class Meta:
        abstract = True


def history_stamp(instance: models.Model, *, reason: str, user: User | None = None, request_id: str = "") -> None:
    """What the history row of `instance`'s next save records: why, by whom (when not the
    request's user, which simple-history's middleware supplies) and in which request."""
    instance._change_reason = reason[:CHANGE_REASON_LENGTH]  # type: ignore[attr-defined]
    if user is not None:
        instance._history_user = user  # type: ignore[attr-defined]
    instance._history_request_id = request_id  # type: ignore[attr-defined]


@receiver(pre_create_historical_record)
def _copy_request_id(sender: Any, instance: models.Model, history_instance: models.Model, **kwargs: Any) -> None:
    if isinstance(history_instance, RequestIdHistoricalModel):
        history_instance.request_id = getattr(instance, "_history_request_id", "")
