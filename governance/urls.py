from django.urls import URLPattern, URLResolver, path

from . import views
from .workflow import WORKFLOW_ACTIONS

urlpatterns: list[URLPattern | URLResolver] = [
    path("models/", views.RegisteredModelList.as_view(), name="model-list"),
    path("models/<slug:name>/", views.RegisteredModelDetail.as_view(), name="model-detail"),
    path("models/<slug:name>/versions/", views.RegisteredModelVersionList.as_view(), name="model-versions"),
    path("versions/<int:pk>/", views.VersionDetail.as_view(), name="version-detail"),
    path("audit/public-key/", views.AuditPublicKey.as_view(), name="audit-public-key"),
    path("audit/proof/", views.AuditProof.as_view(), name="audit-proof"),
    *(
        path(f"versions/<int:pk>/{action.value}/", views.VersionTransition.as_view(), {"action": action.value})
        for action in WORKFLOW_ACTIONS
    ),
]
