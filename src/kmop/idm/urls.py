from django.urls import URLPattern, URLResolver

app_name = "idm"
urlpatterns: list[URLPattern | URLResolver] = []
