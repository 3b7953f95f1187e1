"""Users and roles, sign-in (throttling, CSRF, session expiry, hashing), password change, the
users and audit commands."""

import io
import json
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.world import PASSWORD
from chainwatch.accounts import services, throttle
from chainwatch.accounts.models import LoginFailure, Profile, Role
from chainwatch.core.models import AuditEntry
from factories import region

pytestmark = pytest.mark.django_db


def test_create_user_binds_the_role_and_audits_without_the_hash():
    user = services.create_user("xl-user", role=Role.PREFECTURE, region=region("152500"), password=PASSWORD, actor=None)
    assert user.profile.role == "prefecture" and user.profile.region.code == "152500"
    assert user.check_password(PASSWORD)
    entry = AuditEntry.objects.get(object_id=str(user.pk), content_type__model="user")
    assert entry.action == "create" and entry.actor_name == "system"
    assert entry.after["region"] == "152500" and "password" not in json.dumps(entry.after)


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        ("county", {"region": "152500"}, "不能绑定"),
        ("province", {"region": "152502"}, "不能绑定"),
        ("prefecture", {}, "--region"),
        ("department", {"region": "152500"}, "--department"),
        ("enterprise", {"enterprise": "91150000MA00000000"}, "不存在"),
        ("admin", {"region": "150000"}, "不绑定"),
        ("mayor", {"region": "150000"}, "未知角色"),
        ("county", {"region": "999999"}, "不存在"),
    ],
)
def test_bad_role_bindings_are_refused_with_a_reason(role, kwargs, message):
    with pytest.raises(services.UserError, match=message):
        services.resolve_binding(role, **kwargs)


def test_weak_password_and_taken_name_are_refused():
    with pytest.raises(services.UserError, match="密码"):
        services.create_user("weak", role=Role.ADMIN, password="123", actor=None)
    services.create_user("taken", role=Role.ADMIN, actor=None)
    with pytest.raises(services.UserError, match="已存在"):
        services.create_user("taken", role=Role.ADMIN, actor=None)


def test_users_cli_create_token_list_deactivate(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()
    call_command("users", "create", "cli-xl", "--role", "prefecture", "--region", "152500", "--password-stdin", stdout=out)
    assert "锡林郭勒盟" in out.getvalue()
    user = get_user_model().objects.get(username="cli-xl")
    assert user.check_password(PASSWORD)
    token_out = io.StringIO()
    call_command("users", "token", "cli-xl", stdout=token_out)
    token = token_out.getvalue().strip()
    assert len(token) == 40
    again = io.StringIO()
    call_command("users", "token", "cli-xl", stdout=again)
    assert again.getvalue().strip() == token
    listing = io.StringIO()
    call_command("users", "list", stdout=listing)
    assert "cli-xl\tprefecture\t152500" in listing.getvalue()
    call_command("users", "deactivate", "cli-xl", stdout=io.StringIO())
    user.refresh_from_db()
    assert not user.is_active
    with pytest.raises(CommandError, match="不能绑定"):
        call_command("users", "create", "cli-bad", "--role", "county", "--region", "152500")
    with pytest.raises(CommandError, match="不存在"):
        call_command("users", "token", "nobody")


def login(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_throttling_locks_after_five_failures(world):
    client = Client()
    for _ in range(5):
        response = login(client, "t-league", "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="t-league").count() == 5
    # Locked: even the right password is refused, without checking it.
    response = login(client, "t-league", PASSWORD)
    assert response.status_code == 200 and "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked; success there clears only that pair.
    assert login(Client(), "t-league", PASSWORD, ip="10.0.0.2").status_code == 302
    assert throttle.locked_until("t-league", "10.0.0.1") is not None


def test_lock_expires(world, settings):
    import datetime

    from django.utils import timezone

    for _ in range(5):
        login(Client(), "t-county", "wrong")
    until = throttle.locked_until("t-county", "10.0.0.1")
    assert until is not None
    assert throttle.locked_until("t-county", "10.0.0.1", now=timezone.now() + datetime.timedelta(minutes=16)) is None


def test_four_failures_then_success_clears(world):
    client = Client()
    for _ in range(4):
        login(client, "t-county", "wrong")
    assert login(client, "t-county", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="t-county").exists()


def test_login_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = login(client, "t-league", PASSWORD)
    assert response.status_code == 403


def test_session_expires(world):
    client = Client()
    assert login(client, "t-league", PASSWORD).status_code == 302
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert client.session.get_expire_at_browser_close() is settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.real_hasher
def test_passwords_are_hashed_with_django_default():
    user = services.create_user("hashed", role=Role.ADMIN, password=PASSWORD, actor=None)
    assert user.password.startswith("pbkdf2_sha256$") and PASSWORD not in user.password


def test_logout_is_post_only(world):
    client = Client()
    client.force_login(world.users["league"])
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_password_change(world):
    client = Client()
    user = world.users["county"]
    client.force_login(user)
    assert client.get("/accounts/password/").status_code == 200
    new = "A-new-grassland-password-9"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert AuditEntry.objects.filter(object_id=str(user.pk), note__startswith="修改密码").exists()
    bad = client.post("/accounts/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new})
    assert bad.status_code == 200


def test_set_role_audits_before_and_after(world):
    user = world.users["county"]
    services.set_role(user, role=Role.COUNTY, region=region("152501"), actor=world.users["admin"])
    entry = AuditEntry.objects.filter(object_id=str(user.pk), note="修改角色").get()
    assert entry.before["region"] == "152502" and entry.after["region"] == "152501"
    assert entry.actor_name == "t-admin"
    assert Profile.objects.get(user=user).region.code == "152501"


def test_audit_export_csv_and_jsonl(world, tmp_path):
    out = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--since", "2000-01-01", "--format", "jsonl", "--output", str(out), stderr=io.StringIO())
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    created = [r for r in rows if r["model"] == "auth.user" and r["action"] == "create"]
    assert {r["after"]["username"] for r in created} >= {"t-league", "t-county"}
    stdout = io.StringIO()
    call_command("audit", "export", "--since", "2000-01-01", "--format", "csv", stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert lines[0] == "id,at,actor,action,model,object_id,object_repr,before,after,note"
    assert len(lines) - 1 == AuditEntry.objects.count()
    future = io.StringIO()
    call_command("audit", "export", "--since", "2999-01-01", "--format", "csv", stdout=future)
    assert len(future.getvalue().splitlines()) == 1
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "export", "--since", "yesterday")
