from django.urls import path

from kmop.eloket import views, views_projects

app_name = "eloket"

urlpatterns = [
    path("", views.enterprise_profile, name="enterprise-profile"),
    path("eerste-gebruik/", views.first_use, name="first-use"),
    path("aanvragen/", views.application_start, name="application-start"),
    path("aanvragen/dienstverlener/", views.application_provider, name="application-provider"),
    path("aanvragen/project/", views.application_project, name="application-project"),
    path("aanvragen/berekening/", views.application_preview_partial, name="application-preview"),
    path("aanvragen/controleren/", views.application_check, name="application-check"),
    path("aanvragen/bevestiging/<str:number>/", views.application_done, name="application-done"),
    path("projecten/", views_projects.projects, name="projects"),
    path("projecten/<str:number>/", views_projects.project, name="project"),
    path(
        "projecten/<str:number>/bevestigen/<str:token>/",
        views_projects.project_action_confirm,
        name="project-confirm",
    ),
    path(
        "projecten/<str:number>/<str:action>/",
        views_projects.project_action,
        name="project-action",
    ),
]
