from django.urls import path

from kmop.api import enterprise_views, provider_views, views

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
    # The token's enterprise (an API token of the enterprise in Authorization: Bearer).
    path("enterprise/", enterprise_views.EnterpriseView.as_view(), name="enterprise"),
    path("projects/", enterprise_views.ProjectListView.as_view(), name="project-list"),
    path("projects/preview/", enterprise_views.ProjectPreviewView.as_view(), name="project-preview"),
    path("projects/<str:number>/", enterprise_views.ProjectDetailView.as_view(), name="project-detail"),
    path(
        "projects/<str:number>/payment-orders/",
        enterprise_views.PaymentOrderView.as_view(),
        name="project-payment-orders",
    ),
    path("projects/<str:number>/stop/", enterprise_views.ProjectStopView.as_view(), name="project-stop"),
    path(
        "projects/<str:number>/cancel/", enterprise_views.ProjectCancelView.as_view(), name="project-cancel"
    ),
    # The token's provider (an API token of the provider in Authorization: Bearer).
    path(
        "provider/registrations/",
        provider_views.RegistrationListView.as_view(),
        name="provider-registration-list",
    ),
    path(
        "provider/registrations/<str:number>/",
        provider_views.RegistrationDetailView.as_view(),
        name="provider-registration-detail",
    ),
    path("provider/projects/", provider_views.ProjectListView.as_view(), name="provider-project-list"),
    path(
        "provider/projects/<str:number>/",
        provider_views.ProjectDetailView.as_view(),
        name="provider-project-detail",
    ),
    path(
        "provider/projects/<str:number>/cancel/",
        provider_views.ProjectCancelView.as_view(),
        name="provider-project-cancel",
    ),
    path(
        "provider/projects/<str:number>/stop/",
        provider_views.ProjectStopView.as_view(),
        name="provider-project-stop",
    ),
    path(
        "provider/projects/<str:number>/report/",
        provider_views.ProjectReportView.as_view(),
        name="provider-project-report",
    ),
]
