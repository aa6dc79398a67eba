from django.urls import path

from kmop.api import views

app_name = "api-v1"
urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
]
