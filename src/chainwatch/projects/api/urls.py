from django.urls import path

from chainwatch.projects.api.views import (
    DispatchIssueViewSet,
    LeadViewSet,
    ProjectionView,
    ProjectUpdateViewSet,
    ProjectViewSet,
    RuleEvaluateView,
)

registrations = [
    ("projects", ProjectViewSet, "project"),
    ("project-updates", ProjectUpdateViewSet, "project-update"),
    ("dispatch-issues", DispatchIssueViewSet, "dispatch-issue"),
    ("leads", LeadViewSet, "lead"),
]
urlpatterns = [
    path("rules/evaluate/", RuleEvaluateView.as_view(), name="api-rules-evaluate"),
    path("projections/<str:key>/", ProjectionView.as_view(), name="api-projection"),
]
