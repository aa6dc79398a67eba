from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcmConfig(AppConfig):
    name = "kmop.acm"
    label = "acm"
    verbose_name = _("Toegangsbeheer (aanmelden)")

    def ready(self) -> None:
        from kmop.acm import signals  # noqa: F401
