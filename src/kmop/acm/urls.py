from django.urls import path

from kmop.acm import views

app_name = "acm"
urlpatterns = [
    path("aanmelden/", views.login_page, name="login"),
    path("aanmelden/simulator/<slug:method>/", views.simulator, name="simulator"),
    path("aanmelden/eid/", views.eid_login, name="eid-login"),
    path("aanmelden/beveiligingscode-app/", views.totp_login, name="totp-login"),
    path("aanmelden/beveiligingscode-app/activeren/", views.totp_enrol, name="totp-enrol"),
    path("aanmelden/beveiligingscode-app/verwijderen/", views.totp_remove, name="totp-remove"),
    path("aanmelden/beveiligingscode-sms/", views.sms_login, name="sms-login"),
    path("aanmelden/beveiligingscode-sms/code/", views.sms_code, name="sms-code"),
    path("aanmelden/beveiligingscode-sms/activeren/", views.sms_enrol, name="sms-enrol"),
    path("aanmelden/beveiligingscode-sms/verwijderen/", views.sms_remove, name="sms-remove"),
    path("aanmelden/gebruikersnaam-wachtwoord/", views.password_set, name="password-set"),
    path("aanmelden-als/", views.act_as_view, name="act-as"),
    path("afmelden/", views.logout_view, name="logout"),
]
