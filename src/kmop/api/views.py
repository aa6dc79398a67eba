from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ApiRootView(APIView):
    @extend_schema(
        responses=inline_serializer("ApiRoot", {"version": serializers.CharField(), "schema": serializers.URLField()})
    )
    def get(self, request: Request) -> Response:
        return Response({"version": "v1", "schema": request.build_absolute_uri("/api/schema/")})
