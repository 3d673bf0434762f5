/* AF_UNIX stream sockets: socketpair, a named server (tmpfs, ext2 and abstract names)
 * with a forked client, accept4, names, SO_PEERCRED, MSG_PEEK/DONTWAIT/WAITALL,
 * shutdown, poll readiness, EPIPE and SIGPIPE, fstat. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "OK";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case ECONNRESET: return "ECONNRESET";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}
#define R(x) ((x) < 0 ? en(errno) : "OK")

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static const char *pollbits(short r) {
    static char b[64];
    b[0] = 0;
    if (r & POLLIN) strcat(b, "IN ");
    if (r & POLLOUT) strcat(b, "OUT ");
    if (r & POLLHUP) strcat(b, "HUP ");
    if (r & POLLRDHUP) strcat(b, "RDHUP ");
    if (r & POLLERR) strcat(b, "ERR ");
    if (r & POLLNVAL) strcat(b, "NVAL ");
    if (!b[0]) strcpy(b, "none ");
    return b;
}

static short pollone(int fd, short ev) {
    struct pollfd p = {fd, ev, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static void pair_tests(void) {
    int sv[2];
    char buf[64];
    printf("socketpair: %s\n", R(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    struct stat st;
    fstat(sv[0], &st);
    printf("fstat S_ISSOCK=%d\n", S_ISSOCK(st.st_mode));
    printf("fresh poll: %s\n", pollbits(pollone(sv[0], POLLIN | POLLOUT | POLLRDHUP)));
    printf("write=%zd\n", write(sv[0], "hello world", 11));
    printf("poll after write: %s\n", pollbits(pollone(sv[1], POLLIN | POLLOUT | POLLRDHUP)));
    int avail = -1;
    ioctl(sv[1], FIONREAD, &avail);
    printf("FIONREAD=%d\n", avail);
    ssize_t n = recv(sv[1], buf, 5, MSG_PEEK);
    printf("peek=%zd '%.*s'\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("recv=%zd '%.*s'\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("empty recv DONTWAIT=%zd %s\n", n, R(n));
    /* Segments glue together on a stream. */
    send(sv[0], "ab", 2, 0);
    send(sv[0], "cd", 2, 0);
    struct iovec wv[2] = {{"ef", 2}, {"gh", 2}};
    printf("writev=%zd\n", writev(sv[0], wv, 2));
    char a[3] = {0}, b[7] = {0};
    struct iovec rv[2] = {{a, 2}, {b, 6}};
    printf("readv=%zd '%s' '%s'\n", readv(sv[1], rv, 2), a, b);
    /* Nonblocking by fcntl: fill the buffer until EAGAIN. */
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    static char big[65536];
    long total = 0;
    for (;;) {
        n = write(sv[0], big, sizeof big);
        if (n < 0) break;
        total += n;
    }
    printf("filled: %s total>100000=%d pollout=%s\n", en(errno), total > 100000,
           pollbits(pollone(sv[0], POLLOUT)));
    long drained = 0;
    while ((n = recv(sv[1], big, sizeof big, MSG_DONTWAIT)) > 0) drained += n;
    printf("drained all=%d then %s\n", drained == total, en(errno));
    if (drained != total) printf("drained %ld of %ld\n", drained, total);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) & ~O_NONBLOCK);
    /* shutdown(SHUT_WR): the peer reads the rest then end of file. */
    send(sv[0], "tail", 4, 0);
    printf("shutdown WR: %s\n", R(shutdown(sv[0], SHUT_WR)));
    printf("poll peer: %s\n", pollbits(pollone(sv[1], POLLIN | POLLOUT | POLLRDHUP)));
    printf("poll self: %s\n", pollbits(pollone(sv[0], POLLIN | POLLOUT | POLLRDHUP)));
    n = read(sv[1], buf, sizeof buf);
    ssize_t n2 = read(sv[1], buf, sizeof buf);
    printf("read=%zd then read=%zd\n", n, n2);
    n = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("send after SHUT_WR=%zd %s sigpipes=%d\n", n, R(n), sigpipes);
    printf("peer can still write: %zd\n", write(sv[1], "back", 4));
    n = read(sv[0], buf, sizeof buf);
    printf("got back %zd '%.*s'\n", n, (int)n, buf);
    close(sv[1]);
    printf("poll after peer close: %s\n", pollbits(pollone(sv[0], POLLIN | POLLOUT | POLLRDHUP)));
    n = write(sv[0], "x", 1);
    printf("write to closed peer=%zd %s sigpipes=%d\n", n, R(n), sigpipes);
    n = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("MSG_NOSIGNAL=%zd %s sigpipes=%d\n", n, R(n), sigpipes);
    printf("read at EOF=%zd\n", read(sv[0], buf, sizeof buf));
    close(sv[0]);

    /* Unread data at close: the peer gets ECONNRESET once, then end of file. */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
    printf("SOCK_NONBLOCK: %d SOCK_CLOEXEC: %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK),
           !!(fcntl(sv[0], F_GETFD) & FD_CLOEXEC));
    write(sv[0], "unread", 6);
    close(sv[1]);
    n = read(sv[0], buf, sizeof buf);
    printf("after unread close: %zd %s\n", n, R(n));
    n = read(sv[0], buf, sizeof buf);
    printf("then: %zd %s\n", n, R(n));
    close(sv[0]);
}

