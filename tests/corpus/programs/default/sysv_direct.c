/* System V IPC through the direct i386 syscalls (393-402, 420) rather than glibc's
   choice of the ipc() multiplexer; and the multiplexer's own quirks (msgrcv's
   ipc_kludge, shmat returning the address through a pointer). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_ < 0 ? r_ : 0, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

enum { SEMGET = 393, SEMCTL, SHMGET, SHMCTL, SHMAT, SHMDT, MSGGET, MSGSND, MSGRCV, MSGCTL };
enum { SEMTIMEDOP_TIME64 = 420, IPC = 117 };

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Semaphores. */
    int s = syscall(SEMGET, IPC_PRIVATE, 2, IPC_CREAT | 0600);
    printf("semget: %d\n", s >= 0);
    CHECK("semctl SETVAL", syscall(SEMCTL, s, 1, SETVAL, 4));
    printf("semctl GETVAL: %ld\n", syscall(SEMCTL, s, 1, GETVAL, 0));
    struct sembuf b = {1, -3, 0};
    CHECK("semtimedop_time64", syscall(SEMTIMEDOP_TIME64, s, &b, 1, NULL));
    printf("after: %ld\n", syscall(SEMCTL, s, 1, GETVAL, 0));
    struct { int64_t sec, nsec; } ts = {0, 20000000};
    b.sem_op = -5;
    CHECK("semtimedop_time64 timeout", syscall(SEMTIMEDOP_TIME64, s, &b, 1, &ts));
    b.sem_op = 2;
    CHECK("ipc SEMOP", syscall(IPC, 1, s, 1, 0, &b));
    printf("after ipc: %ld\n", syscall(SEMCTL, s, 1, GETVAL, 0));
    struct semid_ds sds;
    CHECK("semctl IPC_STAT", syscall(SEMCTL, s, 0, IPC_STAT, &sds));
    printf("nsems=%lu mode=%o\n", (unsigned long)sds.sem_nsems, sds.sem_perm.mode);
    CHECK("semctl IPC_RMID", syscall(SEMCTL, s, 0, IPC_RMID, 0));

    /* Shared memory. */
    int m = syscall(SHMGET, IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    printf("shmget: %d\n", m >= 0);
    char *p = (char *)syscall(SHMAT, m, 0, 0);
    printf("shmat: %d\n", p != (char *)-1);
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(p + 4096, "direct child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("shared: %s\n", p + 4096);
    unsigned long addr = 0;
    CHECK("ipc SHMAT", syscall(IPC, 21, m, 0, &addr, 0));
    printf("second attach sees it: %s\n", (char *)addr + 4096);
    struct shmid_ds ds;
    CHECK("shmctl IPC_STAT", syscall(SHMCTL, m, IPC_STAT, &ds));
    printf("size=%zu nattch=%lu\n", ds.shm_segsz, (unsigned long)ds.shm_nattch);
    CHECK("ipc SHMDT", syscall(IPC, 22, 0, 0, 0, addr));
    CHECK("shmdt", syscall(SHMDT, p));
    CHECK("shmctl IPC_RMID", syscall(SHMCTL, m, IPC_RMID, 0));
    CHECK("shmctl removed", syscall(SHMCTL, m, IPC_STAT, &ds));

    /* Message queues. */
    int q = syscall(MSGGET, IPC_PRIVATE, IPC_CREAT | 0600);
    printf("msgget: %d\n", q >= 0);
    struct { long type; char text[32]; } msg = {7, "seven"}, in;
    CHECK("msgsnd", syscall(MSGSND, q, &msg, 6, 0));
    msg.type = 8;
    strcpy(msg.text, "eight");
    CHECK("msgsnd", syscall(MSGSND, q, &msg, 6, 0));
    memset(&in, 0, sizeof in);
    CHECK("msgrcv type 8", syscall(MSGRCV, q, &in, sizeof in.text, 8, 0));
    printf("got %ld %s\n", in.type, in.text);
    /* The multiplexer's msgrcv, version 0: { msgp, msgtyp } through ptr. */
    struct { void *msgp; long msgtyp; } kludge = {&in, 0};
    memset(&in, 0, sizeof in);
    CHECK("ipc MSGRCV v0", syscall(IPC, 12, q, sizeof in.text, IPC_NOWAIT, &kludge));
    printf("got %ld %s\n", in.type, in.text);
    CHECK("ipc MSGRCV empty", syscall(IPC, 12, q, sizeof in.text, IPC_NOWAIT, &kludge));
    struct msqid_ds mds;
    CHECK("msgctl IPC_STAT", syscall(MSGCTL, q, IPC_STAT, &mds));
    printf("qnum=%lu qbytes=%lu\n", (unsigned long)mds.msg_qnum, (unsigned long)mds.msg_qbytes);
    CHECK("msgctl IPC_RMID", syscall(MSGCTL, q, IPC_RMID, 0));
    CHECK("ipc bad call", syscall(IPC, 99, 0, 0, 0, 0));

    /* The multiplexer without IPC_64: the old layouts, 16-bit ids. */
    struct old_perm { int key; unsigned short uid, gid, cuid, cgid, mode, seq; };
    struct { struct old_perm perm; int segsz; long atime, dtime, ctime;
             unsigned short cpid, lpid, nattch, unused; void *u2, *u3; } oshm;
    struct { struct old_perm perm; long otime, ctime; void *p[4]; unsigned short nsems; } osem;
    struct { struct old_perm perm; void *first, *last; long stime, rtime, ctime;
             unsigned long lcbytes, lqbytes; unsigned short cbytes, qnum, qbytes, lspid, lrpid; } omsg;
    printf("old sizes: %zu %zu %zu\n", sizeof oshm, sizeof osem, sizeof omsg);
    m = syscall(SHMGET, IPC_PRIVATE, 5000, IPC_CREAT | 0604);
    p = (char *)syscall(SHMAT, m, 0, 0);
    memset(&oshm, 0xff, sizeof oshm);
    CHECK("old shm IPC_STAT", syscall(IPC, 24, m, IPC_STAT, 0, &oshm));
    printf("old shm: segsz=%d mode=%o nattch=%u uid=%u cpid_me=%d\n", oshm.segsz, oshm.perm.mode,
           oshm.nattch, oshm.perm.uid, oshm.cpid == (unsigned short)getpid());
    oshm.perm.mode = 0640;
    CHECK("old shm IPC_SET", syscall(IPC, 24, m, IPC_SET, 0, &oshm));
    CHECK("shmctl IPC_STAT", syscall(SHMCTL, m, IPC_STAT, &ds));
    printf("mode now %o\n", ds.shm_perm.mode);
    syscall(SHMDT, p);
    syscall(SHMCTL, m, IPC_RMID, 0);
    s = syscall(SEMGET, IPC_PRIVATE, 3, IPC_CREAT | 0600);
    void *semarg = &osem;
    memset(&osem, 0xff, sizeof osem);
    CHECK("old sem IPC_STAT", syscall(IPC, 3, s, 0, IPC_STAT, &semarg));
    printf("old sem: nsems=%u mode=%o\n", osem.nsems, osem.perm.mode);
    syscall(SEMCTL, s, 0, IPC_RMID, 0);
    q = syscall(MSGGET, IPC_PRIVATE, IPC_CREAT | 0600);
    syscall(MSGSND, q, &msg, 6, 0);
    memset(&omsg, 0xff, sizeof omsg);
    CHECK("old msg IPC_STAT", syscall(IPC, 14, q, IPC_STAT, 0, &omsg));
    printf("old msg: qnum=%u cbytes=%u lcbytes=%lu qbytes=%u lqbytes=%lu lspid_me=%d\n", omsg.qnum,
           omsg.cbytes, omsg.lcbytes, omsg.qbytes, omsg.lqbytes, omsg.lspid == (unsigned short)getpid());
    omsg.qbytes = 0;
    omsg.lqbytes = 3000;
    CHECK("old msg IPC_SET", syscall(IPC, 14, q, IPC_SET, 0, &omsg));
    CHECK("msgctl IPC_STAT", syscall(MSGCTL, q, IPC_STAT, &mds));
    printf("qbytes now %lu\n", (unsigned long)mds.msg_qbytes);
    syscall(MSGCTL, q, IPC_RMID, 0);
    return 0;
}
