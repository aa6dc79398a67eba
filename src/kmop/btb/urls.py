from django.urls import URLPattern, URLResolver, path

from kmop.btb import views

app_name = "btb"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("<str:code>/aanstellen/<slug:level_slug>/", views.appoint, name="appoint"),
    path("<str:code>/aanstellingen/<int:pk>/beeindigen/", views.end, name="end"),
]
