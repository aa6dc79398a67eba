from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EloketConfig(AppConfig):
    name = "kmop.eloket"
    label = "eloket"
    verbose_name = _("E-loket")
