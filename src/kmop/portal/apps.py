from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kmop.portal"
    label = "portal"
    verbose_name = "Dienstverleners"
