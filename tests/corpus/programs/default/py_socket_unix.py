# AF_UNIX sockets from Python: socketpair, a threaded server on a filesystem name and
# one on an abstract name, descriptor passing (send_fds/recv_fds), selectors, timeouts.
import os, selectors, socket, threading

a, b = socket.socketpair()
print(a.family.name, a.type.name, b.getsockname() == "")
a.sendall(b"ping")
print(b.recv(16))
sender = threading.Thread(target=b.sendall, args=(b"x" * 300000,))
sender.start()
got = 0
while got < 300000:
    got += len(a.recv(65536))
sender.join()
print("large transfer", got)
b.close()
print("after close", a.recv(16))
a.close()

# A threaded echo server on a filesystem name.
path = "/tmp/py-echo.sock"
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen()
print("listening on", srv.getsockname(), os.path.exists(path))

def serve(n):
    for _ in range(n):
        conn, _ = srv.accept()
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data.upper())

t = threading.Thread(target=serve, args=(3,))
t.start()
for word in ["alpha", "beta", "gamma"]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        c.sendall(word.encode())
        c.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := c.recv(1024):
            reply += chunk
        print(word, "->", reply.decode(), c.getpeername())
t.join()
srv.close()
os.unlink(path)

# Descriptor passing between processes.
parent, child = socket.socketpair()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    parent.close()
    msg, fds, flags, addr = socket.recv_fds(child, 64, 4)
    os.write(fds[0], msg.upper())
    os._exit(0)
child.close()
socket.send_fds(parent, [b"through a passed pipe"], [w])
os.close(w)
_, status = os.waitpid(pid, 0)
print(os.read(r, 100).decode(), os.waitstatus_to_exitcode(status))
os.close(r)
parent.close()

# Datagrams on an abstract name, with a selector.
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind("\0py-dgram")
client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
client.bind("\0py-client")
sel = selectors.PollSelector()
sel.register(server, selectors.EVENT_READ, "server")
print("nothing ready:", sel.select(timeout=0))
for i in range(3):
    client.sendto(f"dgram {i}".encode(), "\0py-dgram")
events = sel.select(timeout=1)
print("ready:", [(key.data, mask) for key, mask in events])
for _ in range(3):
    data, addr = server.recvfrom(100)
    print(data.decode(), "from", repr(addr))
sel.close()

# A selector-driven echo with nonblocking sockets and a timeout.
x, y = socket.socketpair()
x.setblocking(False)
sel = selectors.SelectSelector()
sel.register(x, selectors.EVENT_READ | selectors.EVENT_WRITE)
(key, mask), = sel.select(timeout=1)
print("writable only:", mask == selectors.EVENT_WRITE)
y.send(b"hello")
(key, mask), = sel.select(timeout=1)
print("both:", mask == selectors.EVENT_READ | selectors.EVENT_WRITE, x.recv(10))
try:
    x.recv(10)
except BlockingIOError as e:
    print("would block:", e.errno == 11)
y.settimeout(0.05)
try:
    y.recv(10)
except socket.timeout:
    print("timed out")
x.close()
try:
    y.send(b"x")
except BrokenPipeError:
    print("broken pipe")
print("SO_TYPE", y.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE))
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect("/tmp/missing.sock")
except FileNotFoundError:
    print("no such socket")
