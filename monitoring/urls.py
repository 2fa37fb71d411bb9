from django.urls import URLPattern, URLResolver, path

from .models import JobKind
from .views import (
    ComparisonListView,
    ComparisonRunView,
    DriftRunView,
    IncidentActionView,
    IncidentDetailView,
    IncidentListView,
    RunResultsView,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("monitoring/drift/", RunResultsView.as_view(kind=JobKind.DRIFT), name="monitoring-drift"),
    path("monitoring/drift/run/", DriftRunView.as_view(), name="monitoring-drift-run"),
    path("monitoring/fairness/", RunResultsView.as_view(kind=JobKind.FAIRNESS), name="monitoring-fairness"),
    path("monitoring/performance/", RunResultsView.as_view(kind=JobKind.PERFORMANCE), name="monitoring-performance"),
    path(
        "monitoring/estimated-performance/",
        RunResultsView.as_view(kind=JobKind.ESTIMATED_PERFORMANCE),
        name="monitoring-estimated-performance",
    ),
    path("monitoring/data-quality/", RunResultsView.as_view(kind=JobKind.DATA_QUALITY), name="monitoring-data-quality"),
    path("monitoring/comparisons/", ComparisonListView.as_view(), name="monitoring-comparisons"),
    path("monitoring/comparisons/run/", ComparisonRunView.as_view(), name="monitoring-comparisons-run"),
    path("incidents/", IncidentListView.as_view(), name="incident-list"),
    path("incidents/<int:pk>/", IncidentDetailView.as_view(), name="incident-detail"),
    path(
        "incidents/<int:pk>/acknowledge/",
        IncidentActionView.as_view(incident_action="acknowledge"),
        name="incident-acknowledge",
    ),
    path("incidents/<int:pk>/resolve/", IncidentActionView.as_view(incident_action="resolve"), name="incident-resolve"),
]
