from django.urls import path

from kmop.backoffice import (
    views,
    views_dashboards,
    views_enterprises,
    views_outbox,
    views_providers,
    views_queues,
    views_registrations,
    views_reports,
    views_schemes,
)

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("betalingen/camt/", views.camt_upload, name="camt-upload"),
    path("uitbetalingen/", views.payouts, name="payouts"),
    path("uitbetalingen/bestanden/<int:pk>/", views.payout_batch, name="payout-batch"),
    path("stopzettingen/", views.stop_requests, name="stop-requests"),
    path("stopzettingen/<str:number>/", views.stop_decide, name="stop-decide"),
    path("stopzettingen/<str:number>/bewijsstuk/", views.stop_proof, name="stop-proof"),
    path("boekingen/", views.ledger, name="ledger"),
    path("registraties/", views_registrations.registrations, name="registrations"),
    path(
        "registraties/<str:number>/",
        views_registrations.registration_decide_view,
        name="registration-decide",
    ),
    path("ondernemingen/", views_enterprises.enterprises, name="enterprises"),
    path("ondernemingen/<str:code>/", views_enterprises.enterprise_detail, name="enterprise"),
    path(
        "ondernemingen/<str:code>/profiel/", views_enterprises.enterprise_profile, name="enterprise-profile"
    ),
    path(
        "ondernemingen/<str:code>/projecten/<str:number>/annuleren/",
        views_enterprises.enterprise_project_cancel_view,
        name="enterprise-project-cancel",
    ),
    path("dienstverleners/", views_providers.providers, name="providers"),
    path("dienstverleners/<int:pk>/", views_providers.provider_detail, name="provider"),
    path("meldingen/", views_reports.reports, name="reports"),
    path("meldingen/<int:pk>/", views_reports.report, name="report"),
    path("stortingen/", views_queues.deposits, name="deposits"),
    path("stortingen/<int:pk>/", views_queues.deposit, name="deposit"),
    path("toewijzen/", views_queues.assign, name="assign"),
    path("berichten/", views_outbox.outbox, name="outbox"),
    path("steunmaatregelen/", views_schemes.schemes, name="schemes"),
    path("steunmaatregelen/<slug:code>/", views_schemes.scheme, name="scheme"),
    path("steunmaatregelen/<slug:code>/periodes/nieuw/", views_schemes.period_add, name="scheme-period-add"),
    path("steunmaatregelen/<slug:code>/<slug:kind>/nieuw/", views_schemes.row_add, name="scheme-row-add"),
    path(
        "steunmaatregelen/<slug:code>/<slug:kind>/<int:pk>/einde/",
        views_schemes.row_end,
        name="scheme-row-end",
    ),
    path(
        "steunmaatregelen/<slug:code>/<slug:kind>/<int:pk>/verwijderen/",
        views_schemes.row_remove,
        name="scheme-row-remove",
    ),
    path("dashboards/", views_dashboards.dashboards_view, name="dashboards"),
    path("dashboards/<slug:key>/csv/", views_dashboards.dashboard_csv, name="dashboard-csv"),
]