static void server(const char *label, struct sockaddr_un *addr, socklen_t len) {
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("[%s] bind: %s\n", label, R(bind(ls, (struct sockaddr *)addr, len)));
    printf("[%s] rebind same name: %s\n", label, R(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)addr, len)));
    if (addr->sun_path[0]) {
        struct stat st;
        int ok = stat(addr->sun_path, &st) == 0 && S_ISSOCK(st.st_mode);
        printf("[%s] stat S_ISSOCK=%d perm=%o\n", label, ok, st.st_mode & 0777);
    }
    int c0 = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(c0, (struct sockaddr *)addr, len);
    printf("[%s] connect before listen: %s\n", label, R(r));
    close(c0);
    printf("[%s] listen: %s\n", label, R(listen(ls, 4)));
    printf("[%s] listening poll: %s\n", label, pollbits(pollone(ls, POLLIN | POLLOUT)));
    fcntl(ls, F_SETFL, O_NONBLOCK);
    int a = accept(ls, NULL, NULL);
    printf("[%s] accept none: %s\n", label, R(a));
    fcntl(ls, F_SETFL, 0);
    int go[2];
    pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        close(ls);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        int e = connect(c, (struct sockaddr *)addr, len);
        struct ucred cr;
        socklen_t cl = sizeof cr;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
        struct sockaddr_un peer;
        socklen_t pl = sizeof peer;
        getpeername(c, (struct sockaddr *)&peer, &pl);
        int e2 = connect(c, (struct sockaddr *)addr, len);
        printf("[%s] child connect: %s again: %s peercred pid==parent %d uid=%d peername len ok %d\n",
               label, e ? "FAIL" : "OK", e2 < 0 ? en(errno) : "OK",
               cr.pid == getppid(), cr.uid, pl == len || (addr->sun_path[0] && pl == (socklen_t)(sizeof(sa_family_t) + strlen(addr->sun_path) + 1)));
        fflush(stdout);
        write(go[1], "g", 1);
        /* Several writes the parent reads with MSG_WAITALL. */
        for (int i = 0; i < 4; i++) {
            write(c, "0123456789", 10);
            usleep(2000);
        }
        char buf[32];
        ssize_t n = read(c, buf, sizeof buf);
        printf("[%s] child got '%.*s'\n", label, (int)n, buf);
        fflush(stdout);
        _exit(0);
    }
    char g;
    read(go[0], &g, 1);
    printf("[%s] pending poll: %s\n", label, pollbits(pollone(ls, POLLIN | POLLOUT)));
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    memset(&from, 0x55, sizeof from);
    a = accept4(ls, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
    printf("[%s] accept4: %s fromlen=%d family=%d cloexec=%d\n", label, R(a), fl, from.sun_family,
           !!(fcntl(a, F_GETFD) & FD_CLOEXEC));
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    printf("[%s] peercred pid==child %d uid=%d gid=%d len=%d\n", label, cr.pid == pid, cr.uid, cr.gid, cl);
    struct sockaddr_un me;
    socklen_t ml = sizeof me;
    getsockname(a, (struct sockaddr *)&me, &ml);
    printf("[%s] accepted sockname same=%d\n", label, ml == len ? memcmp(&me, addr, len) == 0 : (addr->sun_path[0] && strcmp(me.sun_path, addr->sun_path) == 0));
    ml = sizeof me;
    r = getpeername(a, (struct sockaddr *)&me, &ml);
    printf("[%s] accepted peername: %s len=%d\n", label, R(r), ml);
    char buf[64];
    ssize_t n = recv(a, buf, 40, MSG_WAITALL);
    printf("[%s] WAITALL=%zd '%.*s'\n", label, n, 12, buf + 28);
    send(a, "pong", 4, 0);
    int st;
    waitpid(pid, &st, 0);
    n = read(a, buf, sizeof buf);
    printf("[%s] after child exit read=%zd child status=%d\n", label, n, WEXITSTATUS(st));
    close(a);
    close(ls);
    if (addr->sun_path[0]) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        printf("[%s] connect after close: %s\n", label, R(connect(c, (struct sockaddr *)addr, len)));
        close(c);
        printf("[%s] unlink: %s\n", label, R(unlink(addr->sun_path)));
    }
}

