/* The raw Argon2id verification rate of the reference libargon2 (the library the Auth Server links),
 * for bench/auth: hashes one password once, then runs argon2id_verify in THREADS threads for SECONDS
 * and prints one JSON line {"verifications", "seconds", "rate", ...}.
 *
 *   gcc -O2 -pthread bench/argon2_rate.c -largon2 -o argon2_rate
 *   ./argon2_rate MEMORY_KIB ITERATIONS PARALLELISM HASH_LENGTH THREADS SECONDS [PASSWORD]
 */
#include <argon2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static char encoded[512];
static const char *password;
static size_t password_length;
static double deadline;
static atomic_long failures;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    long *count = arg;
    while (now() < deadline) {
        if (argon2id_verify(encoded, password, password_length) != ARGON2_OK) atomic_fetch_add(&failures, 1);
        (*count)++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s MEMORY_KIB ITERATIONS PARALLELISM HASH_LENGTH THREADS SECONDS [PASSWORD]\n", argv[0]);
        return 2;
    }
    uint32_t memory = (uint32_t) strtoul(argv[1], NULL, 10), iterations = (uint32_t) strtoul(argv[2], NULL, 10);
    uint32_t parallelism = (uint32_t) strtoul(argv[3], NULL, 10);
    size_t hash_length = strtoul(argv[4], NULL, 10);
    int threads = atoi(argv[5]);
    double seconds = atof(argv[6]);
    password = argc > 7 ? argv[7] : "bench password 00 correct horse";
    password_length = strlen(password);

    unsigned char salt[16];
    if (getrandom(salt, sizeof salt, 0) != sizeof salt) { perror("getrandom"); return 1; }
    int rc = argon2id_hash_encoded(iterations, memory, parallelism, password, password_length, salt, sizeof salt,
                                   hash_length, encoded, sizeof encoded);
    if (rc != ARGON2_OK) { fprintf(stderr, "argon2id_hash_encoded: %s\n", argon2_error_message(rc)); return 1; }

    pthread_t ids[256];
    long counts[256] = {0};
    if (threads < 1 || threads > 256) { fprintf(stderr, "THREADS must be 1..256\n"); return 2; }
    double start = now();
    deadline = start + seconds;
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, &counts[i]);
    long total = 0;
    for (int i = 0; i < threads; i++) { pthread_join(ids[i], NULL); total += counts[i]; }
    double elapsed = now() - start;
    printf("{\"verifications\": %ld, \"failures\": %ld, \"seconds\": %.3f, \"rate\": %.2f, \"threads\": %d, \"encoded\": \"%s\"}\n",
           total, atomic_load(&failures), elapsed, total / elapsed, threads, encoded);
    return atomic_load(&failures) ? 1 : 0;
}
