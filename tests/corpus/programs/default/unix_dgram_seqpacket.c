/* AF_UNIX datagram and sequenced-packet sockets: message boundaries, truncation
 * (MSG_TRUNC both ways), sender addresses, connected datagrams, queue limits, a
 * seqpacket server with a forked client, the direct syscalls and socketcall. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
    case EPROTOTYPE: return "EPROTOTYPE";
    case EMSGSIZE: return "EMSGSIZE";
    case EPERM: return "EPERM";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}
#define R(x) ((x) < 0 ? en(errno) : "OK")

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static struct sockaddr_un named(const char *path, socklen_t *len) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (path[0] == '@') {
        memcpy(a.sun_path + 1, path + 1, strlen(path) - 1);
        *len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
    } else {
        strcpy(a.sun_path, path);
        *len = sizeof a;
    }
    return a;
}

static void show_from(const char *what, struct sockaddr_un *a, socklen_t len) {
    if (len <= offsetof(struct sockaddr_un, sun_path))
        printf("%s from len=%d (unnamed)\n", what, len);
    else if (a->sun_path[0] == 0)
        printf("%s from len=%d @%.*s\n", what, len, (int)(len - 3), a->sun_path + 1);
    else
        printf("%s from len=%d %s\n", what, len, a->sun_path);
}

static void dgram_pair(void) {
    int sv[2];
    char buf[64];
    printf("dgram socketpair: %s\n", R(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)));
    send(sv[0], "first", 5, 0);
    send(sv[0], "second message", 14, 0);
    send(sv[0], "", 0, 0);
    struct pollfd p = {sv[1], POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    printf("poll: in=%d out=%d hup=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLHUP));
    ssize_t n = recv(sv[1], buf, sizeof buf, MSG_PEEK);
    printf("peek=%zd\n", n);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("recv=%zd '%.*s'\n", n, (int)n, buf);
    struct iovec iov = {buf, 6};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(sv[1], &m, 0);
    printf("short recvmsg=%zd '%.*s' MSG_TRUNC=%d\n", n, (int)n, buf, !!(m.msg_flags & MSG_TRUNC));
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("empty datagram=%zd\n", n);
    send(sv[0], "0123456789", 10, 0);
    n = recv(sv[1], buf, 3, MSG_TRUNC);
    printf("recv(MSG_TRUNC) into 3=%zd\n", n);
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("empty: %zd %s\n", n, R(n));
    /* Peers of each other: only the send buffer limits the queue. */
    int sent = 0;
    while (send(sv[0], buf, 10, MSG_DONTWAIT) == 10) sent++;
    printf("filled pair: %s many=%d\n", en(errno), sent > 11);
    struct pollfd q = {sv[0], POLLOUT, 0};
    poll(&q, 1, 0);
    printf("full poll out=%d\n", !!(q.revents & POLLOUT));
    static char big[300000];
    n = send(sv[1], big, sizeof big, 0);
    printf("oversized: %zd %s\n", n, R(n));
    close(sv[0]);
    n = send(sv[1], "x", 1, MSG_DONTWAIT);
    printf("send to closed peer: %s\n", R(n));
    n = send(sv[1], "x", 1, MSG_DONTWAIT);
    printf("again: %s\n", R(n));
    close(sv[1]);
}

