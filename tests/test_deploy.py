"""deploy/compose.yaml, deploy/Dockerfile and deploy/Caddyfile hold together: every `sellerkit`
command they run parses with the real CLI, every SELLERKIT_* setting they set is one sellerkit
reads, each process gets the settings its role needs, migrations run once before any server or
worker, and no data dir is shared. Docker is not needed; `docker compose config` also runs when
Docker Compose is installed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sellerkit.cli import app
from sellerkit.config import Settings

yaml = pytest.importorskip("yaml", reason="PyYAML (installed with the test extras through "
                                          "schemathesis) parses deploy/compose.yaml")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
CADDYFILE = DEPLOY / "Caddyfile"
DOCS = ROOT / "docs" / "deploy.md"


SERVERS = ("server-a", "server-b")
WORKERS = ("worker-a", "worker-b")
SECRET = "test-secret-key-the-same-everywhere"
VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable syntax as compose.yaml uses it: ${X}, ${X:-default}, ${X:?error}, $$."""

    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.groups()
        if env.get(name):
            return env[name]
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == "-" else ""

    return VARIABLE.sub(one, text)


def load(env: dict[str, str] | None = None) -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), {"SELLERKIT_SECRET_KEY": SECRET, **(env or {})}))


@pytest.fixture(scope="module")
def compose() -> dict:
    return load()


def sellerkit_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items()
            if (s.get("command") or [""])[0] == "sellerkit"}


def settings_of(service: dict, monkeypatch) -> Settings:
    """The Settings the service's process builds from its environment (and nothing else)."""
    for name in list(os.environ):
        if name.startswith(("SELLERKIT_", "AWS_")):
            monkeypatch.delenv(name)
    for name, value in service["environment"].items():
        monkeypatch.setenv(name, str(value))
    return Settings(_env_file=None)


def dockerfile_cmd() -> list[str]:
    m = re.search(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(), re.M)
    assert m, "deploy/Dockerfile has no exec-form CMD"
    return yaml.safe_load(m.group(1))


