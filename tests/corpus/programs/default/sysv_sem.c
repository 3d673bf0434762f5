/* System V semaphores: values, atomic semop, blocking and timed waits, wait counts,
   SEM_UNDO at exit, removal under a waiter, keys, IPC_STAT/IPC_SET, error paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void msleep(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int op(int id, unsigned short num, short delta, short flg) {
    struct sembuf b = {num, delta, flg};
    return semop(id, &b, 1);
}

static void show(int id, const char *label) {
    unsigned short v[3] = {0};
    union semun u = {.array = v};
    semctl(id, 0, GETALL, u);
    printf("%s: %u %u %u\n", label, v[0], v[1], v[2]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK("nsems 0", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    CHECK("nsems -1", semget(IPC_PRIVATE, -1, IPC_CREAT | 0600));
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    printf("id valid: %d\n", id >= 0);
    CHECK("GETVAL", semctl(id, 0, GETVAL));
    CHECK("SETVAL 5", semctl(id, 0, SETVAL, (union semun){.val = 5}));
    CHECK("GETVAL", semctl(id, 0, GETVAL));
    CHECK("SETVAL -1", semctl(id, 0, SETVAL, (union semun){.val = -1}));
    CHECK("SETVAL 40000", semctl(id, 0, SETVAL, (union semun){.val = 40000}));
    CHECK("GETVAL semnum 3", semctl(id, 3, GETVAL));
    printf("GETPID is me: %d\n", semctl(id, 0, GETPID) == getpid());
    unsigned short init[3] = {1, 2, 3};
    CHECK("SETALL", semctl(id, 0, SETALL, (union semun){.array = init}));
    show(id, "after SETALL");
    struct semid_ds ds;
    CHECK("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    printf("stat: nsems=%lu mode=%o otime_zero=%d ctime_set=%d\n", (unsigned long)ds.sem_nsems,
           ds.sem_perm.mode, ds.sem_otime == 0, ds.sem_ctime != 0);

    CHECK("take sem0", op(id, 0, -1, 0));
    CHECK("take sem0 nowait", op(id, 0, -1, IPC_NOWAIT));
    CHECK("zero sem0", op(id, 0, 0, IPC_NOWAIT));
    CHECK("zero sem1 nowait", op(id, 1, 0, IPC_NOWAIT));
    struct sembuf two[2] = {{1, -1, 0}, {2, -10, IPC_NOWAIT}};
    CHECK("atomic pair", semop(id, two, 2));
    show(id, "unchanged");
    CHECK("semnum too big", op(id, 5, 1, 0));
    CHECK("nsops 0", semop(id, two, 0));
    static struct sembuf many[501];
    CHECK("nsops 501", semop(id, many, 501));
    semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
    printf("otime set: %d\n", ds.sem_otime != 0);
    semctl(id, 2, SETVAL, (union semun){.val = 32767});
    CHECK("past SEMVMX", op(id, 2, 1, 0));
    semctl(id, 2, SETVAL, (union semun){.val = 3});
    struct timespec ts = {0, 30000000};
    struct sembuf want = {0, -1, 0};
    CHECK("semtimedop times out", semtimedop(id, &want, 1, &ts));
    ts.tv_nsec = 2000000000;
    CHECK("semtimedop bad ts", semtimedop(id, &want, 1, &ts));

    /* A blocked decrement, counted by GETNCNT, released by the parent. */
    pid_t pid = fork();
    if (pid == 0) {
        int r = op(id, 0, -1, 0);
        printf("child got sem0: %d\n", r);
        _exit(0);
    }
    msleep(100);
    printf("GETNCNT: %d\n", semctl(id, 0, GETNCNT));
    /* The woken child prints; report the parent's result only after it has. */
    int posted = op(id, 0, 1, 0);
    waitpid(pid, NULL, 0);
    CHECK("post sem0", posted);
    show(id, "after release");

    /* A wait for zero, counted by GETZCNT. */
    pid = fork();
    if (pid == 0) {
        int r = op(id, 2, 0, 0);
        printf("child saw zero: %d\n", r);
        _exit(0);
    }
    msleep(100);
    printf("GETZCNT: %d\n", semctl(id, 2, GETZCNT));
    semctl(id, 2, SETVAL, (union semun){.val = 0});
    waitpid(pid, NULL, 0);

    /* SEM_UNDO: a child's adjustments are reverted when it exits. */
    show(id, "before undo");
    pid = fork();
    if (pid == 0) {
        op(id, 1, 5, SEM_UNDO);
        op(id, 2, 4, SEM_UNDO);
        op(id, 2, -1, SEM_UNDO);
        op(id, 0, 1, 0);
        show(id, "child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    show(id, "after undo");

    /* Removal wakes a waiter with EIDRM. */
    pid = fork();
    if (pid == 0) {
        int r = op(id, 1, -100, 0);
        printf("child woken: %d %s\n", r, r < 0 ? strerrorname_np(errno) : "ok");
        _exit(0);
    }
    msleep(100);
    int removed = semctl(id, 0, IPC_RMID);
    waitpid(pid, NULL, 0);
    CHECK("IPC_RMID", removed);
    CHECK("GETVAL removed", semctl(id, 0, GETVAL));
    CHECK("semop removed", op(id, 0, 1, 0));

    /* Keys and IPC_SET. */
    key_t key = 0x5e500000 + (getpid() & 0xffff);
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0644);
    printf("key create: %d\n", k >= 0);
    CHECK("excl again", semget(key, 2, IPC_CREAT | IPC_EXCL | 0644));
    printf("lookup same: %d\n", semget(key, 0, 0) == k);
    CHECK("lookup more sems", semget(key, 3, 0));
    CHECK("missing key", semget(key + 1, 1, 0));
    semctl(k, 0, IPC_STAT, (union semun){.buf = &ds});
    printf("key kept: %d nsems=%lu\n", ds.sem_perm.__key == key, (unsigned long)ds.sem_nsems);
    ds.sem_perm.mode = 0600;
    CHECK("IPC_SET", semctl(k, 0, IPC_SET, (union semun){.buf = &ds}));
    semctl(k, 0, IPC_STAT, (union semun){.buf = &ds});
    printf("mode now %o\n", ds.sem_perm.mode);
    CHECK("bad cmd", semctl(k, 0, 12345));
    CHECK("bad id", semctl(-1, 0, GETVAL));
    CHECK("rmid", semctl(k, 0, IPC_RMID));
    return 0;
}