static void dgram_named(void) {
    socklen_t sl, cl, al;
    struct sockaddr_un sa = named("/tmp/dgram.sock", &sl);
    struct sockaddr_un ca = named("@webvm-dgram-client", &cl);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("bind server: %s\n", R(bind(s, (struct sockaddr *)&sa, sl)));
    int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char buf[64];
    struct sockaddr_un from;
    socklen_t fl;
    ssize_t n = send(c, "nowhere", 7, 0);
    printf("send unconnected: %s\n", R(n));
    n = sendto(c, "anon", 4, 0, (struct sockaddr *)&sa, sl);
    printf("sendto unbound sender=%zd\n", n);
    fl = sizeof from;
    n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("recvfrom=%zd '%.*s'\n", n, (int)n, buf);
    show_from("anon", &from, fl);
    printf("bind client abstract: %s\n", R(bind(c, (struct sockaddr *)&ca, cl)));
    sendto(c, "named", 5, 0, (struct sockaddr *)&sa, sl);
    fl = sizeof from;
    n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    show_from("named", &from, fl);
    /* The server answers to the address it got. */
    sendto(s, "reply", 5, 0, (struct sockaddr *)&from, fl);
    n = recv(c, buf, sizeof buf, 0);
    printf("client got '%.*s'\n", (int)n, buf);
    socklen_t bad;
    struct sockaddr_un nope = named("/tmp/none.sock", &bad);
    n = sendto(c, "x", 1, 0, (struct sockaddr *)&nope, bad);
    printf("sendto missing: %s\n", R(n));
    printf("connect: %s\n", R(connect(c, (struct sockaddr *)&sa, sl)));
    al = sizeof from;
    getpeername(c, (struct sockaddr *)&from, &al);
    show_from("peername", &from, al);
    send(c, "via connect", 11, 0);
    fl = sizeof from;
    n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("got '%.*s'\n", (int)n, buf);
    /* A connected datagram socket takes only its peer's datagrams. */
    int other = socket(AF_UNIX, SOCK_DGRAM, 0);
    n = sendto(other, "stranger", 8, 0, (struct sockaddr *)&ca, cl);
    printf("stranger to connected socket: %s\n", R(n));
    /* The server's queue holds a limited number of datagrams from others. */
    int k = 0;
    while (sendto(other, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sl) == 1) k++;
    printf("queue limit: %d then %s\n", k, en(errno));
    struct pollfd p = {c, POLLOUT, 0};
    poll(&p, 1, 0);
    printf("connected sender sees full peer: out=%d\n", !!(p.revents & POLLOUT));
    while (recv(s, buf, sizeof buf, MSG_DONTWAIT) > 0) k--;
    printf("drained: %d\n", k);
    /* Disconnect by AF_UNSPEC. */
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    printf("disconnect: %s\n", R(connect(c, &unspec, sizeof unspec)));
    n = send(c, "x", 1, 0);
    printf("send after disconnect: %s\n", R(n));
    int stream = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("stream to dgram: %s\n", R(connect(stream, (struct sockaddr *)&sa, sl)));
    close(s);
    n = sendto(c, "x", 1, 0, (struct sockaddr *)&sa, sl);
    printf("sendto closed server: %s\n", R(n));
    unlink("/tmp/dgram.sock");
    close(c);
    close(other);
    close(stream);
}

static void seqpacket(void) {
    socklen_t sl;
    struct sockaddr_un sa = named("@webvm-seqpacket", &sl);
    int ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    bind(ls, (struct sockaddr *)&sa, sl);
    printf("seqpacket listen: %s\n", R(listen(ls, 1)));
    int pre = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ssize_t n = send(pre, "x", 1, 0);
    printf("send unconnected: %s\n", R(n));
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (connect(c, (struct sockaddr *)&sa, sl)) _exit(1);
        send(c, "one", 3, 0);
        send(c, "two two", 7, 0);
        send(c, "three three three", 17, 0);
        char buf[16];
        n = recv(c, buf, sizeof buf, 0);
        printf("child got %zd '%.*s'\n", n, (int)n, buf);
        fflush(stdout);
        _exit(0);
    }
    int a = accept(ls, NULL, NULL);
    char buf[64];
    for (int i = 0; i < 2; i++) {
        n = recv(a, buf, sizeof buf, 0);
        printf("packet %d: %zd '%.*s'\n", i, n, (int)n, buf);
    }
    struct iovec iov = {buf, 5};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(a, &m, 0);
    printf("truncated packet: %zd '%.*s' MSG_TRUNC=%d\n", n, (int)n, buf, !!(m.msg_flags & MSG_TRUNC));
    send(a, "ack", 3, 0);
    int st;
    waitpid(pid, &st, 0);
    n = recv(a, buf, sizeof buf, 0);
    printf("after peer exit: %zd\n", n);
    struct pollfd p = {a, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    printf("poll: in=%d out=%d hup=%d rdhup=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT),
           !!(p.revents & POLLHUP), !!(p.revents & POLLRDHUP));
    n = send(a, "x", 1, 0);
    printf("send to gone peer: %s sigpipes=%d\n", R(n), sigpipes);
    n = send(a, "x", 1, MSG_NOSIGNAL);
    printf("with MSG_NOSIGNAL: %s sigpipes=%d\n", R(n), sigpipes);
    close(a);
    close(ls);
    close(pre);
    int sv[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "abc", 3, 0);
    send(sv[0], "defg", 4, 0);
    n = recv(sv[1], buf, sizeof buf, MSG_WAITALL);
    printf("seqpacket WAITALL stops at a record: %zd\n", n);
    shutdown(sv[0], SHUT_WR);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("then %zd, then %zd\n", n, recv(sv[1], buf, sizeof buf, 0));
    close(sv[0]);
    close(sv[1]);
}

