from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kmop.notifications"
    label = "notifications"
    verbose_name = _("Berichten (e-mail en sms)")
