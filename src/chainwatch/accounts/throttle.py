"""Login throttling: after MAX_FAILURES failed sign-ins for one user name from one address within
LOCK_MINUTES, further attempts from that pair are refused (without checking the password) until
the oldest of those failures is LOCK_MINUTES old. A successful sign-in clears the pair.

Failures are rows of ``LoginFailure`` (the database is shared by every worker process, unlike a
local-memory cache). Limits: ``CHAINWATCH_LOGIN_MAX_FAILURES`` (default 5) and
``CHAINWATCH_LOGIN_LOCK_MINUTES`` (default 15), read from Django settings or the environment.
"""

from __future__ import annotations

import datetime
import os

from django.conf import settings
from django.utils import timezone

from chainwatch.accounts.models import LoginFailure


def _limit(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return int(value)


def max_failures() -> int:
    return _limit("CHAINWATCH_LOGIN_MAX_FAILURES", 5)


def lock_minutes() -> int:
    return _limit("CHAINWATCH_LOGIN_LOCK_MINUTES", 15)


def client_ip(request) -> str:
    """The peer address. X-Forwarded-For is not trusted: a client could forge it to dodge the lock."""
    if request is None:
        return ""
    return (request.META.get("REMOTE_ADDR") or "")[:45]


def _key(username: str) -> str:
    return (username or "")[:150]


def locked_until(username: str, ip: str, *, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the lock on (username, ip) ends, or None if it is not locked."""
    now = now or timezone.now()
    window = datetime.timedelta(minutes=lock_minutes())
    limit = max_failures()
    recent = list(
        LoginFailure.objects.filter(username=_key(username), ip=ip, at__gt=now - window)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + window


def record_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=_key(username), ip=ip)
    # Keep the table small: anything older than a day has no bearing on a lock.
    LoginFailure.objects.filter(at__lt=timezone.now() - datetime.timedelta(days=1)).delete()


def clear(username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=_key(username), ip=ip).delete()
