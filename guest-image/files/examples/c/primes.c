/* Counts the primes below a limit with a sieve: gcc -O2 -o primes primes.c && ./primes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long limit = argc > 1 ? atol(argv[1]) : 1000000;
    if (limit < 2) {
        printf("0 primes below %ld\n", limit);
        return 0;
    }
    char *composite = calloc(limit, 1);
    if (!composite) {
        perror("calloc");
        return 1;
    }
    long count = 0;
    for (long i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        if (i > limit / i)
            continue; /* i * i would pass the limit (or overflow) */
        for (long j = i * i; j < limit; j += i)
            composite[j] = 1;
    }
    printf("%ld primes below %ld\n", count, limit);
    free(composite);
    return 0;
}
