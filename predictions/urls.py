from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("predictions/", views.PredictionCreateView.as_view(), name="prediction-create"),
    path("predictions/batch/", views.PredictionBatchView.as_view(), name="prediction-batch"),
    path("predictions/<uuid:pk>/", views.PredictionDetailView.as_view(), name="prediction-detail"),
    path("predictions/<uuid:pk>/outcome/", views.OutcomeRecordView.as_view(), name="prediction-outcome"),
    path("outcomes/", views.OutcomeBulkView.as_view(), name="outcome-bulk"),
]
