from django.urls import path

from kmop.eloket import views

app_name = "eloket"

urlpatterns = [
    path("", views.enterprise_profile, name="enterprise-profile"),
]
