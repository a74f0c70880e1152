"""Where an export goes: a local directory, or any fsspec URL (`s3://`, `gs://`, `az://`, ...).

Credentials are dlt's filesystem credentials, resolved by dlt's own config classes
(`DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID`, `..._ENDPOINT_URL`, `..._PROJECT_ID`,
`..._AZURE_STORAGE_ACCOUNT_NAME`, ...), so a lake and an export to the same bucket share one configuration.

Every file is written under a staging prefix first and then moved over its final name. Locally that move is
an `os.replace` (atomic within one file system); on object storage it is a server-side copy of one finished
object (a reader sees the old object or the new one, never part of one), followed by deleting the staged key.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from pipelines.errors import UsageError


def is_url(out: str) -> bool:
    return "://" in out and not out.startswith("file://")


class ExportTarget:
    """A root to publish files under, with a staging area beside them for this run."""

    def __init__(self, out: str, run_id: str):
        self.out = out
        self.staging_name = f".staging-{run_id}"
        if is_url(out):
            self.fs, root = _remote_filesystem(out)
            self.root = root.rstrip("/")
            self.local: Path | None = None
        else:
            self.local = Path(out.removeprefix("file://"))
            self.local.mkdir(parents=True, exist_ok=True)
            self.fs, self.root = None, str(self.local)

    def staged(self, relative: str) -> str:
        """The staging path (local) or key (remote) of a file that will be published at `relative`."""
        return self._join(self.staging_name, relative)

    def _join(self, *parts: str) -> str:
        if self.local is not None:
            return str(self.local.joinpath(*parts))
        return "/".join([self.root, *parts])

    @contextmanager
    def open_staged(self, relative: str) -> Iterator[IO[bytes]]:
        path = self.staged(relative)
        if self.local is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                yield handle
        else:
            with self.fs.open(path, "wb") as handle:
                yield handle

    def publish(self, relative: str, keep_only_in_dir: bool = False) -> None:
        """Move a staged file over its final name; optionally drop the other files in its directory."""
        source, target = self.staged(relative), self._join(relative)
        if self.local is not None:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            siblings = [str(p) for p in Path(target).parent.glob("*.parquet")]
        else:
            self.fs.copy(source, target)  # one server-side copy: the object appears whole
            self.fs.rm(source)
            parent = target.rsplit("/", 1)[0]
            siblings = [p for p in self.fs.ls(parent, detail=False, refresh=True) if p.endswith(".parquet")]
        if keep_only_in_dir:
            for stale in siblings:
                if stale.rstrip("/").rsplit("/", 1)[-1] != relative.rsplit("/", 1)[-1]:
                    self._remove(stale)

    def _remove(self, path: str) -> None:
        if self.local is not None:
            Path(path).unlink(missing_ok=True)
        else:
            self.fs.rm(path)

    def cleanup(self) -> None:
        staging = self._join(self.staging_name)
        if self.local is not None:
            shutil.rmtree(staging, ignore_errors=True)
        elif self.fs.exists(staging):
            self.fs.rm(staging, recursive=True)


def _remote_filesystem(url: str):  # noqa: ANN202 - (fsspec filesystem, root path without protocol)
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.exceptions import ConfigurationException
    from dlt.common.exceptions import MissingDependencyException
    from dlt.common.storages.configuration import FilesystemConfiguration
    from dlt.common.storages.fsspec_filesystem import fsspec_from_config

    try:
        config = resolve_configuration(FilesystemConfiguration(), sections=("destination", "filesystem"),
                                       explicit_value={"bucket_url": url})
        fs, root = fsspec_from_config(config)
    except MissingDependencyException as exc:
        scheme = url.split("://", 1)[0]
        raise UsageError(f"--out {scheme}:// needs its fsspec package: pip install 'finops-etl[{scheme}]' "
                         f"({exc.dependencies[0] if exc.dependencies else 'see dlt docs'})") from None
    except (ConfigurationException, ValueError) as exc:
        raise UsageError(f"--out {url}: {exc} (credentials: DESTINATION__FILESYSTEM__CREDENTIALS__...)") from None
    return fs, root
