"""The portal's registrations pages (included by ``kmop.portal.urls``, namespace ``portal``), under
``/dienstverlener/registraties/`` (seed 004, 2.1)."""

from django.urls import URLPattern, path

from kmop.portal import views_registrations as views

urlpatterns: list[URLPattern] = [
    path("", views.registrations, name="registrations"),
    path("aanvraag/", views.request_start, name="registration-request"),
    path("aanvraag/dienstverlener/", views.request_level, name="registration-request-level"),
    path("aanvraag/dienst/", views.request_service, name="registration-request-service"),
    path("aanvraag/registratiebasis/", views.request_basis, name="registration-request-basis"),
    path("<str:number>/", views.registration, name="registration"),
    path("<str:number>/verklaring-op-eer/", views.declaration, name="registration-declaration"),
    path("<str:number>/verklaring-op-eer/print/", views.declaration_pdf, name="registration-declaration-pdf"),
    path(
        "<str:number>/verlengen/",
        views.registration_action,
        {"action": views.EXTEND},
        name="registration-extend",
    ),
    path(
        "<str:number>/hernieuwen/",
        views.registration_action,
        {"action": views.RENEW},
        name="registration-renew",
    ),
    path("<str:number>/certificaat/", views.certificate, name="registration-certificate"),
]
