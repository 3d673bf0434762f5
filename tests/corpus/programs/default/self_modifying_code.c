/* Code written at run time: generated functions rewritten between calls, an instruction
 * rewritten by the one just before it (same block), code copied with rep movs, code
 * toggled between writable and executable with mprotect, and a loop that patches the
 * immediate it adds on every pass. Each result is what the host CPU computes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef uint32_t (*fn0)(void);

/* mov eax, imm32; ret */
static void emit_return(uint8_t *at, uint32_t value) {
    at[0] = 0xb8;
    memcpy(at + 1, &value, 4);
    at[5] = 0xc3;
}

int main(void) {
    uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    /* Rewritten between calls. */
    for (uint32_t v = 1; v <= 3; v++) {
        emit_return(page, v * 0x1111);
        printf("generated returns %#x\n", ((fn0)page)());
    }

    /* An instruction rewritten by the store just before it:
     *   mov byte [target+1], 0x42 ; target: mov eax, 0x11 ; ret */
    uint8_t *p = page + 64;
    uint8_t *target = p + 7;
    uint32_t imm_at = (uint32_t)(uintptr_t)(target + 1);
    p[0] = 0xc6;
    p[1] = 0x05;
    memcpy(p + 2, &imm_at, 4);
    p[6] = 0x42;
    emit_return(target, 0x11);
    printf("patched ahead in the same block: %#x\n", ((fn0)p)());
    printf("and again (already patched): %#x\n", ((fn0)p)());
    target[1] = 0x11; /* restore and run once more */
    printf("restored, patched again: %#x\n", ((fn0)p)());

    /* Copied with rep movs from a template. */
    uint8_t template[6];
    emit_return(template, 0xabcdef);
    __asm__ volatile("rep movsb" : : "S"(template), "D"(page + 4096), "c"(6) : "memory");
    printf("copied with rep movs: %#x\n", ((fn0)(page + 4096))());
    emit_return(template, 0x123456);
    __asm__ volatile("rep movsb" : : "S"(template), "D"(page + 4096), "c"(6) : "memory");
    printf("copied again: %#x\n", ((fn0)(page + 4096))());

    /* W^X: writable while written, executable while run. */
    uint8_t *wx = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (uint32_t v = 7; v <= 9; v++) {
        mprotect(wx, 4096, PROT_READ | PROT_WRITE);
        emit_return(wx, v);
        mprotect(wx, 4096, PROT_READ | PROT_EXEC);
        printf("W^X round %u: %u\n", v - 6, ((fn0)wx)());
    }

    /* A loop that patches its own add immediate each pass:
     *   mov ecx, 5; xor eax, eax
     * top: add eax, imm32          (05 imm32)
     *      inc dword [top+1]       (ff 05 addr32)
     *      dec ecx; jnz top; ret */
    uint8_t *q = page + 2048;
    uint8_t *top = q + 7;
    uint32_t imm_addr = (uint32_t)(uintptr_t)(top + 1);
    uint8_t code[] = {0xb9, 5, 0, 0, 0, 0x31, 0xc0,         /* mov ecx,5; xor eax,eax */
                      0x05, 10, 0, 0, 0,                    /* add eax, 10 */
                      0xff, 0x05, 0, 0, 0, 0,               /* inc dword [imm_addr] */
                      0x49, 0x75, (uint8_t)(-(2 + 12)), 0xc3}; /* dec ecx; jnz top; ret */
    memcpy(code + 14, &imm_addr, 4);
    memcpy(q, code, sizeof code);
    printf("self-patching loop: %u\n", ((fn0)q)());
    printf("immediate left at: %u\n", *(uint32_t *)(top + 1));
    return 0;
}
