from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.front_page, name="front-page"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.urls")),
    path("api/v1/", include("predictions.urls")),
    path("api/v1/", include("monitoring.urls")),
    # Operations: unauthenticated, unthrottled; keep /metrics and /ready/ on the internal network.
    path("health/", views.health, name="health"),
    path("ready/", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
# Errors under /api/ are JSON whatever answers them: `loanportal.middleware.ApiJsonErrorsMiddleware`.
