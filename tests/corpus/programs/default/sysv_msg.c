/* System V message queues: msgtyp selection, MSG_EXCEPT, MSG_NOERROR, E2BIG, a full
   queue, blocking send and receive across fork, removal under a waiter, keys. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

struct msg {
    long mtype;
    char mtext[256];
};

static void msleep(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int send(int q, long type, const char *text, int flags) {
    struct msg m = {.mtype = type};
    strcpy(m.mtext, text);
    return msgsnd(q, &m, strlen(text) + 1, flags);
}

static void recv(int q, size_t size, long type, int flags, const char *label) {
    struct msg m;
    memset(&m, 0, sizeof m);
    errno = 0;
    ssize_t n = msgrcv(q, &m, size, type, flags);
    if (n < 0)
        printf("%s: -1 %s\n", label, strerrorname_np(errno));
    else
        printf("%s: %zd type=%ld text=%.*s\n", label, n, m.mtype, (int)n, m.mtext);
}

static void stat_of(int q, const char *label) {
    struct msqid_ds ds;
    if (msgctl(q, IPC_STAT, &ds) < 0) {
        printf("%s: stat %s\n", label, strerrorname_np(errno));
        return;
    }
    printf("%s: qnum=%lu cbytes=%lu qbytes=%lu mode=%o lspid_me=%d lrpid_me=%d\n", label,
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           (unsigned long)ds.msg_qbytes, ds.msg_perm.mode, ds.msg_lspid == getpid(),
           ds.msg_lrpid == getpid());
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("id valid: %d\n", q >= 0);
    stat_of(q, "empty");
    CHECK("send 3", send(q, 3, "three", 0));
    CHECK("send 1", send(q, 1, "one-a", 0));
    CHECK("send 2", send(q, 2, "two", 0));
    CHECK("send 1", send(q, 1, "one-b", 0));
    CHECK("send 5", send(q, 5, "five", 0));
    stat_of(q, "five queued");
    recv(q, 256, 0, 0, "type 0");
    recv(q, 256, 1, 0, "type 1");
    recv(q, 256, -2, 0, "type -2");
    recv(q, 256, 2, MSG_EXCEPT, "not type 2");
    recv(q, 256, 7, IPC_NOWAIT, "type 7 nowait");
    recv(q, 256, 0, 0, "last");
    recv(q, 256, 0, IPC_NOWAIT, "empty nowait");
    stat_of(q, "drained");

    /* Sizes. */
    CHECK("mtype 0", send(q, 0, "x", 0));
    CHECK("mtype -1", send(q, -1, "x", 0));
    static char big[9000];
    CHECK("too big", msgsnd(q, big, 8193, 0));
    CHECK("negative size", msgrcv(q, big, (size_t)-1, 0, IPC_NOWAIT));
    send(q, 4, "a long message of some size", 0);
    recv(q, 10, 0, IPC_NOWAIT, "too small");
    stat_of(q, "still queued");
    recv(q, 10, 0, IPC_NOWAIT | MSG_NOERROR, "truncated");

    /* A full queue. */
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 200;
    ds.msg_perm.mode = 0640;
    CHECK("IPC_SET", msgctl(q, IPC_SET, &ds));
    stat_of(q, "after set");
    char text[101];
    memset(text, 'm', 99);
    text[99] = 0;
    CHECK("fill 1", send(q, 1, text, IPC_NOWAIT));
    CHECK("fill 2", send(q, 1, text, IPC_NOWAIT));
    CHECK("full nowait", send(q, 1, "x", IPC_NOWAIT));

    /* Blocking send, freed by a child's receive. */
    pid_t pid = fork();
    if (pid == 0) {
        msleep(50);
        struct msg m;
        msgrcv(q, &m, sizeof m.mtext, 0, 0);
        _exit(0);
    }
    CHECK("blocking send", send(q, 9, "after wait", 0));
    waitpid(pid, NULL, 0);
    stat_of(q, "after blocking send");
    recv(q, 256, 1, 0, "fill remains");
    recv(q, 256, 9, 0, "blocked one");

    /* Blocking receive of a type, sent by a child. */
    pid = fork();
    if (pid == 0) {
        msleep(50);
        send(q, 8, "not this", 0);
        send(q, 6, "from child", 0);
        _exit(0);
    }
    recv(q, 256, 6, 0, "blocking receive");
    waitpid(pid, NULL, 0);
    recv(q, 256, 0, 0, "other type left");

    /* Removal under a waiting receiver. */
    pid = fork();
    if (pid == 0) {
        recv(q, 256, 0, 0, "child waiting");
        _exit(0);
    }
    msleep(100);
    /* The woken child prints; report the parent's result only after it has. */
    int removed = msgctl(q, IPC_RMID, NULL);
    waitpid(pid, NULL, 0);
    CHECK("IPC_RMID", removed);
    CHECK("send removed", send(q, 1, "x", 0));
    stat_of(q, "removed");

    /* Keys. */
    key_t key = 0x5e600000 + (getpid() & 0xffff);
    int k = msgget(key, IPC_CREAT | IPC_EXCL | 0644);
    printf("key create: %d\n", k >= 0);
    CHECK("excl again", msgget(key, IPC_CREAT | IPC_EXCL | 0644));
    printf("lookup same: %d\n", msgget(key, 0) == k);
    CHECK("missing key", msgget(key + 1, 0));
    msgctl(k, IPC_STAT, &ds);
    printf("key kept: %d\n", ds.msg_perm.__key == key);
    CHECK("bad cmd", msgctl(k, 12345, &ds));
    CHECK("bad id", msgctl(-1, IPC_STAT, &ds));
    CHECK("rmid", msgctl(k, IPC_RMID, NULL));
    return 0;
}
