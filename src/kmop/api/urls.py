from django.urls import include, path, re_path

from kmop.api import views

urlpatterns = [
    path("v1/", include("kmop.api.v1")),
    path("schema/", views.SchemaView.as_view(), name="api-schema"),
    # Last: every other URL ending in a slash is a 404 problem (CommonMiddleware adds the slash first).
    re_path(r"^(?:.*/)?$", views.ApiNotFoundView.as_view()),
]
