"""docker-compose.yml runs migrations as the owner and everything else as the runtime role."""

from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_web_worker_and_beat_connect_as_the_runtime_role():
    for name in ("web", "worker", "beat"):
        assert services()[name]["environment"]["DATABASE_URL"].startswith("postgres://portal_runtime:"), name


def test_migrations_run_as_the_owner_and_then_grant_the_runtime_privileges():
    migrate = services()["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("${DATABASE_MIGRATE_URL:-postgres://portal_owner:")
    script = migrate["command"][-1]
    assert script.index("migrate --noinput") < script.index("grant_runtime_privileges --role portal_runtime")


def test_the_database_container_creates_the_roles_from_the_documented_script():
    mounts = services()["postgres"]["volumes"]
    for mount in mounts[1:]:
        source = mount.split(":")[0]
        assert (Path(settings.BASE_DIR) / source).is_file(), source
    sql = (Path(settings.BASE_DIR) / "deploy/postgres/create_roles.sql").read_text()
    assert "CREATE ROLE portal_owner" in sql and "CREATE ROLE portal_runtime" in sql
    assert "NOSUPERUSER" in sql
