/* Robust mutexes: a thread, or a process sharing the mutex, that dies holding the lock
 * leaves it to the next locker with EOWNERDEAD; pthread_mutex_consistent makes it
 * usable again, and without that it becomes ENOTRECOVERABLE. A waiter blocked on the
 * lock is woken by the owner's death. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m;

static const char *name(int r) { return r ? strerrorname_np(r) : "0"; }

static void *die_holding(void *arg) {
    pthread_mutex_lock(arg);
    return NULL; /* exits without unlocking */
}

static void *wait_for_it(void *arg) {
    int r = pthread_mutex_lock(arg);
    printf("blocked waiter got: %s\n", name(r));
    if (r == EOWNERDEAD) pthread_mutex_consistent(arg);
    pthread_mutex_unlock(arg);
    return NULL;
}

static void init(pthread_mutex_t *mx, int pshared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(mx, &a);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    init(&m, 0);
    pthread_t t;
    pthread_create(&t, NULL, die_holding, &m);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&m);
    printf("after the owner thread died: %s\n", name(r));
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);
    printf("relock after consistent: %s\n", name(pthread_mutex_lock(&m)));
    pthread_mutex_unlock(&m);

    /* Without pthread_mutex_consistent the mutex is lost for good. */
    pthread_create(&t, NULL, die_holding, &m);
    pthread_join(t, NULL);
    printf("second death: %s\n", name(pthread_mutex_lock(&m)));
    pthread_mutex_unlock(&m);
    printf("then: %s\n", name(pthread_mutex_lock(&m)));

    /* Between processes, with a waiter blocked in the parent while the child holds it. */
    pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init(shared, 1);
    int go[2], held[2];
    pipe(go);
    pipe(held);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(shared);
        write(held[1], "h", 1);
        char c;
        read(go[0], &c, 1);
        _exit(0); /* dies holding it */
    }
    char c;
    read(held[0], &c, 1);
    pthread_t w;
    pthread_create(&w, NULL, wait_for_it, shared);
    usleep(100000); /* the waiter blocks on the lock */
    write(go[1], "g", 1);
    pthread_join(w, NULL);
    waitpid(pid, NULL, 0);
    printf("shared relock: %s\n", name(pthread_mutex_lock(shared)));
    pthread_mutex_unlock(shared);
    return 0;
}
