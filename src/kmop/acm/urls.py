from django.urls import path

from kmop.acm import views

app_name = "acm"
urlpatterns = [
    path("aanmelden/", views.login_page, name="login"),
    path("aanmelden/simulator/<slug:method>/", views.simulator, name="simulator"),
    path("aanmelden/beveiligingscode-app/", views.totp_login, name="totp-login"),
    path("aanmelden/beveiligingscode-app/activeren/", views.totp_enrol, name="totp-enrol"),
    path("aanmelden/beveiligingscode-app/verwijderen/", views.totp_remove, name="totp-remove"),
    path("aanmelden-als/", views.act_as_view, name="act-as"),
    path("afmelden/", views.logout_view, name="logout"),
]
