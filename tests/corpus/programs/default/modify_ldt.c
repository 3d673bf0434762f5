/* modify_ldt: install LDT entries, load one into %fs and read through it, read the table
 * back, clear an entry; fork keeps the table. */
#include <asm/ldt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int ldt(int func, void *ptr, unsigned long count) {
    return syscall(SYS_modify_ldt, func, ptr, count);
}

static unsigned int data[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};

static unsigned int read_fs(unsigned short sel, int index) {
    unsigned int v;
    __asm__ volatile("mov %%fs, %%cx\n\t"
                     "mov %1, %%fs\n\t"
                     "mov %%fs:(,%2,4), %0\n\t"
                     "mov %%cx, %%fs"
                     : "=r"(v) : "r"(sel), "r"(index) : "ecx", "memory");
    return v;
}

static void dump(const char *what) {
    unsigned char buf[32];
    memset(buf, 0xaa, sizeof buf);
    int n = ldt(0, buf, sizeof buf);
    printf("%s: read %d:", what, n);
    /* The base bytes (2-4, 7) of each entry are masked: addresses differ between runs. */
    for (int i = 0; i < (n > 0 ? n : 0); i++) {
        int k = i % 8;
        printf(" %02x", (k >= 2 && k <= 4) || k == 7 ? 0 : buf[i]);
    }
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    dump("empty");
    unsigned char def[200];
    printf("default: %d\n", ldt(2, def, sizeof def));
    struct user_desc d = {0};
    d.entry_number = 1;
    d.base_addr = (unsigned long)&data[1];
    d.limit = 0xfffff;
    d.seg_32bit = 1;
    d.limit_in_pages = 1;
    d.useable = 1;
    printf("write 0x11: %d\n", ldt(0x11, &d, sizeof d));
    printf("via fs: %08x %08x\n", read_fs((1 << 3) | 7, 0), read_fs((1 << 3) | 7, 2));
    d.entry_number = 0;
    d.base_addr = 0x12345678;
    d.limit = 0x1234;
    d.seg_32bit = 0;
    d.limit_in_pages = 0;
    d.read_exec_only = 1;
    printf("write old: %d\n", ldt(1, &d, sizeof d));
    dump("two");
    d.contents = 3;
    int rc = ldt(0x11, &d, sizeof d);
    printf("bad contents: %d %d\n", rc, errno);
    rc = ldt(1, &d, 4);
    printf("bad size: %d %d\n", rc, errno);
    rc = ldt(7, &d, sizeof d);
    printf("bad func: %d %d\n", rc, errno);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child via fs: %08x\n", read_fs((1 << 3) | 7, 1));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    struct user_desc clear = {0};
    clear.entry_number = 0;
    clear.read_exec_only = 1;
    clear.seg_not_present = 1;
    printf("clear: %d\n", ldt(0x11, &clear, sizeof clear));
    dump("cleared");
    return 0;
}
