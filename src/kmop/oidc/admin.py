from django.contrib import admin

from kmop.oidc.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("client_id", "name", "auth_method", "active", "created_at")
    list_filter = ("auth_method", "active")
    search_fields = ("client_id", "name")
    readonly_fields = ("secret_hash", "created_at")
    fields = ("client_id", "name", "redirect_uris", "auth_method", "jwks", "scope", "active", "secret_hash")
