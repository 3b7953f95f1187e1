"""chainwatch users create|token|list|deactivate — accounts and roles from the command line."""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chainwatch.accounts import services
from chainwatch.accounts.models import Profile, Role


class Command(BaseCommand):
    help = "用户与角色 / users and roles: create, token, list, deactivate"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="创建用户 / create a user with a role")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--region", help="地区代码（GB/T 2260），省/盟市/旗县/领导角色")
        create.add_argument("--department", help="部门ID，部门角色")
        create.add_argument("--enterprise", help="统一社会信用代码，企业角色")
        create.add_argument("--email", default="")
        create.add_argument(
            "--password-stdin", action="store_true",
            help="从标准输入读取密码（第一行）/ read the password from standard input",
        )
        token = sub.add_parser("token", help="签发API令牌 / print the user's API token")
        token.add_argument("username")
        token.add_argument("--rotate", action="store_true", help="作废旧令牌并签发新令牌 / replace the token")
        sub.add_parser("list", help="列出用户 / list users and roles")
        deactivate = sub.add_parser("deactivate", help="停用用户 / deactivate a user")
        deactivate.add_argument("username")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except services.UserError as exc:
            raise CommandError(str(exc)) from None

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"用户“{username}”不存在 / no such user") from None

    def _create(self, options):
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("标准输入没有密码 / no password on standard input")
        binding = services.resolve_binding(
            options["role"], region=options["region"], department=options["department"], enterprise=options["enterprise"]
        )
        user = services.create_user(
            options["username"], role=options["role"], password=password, email=options["email"], actor=None, **binding
        )
        bound = binding["region"] or binding["department"] or binding["enterprise"]
        self.stdout.write(
            f"已创建用户 / created {user.username}: {Role(options['role']).label}"
            + (f" · {bound}" if bound else "")
            + ("" if password else "（未设密码，无法登录 / no password set: cannot sign in yet）")
        )

    def _token(self, options):
        user = self._user(options["username"])
        self.stdout.write(services.issue_token(user, actor=None, rotate=options["rotate"]))

    def _list(self, options):
        profiles = {p.user_id: p for p in Profile.objects.select_related("region", "department", "enterprise")}
        for user in get_user_model().objects.order_by("username"):
            profile = profiles.get(user.pk)
            role = "superuser" if user.is_superuser else (profile.role if profile else "-")
            bound = ""
            if profile:
                bound = (
                    profile.region.code if profile.region_id
                    else f"dept:{profile.department_id}" if profile.department_id
                    else (profile.enterprise.uscc or "") if profile.enterprise_id else ""
                )
            active = "" if user.is_active else "\tinactive"
            self.stdout.write(f"{user.username}\t{role}\t{bound}{active}")

    def _deactivate(self, options):
        services.set_active(self._user(options["username"]), False, actor=None)
        self.stdout.write(f"已停用 / deactivated {options['username']}")
