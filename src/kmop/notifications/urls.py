from django.urls import URLPattern, URLResolver, path

from kmop.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern | URLResolver] = [
    path("demo/berichten/", views.demo_outbox, name="demo-outbox"),
]
