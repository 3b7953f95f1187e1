from django.urls import path

from chainwatch.policy.api.views import (
    ClauseViewSet,
    ExtractView,
    PolicyDocumentViewSet,
    TaskViewSet,
)

registrations = [
    ("policy/documents", PolicyDocumentViewSet, "policy-document"),
    ("policy/clauses", ClauseViewSet, "policy-clause"),
    ("policy/tasks", TaskViewSet, "policy-task"),
]
urlpatterns = [path("policy/extract/", ExtractView.as_view(), name="api-policy-extract")]
