from django.urls import path

from kmop.acm import views

app_name = "acm"
urlpatterns = [
    path("aanmelden/", views.login_page, name="login"),
    path("aanmelden/simulator/<slug:method>/", views.simulator, name="simulator"),
    path("aanmelden-als/", views.act_as_view, name="act-as"),
    path("afmelden/", views.logout_view, name="logout"),
]
