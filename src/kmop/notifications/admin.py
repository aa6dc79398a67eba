from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kmop.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "shown_subject", "template", "state", "attempts")
    list_filter = ("channel", "state", "template")
    search_fields = ("recipient", "subject")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields] + ["rendered"]

    @admin.display(description=_("onderwerp"))
    def shown_subject(self, obj: OutboxMessage) -> str:
        return obj.subject or (obj.for_display().subject if obj.template else "")

    @admin.display(description=_("zoals verzonden"))
    def rendered(self, obj: OutboxMessage) -> str:
        shown = obj.for_display()
        return format_html("<strong>{}</strong><pre>{}</pre>", shown.subject, shown.body_text)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
