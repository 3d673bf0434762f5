# multiprocessing with the default (fork) start method: a Pool, a Queue, a duplex
# Pipe (a socket pair), a Lock and a shared Value (POSIX semaphores in /dev/shm and
# shared memory), an Event.
import multiprocessing as mp


def square(x):
    return x * x


def producer(q, n):
    for i in range(n):
        q.put(("item", i))
    q.put(None)


def echo(conn):
    while (msg := conn.recv()) is not None:
        conn.send(msg[::-1])
    conn.close()


def add(lock, counter, n):
    for _ in range(n):
        with lock:
            counter.value += 1


def waiter(ev, q):
    ev.wait()
    q.put("event seen")


if __name__ == "__main__":
    print(mp.get_start_method())
    with mp.Pool(2) as pool:
        print(pool.map(square, range(10)))
        print(pool.apply_async(square, (12,)).get(timeout=30))

    q = mp.Queue()
    p = mp.Process(target=producer, args=(q, 5))
    p.start()
    items = []
    while (item := q.get()) is not None:
        items.append(item)
    p.join()
    print(items, p.exitcode)

    parent, child = mp.Pipe()
    p = mp.Process(target=echo, args=(child,))
    p.start()
    for word in ["abc", "hello", "multiprocessing"]:
        parent.send(word)
        print(parent.recv())
    parent.send(None)
    p.join()
    print("pipe child exit", p.exitcode)

    lock = mp.Lock()
    counter = mp.Value("i", 0)
    procs = [mp.Process(target=add, args=(lock, counter, 50)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("counter", counter.value)

    ev = mp.Event()
    q = mp.Queue()
    p = mp.Process(target=waiter, args=(ev, q))
    p.start()
    ev.set()
    print(q.get(timeout=30))
    p.join()
    print("done", p.exitcode)
