"""A ``NATS_URL`` with its own credentials and TLS: Koers signs in as told, over TLS.

The certificates are made here (a CA, the server's for 127.0.0.1, a client's), and the real
nats-server requires both TLS with a client certificate (mutual TLS) and a password.
"""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledger.application import Koers
from ledger.embedded import find_binary
from ledger.embedded._config import free_port
from ledger.errors import ConfigurationError, StoreUnavailable
from tests.store.users_support import wait_for_port

PASSWORD = "a-long-random-secret"


Issuer = tuple[x509.Name, ec.EllipticCurvePrivateKey]


def _issue(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: Issuer | None, *, ca: bool = False
) -> x509.Certificate:
    """A certificate for ``subject`` (self-signed without ``issuer``; for 127.0.0.1 unless a
    CA)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer if issuer is not None else (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """A nats-server that wants TLS, a client certificate and a password: its URL."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("koers test CA", ca_key, None, ca=True)
    _write(tmp_path / "ca", ca, ca_key)
    for who in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(tmp_path / who, _issue(who, key, (ca.subject, ca_key)), key)
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(
        f"listen: 127.0.0.1:{port}\n"
        f'jetstream {{ store_dir: "{tmp_path / "js"}" }}\n'
        "tls {\n"
        f'  cert_file: "{tmp_path / "server.pem"}"\n'
        f'  key_file: "{tmp_path / "server.key"}"\n'
        f'  ca_file: "{tmp_path / "ca.pem"}"\n'
        "  verify: true\n"
        "}\n"
        f'authorization {{ users = [ {{ user: "app", password: "{PASSWORD}" }} ] }}\n'
    )
    server = subprocess.Popen([str(find_binary()), "-c", str(config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port)
        yield f"tls://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _env(url: str, folder: Path, **changes: str | None) -> dict[str, str]:
    """Koers's settings for ``url``: user, password and mutual TLS, changed by ``changes``
    (``None`` leaves a variable out)."""
    env: dict[str, str | None] = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "NATS_URL": url,
        "NATS_USER": "app",
        "NATS_PASSWORD": PASSWORD,
        "NATS_TLS_CA": str(folder / "ca.pem"),
        "NATS_TLS_CERT": str(folder / "client.pem"),
        "NATS_TLS_KEY": str(folder / "client.key"),
        "NATS_TIMEOUT": "2",
        "NATS_CREATE_STREAM": "yes",  # a fresh server: no `koers init` first
        **changes,
    }
    return {k: v for k, v in env.items() if v is not None}


def test_koers_writes_and_reads_over_mutual_tls_with_its_own_password(
    tls_server: str, tmp_path: Path
) -> None:
    app = Koers(env=_env(tls_server, tmp_path))
    try:
        app.add_team(actor="admin", slug="alpha", name="Alpha")
    finally:
        app.close()
    again = Koers(env=_env(tls_server, tmp_path))  # a new connection reads it back
    try:
        assert again.team("alpha").name == "Alpha"
    finally:
        again.close()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"NATS_PASSWORD": "wrong"}, "Authorization Violation"),
        ({"NATS_TLS_CERT": None, "NATS_TLS_KEY": None}, "tls://127.0.0.1"),  # no client cert
    ],
)
def test_a_wrong_password_or_no_client_certificate_is_refused(
    tls_server: str, tmp_path: Path, changes: dict[str, str | None], why: str
) -> None:
    with pytest.raises(StoreUnavailable, match=why):
        Koers(env=_env(tls_server, tmp_path, **changes))


def test_unreadable_tls_files_are_a_configuration_error(tmp_path: Path) -> None:
    env = _env("tls://127.0.0.1:1", tmp_path)  # no files were made in tmp_path
    with pytest.raises(ConfigurationError, match="NATS_TLS_CA"):
        Koers(env=env)