int main(void) {
    signal(SIGPIPE, on_pipe);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pair_tests();
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, "/tmp/stream.sock");
    server("tmpfs", &addr, sizeof addr);
    strcpy(addr.sun_path, "/var/tmp/webvm-stream-test.sock");
    unlink(addr.sun_path);
    server("ext2", &addr, offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, "\0webvm-abstract", 15);
    server("abstract", &addr, offsetof(struct sockaddr_un, sun_path) + 15);
    /* Relative names resolve from the working directory. */
    chdir("/tmp");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un rel = {.sun_family = AF_UNIX, .sun_path = "rel.sock"};
    int r = bind(s, (struct sockaddr *)&rel, sizeof rel);
    printf("relative bind: %s exists=%d\n", R(r), access("/tmp/rel.sock", F_OK) == 0);
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("getsockname len=%d path=%s\n", gl, got.sun_path);
    close(s);
    /* Autobind: an abstract name of five hex digits. */
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    sa_family_t fam = AF_UNIX;
    printf("autobind: %s\n", R(bind(s, (struct sockaddr *)&fam, sizeof fam)));
    gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("autobind len=%d first=%d\n", gl, got.sun_path[0]);
    gl = sizeof got;
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    getsockname(u, (struct sockaddr *)&got, &gl);
    printf("unbound getsockname len=%d family=%d\n", gl, got.sun_family);
    /* select on a socket pair. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fd_set rf, wf;
    FD_ZERO(&rf);
    FD_ZERO(&wf);
    FD_SET(sv[0], &rf);
    FD_SET(sv[0], &wf);
    struct timeval tv = {0, 0};
    int k = select(sv[0] + 1, &rf, &wf, NULL, &tv);
    printf("select=%d r=%d w=%d\n", k, FD_ISSET(sv[0], &rf), FD_ISSET(sv[0], &wf));
    write(sv[1], "z", 1);
    FD_ZERO(&rf);
    FD_SET(sv[0], &rf);
    k = select(sv[0] + 1, &rf, NULL, NULL, NULL);
    printf("select=%d r=%d\n", k, FD_ISSET(sv[0], &rf));
    return 0;
}
