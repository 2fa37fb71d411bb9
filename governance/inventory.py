"""The model risk inventory: every registered model with its tier, owner, production
version, review clock and latest monitoring figures.

One query per call: the production version, its last validation, the latest figures and
the active incidents per severity are subqueries the database computes, so the inventory
costs the same with ten models or a thousand. Only the due date is computed here, in
calendar months (`review_dates`), which SQL does differently on every database.

Imports monitoring's models, so it is imported by views, the admin and reports only (not
by `governance.models` or `governance.selectors`, which monitoring imports).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import (
    Count,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from monitoring import rules
from monitoring.models import ACTIVE_STATUSES, DriftResult, FairnessResult, Incident, PerformanceCohort, RunStatus

from .models import Action, ModelVersion, PeriodicReview, RegisteredModel, ReviewPolicy, Transition, VersionState
from .review_dates import add_months, days_overdue

SEVERITIES = rules.SEVERITIES


@dataclass(frozen=True)
class InventoryEntry:
    """One row of the inventory (the API's and the CSV export's columns)."""

    name: str
    purpose: str
    owner: str
    risk_tier: str
    business_line: str
    regulatory_scope: list[str]
    production_version: int | None
    production_version_id: int | None
    last_validated_at: datetime | None
    review_cycle_months: int | None
    next_review_due: date | None
    days_overdue: int | None
    active_incidents: dict[str, int]
    latest_score_psi: float | None
    latest_lowest_adverse_impact_ratio: float | None
    latest_realized_auc: float | None


def _latest(queryset: QuerySet, field: str, output: FloatField | DateTimeField | IntegerField) -> Subquery:
    return Subquery(queryset.values(field)[:1], output_field=output)


def _inventory_queryset() -> QuerySet[RegisteredModel]:
    production = ModelVersion.objects.filter(registered_model=OuterRef("pk"), state=VersionState.PRODUCTION)
    version = OuterRef("production_id")
    # A version reaches production only through an accepted validation after its last
    # submission, so its latest accepted validation is the one it stands on.
    validation = Transition.objects.filter(version=version, action=Action.VALIDATE, accepted=True).order_by(
        "-created_at"
    )
    review = PeriodicReview.objects.filter(version=version).order_by("-created_at")
    finished = (RunStatus.COMPLETED,)
    score_psi = DriftResult.objects.filter(
        run__model_version=version, run__status__in=finished, subject=rules.SCORE_SUBJECT
    ).order_by("-run__window_end", "-run_id")
    fairness = (
        FairnessResult.objects.filter(run__model_version=version, run__status__in=finished)
        .exclude(min_adverse_impact_ratio=None)
        .order_by("-run__window_end", "-run_id", "min_adverse_impact_ratio")
    )
    auc = (
        PerformanceCohort.objects.filter(run__model_version=version, run__status__in=finished)
        .exclude(roc_auc=None)
        .order_by("-run__window_end", "-run_id", "-cohort_start")
    )
    cycle = ReviewPolicy.objects.filter(risk_tier=OuterRef("risk_tier"))
    active = {
        f"active_{severity}": Subquery(
            Incident.objects.filter(
                model_version__registered_model=OuterRef("pk"), status__in=ACTIVE_STATUSES, severity=severity
            )
            .values("model_version__registered_model")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        )
        for severity in SEVERITIES
    }
    date_time = DateTimeField()
    return (
        RegisteredModel.objects.order_by("name")
        .annotate(
            production_id=_latest(production, "pk", IntegerField()),
            production_number=_latest(production, "version", IntegerField()),
            validated_at=_latest(validation, "created_at", date_time),
            reviewed_at=_latest(review, "created_at", date_time),
            cycle_months=_latest(cycle, "months", IntegerField()),
            score_psi=_latest(score_psi, "psi", FloatField()),
            lowest_air=_latest(fairness, "min_adverse_impact_ratio", FloatField()),
            realized_auc=_latest(auc, "roc_auc", FloatField()),
            **active,
        )
        # Greatest() is NULL on SQLite when either side is: coalesce each with the other.
        .annotate(
            last_validated=Greatest(
                Coalesce(F("validated_at"), F("reviewed_at")),
                Coalesce(F("reviewed_at"), F("validated_at")),
                output_field=date_time,
            )
        )
    )


def _entry(model: RegisteredModel, today: date) -> InventoryEntry:
    last: datetime | None = model.last_validated  # type: ignore[attr-defined]
    months: int | None = model.cycle_months  # type: ignore[attr-defined]
    due = add_months(timezone.localdate(last), months) if last is not None and months else None
    return InventoryEntry(
        name=model.name,
        purpose=model.purpose,
        owner=model.owner,
        risk_tier=model.risk_tier,
        business_line=model.business_line,
        regulatory_scope=list(model.regulatory_scope),
        production_version=model.production_number,  # type: ignore[attr-defined]
        production_version_id=model.production_id,  # type: ignore[attr-defined]
        last_validated_at=last,
        review_cycle_months=months,
        next_review_due=due,
        days_overdue=days_overdue(due=due, today=today) if due is not None else None,
        active_incidents={severity: getattr(model, f"active_{severity}") or 0 for severity in SEVERITIES},
        latest_score_psi=model.score_psi,  # type: ignore[attr-defined]
        latest_lowest_adverse_impact_ratio=model.lowest_air,  # type: ignore[attr-defined]
        latest_realized_auc=model.realized_auc,  # type: ignore[attr-defined]
    )


def inventory_entries(*, today: date | None = None, names: list[str] | None = None) -> list[InventoryEntry]:
    """The inventory, by model name; `today` (default: today, in the portal's time zone)
    is what days overdue count to."""
    today = today or timezone.localdate()
    queryset = _inventory_queryset()
    if names is not None:
        queryset = queryset.filter(name__in=names)
    return [_entry(model, today) for model in queryset]


def inventory_entry(*, registered_model: RegisteredModel, today: date | None = None) -> InventoryEntry:
    return inventory_entries(today=today, names=[registered_model.name])[0]


INVENTORY_CSV_HEADER = (
    "model", "risk_tier", "owner", "business_line", "regulatory_scope", "production_version",
    "validated_at_utc", "next_review_due", "days_overdue",
    *(f"active_incidents_{severity}" for severity in SEVERITIES),
    "latest_score_psi", "latest_lowest_adverse_impact_ratio", "latest_realized_auc",
)  # fmt: skip


def inventory_csv_rows(*, entries: list[InventoryEntry]) -> list[list[object]]:
    def blank(value: object) -> object:
        return "" if value is None else value

    return [
        [
            e.name,
            e.risk_tier,
            e.owner,
            e.business_line,
            "; ".join(e.regulatory_scope),
            blank(e.production_version),
            e.last_validated_at.astimezone(UTC).isoformat() if e.last_validated_at else "",
            e.next_review_due.isoformat() if e.next_review_due else "",
            blank(e.days_overdue),
            *(e.active_incidents[severity] for severity in SEVERITIES),
            blank(e.latest_score_psi),
            blank(e.latest_lowest_adverse_impact_ratio),
            blank(e.latest_realized_auc),
        ]
        for e in entries
    ]
