"""The provider's organisation data: departments ("Dienstverleners") and establishments ("Vestigingen")."""

from django.urls import path

from kmop.portal import views_organisation as views

urlpatterns = [
    path("dienstverleners/", views.departments, name="departments"),
    path("dienstverleners/zetel/", views.office, name="office"),
    path("dienstverleners/zetel/wijzigen/", views.office_edit, name="office-edit"),
    path("dienstverleners/nieuw/", views.department_new, name="department-new"),
    path("dienstverleners/<int:pk>/", views.department_detail, name="department"),
    path("dienstverleners/<int:pk>/wijzigen/", views.department_edit, name="department-edit"),
    path("vestigingen/", views.establishments, name="establishments"),
    path("vestigingen/nieuw/", views.establishment_new, name="establishment-new"),
    path("vestigingen/<int:pk>/", views.establishment_detail, name="establishment"),
    path("vestigingen/<int:pk>/wijzigen/", views.establishment_edit, name="establishment-edit"),
    path("vestigingen/<int:pk>/verwijderen/", views.establishment_delete, name="establishment-delete"),
]
