/* Error paths of AF_UNIX sockets, each printed with its errno name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
    case ENOTDIR: return "ENOTDIR";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENOTSOCK: return "ENOTSOCK";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EMSGSIZE: return "EMSGSIZE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}

static void show(const char *what, long r) {
    printf("%-40s %s\n", what, r < 0 ? en(errno) : "OK");
}

#define T(x) show(#x, (long)(x))

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/tmp/err.sock"};
    struct sockaddr_un missing = {.sun_family = AF_UNIX, .sun_path = "/tmp/nodir/x.sock"};
    struct sockaddr_un file = {.sun_family = AF_UNIX, .sun_path = "/tmp/plain"};
    struct sockaddr_un throughfile = {.sun_family = AF_UNIX, .sun_path = "/tmp/plain/x.sock"};
    close(open("/tmp/plain", O_CREAT | O_WRONLY, 0644));
    char buf[8];

    T(socket(AF_UNIX, 99, 0));
    T(socket(AF_UNIX, SOCK_STREAM, 7));
    T(socket(AF_UNIX, SOCK_STREAM, PF_UNIX));
    T(socket(AF_UNIX, SOCK_RDM, 0));
    T(socket(4242, SOCK_STREAM, 0));
    T(socket(AF_UNIX, SOCK_STREAM | 0x10000000, 0));
    int sv[2];
    T(socketpair(AF_UNIX, SOCK_STREAM, 3, sv));
    T(socketpair(AF_UNIX, 42, 0, sv));

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    T(bind(s, (struct sockaddr *)&sa, 1));
    T(bind(s, (struct sockaddr *)&sa, sizeof sa + 1));
    struct sockaddr_un inet = sa;
    inet.sun_family = AF_INET;
    T(bind(s, (struct sockaddr *)&inet, sizeof inet));
    T(bind(s, (struct sockaddr *)&missing, sizeof missing));
    T(bind(s, (struct sockaddr *)&throughfile, sizeof throughfile));
    T(bind(s, (struct sockaddr *)&file, sizeof file));
    T(bind(s, (struct sockaddr *)&sa, sizeof sa));
    T(bind(s, (struct sockaddr *)&sa, sizeof sa));
    struct sockaddr_un other = {.sun_family = AF_UNIX, .sun_path = "/tmp/err2.sock"};
    T(bind(s, (struct sockaddr *)&other, sizeof other));
    T(access("/tmp/err2.sock", F_OK));
    T(send(s, "x", 1, 0));
    T(recv(s, buf, 1, MSG_DONTWAIT));
    T(read(s, buf, 1));
    T(write(s, "x", 1));
    socklen_t al = sizeof other;
    T(getpeername(s, (struct sockaddr *)&other, &al));
    T(accept(s, NULL, NULL));
    int sh = socket(AF_UNIX, SOCK_STREAM, 0);
    T(shutdown(sh, SHUT_RDWR));
    T(shutdown(sh, 7));
    T(recv(sh, buf, 1, 0));
    T(send(sh, "x", 1, MSG_NOSIGNAL));
    T(listen(s, 5));
    T(listen(s, 10));
    T(send(s, "x", 1, 0));
    T(recv(s, buf, 1, 0));
    T(connect(s, (struct sockaddr *)&sa, sizeof sa));

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    T(listen(c, 1));
    T(connect(c, (struct sockaddr *)&missing, sizeof missing));
    T(connect(c, (struct sockaddr *)&file, sizeof file));
    T(connect(c, (struct sockaddr *)&inet, sizeof inet));
    T(connect(c, (struct sockaddr *)&sa, 1));
    T(sendto(c, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    T(connect(c, (struct sockaddr *)&sa, sizeof sa));
    T(connect(c, (struct sockaddr *)&sa, sizeof sa));
    T(sendto(c, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    T(bind(c, (struct sockaddr *)&other, sizeof other));
    T(listen(c, 1));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    T(listen(d, 1));
    T(accept(d, NULL, NULL));
    T(connect(d, (struct sockaddr *)&sa, sizeof sa));
    T(sendto(d, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    T(recv(d, buf, 1, MSG_DONTWAIT));
    /* A full backlog: nonblocking connects fail with EAGAIN. */
    int bl = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un ba = {.sun_family = AF_UNIX, .sun_path = "\0backlog"};
    bind(bl, (struct sockaddr *)&ba, offsetof(struct sockaddr_un, sun_path) + 8);
    listen(bl, 2);
    int n = 0, e = 0;
    for (int i = 0; i < 8; i++) {
        int x = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(x, (struct sockaddr *)&ba, offsetof(struct sockaddr_un, sun_path) + 8) == 0)
            n++;
        else
            e = errno;
    }
    printf("backlog 2: %d connected, then %s\n", n, en(e));

    int fd = open("/tmp/plain", O_RDONLY);
    T(send(fd, "x", 1, 0));
    T(recv(fd, buf, 1, 0));
    T(getsockname(fd, (struct sockaddr *)&other, &al));
    T(listen(fd, 1));
    T(shutdown(fd, SHUT_RD));
    int v = 1;
    T(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    T(send(12345, "x", 1, 0));
    T(getsockname(12345, (struct sockaddr *)&other, &al));

    int o = socket(AF_UNIX, SOCK_STREAM, 0);
    T(setsockopt(o, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    T(setsockopt(o, SOL_SOCKET, SO_REUSEADDR, &v, 2));
    T(setsockopt(o, SOL_SOCKET, 12345, &v, sizeof v));
    T(setsockopt(o, 6, 1, &v, sizeof v));
    socklen_t vl = sizeof v;
    T(getsockopt(o, SOL_SOCKET, 12345, &v, &vl));
    T(getsockopt(o, SOL_SOCKET, SO_REUSEADDR, &v, &vl));
    printf("SO_REUSEADDR=%d\n", v);
    v = 4096;
    setsockopt(o, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    getsockopt(o, SOL_SOCKET, SO_SNDBUF, &v, &vl);
    printf("SO_SNDBUF 4096 -> %d\n", v);
    v = 1;
    setsockopt(o, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    getsockopt(o, SOL_SOCKET, SO_RCVBUF, &v, &vl);
    printf("SO_RCVBUF 1 -> %d\n", v);
    v = 50000;
    setsockopt(o, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    getsockopt(o, SOL_SOCKET, SO_RCVBUF, &v, &vl);
    printf("SO_RCVBUF 50000 -> %d\n", v);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    T(getsockopt(o, SOL_SOCKET, SO_PEERCRED, &cr, &cl));
    printf("unconnected peercred pid=%d uid=%d gid=%d\n", cr.pid, cr.uid, cr.gid);
    char small[2];
    vl = 2;
    T(getsockopt(o, SOL_SOCKET, SO_TYPE, small, &vl));
    printf("short optlen -> %d\n", vl);
    struct timeval tv = {0, 20000};
    T(setsockopt(o, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    int q[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, q);
    setsockopt(q[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    T(recv(q[0], buf, 1, 0));
    T(recvfrom(q[0], buf, 1, 0, (struct sockaddr *)1, &al));
    T(send(q[0], (void *)1, 1, 0));

    struct sockaddr_un longname = {.sun_family = AF_UNIX};
    memset(longname.sun_path, 'a', sizeof longname.sun_path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    T(bind(l, (struct sockaddr *)&longname, sizeof longname));
    unlink("/tmp/err.sock");
    unlink("/tmp/plain");
    return 0;
}
