"""Backdated decisions, for the demo's past only (`monitoring.demo`).

The API logs a decision at the moment it is made; a demo that should open on a month of
history needs decisions dated in the past. They are written here and nowhere else: the
function refuses unless `DEMO_BACKDATED_DECISIONS` is on (local and test settings only,
never production), no view, serializer or admin action calls it, and every row it writes
is marked `demo` in the decision log. The rows are scored exactly as the API scores
(`predictions.services.decision_rows_score`), vectorised over whole days at a time, and
written by the decision log's bulk insert.
"""

import time
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from governance.models import ModelVersion
from governance.selectors import model_version_scorer

from .bulk_insert import DecisionRow, decision_rows_insert
from .errors import BackdatingRefused
from .services import decision_rows_score


def demo_decisions_backdate(
    *,
    version: ModelVersion,
    applications: pd.DataFrame,
    created_at: Sequence[datetime],
    client: User,
    request_id: str,
) -> list[DecisionRow]:
    """Score `applications` (public field names, one row each) with `version` and log them
    as made by `client` at `created_at` (one time per row), marked as demo data, in one
    transaction. Raises `BackdatingRefused` unless the settings allow backdated decisions."""
    if not settings.DEMO_BACKDATED_DECISIONS:
        raise BackdatingRefused(
            "Backdated decisions are demo data; these settings do not allow them (DEMO_BACKDATED_DECISIONS is off)."
        )
    received_at = time.perf_counter()
    scorer = model_version_scorer(version=version)
    records = applications.astype(object).where(applications.notna(), None).to_dict("records")
    rows = decision_rows_score(
        version=version,
        scorer=scorer,
        applications=records,
        encoded=scorer.encoder.encode_frame(applications),
        client=client,
        request_id=request_id,
        received_at=received_at,
        created_at=created_at,
        demo=True,
    )
    with transaction.atomic():
        decision_rows_insert(iter(rows), count=len(rows))
    return rows
