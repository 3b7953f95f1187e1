import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "admin"
DEMO_PASSWORD = os.environ.get("CHAINWATCH_DEMO_PASSWORD", "chainwatch-demo")


class Command(BaseCommand):
    help = "创建演示管理员（仅用于演示数据库）/ create the demo administrator."

    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(
            "演示管理员 / demo admin: http://127.0.0.1:8000/admin/  "
            f"用户名 {DEMO_USERNAME}  密码 {DEMO_PASSWORD if created else '（未改动 / unchanged）'}"
        )
