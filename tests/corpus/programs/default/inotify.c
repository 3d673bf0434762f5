/* inotify: events of a watched directory's entries and of watched files themselves
   (create, open, access, modify, close, attrib, moves with cookies, deletes), one-shot
   watches, polling, a blocking read, and the error paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

static const char *names[] = {"ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE",
                              "OPEN", "MOVED_FROM", "MOVED_TO", "CREATE", "DELETE",
                              "DELETE_SELF", "MOVE_SELF"};

static void drain(int fd, const char *label) {
    char buf[4096] __attribute__((aligned(8)));
    printf("%s:\n", label);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    uint32_t last_cookie = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("  wd=%d", e->wd);
            for (int i = 0; i < 12; i++)
                if (e->mask & (1u << i)) printf(" %s", names[i]);
            if (e->mask & IN_IGNORED) printf(" IGNORED");
            if (e->mask & IN_ISDIR) printf(" ISDIR");
            if (e->mask & IN_Q_OVERFLOW) printf(" OVERFLOW");
            if (e->cookie) {
                printf(" cookie%s", e->cookie == last_cookie ? "=prev" : "");
                last_cookie = e->cookie;
            }
            printf(" len%%16=%u %s\n", e->len % 16, e->len ? e->name : "-");
            p += sizeof *e + e->len;
        }
    }
    fcntl(fd, F_SETFL, fl);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    mkdir("/tmp/w", 0755);
    int a = inotify_init1(IN_CLOEXEC);
    printf("cloexec=%d\n", (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0);
    int wd = inotify_add_watch(a, "/tmp/w", IN_ALL_EVENTS);
    printf("dir wd=%d same again=%d\n", wd, inotify_add_watch(a, "/tmp/w", IN_ALL_EVENTS) == wd);

    /* Entries of a watched directory. */
    int f = open("/tmp/w/f", O_CREAT | O_WRONLY, 0644);
    write(f, "hello", 5);
    write(f, "world", 5);
    close(f);
    drain(a, "create, write twice, close");
    char buf[64];
    f = open("/tmp/w/f", O_RDONLY);
    read(f, buf, sizeof buf);
    close(f);
    chmod("/tmp/w/f", 0600);
    truncate("/tmp/w/f", 2);
    utimensat(AT_FDCWD, "/tmp/w/f", NULL, 0);
    drain(a, "read, chmod, truncate, touch");
    rename("/tmp/w/f", "/tmp/w/g");
    link("/tmp/w/g", "/tmp/w/h");
    symlink("g", "/tmp/w/s");
    unlink("/tmp/w/g");
    mkdir("/tmp/w/sub", 0755);
    rmdir("/tmp/w/sub");
    drain(a, "rename, link, symlink, unlink, mkdir, rmdir");

    /* A watched file itself, in its own instance. */
    int b = inotify_init();
    int fd2 = open("/tmp/w/x", O_CREAT | O_RDWR, 0644);
    close(fd2);
    int xw = inotify_add_watch(b, "/tmp/w/x", IN_ALL_EVENTS);
    fd2 = open("/tmp/w/x", O_RDWR);
    write(fd2, "1", 1);
    close(fd2);
    chmod("/tmp/w/x", 0600);
    rename("/tmp/w/x", "/tmp/w/y");
    unlink("/tmp/w/y");
    printf("file wd=%d\n", xw);
    drain(b, "file: open, write, close, chmod, move, unlink");
    CHECK("rm_watch after delete", inotify_rm_watch(b, xw));

    /* Removing a watch; one-shot; a mask change. */
    int c = inotify_init1(IN_NONBLOCK);
    int cw = inotify_add_watch(c, "/tmp/w", IN_CREATE | IN_ONESHOT);
    close(open("/tmp/w/o1", O_CREAT | O_WRONLY, 0644));
    close(open("/tmp/w/o2", O_CREAT | O_WRONLY, 0644));
    drain(c, "oneshot");
    cw = inotify_add_watch(c, "/tmp/w", IN_DELETE);
    int cw2 = inotify_add_watch(c, "/tmp/w", IN_CREATE | IN_MASK_ADD);
    printf("mask add keeps wd: %d\n", cw == cw2);
    unlink("/tmp/w/o1");
    close(open("/tmp/w/o3", O_CREAT | O_WRONLY, 0644));
    CHECK("rm_watch", inotify_rm_watch(c, cw));
    unlink("/tmp/w/o2");
    drain(c, "mask add, then removed");

    /* Readiness: poll, FIONREAD, and a read that waits for a child. */
    struct pollfd pf = {.fd = c, .events = POLLIN};
    int pr = poll(&pf, 1, 0);
    printf("poll idle: %d\n", pr);
    inotify_add_watch(c, "/tmp/w", IN_CREATE);
    close(open("/tmp/w/p", O_CREAT | O_WRONLY, 0644));
    pr = poll(&pf, 1, 0);
    int avail = 0;
    ioctl(c, FIONREAD, &avail);
    printf("poll ready: %d %#x FIONREAD=%d\n", pr, pf.revents, avail);
    char small[8];
    CHECK("read too small", read(c, small, sizeof small));
    drain(c, "created p");
    CHECK("read empty nonblocking", read(c, buf, sizeof buf));
    fcntl(c, F_SETFL, 0);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        close(open("/tmp/w/child", O_CREAT | O_WRONLY, 0644));
        _exit(0);
    }
    char big[256];
    ssize_t n = read(c, big, sizeof big);
    printf("blocking read: %zd name=%s\n", n, ((struct inotify_event *)big)->name);
    waitpid(pid, NULL, 0);

    /* A watched directory removed. */
    mkdir("/tmp/w/d2", 0755);
    int d = inotify_init();
    inotify_add_watch(d, "/tmp/w/d2", IN_ALL_EVENTS);
    rmdir("/tmp/w/d2");
    drain(d, "rmdir of watched dir");

    /* Errors. */
    CHECK("init1 bad flags", inotify_init1(0x40));
    CHECK("missing path", inotify_add_watch(a, "/tmp/w/nope", IN_ALL_EVENTS));
    CHECK("empty mask", inotify_add_watch(a, "/tmp/w", 0));
    close(open("/tmp/w/file", O_CREAT | O_WRONLY, 0644));
    CHECK("onlydir on file", inotify_add_watch(a, "/tmp/w/file", IN_MODIFY | IN_ONLYDIR));
    CHECK("mask create existing", inotify_add_watch(a, "/tmp/w", IN_MODIFY | IN_MASK_CREATE));
    CHECK("add and create", inotify_add_watch(a, "/tmp/w/file", IN_MODIFY | IN_MASK_CREATE | IN_MASK_ADD));
    CHECK("bad fd", inotify_add_watch(999, "/tmp/w", IN_MODIFY));
    CHECK("not inotify", inotify_add_watch(1, "/tmp/w", IN_MODIFY));
    CHECK("rm bad wd", inotify_rm_watch(a, 12345));
    CHECK("write to inotify", write(a, "x", 1));
    return 0;
}
