"""Shadow scoring: every version in shadow (`start_shadow`) answers each decision of its
model, after the fact, from the stored inputs; and its comparison is refreshed daily.

The scoring path is untouched: nothing happens while an application is decided. The hourly
job reads the previous hour's decisions (id, deciding version, encoded vector; never model
instances), checks them against each shadow version's schema (`challenger_inputs`), scores
them in batch, explains declines with reason codes as the API does, and stores one
`ChallengerScore` per decision and shadow version. Running it twice stores nothing twice.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple, cast

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from governance.ml.scorer import ModelScorer
from governance.models import ModelVersion, VersionState
from governance.selectors import model_version_scorer, production_version
from predictions.bulk_insert import COPY_CHUNK_BYTES, _Chunks, _json, _text
from predictions.models import Decision, DecisionLog
from predictions.reason_codes import top_reasons_batch
from predictions.risk_bands import risk_bands

from .challenger_inputs import ChallengerInputs
from .comparisons import ComparisonSubject, comparison_create
from .models import ChallengerScore, Comparison, Trigger
from .selectors import decision_id_vectors
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
    )
    scorer = model_version_scorer(version=challenger)
    scores: list[_Score] = []
    # One stream per deciding version: its vectors have its schema's width and encoding.
    champions = ModelVersion.objects.filter(pk__in=decisions.values("model_version_id")).only("feature_schema")
    for champion in champions:
        inputs = ChallengerInputs(champion.feature_schema, challenger.feature_schema)

        def score(ids: list[str], features: np.ndarray, inputs: ChallengerInputs = inputs) -> None:
            scores.extend(_score(challenger, scorer, inputs, ids, features))

        decision_id_vectors(
            decisions=decisions.filter(model_version=champion),
            n_fields=len(champion.feature_schema["fields"]),
            consume=score,
            label=str(champion),
        )
    # The stream holds the connection until it ends: the scores are written after it.
    _scores_insert(challenger, scores)
    return len(scores)


class _Score(NamedTuple):
    """One `ChallengerScore` before it is written (no model instance per decision)."""

    decision_log_id: str  # 32 hex digits
    probability: float | None
    decision: str
    risk_band: str
    reason_codes: list[dict[str, Any]]
    errors: dict[str, str]


def _score(
    challenger: ModelVersion, scorer: ModelScorer, inputs: ChallengerInputs, ids: list[str], features: np.ndarray
) -> list[_Score]:
    converted = inputs.convert(features)
    valid = np.flatnonzero(converted.valid)
    matrix = scorer.encoder.model_matrix(converted.encoded[valid])
    probabilities = scorer.probabilities(matrix) if len(valid) else np.zeros(0)
    declined = probabilities >= challenger.threshold
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(len(valid))]
    if declined.any():
        rows = np.flatnonzero(declined)
        explained = top_reasons_batch(
            model_features=scorer.model_features,
            contributions=scorer.contributions(matrix[rows]),
            model_inputs=matrix[rows],
        )
        for k, items in zip(rows.tolist(), explained, strict=True):
            reasons[k] = items
    bands = risk_bands(probabilities)
    verdicts = np.where(declined, Decision.DECLINE.value, Decision.APPROVE.value).tolist()
    scores = [
        _Score(ids[row], probability, verdict, band, items, {})
        for row, probability, verdict, band, items in zip(
            valid.tolist(), probabilities.tolist(), verdicts, bands, reasons, strict=True
        )
    ]
    scores += [
        _Score(ids[row], None, "", "", [], converted.row_errors(row))
        for row in np.flatnonzero(~converted.valid).tolist()
    ]
    return scores


_TABLE = ChallengerScore._meta.db_table
_COLUMNS = "decision_log_id, challenger_id, probability, decision, risk_band, reason_codes, errors, created_at"
_STAGE = "challenger_score_stage"


def _scores_insert(challenger: ModelVersion, scores: list[_Score]) -> None:
    """Write the scores; a decision a concurrent run of the hour answered first keeps that
    answer (the unique constraint on decision and challenger: no score twice, none changed).

    PostgreSQL: COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING
    (COPY itself cannot skip conflicts). Elsewhere: `bulk_create`, ignoring conflicts."""
    if not scores:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":
        ChallengerScore.objects.bulk_create(
            [ChallengerScore(challenger=challenger, created_at=now, **score._asdict()) for score in scores],
            batch_size=INSERT_ROWS,
            ignore_conflicts=True,
        )
        return
    fixed = f"\t{challenger.pk}\t"
    stamp = f"\t{now.isoformat()}\n"

    def lines() -> Iterator[str]:
        for score in scores:
            probability = "\\N" if score.probability is None else repr(score.probability)
            yield (
                score.decision_log_id
                + fixed
                + "\t".join(
                    (
                        probability,
                        score.decision,
                        score.risk_band,
                        _text(_json(score.reason_codes)),
                        _text(_json(score.errors)),
                    )
                )
                + stamp
            )

    with transaction.atomic(), connection.cursor() as cursor:
        # Table and column names are this module's constants (bandit B608; bare nosec, see
        # predictions.bulk_insert).
        cursor.execute(f"CREATE TEMPORARY TABLE {_STAGE} AS SELECT {_COLUMNS} FROM {_TABLE} WITH NO DATA")  # nosec
        cursor.copy_expert(f"COPY {_STAGE} ({_COLUMNS}) FROM STDIN", _Chunks(lines()), COPY_CHUNK_BYTES)
        cursor.execute(
            f"INSERT INTO {_TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE} ON CONFLICT DO NOTHING"  # nosec
        )
        cursor.execute(f"DROP TABLE {_STAGE}")


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
