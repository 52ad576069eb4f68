"""The TLS side of ``--web.config.file``: an ``ssl.SSLContext`` built from a ``TlsConfig``, every
failure a WebConfigError naming the file (or inline key) at fault.

Inline ``cert``/``key`` PEM is written to a private temporary directory (0700, files 0600) for
``load_cert_chain``, which reads only files, and removed at once. A SIGHUP builds a new context
rather than changing the live one: client CAs and curves cannot be taken out of a context.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

from exporter.web_config import CLIENT_AUTH_TYPES, CURVES, TLS_VERSIONS, TlsConfig, WebConfigError


def new_ssl_context(tls: TlsConfig) -> ssl.SSLContext:
    """A server context for ``tls``; WebConfigError if a file or setting cannot be used."""
    try:
        return _new_ssl_context(tls)
    except WebConfigError as error:
        if tls.source is None:
            raise
        raise WebConfigError(f"{tls.source}: {error}") from None


def _new_ssl_context(tls: TlsConfig) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _load_certificate(context, tls)
    _load_client_cas(context, tls)
    context.verify_mode = CLIENT_AUTH_TYPES[tls.client_auth_type]
    context.minimum_version = TLS_VERSIONS[tls.min_version]
    context.maximum_version = TLS_VERSIONS[tls.max_version]
    ciphers = tls.tls12_ciphers
    if ciphers is not None:
        try:
            context.set_ciphers(ciphers)
        except ssl.SSLError as error:
            raise WebConfigError(
                f"tls_server_config.cipher_suites: this OpenSSL ({ssl.OPENSSL_VERSION}) offers "
                f"none of {ciphers}: {error.reason or error}"
            ) from None
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if tls.curve is not None:
        try:
            context.set_ecdh_curve(CURVES[tls.curve])
        except (ValueError, ssl.SSLError) as error:
            raise WebConfigError(
                f"tls_server_config.curve_preferences: {tls.curve} is not available in "
                f"{ssl.OPENSSL_VERSION}: {error}"
            ) from None
    return context


def _reason(error: OSError | ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLError):
        return str(error.reason or error)
    return error.strerror or str(error)


def _readable(path: Path, what: str) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise WebConfigError(f"cannot read the {what} {path}: {_reason(error)}") from None


def _load_certificate(context: ssl.SSLContext, tls: TlsConfig) -> None:
    cert_name = str(tls.cert_file) if tls.cert_file else "tls_server_config.cert (inline)"
    key_name = str(tls.key_file) if tls.key_file else "tls_server_config.key (inline)"
    if tls.cert_file is not None:
        _readable(tls.cert_file, "TLS certificate (cert_file)")
    if tls.key_file is not None:
        _readable(tls.key_file, "TLS key (key_file)")
    with tempfile.TemporaryDirectory(prefix="kpi-targets-tls-") as private:  # made 0700
        cert = tls.cert_file or _private_file(Path(private) / "cert.pem", tls.cert_pem)
        key = tls.key_file or _private_file(Path(private) / "key.pem", tls.key_pem)
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as error:
            raise WebConfigError(
                f"cannot use the TLS certificate {cert_name} with the key {key_name}: "
                f"{_reason(error)} (both PEM, the key unencrypted and matching the certificate)"
            ) from None


def _private_file(path: Path, text: str | None) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text or "")
    return path


def _load_client_cas(context: ssl.SSLContext, tls: TlsConfig) -> None:
    if tls.client_ca_file is None and tls.client_ca_pem is None:
        return
    name = str(tls.client_ca_file or "tls_server_config.client_ca (inline)")
    if tls.client_ca_file is not None:
        _readable(tls.client_ca_file, "client CA file (client_ca_file)")
    try:
        if tls.client_ca_file is not None:
            context.load_verify_locations(cafile=tls.client_ca_file)
        else:
            context.load_verify_locations(cadata=tls.client_ca_pem)
    except (OSError, ssl.SSLError) as error:
        raise WebConfigError(
            f"cannot use the client CA file {name}: {_reason(error)} (expected PEM certificates)"
        ) from None
    except TypeError:  # inline PEM must be ASCII
        raise WebConfigError(
            f"cannot use the client CA file {name}: not PEM (PEM certificates are ASCII text)"
        ) from None
    if not context.cert_store_stats()["x509"]:
        raise WebConfigError(
            f"the client CA file {name} holds no certificate: no client could be verified"
        )
