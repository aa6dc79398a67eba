from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BtbConfig(AppConfig):
    name = "kmop.btb"
    label = "btb"
    verbose_name = _("Beheer toegangsbeheerders (BTB)")
