from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.urls")),
    path("api/v1/", include("predictions.urls")),
    path("api/v1/", include("monitoring.urls")),
]
