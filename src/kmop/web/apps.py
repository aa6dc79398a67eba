from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kmop.web"
    label = "web"
    verbose_name = "Web"
