"""Certificates for the TLS tests, made by the real openssl in a test's tmp dir: a CA, a server
certificate it signs (for 127.0.0.1), client certificates it signs and a foreign one."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed (Debian package `openssl`); run scripts/test.sh"
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _key(name: str, kind: str, cwd: Path) -> None:
    if kind == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", f"{name}.key", cwd=cwd)  # fmt: skip
    else:
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", f"{name}.key", cwd=cwd)  # fmt: skip


def make_ca(name: str, cwd: Path) -> None:
    _key(name, "ec", cwd)
    _openssl("req", "-x509", "-new", "-key", f"{name}.key", "-days", "2", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:true",
             "-addext", "keyUsage=critical,keyCertSign", "-out", f"{name}.crt",
             cwd=cwd)  # fmt: skip


def make_signed(name: str, ca: str, san: str, usage: str, cwd: Path, kind: str = "ec") -> None:
    """``name``.crt/.key signed by ``ca``, with subjectAltName ``san`` (``DNS:x,IP:y``) and
    extendedKeyUsage ``usage`` (serverAuth, clientAuth)."""
    _key(name, kind, cwd)
    (cwd / f"{name}.ext").write_text(
        f"subjectAltName={san}\nextendedKeyUsage={usage}\nbasicConstraints=CA:false\n",
        encoding="utf-8",
    )
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out", f"{name}.csr",
             cwd=cwd)  # fmt: skip
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt",
             cwd=cwd)  # fmt: skip


@dataclass(frozen=True)
class Pki:
    directory: Path

    def crt(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key"


def make_pki(directory: Path) -> Pki:
    """ca signs server (EC, 127.0.0.1), rsa-server (RSA, 127.0.0.1), client (DNS:prometheus.test,
    IP:::1) and other-client (DNS:other.test); foreign-ca signs foreign-client."""
    directory.mkdir(parents=True, exist_ok=True)
    make_ca("ca", directory)
    make_ca("foreign-ca", directory)
    make_signed("server", "ca", "IP:127.0.0.1", "serverAuth", directory)
    make_signed("rsa-server", "ca", "IP:127.0.0.1", "serverAuth", directory, kind="rsa")
    make_signed("client", "ca", "DNS:prometheus.test,IP:0:0:0:0:0:0:0:1", "clientAuth", directory)
    make_signed("other-client", "ca", "DNS:other.test", "clientAuth", directory)
    make_signed("foreign-client", "foreign-ca", "DNS:prometheus.test", "clientAuth", directory)
    return Pki(directory)
