"""Two revisions of the project side by side in one bench run: each is a source tree (this checkout,
or a temporary `git worktree` of a revision) whose code runs as a subprocess of the same virtualenv
python with `PYTHONPATH=<tree>` and the tree as working directory. The venv has this checkout
installed editable; PYTHONPATH comes first on sys.path, so the subprocess imports the tree's own
`geo`, `service` and migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Tree:
    """One side of a comparison: a label, the source tree, and the commit it holds (None: this
    checkout with whatever is uncommitted in it)."""

    label: str
    path: Path
    commit: str | None

    def env(self, database_url: str | None = None) -> dict[str, str]:
        """The environment a subprocess of this tree runs in."""
        env = {**os.environ, "PYTHONPATH": str(self.path)}
        if database_url is not None:
            env["ATLAS_DATABASE_URL"] = database_url
        return env

    def python(self, args: list[str], database_url: str | None = None, **kwargs: object) -> subprocess.CompletedProcess:
        """`python args…` with this tree's code, in this tree; raises with the end of stderr on failure."""
        done = subprocess.run([sys.executable, *args], env=self.env(database_url), cwd=self.path,
                              capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
        if done.returncode != 0:
            raise SystemExit(f"[{self.label}] python {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done

    def rebuild_database(self, database_url: str) -> None:
        """Drop and make the database again with this tree's migrations and reference data."""
        self.python(["-c", "from geo.settings import Settings; from geo.setup import rebuild_database; "
                     "rebuild_database(Settings(), sample_count=0)"], database_url)

    def describe(self) -> str:
        return f"{self.label} ({self.commit[:7] if self.commit else 'this checkout, uncommitted changes included'})"


def commit_of(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


@contextmanager
def tree(label: str, rev: str | None) -> Iterator[Tree]:
    """This checkout (rev None), or a temporary detached worktree of `rev`, unregistered afterwards."""
    if rev is None:
        yield Tree(label, ROOT, None)
        return
    commit = commit_of(rev)
    path = Path(tempfile.mkdtemp(prefix=f"atlas-{label}-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        yield Tree(label, path, commit)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False,
                       capture_output=True)


def database_url_named(base_url: str, name: str) -> str:
    """The URL of database `name` on the same server, with the same user, as `base_url`."""
    info = psycopg.conninfo.conninfo_to_dict(base_url)
    return (f"postgresql://{info.get('user', '')}:{info.get('password', '')}@{info.get('host', '127.0.0.1')}"
            f":{info.get('port', 5432)}/{name}")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"
