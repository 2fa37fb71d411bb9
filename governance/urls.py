from django.urls import URLPattern, URLResolver, path

from . import views
from .workflow import WORKFLOW_ACTIONS

urlpatterns: list[URLPattern | URLResolver] = [
    path("models/", views.RegisteredModelList.as_view(), name="model-list"),
    path("models/<slug:name>/", views.RegisteredModelDetail.as_view(), name="model-detail"),
    path("models/<slug:name>/retrain/", views.ModelRetrain.as_view(), name="model-retrain"),
    path("models/<slug:name>/versions/", views.RegisteredModelVersionList.as_view(), name="model-versions"),
    path("models/<slug:name>/reviews/", views.PeriodicReviewCreate.as_view(), name="model-reviews"),
    path("versions/<int:pk>/", views.VersionDetail.as_view(), name="version-detail"),
    path("inventory/", views.InventoryList.as_view(), name="inventory"),
    path("reports/", views.ReportList.as_view(), name="report-list"),
    path("reports/<int:pk>/download/", views.ReportDownload.as_view(), name="report-download"),
    path("audit/public-key/", views.AuditPublicKey.as_view(), name="audit-public-key"),
    path("audit/proof/", views.AuditProof.as_view(), name="audit-proof"),
    *(
        path(f"versions/<int:pk>/{action.value}/", views.VersionTransition.as_view(), {"action": action.value})
        for action in WORKFLOW_ACTIONS
    ),
]
