from django.urls import URLPattern, URLResolver

app_name = "oidc"
urlpatterns: list[URLPattern | URLResolver] = []
