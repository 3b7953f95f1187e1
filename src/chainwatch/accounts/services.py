"""Users and roles. Every write takes the acting user by keyword, runs in one transaction and
leaves an audit record (never a password hash or a token)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from chainwatch.accounts.models import Profile, Role
from chainwatch.chains.models import Enterprise
from chainwatch.core import audit
from chainwatch.core.models import AuditEntry
from chainwatch.geo.models import Department, Region


class UserError(ValueError):
    """A user or role request that cannot be carried out; the message says why."""


#: Which region levels a region-bound role may be bound to.
ROLE_LEVELS = {
    Role.PROVINCE: {Region.Level.PROVINCE},
    Role.PREFECTURE: {Region.Level.PREFECTURE},
    Role.COUNTY: {Region.Level.COUNTY, Region.Level.ZONE, Region.Level.PARK},
    Role.LEADER: {Region.Level.COUNTRY, Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY,
                  Region.Level.ZONE, Region.Level.PARK},
}


def user_snapshot(user) -> dict:
    """What the audit trail keeps of a user: never the password hash."""
    profile = Profile.objects.filter(user=user).first()
    return {
        "username": user.get_username(),
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "role": profile.role if profile else None,
        "region": profile.region.code if profile and profile.region_id else None,
        "department_id": profile.department_id if profile else None,
        "enterprise": (profile.enterprise.uscc or profile.enterprise_id) if profile and profile.enterprise_id else None,
    }


def resolve_binding(
    role: str, *, region: str | None = None, department: str | int | None = None, enterprise: str | None = None
) -> dict:
    """Turn the codes a person types (region code, department id, USCC) into the objects a role
    is bound to, checking that the role and the binding fit."""
    if role not in Role.values:
        raise UserError(f"未知角色“{role}”，可选：{', '.join(Role.values)} / unknown role")
    given = [name for name, value in (("region", region), ("department", department), ("enterprise", enterprise)) if value]
    binding: dict = {"region": None, "department": None, "enterprise": None}
    if role == Role.ADMIN:
        if given:
            raise UserError("系统管理员不绑定地区、部门或企业 / an administrator is bound to nothing")
        return binding
    needs = {Role.DEPARTMENT: "department", Role.ENTERPRISE: "enterprise"}.get(role, "region")
    if given != [needs]:
        raise UserError(f"角色 {role} 须且只须指定 --{needs} / role {role} needs exactly --{needs}")
    if needs == "region":
        found = Region.objects.filter(code=str(region), valid_to__isnull=True).first()
        if found is None:
            raise UserError(f"地区代码“{region}”不存在 / unknown region code")
        if found.level not in ROLE_LEVELS[role]:
            allowed = "、".join(sorted(ROLE_LEVELS[role]))
            raise UserError(
                f"{Role(role).label}不能绑定到{found.get_level_display()}“{found.name_zh}”（可绑定：{allowed}）"
                f" / role {role} cannot be bound to a {found.level}"
            )
        binding["region"] = found
    elif needs == "department":
        try:
            found = Department.objects.select_related("region").get(pk=int(department))
        except (ValueError, TypeError, Department.DoesNotExist):
            raise UserError(f"部门“{department}”不存在 / unknown department id") from None
        binding["department"] = found
    else:
        found = Enterprise.objects.filter(uscc=str(enterprise).strip().upper()).first()
        if found is None:
            raise UserError(f"统一社会信用代码“{enterprise}”对应的企业不存在 / unknown enterprise USCC")
        binding["enterprise"] = found
    return binding


@transaction.atomic
def create_user(
    username: str,
    *,
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    enterprise: Enterprise | None = None,
    password: str | None = None,
    email: str = "",
    actor,
):
    """Create a user with a role. Without a password the account cannot sign in until one is set.

    Raises :class:`UserError` for a taken name, a bad role binding or a weak password."""
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise UserError("用户名不能为空 / user name is empty")
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        raise UserError(f"用户名“{username}”不合规：{' '.join(exc.messages)}") from None
    if User.objects.filter(username=username).exists():
        raise UserError(f"用户名“{username}”已存在 / user name is taken")
    _check_binding(role, region, department, enterprise)
    user = User(username=username, email=email, is_staff=role == Role.ADMIN)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UserError("密码不符合要求 / weak password: " + " ".join(exc.messages)) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Profile.objects.create(user=user, role=role, region=region, department=department, enterprise=enterprise)
    audit.record(actor, AuditEntry.Action.CREATE, user, after=user_snapshot(user), note="创建用户")
    return user


def _check_binding(role, region, department, enterprise) -> None:
    if role not in Role.values:
        raise UserError(f"未知角色“{role}” / unknown role")
    needs = {Role.ADMIN: None, Role.DEPARTMENT: "department", Role.ENTERPRISE: "enterprise"}.get(role, "region")
    given = {"region": region, "department": department, "enterprise": enterprise}
    for name, value in given.items():
        if (value is not None) != (name == needs):
            raise UserError(f"角色 {role} 的绑定不正确：{name} / wrong binding for role {role}: {name}")
    if needs == "region" and region.level not in ROLE_LEVELS[role]:
        raise UserError(f"角色 {role} 不能绑定到 {region.level} 级地区 / role cannot be bound to this level")


@transaction.atomic
def set_role(
    user,
    *,
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    enterprise: Enterprise | None = None,
    actor,
) -> Profile:
    _check_binding(role, region, department, enterprise)
    before = user_snapshot(user)
    profile, _ = Profile.objects.update_or_create(
        user=user, defaults={"role": role, "region": region, "department": department, "enterprise": enterprise}
    )
    if user.is_staff != (role == Role.ADMIN) and not user.is_superuser:
        user.is_staff = role == Role.ADMIN
        user.save(update_fields=["is_staff"])
    audit.record(actor, AuditEntry.Action.UPDATE, user, before=before, after=user_snapshot(user), note="修改角色")
    return profile


@transaction.atomic
def set_password(user, password: str, *, actor) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise UserError("密码不符合要求 / weak password: " + " ".join(exc.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, AuditEntry.Action.UPDATE, user, note="修改密码（不记录密码）")


@transaction.atomic
def set_active(user, active: bool, *, actor) -> None:
    before = user_snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        Token.objects.filter(user=user).delete()
    audit.record(actor, AuditEntry.Action.UPDATE, user, before=before, after=user_snapshot(user),
                 note="启用用户" if active else "停用用户")


@transaction.atomic
def issue_token(user, *, actor, rotate: bool = False) -> str:
    """The user's API token (created if missing; replaced when ``rotate``). The audit trail records
    that a token was issued, never the token."""
    if not user.is_active:
        raise UserError(f"用户“{user.get_username()}”已停用 / user is inactive")
    if rotate:
        Token.objects.filter(user=user).delete()
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit.record(actor, AuditEntry.Action.CREATE, user, note="签发API令牌（不记录令牌）")
    return token.key
