from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdmConfig(AppConfig):
    name = "kmop.idm"
    label = "idm"
    verbose_name = _("Gebruikersbeheer (IDM) en BTB")
