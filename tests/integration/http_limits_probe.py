"""Measures what stepd's HTTP layer (cpprestsdk's Boost.Asio listener) lets a client do.

Not a test: a script that starts a server, throws oversized and slow requests at it with raw
sockets, and prints what happened (status, time, the server's resident memory). The findings are
written up in api/README.md; run this again after changing the HTTP layer or the library.

    STEPD_BIN=build/stepd STEPD_SOURCE_DIR=. python3 tests/integration/http_limits_probe.py [--quick]
"""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from stepd_harness import StepdServer  # noqa: E402

MiB = 1024 * 1024


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_status(s, timeout):
    """The status code of the first response on s, None on timeout, 'closed' if closed first."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return "closed" if not data else data.split(b" ")[1].decode()
            data += chunk
    except socket.timeout:
        return None
    except OSError as e:
        return f"error {e.errno}"
    return data.split(b" ")[1].decode()


def drain(s, timeout=2):
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


def healthy(port):
    try:
        with connect(port, timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return read_status(s, 5) == "200"
    except OSError:
        return False


def send_all(s, data, piece=MiB):
    for i in range(0, len(data), piece):
        s.sendall(data[i:i + piece])


class Probe:
    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.pid = server.proc.pid

    def report(self, name, **facts):
        facts["rss_mib"] = round(rss_mib(self.pid), 1)
        facts["healthy"] = healthy(self.port)
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in facts.items()), flush=True)

    def request_line(self, size):
        with connect(self.port) as s:
            t = time.monotonic()
            target = b"/healthz?pad=" + b"a" * size
            send_all(s, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status = read_status(s, 30)
            self.report(f"request line {size} bytes", status=status,
                        seconds=round(time.monotonic() - t, 2))

    def header_count(self, count):
        with connect(self.port) as s:
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
                b"X-Pad-%d: %s\r\n" % (i, b"v" * 40) for i in range(count)) + b"\r\n"
            t = time.monotonic()
            send_all(s, head)
            status = read_status(s, 60)
            self.report(f"{count} headers ({len(head) // 1024} KiB)", status=status,
                        seconds=round(time.monotonic() - t, 2))

    def header_size(self, size):
        with connect(self.port) as s:
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * size + b"\r\n\r\n"
            t = time.monotonic()
            send_all(s, head)
            status = read_status(s, 60)
            self.report(f"one header of {size // 1024} KiB", status=status,
                        seconds=round(time.monotonic() - t, 2))

    def declared_length_no_body(self, length):
        """Headers announce a huge body; none is sent. Does an answer come before the body?"""
        with connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
                      b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n" % length)
            status = read_status(s, 3)
            self.report(f"Content-Length {length}, no body sent, waited 3 s", status=status)

    def declared_length_with_body(self, length):
        with connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
                      b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n" % length)
            t = time.monotonic()
            peak = 0.0
            piece = b" " * MiB
            sent = 0
            try:
                while sent < length:
                    s.sendall(piece[:min(MiB, length - sent)])
                    sent += min(MiB, length - sent)
                    if sent % (16 * MiB) == 0:
                        peak = max(peak, rss_mib(self.pid))
                status = read_status(s, 30)
            except OSError as e:
                status = f"send failed after {sent // MiB} MiB: {e}"
            self.report(f"Content-Length {length // MiB} MiB, body sent", status=status,
                        seconds=round(time.monotonic() - t, 2), peak_rss_mib=round(peak, 1))

    def chunked_body(self, total):
        with connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
                      b"Content-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
            t = time.monotonic()
            chunk = b"%x\r\n" % MiB + b" " * MiB + b"\r\n"
            peak = 0.0
            sent = 0
            try:
                while sent < total:
                    s.sendall(chunk)
                    sent += MiB
                    if sent % (16 * MiB) == 0:
                        peak = max(peak, rss_mib(self.pid))
                s.sendall(b"0\r\n\r\n")
                status = read_status(s, 30)
            except OSError as e:
                status = f"send failed after {sent // MiB} MiB: {e}"
            self.report(f"chunked body {total // MiB} MiB", status=status,
                        seconds=round(time.monotonic() - t, 2), peak_rss_mib=round(peak, 1))

    def one_big_chunk(self, size):
        """A chunked body of one chunk: cpprestsdk waits for the whole chunk before passing it on."""
        with connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % size)
            t = time.monotonic()
            piece = b" " * MiB
            peak = 0.0
            for sent in range(0, size, MiB):
                s.sendall(piece)
                if sent % (16 * MiB) == 0:
                    peak = max(peak, rss_mib(self.pid))
            peak = max(peak, rss_mib(self.pid))
            s.sendall(b"\r\n0\r\n\r\n")
            status = read_status(s, 30)
            self.report(f"chunked body of one {size // MiB} MiB chunk", status=status,
                        seconds=round(time.monotonic() - t, 2), peak_rss_mib=round(peak, 1))

    def bad_chunk_size(self, size_text, send_mib):
        """A chunk size that is negative or beyond int: how much does the server take in?"""
        with connect(self.port) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + size_text + b"\r\n")
            piece = b" " * MiB
            sent = 0
            try:
                for _ in range(send_mib):
                    s.sendall(piece)
                    sent += 1
            except OSError:
                pass
            peak = rss_mib(self.pid)
            s.shutdown(socket.SHUT_WR)
            status = read_status(s, 10)
            self.report(f"chunk size {size_text.decode()}, {sent} MiB sent", status=status,
                        peak_rss_mib=round(peak, 1))

    def slow_headers(self, seconds):
        """Slowloris: a header line every 5 s; does the server ever hang up?"""
        with connect(self.port) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            t = time.monotonic()
            closed = False
            i = 0
            while time.monotonic() - t < seconds:
                time.sleep(5)
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % i)
                    i += 1
                except OSError:
                    closed = True
                    break
            s.setblocking(False)
            try:
                closed = closed or s.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed = True
            self.report(f"headers trickled for {seconds} s", server_closed=closed)

    def silent_connection(self, seconds):
        with connect(self.port) as s:
            status = read_status(s, seconds)
            self.report(f"connection sending nothing for {seconds} s", server_closed=status == "closed")

    def idle_connections(self, count):
        socks = []
        t = time.monotonic()
        try:
            for _ in range(count):
                socks.append(connect(self.port))
        except OSError as e:
            print(f"  could not open more than {len(socks)} connections: {e}")
        time.sleep(1)
        self.report(f"{len(socks)} idle connections open", server_fds=fd_count(self.pid),
                    seconds_to_open=round(time.monotonic() - t, 2))
        for s in socks:
            s.close()
        time.sleep(1)
        self.report(f"  after closing them", server_fds=fd_count(self.pid))

    def fd_exhaustion(self):
        """Opens connections until the server runs out of descriptors, then lets go of them."""
        # A low limit on the server only, so the client does not run out first.
        limit = 512
        resource.prlimit(self.pid, resource.RLIMIT_NOFILE, (limit, limit))
        socks = []
        try:
            for _ in range(limit + 50):
                socks.append(connect(self.port))
        except OSError as e:
            print(f"  client stopped at {len(socks)}: {e}")
        time.sleep(2)
        self.report(f"{len(socks)} connections against a server limit of {limit} descriptors",
                    server_fds=fd_count(self.pid))
        for s in socks:
            s.close()
        time.sleep(2)
        self.report("  after closing them", server_fds=fd_count(self.pid))


def main():
    quick = "--quick" in sys.argv
    with StepdServer() as server:
        p = Probe(server)
        p.report("baseline")
        for size in (8 * 1024, 1 * MiB, 16 * MiB):
            p.request_line(size)
        p.header_count(1000)
        p.header_count(100000)
        p.header_size(64 * 1024)
        p.header_size(16 * MiB)
        p.declared_length_no_body(10 ** 12)
        p.declared_length_with_body(4 * MiB)
        p.declared_length_with_body(64 * MiB if quick else 512 * MiB)
        p.chunked_body(4 * MiB)
        p.chunked_body(64 * MiB if quick else 512 * MiB)
        p.one_big_chunk(256 * MiB)
        p.bad_chunk_size(b"-10", 256)
        p.bad_chunk_size(b"ffffffffff", 256)
        p.silent_connection(10 if quick else 70)
        p.slow_headers(15 if quick else 70)
        p.idle_connections(2000)
        if not quick:
            p.fd_exhaustion()


if __name__ == "__main__":
    main()
