from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from kmop.web import views as web_views

urlpatterns = [
    path("", include("kmop.web.urls")),
    path("", include("kmop.acm.urls")),
    path("gebruikersbeheer/", include("kmop.idm.urls")),
    path("btb/", include("kmop.btb.urls")),
    path("e-loket/api-sleutels/", include("kmop.api.token_urls")),
    path("e-loket/", include("kmop.eloket.urls")),
    path("backoffice/", include("kmop.backoffice.urls")),
    path("dienstverlener/", include("kmop.portal.urls")),
    path("zoek-een-dienstverlener/", include("kmop.portal.urls_search")),
    path("", include("kmop.oidc.urls")),
    path("", include("kmop.notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("kmop.api.urls")),
    path("beheer/admin/", admin.site.urls),
]

admin.site.site_header = _("kmo-portefeuille: beheer")
admin.site.site_title = _("kmo-portefeuille: beheer")
admin.site.index_title = _("Beheer van de registers")

handler403 = web_views.permission_denied
handler404 = web_views.page_not_found
handler500 = web_views.server_error
