#!/usr/bin/env python3
"""Sends one Script-Fu expression to GIMP's Script-Fu server and prints the answer.

usage: script-fu-client.py PORT EXPRESSION [TIMEOUT_SECONDS]
Waits up to TIMEOUT_SECONDS (default 120) for the server to accept connections, since GIMP
takes a while to start. Exit status 0 when GIMP reports success, 1 otherwise.
Protocol (GIMP 2.10 Script-Fu server): request 'G', 16-bit big-endian length, text; reply 'G',
error flag byte, 16-bit big-endian length, text.
"""
import socket
import struct
import sys
import time


def connect(port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("GIMP closed the connection")
        data += chunk
    return data


def main():
    port = int(sys.argv[1])
    expression = sys.argv[2].encode("utf-8")
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    with connect(port, timeout) as sock:
        sock.sendall(b"G" + struct.pack(">H", len(expression)) + expression)
        magic, error, length = struct.unpack(">cBH", read_exactly(sock, 4))
        answer = read_exactly(sock, length).decode("utf-8", "replace")
    print(answer)
    return 0 if magic == b"G" and error == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
