"""The simulator's throwaway certificate authority and the TLS context of the board hosts."""

from __future__ import annotations

import fcntl
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import trustme

# One leaf certificate names every simulated host; wildcards cover Indeed's country subdomains.
BOARD_HOSTS = (
    "www.linkedin.com",
    "linkedin.com",
    "*.linkedin.com",
    "apis.indeed.com",
    "indeed.com",
    "*.indeed.com",
    "api.ipify.org",
    "api4.ipify.org",
    "api64.ipify.org",
    "ipify.org",
)
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"


class Authority:
    """A local CA: persisted in ``ca_dir`` and reused when given, else in a temporary folder."""

    def __init__(self, ca_dir: str | os.PathLike[str] | None = None) -> None:
        self._temporary = ca_dir is None
        self.directory = Path(ca_dir) if ca_dir else Path(tempfile.mkdtemp(prefix="jobfleet-sim-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = self.directory / CA_FILE, self.directory / CA_KEY_FILE
        # Locked, so two simulators sharing a folder never pair one's key with the other's cert.
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if cert_path.exists() and key_path.exists():
                self.ca = trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
            else:
                self.ca = trustme.CA(organization_name="jobfleet simulated boards")
                _write(key_path, self.ca.private_key_pem.bytes(), mode=0o600)
                _write(cert_path, self.ca.cert_pem.bytes(), mode=0o644)
        self.ca_path = cert_path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*BOARD_HOSTS, common_name="www.linkedin.com").configure_cert(context)
        # Offering only HTTP/1.1 makes h2-capable clients (curl with Chrome impersonation)
        # fall back to what the simulator speaks.
        context.set_alpn_protocols(["http/1.1"])
        return context

    def ca_pem(self) -> bytes:
        return self.ca.cert_pem.bytes()

    def close(self) -> None:
        if self._temporary:
            shutil.rmtree(self.directory, ignore_errors=True)


def _write(path: Path, data: bytes, mode: int) -> None:
    # Written aside and renamed: a crash never leaves half a key behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)
