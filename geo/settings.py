"""One settings class for the whole project, read from `ATLAS_*` environment variables."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Built once by whoever starts the program (CLI or app factory) and passed down."""

    model_config = SettingsConfigDict(env_prefix="ATLAS_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="An existing PostGIS database. When unset, the project's own local cluster is used.",
    )
    # The project-owned local cluster (used only when database_url is unset).
    home: Path = Field(default=PROJECT_ROOT / ".atlas", description="Where the local cluster lives.")
    pg_port: int = 54329
    pg_bin: Path = Path("/usr/lib/postgresql/15/bin")
    db_name: str = "atlas"

    data_dir: Path = PROJECT_ROOT / "data"
    host: str = "127.0.0.1"
    port: int = 8000
    pool_min: int = 2
    pool_max: int = 20
    statement_timeout_ms: int = 15000

    # Maps and embeds.
    tile_feature_limit: int = Field(default=5000, description="Most features in one vector tile.")
    desert_confidential_min_residents: float = Field(
        default=10_000, ge=1,
        description="A confidential site counts in the desert measures from a point hiding it among at least "
        "this many residents, or from its county's point if that is smaller (geo/deserts/privacy.py).")
    tile_points_min_zoom: int = Field(default=12, description="Below this zoom, service tiles carry counts.")
    desert_view_warm_s: float = Field(
        default=60, ge=0, description="How often each server worker makes sure the desert tiles of the "
                                      "statewide view /map opens on are built (service/warm.py); 0: never.")
    embed_allowed_origins: str = Field(
        default="*",
        description="Sites allowed to frame /embed pages (CSP frame-ancestors), space- or comma-separated; "
        "'*' allows any site.",
    )

    # Keeping the directory true (geo/review/).
    verify_max_age_months: int = Field(
        default=12, ge=1, le=120,
        description="A listing not verified for longer than this many months says so, and enters the review queue.")
    report_client_per_hour: int = Field(
        default=10, ge=1, description="Problem reports one client may send per hour (a burst of as many).")
    report_service_per_hour: int = Field(
        default=20, ge=1, description="Problem reports one service may receive per hour.")
    report_global_per_hour: int = Field(
        default=600, ge=1, description="Problem reports all clients together may send per hour.")
    report_client_header: str | None = Field(
        default=None,
        description="Behind a proxy: the header naming the client's address (e.g. x-forwarded-for; its first "
        "address is used). Only a daily-salted hash of it is kept, for an hour's flood limits.")

    @field_validator("embed_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        """Only origins (https://court.example, *.example.gov, *) may reach the CSP header."""
        origin = re.compile(r"^(\*|(https?://)?(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")
        bad = [o for o in re.split(r"[\s,]+", value.strip()) if o and not origin.match(o)]
        if bad:
            raise ValueError(f"not origins: {', '.join(bad)}")
        return value

    def embed_origins(self) -> list[str]:
        return [o for o in re.split(r"[\s,]+", self.embed_allowed_origins.strip()) if o]

    @property
    def cluster_dir(self) -> Path:
        return self.home / "pg"

    @property
    def password_file(self) -> Path:
        return self.home / "pg.password"

    def local_url(self, db_name: str | None = None) -> str:
        """The URL of the local cluster; the password is made when the cluster is."""
        password = self.password_file.read_text().strip() if self.password_file.exists() else ""
        return f"postgresql://atlas:{password}@127.0.0.1:{self.pg_port}/{db_name or self.db_name}"

    def url(self) -> str:
        """The database everything talks to: ATLAS_DATABASE_URL if given, else the local cluster."""
        return self.database_url or self.local_url()
