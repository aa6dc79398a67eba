from django.urls import path

from kmop.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    path("demo/personen/", views.demo_persons, name="demo-persons"),
    path("demo/componenten/", views.components, name="components"),
]
