from django.urls import path

from kmop.api import views

app_name = "api-v1"
urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise-list"),
    path(
        "enterprises/<str:enterprise_number>/", views.EnterpriseDetailView.as_view(), name="enterprise-detail"
    ),
    path(
        "enterprises/<str:enterprise_number>/establishments/",
        views.EnterpriseEstablishmentListView.as_view(),
        name="enterprise-establishments",
    ),
]
