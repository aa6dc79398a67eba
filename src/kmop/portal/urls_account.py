"""Sign-up, forgotten password and "Login en paswoord wijzigen" (included by ``kmop.portal.urls``)."""

from django.urls import path

from kmop.portal import views_account

urlpatterns = [
    path("aanmelden/", views_account.sign_up, name="sign-up"),
    path("aanmelden/bevestigen/", views_account.sign_up_confirm, name="sign-up-confirm"),
    path("aanmelden/klaar/", views_account.sign_up_done, name="sign-up-done"),
    path("paswoord-vergeten/", views_account.password_forgotten, name="password-forgotten"),
    path("paswoord-vergeten/<str:token>/", views_account.password_reset, name="password-reset"),
    path("login-wijzigen/", views_account.credentials, name="credentials"),
]
