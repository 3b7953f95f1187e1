from django.urls import path

from chainwatch.policy import views

app_name = "policy"
urlpatterns = [
    path("documents/", views.document_list, name="documents"),
    path("documents/<slug:code>/", views.document_detail, name="document"),
    path("documents/<slug:code>/review/", views.document_review, name="review"),
    path("tasks/", views.task_list, name="tasks"),
]
