/* Ancillary data on AF_UNIX sockets: descriptors passed between processes
 * (SCM_RIGHTS: a file sharing its offset, a pipe, a socket), MSG_CMSG_CLOEXEC,
 * MSG_CTRUNC, and credentials (SCM_CREDENTIALS with SO_PASSCRED). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "OK";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ESRCH: return "ESRCH";
    default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}
#define R(x) ((x) < 0 ? en(errno) : "OK")

static ssize_t send_fds(int s, const char *data, int *fds, int n) {
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n) {
        m.msg_control = ctl;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return sendmsg(s, &m, 0);
}

/* Receives data and up to 8 descriptors; returns the count of descriptors. */
static int recv_fds(int s, char *buf, size_t len, int *fds, int flags, size_t ctllen, int *mflags) {
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {buf, len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctllen};
    ssize_t n = recvmsg(s, &m, flags);
    if (n < 0) return -1;
    buf[n] = 0;
    *mflags = m.msg_flags;
    int count = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + count, CMSG_DATA(c), k * sizeof(int));
            count += k;
        }
    }
    return count;
}

static void rights(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int f = open("/tmp/shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(f, "0123456789abcdef", 16);
    lseek(f, 4, SEEK_SET);
    int p[2];
    pipe(p);
    int inner[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, inner);
    pid_t pid = fork();
    if (pid == 0) {
        /* Held until the child's final fflush, after every line the parent prints first. */
        setvbuf(stdout, NULL, _IOFBF, 1 << 14);
        close(sv[0]);
        close(f);
        close(p[0]);
        close(p[1]);
        close(inner[1]);
        char buf[64];
        int fds[8], fl;
        int k = recv_fds(sv[1], buf, sizeof buf, fds, MSG_CMSG_CLOEXEC, sizeof(char[CMSG_SPACE(sizeof(int) * 8)]), &fl);
        printf("child: %d fds with '%s' cloexec=%d\n", k, buf, !!(fcntl(fds[0], F_GETFD) & FD_CLOEXEC));
        char d[4];
        read(fds[0], d, 4);
        printf("child read file at shared offset: '%.4s'\n", d);
        struct stat st;
        fstat(fds[2], &st);
        printf("child: third fd is a socket %d\n", S_ISSOCK(st.st_mode));
        write(fds[1], "via passed pipe", 15);
        send(fds[2], "via passed socket", 17, 0);
        close(fds[0]);
        close(fds[1]);
        close(fds[2]);
        /* Without MSG_CMSG_CLOEXEC, and a control buffer too small for all. */
        k = recv_fds(sv[1], buf, sizeof buf, fds, 0, CMSG_SPACE(sizeof(int)), &fl);
        printf("child: small control got %d fd, MSG_CTRUNC=%d cloexec=%d\n", k, !!(fl & MSG_CTRUNC),
               !!(fcntl(fds[0], F_GETFD) & FD_CLOEXEC));
        k = recv_fds(sv[1], buf, sizeof buf, fds, 0, 0, &fl);
        printf("child: no control got %d, MSG_CTRUNC=%d data '%s'\n", k, !!(fl & MSG_CTRUNC), buf);
        fflush(stdout);
        _exit(0);
    }
    close(sv[1]);
    int fds[3] = {f, p[1], inner[1]};
    printf("sendmsg 3 fds=%zd\n", send_fds(sv[0], "fds!", fds, 3));
    int two[2] = {p[1], f};
    send_fds(sv[0], "two", two, 2);
    send_fds(sv[0], "more", fds, 1);
    close(p[1]);
    close(inner[1]);
    int st;
    waitpid(pid, &st, 0);
    printf("parent: file offset now %ld\n", (long)lseek(f, 0, SEEK_CUR));
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("parent read pipe: %zd '%.*s'\n", n, (int)n, buf);
    n = recv(inner[0], buf, sizeof buf, MSG_DONTWAIT);
    printf("parent read socket: %zd '%.*s'\n", n, (int)n, buf);
    int bad = 999;
    n = send_fds(sv[0], "bad", &bad, 1);
    printf("sending a bad fd: %s\n", R(n));
    close(sv[0]);
    close(f);
    close(p[0]);
    close(inner[0]);
    unlink("/tmp/shared.txt");
}

static void dgram_rights(void) {
    /* Descriptors on a datagram; MSG_PEEK keeps the message (and installs copies). */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int p[2];
    pipe(p);
    send_fds(sv[0], "dg", &p[1], 1);
    char buf[16];
    int fds[8], fl;
    int k = recv_fds(sv[1], buf, sizeof buf, fds, 0, sizeof(char[CMSG_SPACE(sizeof(int) * 8)]), &fl);
    printf("dgram: %d fd '%s' new fd differs %d\n", k, buf, fds[0] != p[1]);
    write(fds[0], "!", 1);
    close(fds[0]);
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("pipe got %zd\n", n);
    n = read(p[0], buf, sizeof buf);
    printf("then EOF %zd\n", n);
    close(p[0]);
    close(sv[0]);
    close(sv[1]);
}

static void credentials(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int on = 1;
    printf("SO_PASSCRED: %s\n", R(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on)));
    int v = -1;
    socklen_t vl = sizeof v;
    getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
    printf("SO_PASSCRED reads %d\n", v);
    pid_t pid = fork();
    if (pid == 0) {
        /* Implicit credentials, then explicit ones. */
        send(sv[0], "implicit", 8, 0);
        char ctl[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = {"explicit", 8};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        struct ucred uc = {getpid(), getuid(), getgid()};
        memcpy(CMSG_DATA(c), &uc, sizeof uc);
        ssize_t n = sendmsg(sv[0], &m, 0);
        printf("child explicit creds: %s\n", R(n));
        uc.pid = 999999;
        memcpy(CMSG_DATA(c), &uc, sizeof uc);
        n = sendmsg(sv[0], &m, 0);
        printf("child bogus pid: %s\n", R(n));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    for (int i = 0; i < 2; i++) {
        char buf[16], ctl[64];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        ssize_t n = recvmsg(sv[1], &m, 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        struct ucred uc = {0, 0, 0};
        int type = -1;
        if (c) {
            type = c->cmsg_type;
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
        }
        printf("%.*s: type=%d len=%zu controllen=%zu pid==child %d uid=%d gid=%d\n", (int)n, buf, type,
               c ? (size_t)c->cmsg_len : 0, (size_t)m.msg_controllen, uc.pid == pid, uc.uid, uc.gid);
    }
    /* SO_PEERCRED of a socketpair is the creator's. */
    struct ucred pc;
    socklen_t pl = sizeof pc;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl);
    printf("pair peercred self=%d\n", pc.pid == getpid());
    close(sv[0]);
    close(sv[1]);
    /* Without SO_PASSCRED no credentials arrive. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    send(sv[0], "x", 1, 0);
    char buf[4], ctl[64];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    recvmsg(sv[1], &m, 0);
    printf("no passcred: controllen=%zu\n", (size_t)m.msg_controllen);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    rights();
    dgram_rights();
    credentials();
    return 0;
}
