from django.urls import URLPattern, URLResolver, path

from kmop.idm import views

app_name = "idm"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("personen/toevoegen/", views.person_add, name="person-add"),
    path("personen/<int:pk>/", views.person_page, {"tab": "werkrelatie"}, name="person"),
    path("personen/<int:pk>/details/", views.person_page, {"tab": "details"}, name="person-details"),
    path("personen/<int:pk>/accounts/", views.person_page, {"tab": "accounts"}, name="person-accounts"),
    path("personen/<int:pk>/historiek/", views.person_page, {"tab": "historiek"}, name="person-history"),
    path("personen/<int:pk>/werkrelatie-toevoegen/", views.work_relation_add, name="work-relation-add"),
    path("werkrelaties/<int:pk>/recht-toekennen/", views.grant_add, name="grant-add"),
    path("werkrelaties/<int:pk>/verlengen/", views.work_relation_extend, name="work-relation-extend"),
    path("werkrelaties/<int:pk>/bewerken/", views.work_relation_edit, name="work-relation-edit"),
    path("werkrelaties/<int:pk>/pauzeren/", views.work_relation_pause, name="work-relation-pause"),
    path("werkrelaties/<int:pk>/hervatten/", views.work_relation_resume, name="work-relation-resume"),
    path("werkrelaties/<int:pk>/beeindigen/", views.work_relation_end, name="work-relation-end"),
    path("werkrelaties/<int:pk>/verwijderen/", views.work_relation_delete, name="work-relation-delete"),
    path("toekenningen/", views.grant_search, name="grant-search"),
    path("toekenningen/<int:pk>/verlengen/", views.grant_extend, name="grant-extend"),
    path("toekenningen/<int:pk>/beeindigen/", views.grant_end, name="grant-end"),
    path("mijn-profiel/", views.my_profile, name="my-profile"),
]
