"""Shadow scoring: every version in shadow (`start_shadow`) answers each decision of its
model, after the fact, from the stored inputs; and its comparison is refreshed daily.

The scoring path is untouched: nothing happens while an application is decided. The hourly
job reads the previous hour's decisions (id, deciding version, encoded vector; never model
instances), checks them against each shadow version's schema (`challenger_inputs`), scores
them in batch, explains declines with reason codes as the API does, and stores one
`ChallengerScore` per decision and shadow version. Running it twice stores nothing twice.
"""

from collections import defaultdict
from datetime import datetime
from itertools import islice
from typing import Any, cast

import numpy as np
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from governance.ml.scorer import ModelScorer
from governance.models import ModelVersion, VersionState
from governance.selectors import model_version_scorer, production_version
from predictions.models import Decision, DecisionLog
from predictions.reason_codes import top_reasons
from predictions.risk_bands import risk_bands

from .challenger_inputs import ChallengerInputs
from .comparisons import ComparisonSubject, comparison_create
from .models import ChallengerScore, Comparison, Trigger
from .selectors import CHUNK_ROWS
from .windows import Window, hour_window

INSERT_ROWS = 5000


def shadow_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("registered_model").filter(
        shadow_since__isnull=False, state__in=[VersionState.VALIDATED, VersionState.APPROVED]
    )


def challenger_scores_record(*, challenger: ModelVersion, window: Window) -> int:
    """Score the model's decisions in `window` (made since the shadow started, not yet
    answered) with `challenger`; the number of scores written."""
    start = max(window.start, cast(datetime, challenger.shadow_since))
    if start >= window.end:
        return 0
    decisions = (
        DecisionLog.objects.filter(
            model_version__registered_model_id=challenger.registered_model_id,
            created_at__gte=start,
            created_at__lt=window.end,
            features__isnull=False,
        )
        .exclude(model_version=challenger)
        # Already answered (a second run of the hour): not again.
        .exclude(Exists(ChallengerScore.objects.filter(challenger=challenger, decision_log=OuterRef("pk"))))
        .order_by()
        .values_list("id", "model_version_id", "features")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    scorer = model_version_scorer(version=challenger)
    inputs: dict[int, ChallengerInputs] = {}
    stored = 0
    while chunk := list(islice(decisions, CHUNK_ROWS)):
        by_version: dict[int, list[tuple[Any, bytes]]] = defaultdict(list)
        for pk, version_id, vector in chunk:
            by_version[version_id].append((pk, cast(bytes, vector)))
        for version_id, rows in by_version.items():
            if version_id not in inputs:
                champion = ModelVersion.objects.only("feature_schema").get(pk=version_id)
                inputs[version_id] = ChallengerInputs(champion.feature_schema, challenger.feature_schema)
            stored += _score(challenger, scorer, inputs[version_id], rows)
    return stored


def _score(
    challenger: ModelVersion, scorer: ModelScorer, inputs: ChallengerInputs, rows: list[tuple[Any, bytes]]
) -> int:
    features = np.frombuffer(b"".join(vector for _, vector in rows), dtype="<f8")
    converted = inputs.convert(features.reshape(len(rows), -1))
    valid = np.flatnonzero(converted.valid)
    matrix = scorer.encoder.model_matrix(converted.encoded[valid])
    probabilities = scorer.probabilities(matrix) if len(valid) else np.zeros(0)
    declined = probabilities >= challenger.threshold
    reasons: dict[int, list[dict[str, Any]]] = {}
    if declined.any():
        contributions = scorer.contributions(matrix[declined])
        for contribution, k in zip(contributions, np.flatnonzero(declined), strict=True):
            reasons[int(k)] = top_reasons(
                model_features=scorer.model_features, contributions=contribution, model_inputs=matrix[k]
            )
    bands = risk_bands(probabilities)
    scores = [
        ChallengerScore(
            decision_log_id=rows[row][0],
            challenger=challenger,
            probability=float(probabilities[k]),
            decision=Decision.DECLINE if declined[k] else Decision.APPROVE,
            risk_band=bands[k],
            reason_codes=reasons.get(k, []),
        )
        for k, row in enumerate(valid.tolist())
    ]
    scores += [
        ChallengerScore(decision_log_id=rows[row][0], challenger=challenger, errors=converted.row_errors(row))
        for row in np.flatnonzero(~converted.valid).tolist()
    ]
    # Two runs at once may both insert a decision's score; the unique constraint keeps one.
    ChallengerScore.objects.bulk_create(scores, batch_size=INSERT_ROWS, ignore_conflicts=True)
    return len(scores)


def shadow_scores_schedule(*, now: datetime | None = None) -> dict[int, int]:
    """The hourly job: the previous whole hour, every shadow version; version id -> scores stored."""
    window = hour_window(hours=1, now=now or timezone.now())
    return {version.pk: challenger_scores_record(challenger=version, window=window) for version in shadow_versions()}


def shadow_comparisons_schedule(*, now: datetime | None = None) -> dict[int, int | None]:
    """The daily job: each shadow version's comparison with the production version since its
    shadow started, up to the start of this hour; version id -> comparison id (None when
    there is nothing to compare yet)."""
    end = hour_window(hours=1, now=now or timezone.now()).end
    refreshed: dict[int, int | None] = {}
    for version in shadow_versions():
        champion = production_version(model_name=version.registered_model.name)
        start = cast(datetime, version.shadow_since)
        if champion is None or start >= end:
            refreshed[version.pk] = None
            continue
        subject = ComparisonSubject(champion=champion, challenger=version, period=Window(start, end))
        comparison: Comparison = comparison_create(subject=subject, trigger=Trigger.SCHEDULE)
        refreshed[version.pk] = comparison.pk
    return refreshed
