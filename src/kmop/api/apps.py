from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kmop.api"
    label = "api"
    verbose_name = "API"
