/* A signal ends a blocked socket call: a partial transfer returns its count, an empty
 * one EINTR (or restarts with SA_RESTART). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
static void h(int s) { (void)s; }
int main(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = h; sigaction(SIGALRM, &sa, 0);
    int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    static char big[1 << 20];
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, 0);
    ssize_t n = write(sv[0], big, sizeof big);
    printf("partial: %d (%s)\n", n > 0 && n < (ssize_t)sizeof big, n < 0 ? strerror(errno) : "count");
    setitimer(ITIMER_REAL, &it, 0);
    n = write(sv[0], big, sizeof big);
    printf("full buffer: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    setitimer(ITIMER_REAL, &it, 0);
    char c[4];
    n = recv(sv[1], c, 4, 0);
    printf("recv got %zd\n", n);
    char buf[64];
    write(sv[1], "abc", 3);
    setitimer(ITIMER_REAL, &it, 0);
    n = recv(sv[0], buf, 64, MSG_WAITALL);
    printf("waitall interrupted: %zd\n", n);
    setitimer(ITIMER_REAL, &it, 0);
    n = recv(sv[0], buf, 64, 0);
    printf("empty recv interrupted: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, 0);
    if (fork() == 0) { usleep(300000); write(sv[1], "late", 4); _exit(0); }
    setitimer(ITIMER_REAL, &it, 0);
    n = recv(sv[0], buf, 64, 0);
    printf("restarted recv: %zd\n", n);
    return 0;
}
