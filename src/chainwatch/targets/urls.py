from django.urls import path

from chainwatch.targets import views

app_name = "targets"
urlpatterns = [
    path("forms/", views.form_list, name="forms"),
    path("forms/<str:code>/template/", views.template_download, name="template"),
    path("forms/<str:code>/upload/", views.upload, name="upload"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/submit/", views.submission_submit, name="submit"),
    path("submissions/<int:pk>/approve/", views.submission_approve, name="approve"),
    path("submissions/<int:pk>/return/", views.submission_return, name="return"),
    path("approvals/", views.approval_queue, name="approvals"),
]
