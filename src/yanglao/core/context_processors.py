from django.conf import settings


def site(request):
    return {"SITE_NAME": "养老服务信息平台", "YANGLAO_ENV": settings.YANGLAO_ENV}
