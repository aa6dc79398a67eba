from django.urls import URLPattern, URLResolver

app_name = "btb"
urlpatterns: list[URLPattern | URLResolver] = []
