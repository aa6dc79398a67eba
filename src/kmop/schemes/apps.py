from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchemesConfig(AppConfig):
    name = "kmop.schemes"
    label = "schemes"
    verbose_name = _("Steunmaatregelen")

    def ready(self) -> None:
        from kmop.schemes import signals  # noqa: F401  (cache invalidation on every change)
