from django.urls import path

from kmop.oidc import views

app_name = "oidc"
urlpatterns = [
    path("op/.well-known/openid-configuration", views.discovery, name="discovery"),
    path("op/jwks/", views.jwks, name="jwks"),
    path("op/authorize/", views.authorize, name="authorize"),
    path("op/aanmelden/", views.op_login, name="op-login"),
    path("op/token/", views.token, name="token"),
    path("op/userinfo/", views.userinfo, name="userinfo"),
    path("aanmelden/acm/", views.acm_start, name="acm-start"),
    path("aanmelden/acm/terug/", views.acm_callback, name="acm-callback"),
    path("aanmelden/itsme/", views.itsme_start, name="itsme-start"),
    path("aanmelden/itsme/terug/", views.itsme_callback, name="itsme-callback"),
]
