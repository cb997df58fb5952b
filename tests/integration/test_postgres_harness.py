"""The throwaway PostgreSQL the SQL-step tests run against (pg_harness.py): it starts on a free
port as a non-root user, takes password logins only, and is gone after close()."""
import os
import socket
import subprocess
import unittest

import pg_harness


@unittest.skipUnless(pg_harness.available(), "PostgreSQL server binaries are not installed")
class PostgresHarnessTest(unittest.TestCase):
    def test_starts_answers_and_goes_away(self):
        pg = pg_harness.PostgresServer()
        try:
            self.assertEqual(pg.psql(pg_harness.DATABASE, "SELECT 1 + 1, current_user"),
                             [["2", pg_harness.USER]])
            env = pg.env()
            env["PGPASSWORD"] = "wrong"
            p = subprocess.run(["psql", "-X", "-d", pg_harness.DATABASE, "-c", "SELECT 1"],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0, "a wrong password is refused")
            self.assertIn("password authentication failed", p.stderr)
        finally:
            pg.close()
        self.assertFalse(os.path.exists(pg.tmp))
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", pg.port)), 0, "nothing listens any more")


if __name__ == "__main__":
    unittest.main()
