#!/usr/bin/python3
"""Checks the deployment files without a Docker engine: docker-compose.yml, deploy/Dockerfile,
deploy/redis.conf (against the real redis-server) and scripts/dev-pki (against the openssl CLI).

Usage: /usr/bin/python3 tests/deploy/check_deploy_files.py REPO_ROOT
Prints one line per check passed; exits 1 with a message on the first failure.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

import yaml  # Debian's python3-yaml: run with /usr/bin/python3

# Binary name -> port, as documented for the suite. The compose service is the name without "rusta-".
BINARIES = {
    "rusta-assessment": 50051,
    "rusta-referral": 50052,
    "rusta-provider-registry": 50053,
    "rusta-secure-messaging": 50054,
    "rusta-municipal-collaboration": 50055,
}
# The one list of configuration names the services read (flag --name=value or environment RUSTA_NAME).
ENV_NAMES = {
    "RUSTA_LISTEN", "RUSTA_REDIS_ADDRESS", "RUSTA_REDIS_PASSWORD", "RUSTA_TLS_CERT", "RUSTA_TLS_KEY",
    "RUSTA_TLS_CA", "RUSTA_INSECURE_DEV_MODE", "RUSTA_TRUST_DOMAIN", "RUSTA_WORKERS",
    "RUSTA_REFERENCE_DATA_DIR", "RUSTA_PSEUDONYM_SECRET",
}
DOCKERFILE_INSTRUCTIONS = set("FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR "
                              "ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL".split())
PKI_CLIENTS = {"caseworker": "caseworker/cw-0001", "provider": "provider/5560360793",
               "municipality": "municipality/1480", "admin": "admin/admin-0001"}


class CheckFailed(Exception):
    """The message says which file and what is wrong."""


def require(cond, message):
    if not cond:
        raise CheckFailed(message)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def load_compose(root):
    try:
        with open(os.path.join(root, "docker-compose.yml")) as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise CheckFailed(f"docker-compose.yml is not valid YAML: {e}")


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {str(k): v for k, v in env.items()}


def port_pairs(ports):
    """(published, container) for short ("H:C", "IP:H:C") and long ({published, target}) syntax."""
    for p in ports or []:
        if isinstance(p, dict):
            yield int(p.get("published", 0)), int(p["target"])
        else:
            parts = str(p).split("/")[0].split(":")
            yield int(parts[-2]) if len(parts) > 1 else 0, int(parts[-1])


def check_compose(root):
    doc = load_compose(root)
    require(isinstance(doc, dict), "docker-compose.yml: top level is not a mapping")
    require("version" not in doc, "docker-compose.yml: drop the obsolete `version:` key")
    services = doc.get("services") or {}
    expected = {b[len("rusta-"):] for b in BINARIES} | {"redis"}
    require(set(services) == expected,
            f"docker-compose.yml: services are {sorted(services)}, expected {sorted(expected)}")
    redis = services["redis"]
    require(str(redis.get("image", "")).startswith("redis:7.0"), "compose redis: image must be redis:7.0")
    require("redis-cli" in json.dumps(redis.get("healthcheck", {}).get("test")),
            "compose redis: health check must use redis-cli ping")
    require(any(str(v).endswith(":/data") for v in redis.get("volumes", [])),
            "compose redis: no volume for /data")
    for name, svc in services.items():
        bad = [k for k in environment_of(svc) if k.startswith("RUSTA_") and k not in ENV_NAMES]
        require(not bad, f"compose service {name}: undocumented environment names {bad}")
    for name, svc in ((n, s) for n, s in services.items() if n != "redis"):
        where = f"compose service {name}"
        cmd = svc.get("command")
        argv = cmd if isinstance(cmd, list) else shlex.split(cmd or "")
        require(argv and argv[0] in BINARIES, f"{where}: command {cmd!r} names no rusta binary")
        require(argv[0] == "rusta-" + name, f"{where}: runs {argv[0]}, expected rusta-{name}")
        env = environment_of(svc)
        m = re.fullmatch(r"(.+):(\d+)", str(env.get("RUSTA_LISTEN", "")))
        require(m, f"{where}: RUSTA_LISTEN {env.get('RUSTA_LISTEN')!r} is not host:port")
        port = int(m.group(2))
        require(port == BINARIES[argv[0]], f"{where}: listens on {port}, expected {BINARIES[argv[0]]}")
        pairs = list(port_pairs(svc.get("ports")))
        require((port, port) in pairs, f"{where}: port {port} is not published as {port}:{port} ({pairs})")
        address = str(env.get("RUSTA_REDIS_ADDRESS", ""))
        require(address.rsplit(":", 1)[0] == "redis",
                f"{where}: RUSTA_REDIS_ADDRESS {address!r} is not redis:PORT")
        dep = (svc.get("depends_on") or {}).get("redis") if isinstance(svc.get("depends_on"), dict) else None
        require(dep and dep.get("condition") == "service_healthy",
                f"{where}: needs depends_on redis with condition service_healthy")
        for key in ("RUSTA_TLS_CERT", "RUSTA_TLS_KEY", "RUSTA_TLS_CA"):
            require(env.get(key), f"{where}: {key} is not set")
    print("ok: docker-compose.yml: redis + 5 services, commands, ports, Redis address, RUSTA_* names")


def dockerfile_instructions(path):
    """(line number, INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not buf:
                start = n
            if stripped.endswith("\\"):
                buf += stripped[:-1] + " "
                continue
            buf += stripped
            word, _, args = buf.partition(" ")
            out.append((start, word, args.strip()))
            buf = ""
    require(not buf, f"{path}: ends inside a continued line")
    return out


def check_dockerfile(root):
    path = os.path.join(root, "deploy", "Dockerfile")
    stages, copied, user = [], set(), None
    for n, word, args in dockerfile_instructions(path):
        where = f"deploy/Dockerfile:{n}"
        require(word.upper() in DOCKERFILE_INSTRUCTIONS, f"{where}: {word!r} is not a Dockerfile instruction")
        require(word == word.upper(), f"{where}: write instructions in upper case ({word})")
        require(stages or word in ("FROM", "ARG"), f"{where}: {word} before the first FROM")
        require("<<" not in args or word != "RUN", f"{where}: heredocs are not checked here; avoid them")
        if word == "FROM":
            m = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            require(m and re.fullmatch(r"debian:12(-slim)?(@sha256:[0-9a-f]{64})?", m.group(1)),
                    f"{where}: stages must start FROM debian:12 or debian:12-slim, got {args!r}")
            stages.append((m.group(1), m.group(2)))
            user = None
        elif word == "USER":
            user = args.split(":")[0]
        elif word == "COPY" and "--from=" in args:
            tokens = json.loads(args) if args.startswith("[") else args.split()
            source = next(t for t in tokens if t.startswith("--from="))[len("--from="):]
            earlier = {name for _, name in stages[:-1] if name} | {str(i) for i in range(len(stages) - 1)}
            require(source in earlier, f"{where}: COPY --from={source} names no earlier stage")
            files = [t for t in tokens if not t.startswith("--")][:-1]
            require(all("*" not in f and "?" not in f for f in files),
                    f"{where}: copy the binaries by name, not with a wildcard")
            copied |= {os.path.basename(f) for f in files if os.path.basename(f).startswith("rusta-")}
    require(len(stages) >= 2, "deploy/Dockerfile: expected a build stage and a runtime stage")
    require(stages[-1][0].startswith("debian:12-slim"), "deploy/Dockerfile: runtime stage must be debian:12-slim")
    require(copied == set(BINARIES), f"deploy/Dockerfile: copies {sorted(copied)}, expected {sorted(BINARIES)}")
    require(user and user not in ("root", "0"),
            "deploy/Dockerfile: the runtime stage must end with a non-root USER")
    print("ok: deploy/Dockerfile: instructions, debian:12 stages, COPY --from, the 5 binaries, non-root")


def check_redis_conf(root):
    conf = os.path.join(root, "deploy", "redis.conf")
    with open(conf) as f:
        text = f.read()
    lines = [l.split() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    require([l for l in lines if l[0].lower() == "dir"] == [["dir", "/data"]],
            "deploy/redis.conf: needs exactly `dir /data`")
    require(not any(l[0].lower() == "requirepass" for l in lines), "deploy/redis.conf: no requirepass in the file")
    renamed = {l[1].upper() for l in lines if l[0].lower() == "rename-command" and len(l) > 1}
    require(not renamed & {"FUNCTION", "FCALL", "FCALL_RO", "EVAL", "EVALSHA"},
            f"deploy/redis.conf: the services need FUNCTION/FCALL/EVAL; do not rename {sorted(renamed)}")
    # Short path: a Unix socket path must fit in 108 bytes, whatever TMPDIR is.
    with tempfile.TemporaryDirectory(prefix="rusta-redis-", dir="/tmp") as tmp:
        # redis-server changes into `dir` while reading the file, before command-line options apply,
        # so the copy it reads names the temporary directory instead of /data (checked above).
        copy = os.path.join(tmp, "redis.conf")
        with open(copy, "w") as f:
            f.write(re.sub(r"(?m)^dir /data$", f"dir {tmp}", text))
        sock, log = os.path.join(tmp, "r.sock"), open(os.path.join(tmp, "log"), "w+")
        proc = subprocess.Popen(["redis-server", copy, "--port", "0", "--unixsocket", sock, "--dir", tmp,
                                 "--daemonize", "no", "--bind", "127.0.0.1", "--protected-mode", "no"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(sock):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise CheckFailed("redis-server does not accept deploy/redis.conf:\n" + log.read()[-2000:])
                time.sleep(0.05)

            def cli(*args):
                r = run(["redis-cli", "-s", sock, *args])
                require(r.returncode == 0 and not r.stdout.startswith("ERR"),
                        f"redis-cli {args[0]}: {r.stdout}{r.stderr}")
                return r.stdout.split("\n")

            for key, want in (("appendonly", "yes"), ("appendfsync", "always"),
                              ("maxmemory-policy", "noeviction"), ("aof-use-rdb-preamble", "yes")):
                got = cli("CONFIG", "GET", key)
                require(got[:2] == [key, want], f"deploy/redis.conf: {key} is {got[1:2]}, expected {want}")
            # The services need FUNCTION LOAD and FCALL.
            cli("FUNCTION", "LOAD", "#!lua name=deploycheck\n"
                "redis.register_function('deploycheck', function() return 7 end)")
            require(cli("FCALL", "deploycheck", "0")[0] == "7", "deploy/redis.conf: FCALL does not work")
            cli("SHUTDOWN", "NOSAVE")
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    print("ok: deploy/redis.conf: accepted by redis-server; appendonly yes, appendfsync always, noeviction, FCALL")


def san_uris(cert):
    r = run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", cert])
    require(r.returncode == 0, f"openssl x509 {cert}: {r.stderr}")
    return re.findall(r"URI:([^,\s]+)", r.stdout)


def snapshot(d):
    return {os.path.join(p, f): os.stat(os.path.join(p, f)).st_mtime_ns
            for p, _, fs in os.walk(d) for f in fs if f != ".lock"}


def check_dev_pki(root):
    script = os.path.join(root, "scripts", "dev-pki")
    require(os.access(script, os.X_OK), "scripts/dev-pki is missing or not executable")
    with tempfile.TemporaryDirectory(prefix="rusta-pki-") as tmp:
        pki = os.path.join(tmp, "pki")
        start = time.monotonic()
        r = run([script, pki])
        took = time.monotonic() - start
        require(r.returncode == 0, f"scripts/dev-pki failed: {r.stderr}")
        require(took < 3, f"scripts/dev-pki took {took:.1f} s for the default set (limit 3 s)")
        ca = os.path.join(pki, "ca.crt")
        expected = {f"services/{b[len('rusta-'):]}": f"service/{b[len('rusta-'):]}" for b in BINARIES}
        expected.update({f"clients/{c}": path for c, path in PKI_CLIENTS.items()})
        for base, path in expected.items():
            crt, key = os.path.join(pki, base + ".crt"), os.path.join(pki, base + ".key")
            require(os.path.isfile(crt) and os.path.isfile(key), f"dev-pki: {base}.crt/.key missing")
            require(os.stat(key).st_mode & 0o777 == 0o600, f"dev-pki: {base}.key is not mode 0600")
            purposes = ["sslclient", "sslserver"] if base.startswith("services/") else ["sslclient"]
            for purpose in purposes:
                v = run(["openssl", "verify", "-purpose", purpose, "-CAfile", ca, crt])
                require(v.returncode == 0,
                        f"dev-pki: {base}.crt fails verification ({purpose}): {v.stdout}{v.stderr}")
            uris = san_uris(crt)
            require(uris == [f"spiffe://rusta.local/{path}"], f"dev-pki: {base}.crt has URI SANs {uris}")
        require(os.stat(os.path.join(pki, "ca.key")).st_mode & 0o777 == 0o600, "dev-pki: ca.key is not mode 0600")
        before = snapshot(pki)
        r = run([script, pki])
        require(r.returncode == 0 and not r.stdout.strip(),
                f"dev-pki second run created something: {r.stdout}{r.stderr}")
        require(snapshot(pki) == before, "dev-pki: second run changed or added files")
        uri = "spiffe://rusta.local/auditor/au-0001"
        r = run([script, pki, "--client", "auditor", uri])
        crt = os.path.join(pki, "clients", "auditor.crt")
        require(r.returncode == 0 and os.path.isfile(crt), f"dev-pki --client failed: {r.stderr}")
        require(run(["openssl", "verify", "-CAfile", ca, crt]).returncode == 0,
                "dev-pki: --client cert fails verification")
        require(san_uris(crt) == [uri], f"dev-pki: --client cert has URI SANs {san_uris(crt)}")
        mtime = os.stat(crt).st_mtime_ns
        r = run([script, pki, "--client", "auditor", uri])
        require(r.returncode == 0 and not r.stdout.strip() and os.stat(crt).st_mtime_ns == mtime,
                "dev-pki --client is not idempotent")
        other = os.path.join(tmp, "other")
        r = run([script, other, "--trust-domain", "example.org"])
        require(r.returncode == 0, f"dev-pki --trust-domain failed: {r.stderr}")
        uris = san_uris(os.path.join(other, "services", "referral.crt"))
        require(uris == ["spiffe://example.org/service/referral"], f"dev-pki --trust-domain: URI SANs {uris}")
        # Every TLS file docker-compose.yml mounts from ./.run/pki is one dev-pki makes.
        for name, secret in (load_compose(root).get("secrets") or {}).items():
            rel = os.path.relpath(os.path.join(root, secret.get("file", "")), os.path.join(root, ".run", "pki"))
            require(os.path.isfile(os.path.join(pki, rel)), f"compose secret {name}: dev-pki makes no {rel}")
    print(f"ok: scripts/dev-pki: certificates verify, URI SANs, 0600 keys, idempotent, --client ({took:.2f} s)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_deploy_files.py REPO_ROOT")
    root = os.path.abspath(sys.argv[1])
    for check in (check_compose, check_dockerfile, check_redis_conf, check_dev_pki):
        try:
            check(root)
        except (CheckFailed, OSError, KeyError, ValueError, subprocess.SubprocessError) as e:
            print(f"FAIL: {check.__name__}: {e}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