class TestCompose:
    def test_the_services_of_a_scaled_out_deployment(self, compose):
        assert set(compose["services"]) == {"postgres", "redis", "minio", "bucket", "migrate",
                                            *SERVERS, *WORKERS, "lb"}

    def test_every_sellerkit_command_parses_with_the_real_cli(self, compose):
        commands = [s["command"] for s in sellerkit_services(compose).values()] + [dockerfile_cmd()]
        runner = CliRunner()
        for command in commands:
            result = runner.invoke(app, [*command[1:], "--help"])
            assert result.exit_code == 0, f"{shlex.join(command)}: {result.output}"

    def test_each_role_runs_its_command(self, compose):
        roles = {name: shlex.join(s["command"]) for name, s in sellerkit_services(compose).items()}
        assert roles == {"migrate": "sellerkit db upgrade",
                         **{s: "sellerkit serve --host 0.0.0.0" for s in SERVERS},
                         **{w: "sellerkit worker" for w in WORKERS}}
        assert shlex.join(dockerfile_cmd()) == "sellerkit serve --host 0.0.0.0"

    def test_every_setting_named_is_one_sellerkit_reads(self):
        known = {f"SELLERKIT_{name.upper()}" for name in Settings.model_fields}
        for path in (COMPOSE, DOCKERFILE, DOCS):
            used = set(re.findall(r"\bSELLERKIT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
            unknown = used - known
            assert unknown == set(), f"{path.name} names settings sellerkit does not read"

    def test_processes_share_only_the_three_services_and_the_same_settings(self, compose, monkeypatch):
        envs = {name: s["environment"] for name, s in sellerkit_services(compose).items()}
        shared = {k: v for k, v in envs["migrate"].items()}
        for name, env in envs.items():
            assert {k: v for k, v in env.items() if k != "SELLERKIT_EMBEDDED_WORKER"} == shared, name
        settings = settings_of(compose["services"]["migrate"], monkeypatch)
        assert settings.resolved_database_url.startswith("postgresql+psycopg://sellerkit:")
        assert settings.resolved_database_url.endswith("@postgres:5432/sellerkit")
        assert settings.redis_url == "redis://redis:6379/0"
        assert settings.demo is False
        assert settings.secret_key.get_secret_value() == SECRET
        assert str(settings.data_dir) == "/data"
        # The blob store: the bucket the one-shot creates, on the MinIO service, its credentials.
        bucket = re.fullmatch(r"s3://([a-z0-9.-]+)/(.*)", shared["SELLERKIT_BLOB_URL"]).group(1)
        assert f"store/{bucket}" in compose["services"]["bucket"]["command"][0]
        assert shared["SELLERKIT_S3_ENDPOINT_URL"] == "http://minio:9000"
        minio = compose["services"]["minio"]["environment"]
        assert shared["AWS_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
        assert shared["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
        assert shared["AWS_REGION"]

    def test_servers_run_no_jobs_and_workers_do(self, compose, monkeypatch):
        for name in SERVERS:
            assert settings_of(compose["services"][name], monkeypatch).runs_embedded_worker is False
        for name in WORKERS:
            assert "SELLERKIT_EMBEDDED_WORKER" not in compose["services"][name]["environment"]

    def test_passwords_set_outside_reach_every_process(self):
        compose = load({"POSTGRES_PASSWORD": "pg-pw", "MINIO_ROOT_USER": "mu", "MINIO_ROOT_PASSWORD": "mp"})
        env = compose["services"]["worker-b"]["environment"]
        assert env["SELLERKIT_DATABASE_URL"] == "postgresql+psycopg://sellerkit:pg-pw@postgres:5432/sellerkit"
        assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-pw"
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("mu", "mp")

    def test_the_secret_key_must_be_given(self):
        with pytest.raises(KeyError, match="SELLERKIT_SECRET_KEY: set SELLERKIT_SECRET_KEY, the same"):
            yaml.safe_load(interpolate(COMPOSE.read_text(), {}))

    def test_migrations_run_once_before_any_server_or_worker(self, compose):
        services = compose["services"]
        assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert services["migrate"]["restart"] == "no"
        for name in (*SERVERS, *WORKERS):
            deps = services[name]["depends_on"]
            assert deps["migrate"] == {"condition": "service_completed_successfully"}, name
            assert deps["bucket"] == {"condition": "service_completed_successfully"}, name
            assert deps["redis"] == {"condition": "service_healthy"}, name
        for name in ("postgres", "redis", "minio"):
            assert services[name]["healthcheck"]["test"], name

    def test_no_data_dir_or_volume_is_shared_between_sellerkit_processes(self, compose):
        for name, service in sellerkit_services(compose).items():
            assert "volumes" not in service, f"{name} mounts a volume: each process keeps its own data dir"
        mounted = [v.split(":")[0] for s in compose["services"].values() for v in s.get("volumes", [])]
        assert len(mounted) == len(set(mounted))

    def test_servers_are_checked_on_health_and_ready(self, compose):
        for name in SERVERS:
            test = compose["services"][name]["healthcheck"]["test"]
            assert test[:3] == ["CMD", "python", "-c"]
            compile(test[3], f"{name} healthcheck", "exec")
            assert "'/health'" in test[3] and "'/ready'" in test[3] and "127.0.0.1:8000" in test[3]
            assert compose["services"][name]["ports"][0].endswith(":8000")

    def test_the_load_balancer_sends_to_ready_servers(self, compose):
        text = CADDYFILE.read_text()
        upstreams = re.search(r"reverse_proxy\s+([^{]+)\{", text).group(1).split()
        assert upstreams == [f"{name}:8000" for name in SERVERS]
        assert re.search(r"^\s*health_uri /ready$", text, re.M)
        assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in compose["services"]["lb"]["volumes"]


class TestImage:
    def test_slim_python_the_project_installed_and_not_root(self):
        text = DOCKERFILE.read_text()
        assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
        assert re.search(r"^RUN pip install \.", text, re.M)
        user = re.findall(r"^USER (\S+)$", text, re.M)
        assert user and user[-1] not in {"root", "0"}
        assert re.search(r"SELLERKIT_DATA_DIR=/data", text)

    def test_the_build_context_is_the_repository(self, compose):
        build = compose["services"]["migrate"]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
        for copied in re.findall(r"^COPY (.+) \S+$", DOCKERFILE.read_text(), re.M):
            for path in copied.split():
                assert (ROOT / path).exists(), path


@pytest.mark.skipif(shutil.which("docker") is None
                    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
                    reason="Docker Compose is not installed: compose.yaml checked by the tests above only")
def test_docker_compose_accepts_the_file():
    proc = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True,
                          text=True, env={**os.environ, "SELLERKIT_SECRET_KEY": SECRET})
    assert proc.returncode == 0, proc.stderr
