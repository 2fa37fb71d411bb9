"""Helpers shared across the test folders (and with `bench/drift.py`): waivers for a
version's findings, demo applications, and decision-log rows written as the API would
write them."""

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from governance.ml.demo_data import generate
from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES
from governance.ml.scorer import Scorer
from governance.models import ModelVersion
from governance.workflow import CHALLENGER_EVIDENCE
from monitoring.models import Comparison, Trigger
from predictions.models import DecisionLog, decision_inputs_sha256

README = (Path(__file__).parents[1] / "README.md").read_text()


def readme_block(language: str, after: str) -> str:
    """The first fenced block of `language` after the README text `after`."""
    start = README.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(README, start)
    assert match, f"no {language} block after {after!r} in the README"
    return match.group(1)


def waive_all_high(version: ModelVersion) -> dict[str, str]:
    return {
        f["id"]: "Known artifact of the development data; reviewed."
        for f in version.findings
        if f["severity"] == "high"
    }


CHALLENGER_WAIVER = "Promoted in a test about something else; no comparison with the production version needed."


def waive_challenger_evidence(version: ModelVersion) -> dict[str, str]:
    """The waiver of the promotion gate CHALLENGER_EVIDENCE when another version of the model
    is in production (a first promotion needs none, and a waiver of nothing is refused), for
    tests that promote a second version and are not about the gate."""
    in_production = ModelVersion.objects.filter(registered_model_id=version.registered_model_id, state="production")
    return {CHALLENGER_EVIDENCE: CHALLENGER_WAIVER} if in_production.exclude(pk=version.pk).exists() else {}


def comparison_record(champion: ModelVersion, challenger: ModelVersion, **columns: Any) -> Comparison:
    """A stored comparison of `challenger` against `champion` with the numbers the promotion
    gate reads (`n_outcomes`, `auc_difference_ci_low`, `min_adverse_impact_ratio_challenger`,
    `created_at`), by default evidence that meets the default policy."""
    values: dict[str, Any] = {
        "n_decisions": 5000,
        "n_outcomes": 2000,
        "auc_difference_ci_low": -0.004,
        "min_adverse_impact_ratio_challenger": 0.92,
        "created_at": timezone.now() - timedelta(days=1),
        **columns,
    }
    end = values["created_at"]
    return Comparison.objects.create(
        champion=champion,
        challenger=challenger,
        period_start=end - timedelta(days=90),
        period_end=end,
        trigger=Trigger.COMMAND,
        result={"n_decisions": values["n_decisions"], "n_outcomes": values["n_outcomes"]},
        **values,
    )


def applications(rows: int, seed: int) -> pd.DataFrame:
    """Synthetic applications as the API receives them (public field names, no outcome)."""
    return generate(rows, seed=seed).rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)]


def decision_log_rows(
    version: ModelVersion,
    frame: pd.DataFrame,
    *,
    scorer: Scorer,
    client: Any,
    at: datetime | Sequence[datetime],
    probabilities: Sequence[float] | None = None,
    decisions: Sequence[str] | None = None,
) -> list[DecisionLog]:
    """Unsaved decision-log rows for the applications in `frame`, made by `client` at `at`
    (one time, or one per row): inputs and encoded features as the API stores them,
    probabilities from the model unless given, decisions by the version's threshold
    unless given."""
    encoded = scorer.encoder.encode_frame(frame)
    if probabilities is None:
        probabilities = scorer.probabilities(scorer.encoder.model_matrix(encoded))
    if decisions is None:
        decisions = np.where(np.asarray(probabilities) >= version.threshold, "decline", "approve")
    times = [at] * len(frame) if isinstance(at, datetime) else list(at)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [
        DecisionLog(
            request_id=uuid.uuid4().hex,
            client=client,
            model_version=version,
            inputs=records[i],
            features=encoded[i].astype("<f8").tobytes(),
            probability=float(probabilities[i]),
            decision=str(decisions[i]),
            risk_band="C",
            latency_ms=4.0,
            created_at=times[i],
            inputs_sha256=decision_inputs_sha256(records[i], encoded[i].astype("<f8").tobytes()),
        )
        for i in range(len(frame))
    ]
