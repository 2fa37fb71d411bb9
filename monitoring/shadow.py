"""Shadow scoring: every version in shadow (`start_shadow`) answers each decision of its
model, after the fact, from the stored inputs; and its comparison is refreshed daily.

The scoring path is untouched: nothing happens while an application is decided. The hourly
job streams the previous hour's unanswered decisions (id and encoded vector, one binary
COPY per deciding version on PostgreSQL; never model instances), checks them against each
shadow version's schema (`challenger_inputs`), scores them in batch, explains declines with
reason codes as the API does (`top_reasons_batch`, item for item `top_reasons`), and stores
one `ChallengerScore` per decision and shadow version with one COPY (`bulk_create` on
SQLite). Running it twice, even at once, stores nothing twice: a challenger's runs take
turns (`_lock`) and each skips what an earlier one answered.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

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
    scores: list[_Scores] = []
    with transaction.atomic():
        _lock(challenger)
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
    return sum(len(part.ids) for part in scores)


# pg_advisory_xact_lock(class, challenger id): "shdw", apart from every other lock of the portal.
_LOCK_CLASS = int.from_bytes(b"shdw", "big")


def _lock(challenger: ModelVersion) -> None:
    """Score a challenger's decisions one run at a time (until the transaction ends): a
    second run of the hour waits, then reads the decisions the first answered as answered.
    So the scores can be copied in without a conflict check per row; the unique constraint
    stays the backstop. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, challenger.pk])


@dataclass(frozen=True)
class _Scores:
    """`ChallengerScore` columns of a chunk's decisions, before they are written (no model
    instance, no tuple per decision). Refused decisions have no probability, an empty
    decision and band, and their errors."""

    ids: list[str]  # decision log ids, 32 hex digits
    probabilities: list[float | None]
    decisions: list[str]
    risk_bands: list[str]
    reason_codes: list[list[dict[str, Any]]]
    errors: list[dict[str, str]]

    def rows(self) -> Iterator[tuple[str, float | None, str, str, list[dict[str, Any]], dict[str, str]]]:
        return zip(
            self.ids, self.probabilities, self.decisions, self.risk_bands, self.reason_codes, self.errors, strict=True
        )


def _score(
    challenger: ModelVersion, scorer: ModelScorer, inputs: ChallengerInputs, ids: list[str], features: np.ndarray
) -> list[_Scores]:
    converted = inputs.convert(features)
    valid = np.flatnonzero(converted.valid)
    matrix = scorer.encoder.model_matrix(converted.encoded[valid])
    probabilities = scorer.probabilities(matrix) if len(valid) else np.zeros(0)
    declined = probabilities >= challenger.threshold
    reasons: list[list[dict[str, Any]]] = [[]] * len(valid)  # approvals share one empty list; never mutated
    if declined.any():
        rows = np.flatnonzero(declined)
        explained = top_reasons_batch(
            model_features=scorer.model_features,
            contributions=scorer.contributions(matrix[rows]),
            model_inputs=matrix[rows],
        )
        for k, items in zip(rows.tolist(), explained, strict=True):
            reasons[k] = items
    scored = _Scores(
        ids=[ids[row] for row in valid.tolist()],
        probabilities=cast(list[float | None], probabilities.tolist()),
        decisions=np.where(declined, Decision.DECLINE.value, Decision.APPROVE.value).tolist(),
        risk_bands=risk_bands(probabilities),
        reason_codes=reasons,
        errors=[{}] * len(valid),
    )
    refused = np.flatnonzero(~converted.valid).tolist()
    if not refused:
        return [scored]
    n = len(refused)
    return [
        scored,
        _Scores(
            ids=[ids[row] for row in refused],
            probabilities=[None] * n,
            decisions=[""] * n,
            risk_bands=[""] * n,
            reason_codes=[[]] * n,
            errors=[converted.row_errors(row) for row in refused],
        ),
    ]


_TABLE = ChallengerScore._meta.db_table
_COLUMNS = "decision_log_id, challenger_id, probability, decision, risk_band, reason_codes, errors, created_at"


def _scores_insert(challenger: ModelVersion, scores: list[_Scores]) -> None:
    """Write the scores in the caller's transaction: one COPY on PostgreSQL, `bulk_create`
    elsewhere (where a conflict, which `_lock` rules out on PostgreSQL, is skipped)."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        ChallengerScore.objects.bulk_create(
            [
                ChallengerScore(
                    decision_log_id=uuid.UUID(hex=i),
                    challenger=challenger,
                    probability=p,
                    decision=d,
                    risk_band=b,
                    reason_codes=r,
                    errors=e,
                    created_at=now,
                )
                for part in scores
                for i, p, d, b, r, e in part.rows()
            ],
            batch_size=INSERT_ROWS,
            ignore_conflicts=True,
        )
        return
    fixed = f"\t{challenger.pk}\t"
    stamp = f"\t{now.isoformat()}\n"

    def lines() -> Iterator[str]:
        for part in scores:
            for i, p, d, b, r, e in part.rows():
                probability = "\\N" if p is None else repr(p)
                codes = _text(_json(r)) if r else "[]"
                errors = _text(_json(e)) if e else "{}"
                yield f"{i}{fixed}{probability}\t{d}\t{b}\t{codes}\t{errors}{stamp}"

    if any(part.ids for part in scores):
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {_TABLE} ({_COLUMNS}) FROM STDIN", _Chunks(lines()), COPY_CHUNK_BYTES)


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
