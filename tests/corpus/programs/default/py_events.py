# select.epoll and selectors (epoll underneath) over pipes; os.eventfd.
import os, select, selectors, sys, time

print(selectors.DefaultSelector.__name__)

ep = select.epoll()
r, w = os.pipe()
ep.register(r, select.EPOLLIN)
print("idle", ep.poll(0))
os.write(w, b"hello")
print("ready", ep.poll(0) == [(r, select.EPOLLIN)])
print("read", os.read(r, 100))
ep.modify(r, select.EPOLLIN | select.EPOLLET)
os.write(w, b"abc")
print("edge", len(ep.poll(0)), len(ep.poll(0)))
os.read(r, 1)
print("partial read, no edge", ep.poll(0))
ep.unregister(r)
try:
    ep.unregister(r)
except OSError as e:
    print("unregister twice", type(e).__name__, e.errno == 2)
os.close(w)
ep.register(r, select.EPOLLIN)
print("hang-up", ep.poll(0) == [(r, select.EPOLLHUP | select.EPOLLIN)] or ep.poll(0))
ep.close()
os.close(r)

# selectors: echo through a child process.
sel = selectors.DefaultSelector()
down_r, down_w = os.pipe()
up_r, up_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(down_w)
    os.close(up_r)
    while True:
        data = os.read(down_r, 100)
        if not data:
            os._exit(0)
        os.write(up_w, data.upper())
os.close(down_r)
os.close(up_w)
sel.register(up_r, selectors.EVENT_READ, "up")
sel.register(down_w, selectors.EVENT_WRITE, "down")
sent = []
got = b""
words = [b"alpha", b"beta", b"gamma"]
total = sum(map(len, words))
while len(got) < total:
    for key, mask in sel.select(timeout=5):
        if key.data == "down" and words:
            w = words.pop(0)
            os.write(down_w, w)
            sent.append(w)
            if not words:
                sel.unregister(down_w)
        elif key.data == "up":
            got += os.read(up_r, 100)
print("echoed", got)
os.close(down_w)
sel.unregister(up_r)
sel.register(up_r, selectors.EVENT_READ)
events = sel.select(timeout=5)
print("child closed", len(events), os.read(up_r, 10))
os.waitpid(pid, 0)
sel.close()

# Timeouts.
ep = select.epoll()
a, b = os.pipe()
ep.register(a, select.EPOLLIN)
t = time.monotonic()
print("timeout", ep.poll(0.05), time.monotonic() - t >= 0.04)

# eventfd.
if hasattr(os, "eventfd"):
    fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    try:
        os.eventfd_read(fd)
    except BlockingIOError:
        print("eventfd empty: EAGAIN")
    os.eventfd_write(fd, 3)
    os.eventfd_write(fd, 4)
    ep.register(fd, select.EPOLLIN)
    print("eventfd ready", ep.poll(0) == [(fd, select.EPOLLIN)])
    print("eventfd value", os.eventfd_read(fd))
    sem = os.eventfd(2, os.EFD_SEMAPHORE)
    print("semaphore", os.eventfd_read(sem), os.eventfd_read(sem))
    os.close(fd)
    os.close(sem)
else:
    print("no os.eventfd")
