"""A throwaway PostgreSQL server for tests: initdb in a temporary directory, listening on a free
loopback port (and a Unix socket inside that directory), password authentication for the
`stepd` superuser, stopped and deleted by close().

PostgreSQL refuses to run as root; when the tests run as root (CI), the server runs as the
`postgres` system user that Debian's package creates, and the temporary directory is handed to
it. Standard library only; the server binaries come from the `postgresql` package that
`.ci/install-deps.sh --test` installs.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import time

from stepd_harness import free_port

USER = "stepd"
PASSWORD = "stepd-test-password"
DATABASE = "stepd"


def _bin_dir():
    """The newest PostgreSQL server's bin directory, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    for d in reversed(dirs):
        if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "pg_ctl")):
            return d
    return None


def available():
    return _bin_dir() is not None and shutil.which("psql") is not None


class PostgresServer:
    def __init__(self):
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = bin_dir
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="stepd-pg-")
        self.data = os.path.join(self.tmp, "data")
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.tmp, user="postgres")
        pwfile = os.path.join(self.tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self.as_user:
            shutil.chown(pwfile, user="postgres")
        self._run("initdb", "-D", self.data, "-U", USER, "--pwfile", pwfile,
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        os.remove(pwfile)
        self.start()
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")

    def _run(self, tool, *args):
        cmd = [*self.as_user, os.path.join(self.bin, tool), *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{tool} failed ({p.returncode}): {p.stderr or p.stdout}")
        return p.stdout

    def stop(self):
        """Stops the server (fast shutdown: sessions are ended) and keeps its data."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def start(self):
        """Starts the server again after stop(), on the same port."""
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.tmp} -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-o", opts, "-l",
                  os.path.join(self.tmp, "log"), "-w", "-t", "60", "start")

    def env(self):
        """libpq environment for psql and friends."""
        e = dict(os.environ)
        e.update({"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": USER,
                  "PGPASSWORD": PASSWORD})
        return e

    def conninfo(self, dbname=DATABASE):
        """A libpq conninfo without the password (stepd reads that from the environment)."""
        return f"host=127.0.0.1 port={self.port} dbname={dbname} sslmode=disable"

    def psql(self, dbname, sql):
        """Runs SQL with psql; returns the rows as lists of text (unaligned, tab-separated)."""
        p = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\t",
                            "-d", dbname, "-c", sql],
                           env=self.env(), capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"psql failed: {p.stderr}")
        return [line.split("\t") for line in p.stdout.splitlines() if line]

    def close(self):
        if os.path.exists(self.data):
            try:
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
