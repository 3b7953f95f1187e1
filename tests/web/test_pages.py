import os
import subprocess
import sys

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "产业链集群监测调度平台" in text and "内蒙古自治区锂产业发展指导意见" in text
    assert '<html lang="zh-hans">' in text


def test_language_switches_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert "Guiding Opinions on the Development of the Lithium Industry" in response.content.decode()


def test_home_page_query_count_is_pinned(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        client.get("/")


def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.parametrize("model", sorted(admin.site._registry, key=lambda m: m._meta.label), ids=lambda m: m._meta.label)
def test_every_admin_changelist_opens_in_chinese(admin_client, model, django_assert_max_num_queries):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with django_assert_max_num_queries(15):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert "chainwatch 产业链集群监测调度平台" in response.content.decode()


def test_admin_requires_login(client):
    response = client.get("/admin/targets/target/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "CHAINWATCH_PRODUCTION": "1",
        "CHAINWATCH_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-" + "y" * 20,
        "CHAINWATCH_ALLOWED_HOSTS": "chainwatch.example.gov.cn",
        "CHAINWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "chainwatch.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_development_secret(tmp_path):
    env = {**os.environ, "CHAINWATCH_PRODUCTION": "1", "DJANGO_SETTINGS_MODULE": "chainwatch.settings"}
    env.pop("CHAINWATCH_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "CHAINWATCH_SECRET_KEY" in result.stderr
