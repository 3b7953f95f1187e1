from django.urls import path

from chainwatch.targets.api.views import (
    IndicatorViewSet,
    ObservationViewSet,
    ProgressView,
    TargetViewSet,
)

registrations = [
    ("indicators", IndicatorViewSet, "indicator"),
    ("targets", TargetViewSet, "target"),
    ("observations", ObservationViewSet, "observation"),
]
urlpatterns = [path("progress/", ProgressView.as_view(), name="api-progress")]
