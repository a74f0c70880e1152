"""The dbt profile for the pipeline's own destination, written at run time into a private directory.

Every value reaches dbt through an environment variable (`FINOPS_DBT_<FIELD>`) that the profile names with
`env_var()`, so no password or key is ever written to disk. DuckDB gets the loads' memory cap and UTC, and
no extensions (dbt-duckdb loads none unless asked; nothing is downloaded). Other dbt adapters are extras
(`pip install 'finops-etl[snowflake]'`); a destination without a profile here is refused with exit 2, or
use your own profiles.yml with FINOPS__DBT_PROFILES_DIR (profile `finops_etl`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipelines.errors import UsageError

PREFIX = "FINOPS_DBT_"
DUCKDB_MEMORY_LIMIT = "256MB"


def _env(field: str, default: str | None = None) -> str:
    if default is None:
        return "{{ env_var('%s%s') }}" % (PREFIX, field.upper())
    return "{{ env_var('%s%s', '%s') }}" % (PREFIX, field.upper(), default)


def _number(field: str) -> str:
    return "{{ env_var('%s%s') | as_number }}" % (PREFIX, field.upper())


def profile_for(destination_type: str, credentials: Any, dataset: str) -> tuple[dict, dict[str, str]]:
    """(profile output, environment) for one destination. The environment carries the secrets."""
    env: dict[str, str] = {"SCHEMA": dataset}
    if destination_type == "duckdb":
        settings = {"memory_limit": DUCKDB_MEMORY_LIMIT, "TimeZone": "UTC", "preserve_insertion_order": False,
                    "autoinstall_known_extensions": False, "autoload_known_extensions": False}
        settings.update({k: v for k, v in (getattr(credentials, "global_config", None) or {}).items()
                         if k in ("memory_limit", "threads", "temp_directory")})
        env["PATH"] = str(credentials.database)
        output = {"type": "duckdb", "path": _env("path"), "schema": _env("schema"), "threads": 1,
                  "extensions": [], "settings": settings}
    elif destination_type == "postgres":
        env.update({"HOST": str(credentials.host), "PORT": str(credentials.port or 5432),
                    "USER": str(credentials.username), "PASSWORD": str(credentials.password or ""),
                    "DBNAME": str(credentials.database)})
        output = {"type": "postgres", "host": _env("host"), "port": _number("port"), "user": _env("user"),
                  "password": _env("password", ""), "dbname": _env("dbname"), "schema": _env("schema"),
                  "threads": 4, "keepalives_idle": 0}
    elif destination_type == "snowflake":
        env.update({"ACCOUNT": str(credentials.host), "USER": str(credentials.username),
                    "PASSWORD": str(credentials.password or ""), "DATABASE": str(credentials.database),
                    "WAREHOUSE": str(credentials.warehouse or ""), "ROLE": str(credentials.role or "")})
        output = {"type": "snowflake", "account": _env("account"), "user": _env("user"),
                  "password": _env("password", ""), "database": _env("database"), "schema": _env("schema"),
                  "warehouse": _env("warehouse", ""), "role": _env("role", ""), "threads": 4}
    elif destination_type == "bigquery":
        env.update({"PROJECT": str(credentials.project_id), "CLIENT_EMAIL": str(credentials.client_email),
                    "PRIVATE_KEY": str(credentials.private_key), "LOCATION": str(getattr(credentials, "location", "")
                                                                               or "US")})
        output = {"type": "bigquery", "method": "service-account-json", "project": _env("project"),
                  "dataset": _env("schema"), "location": _env("location"), "threads": 4,
                  "keyfile_json": {"type": "service_account", "project_id": _env("project"),
                                   "client_email": _env("client_email"), "private_key": _env("private_key"),
                                   "token_uri": "https://oauth2.googleapis.com/token"}}
    else:
        raise UsageError(f"transforms: no dbt profile for destination {destination_type!r}; set "
                         "FINOPS__DBT_PROFILES_DIR to a directory with your own profiles.yml (profile finops_etl)")
    return output, {PREFIX + key: value for key, value in env.items()}


def write_profile(directory: Path, output: dict) -> Path:
    """profiles.yml (JSON is YAML) holding only env_var() references for anything secret."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "profiles.yml"
    text = json.dumps({"finops_etl": {"target": "finops", "outputs": {"finops": output}}}, indent=2)
    if not path.exists() or path.read_text() != text:  # an unchanged profile keeps dbt's partial parse
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return directory