static void entry_points(void) {
    /* socketcall(SYS_SOCKETPAIR) and the direct socketpair syscall. */
    int sv[2] = {-1, -1};
    unsigned long args[4] = {AF_UNIX, SOCK_DGRAM, 0, (unsigned long)sv};
    long r = syscall(SYS_socketcall, 8, args);
    printf("socketcall socketpair=%ld fds=%d\n", r, sv[0] >= 0 && sv[1] >= 0);
    unsigned long sargs[4] = {sv[0], (unsigned long)"sc", 2, 0};
    r = syscall(SYS_socketcall, 9, sargs); /* SYS_SEND */
    printf("socketcall send=%ld\n", r);
    char buf[8];
    unsigned long rargs[4] = {sv[1], (unsigned long)buf, sizeof buf, 0};
    r = syscall(SYS_socketcall, 10, rargs); /* SYS_RECV */
    printf("socketcall recv=%ld '%.2s'\n", r, buf);
    int dv[2] = {-1, -1};
    r = syscall(360, AF_UNIX, SOCK_STREAM, 0, dv); /* socketpair */
    printf("direct socketpair=%ld\n", r);
    r = syscall(369, dv[0], "direct", 6, 0, NULL, 0); /* sendto */
    printf("direct sendto=%ld\n", r);
    r = syscall(371, dv[1], buf, sizeof buf, 0, NULL, NULL); /* recvfrom */
    printf("direct recvfrom=%ld '%.6s'\n", r, buf);
    r = syscall(373, dv[0], 5); /* shutdown, bad how */
    printf("direct shutdown(5)=%ld %s\n", r, R(r));
    r = syscall(SYS_socketcall, 99, args);
    printf("socketcall 99=%ld %s\n", r, R(r));
    int type;
    socklen_t tl = sizeof type;
    unsigned long gargs[5] = {sv[0], SOL_SOCKET, SO_TYPE, (unsigned long)&type, (unsigned long)&tl};
    r = syscall(SYS_socketcall, 15, gargs); /* SYS_GETSOCKOPT */
    printf("socketcall getsockopt=%ld type=%d\n", r, type);
    close(sv[0]);
    close(sv[1]);
    close(dv[0]);
    close(dv[1]);
}

static void mmsg(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct iovec iov[3] = {{"aa", 2}, {"bbb", 3}, {"c", 1}};
    struct mmsghdr out[3];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out[i].msg_hdr.msg_iov = &iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sv[0], out, 3, 0);
    printf("sendmmsg=%d lens=%u,%u,%u\n", n, out[0].msg_len, out[1].msg_len, out[2].msg_len);
    char bufs[3][8];
    struct iovec riov[3];
    struct mmsghdr in[3];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        riov[i].iov_base = bufs[i];
        riov[i].iov_len = 8;
        in[i].msg_hdr.msg_iov = &riov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(sv[1], in, 3, MSG_DONTWAIT, NULL);
    printf("recvmmsg=%d lens=%u,%u,%u '%.3s'\n", n, in[0].msg_len, in[1].msg_len, in[2].msg_len, bufs[1]);
    n = recvmmsg(sv[1], in, 3, MSG_DONTWAIT, NULL);
    printf("recvmmsg empty=%d %s\n", n, R(n));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    signal(SIGPIPE, on_pipe);
    setvbuf(stdout, NULL, _IOLBF, 0);
    dgram_pair();
    dgram_named();
    seqpacket();
    entry_points();
    mmsg();
    int t[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    for (int i = 0; i < 3; i++) {
        int s = socket(AF_UNIX, t[i], 0);
        int v[5];
        socklen_t l = sizeof v[0];
        getsockopt(s, SOL_SOCKET, SO_TYPE, &v[0], &l);
        getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v[1], &l);
        getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v[2], &l);
        getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v[3], &l);
        getsockopt(s, SOL_SOCKET, SO_ERROR, &v[4], &l);
        printf("type=%d domain=%d protocol=%d acceptconn=%d error=%d\n", v[0], v[1], v[2], v[3], v[4]);
        close(s);
    }
    int raw = socket(AF_UNIX, SOCK_RAW, 0);
    int v;
    socklen_t l = sizeof v;
    getsockopt(raw, SOL_SOCKET, SO_TYPE, &v, &l);
    printf("SOCK_RAW becomes type %d\n", v);
    return 0;
}
