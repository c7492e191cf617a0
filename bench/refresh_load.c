/* Refresh-rotation load for bench/auth: one thread and one keep-alive connection per session, each
 * refreshing in a loop as a browser would. Every request carries the session's cookies (refresh_token
 * from Path=/auth, access_token from Path=/) and its current CSRF token in X-CSRF-TOKEN; every 200
 * must set a new refresh_token cookie and return a new "csrfToken", which the next request uses.
 *
 * Why not wrk + Lua: wrk hands response() a Lua table keyed by header name (script.c, lua_rawset), so
 * of the two Set-Cookie headers of a refresh answer only the last survives, and the server emits them
 * in Swift Dictionary order, which changes from process to process.
 *
 *   gcc -O2 -pthread bench/refresh_load.c -o refresh_load
 *   ./refresh_load PORT SECONDS SESSIONS_IN SESSIONS_OUT [ORIGIN]
 *
 * SESSIONS_IN: one line per session, "refresh_token<TAB>access_token<TAB>csrf_token"; one thread each.
 * SESSIONS_OUT: the same for the last tokens of each session after the run.
 * Prints one JSON line: rotations (200s), other statuses, socket errors, latency percentiles, own CPU.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 1024
#define TOKEN_MAX 4096
#define BUF_MAX (256 * 1024)

typedef struct {
    int index;
    char refresh[TOKEN_MAX], access[TOKEN_MAX], csrf[TOKEN_MAX];
    long ok, statuses[600], socket_errors, reconnects, malformed;
    int stopped;
    char first_error[512];
    double *latencies;
    size_t latency_count, latency_capacity;
    int fd;
} session;

static int port;
static const char *origin;
static double deadline;
static pthread_barrier_t barrier;
static session sessions[MAX_SESSIONS];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_server(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) < 0) { close(fd); return -1; }
    return fd;
}

static int send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n <= 0) { if (n < 0 && errno == EINTR) continue; return -1; }
        data += n; length -= (size_t) n;
    }
    return 0;
}

/* Copies the value of `name=` found at the start of a Set-Cookie value into out (up to ';'). */
static void cookie_value(const char *value, const char *end, const char *name, char *out, int *found) {
    size_t n = strlen(name);
    if ((size_t) (end - value) > n && strncmp(value, name, n) == 0 && value[n] == '=') {
        const char *v = value + n + 1, *stop = v;
        while (stop < end && *stop != ';') stop++;
        size_t length = (size_t) (stop - v);
        if (length >= TOKEN_MAX) length = TOKEN_MAX - 1;
        memcpy(out, v, length);
        out[length] = 0;
        *found = 1;
    }
}

/* Finds "csrfToken": "..." in a JSON body. */
static int json_csrf(const char *body, size_t length, char *out) {
    const char *key = memmem(body, length, "\"csrfToken\"", 11);
    if (!key) return 0;
    const char *p = key + 11, *end = body + length;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    if (p >= end || *p != '"') return 0;
    const char *start = ++p;
    while (p < end && *p != '"') p++;
    if (p >= end || (size_t) (p - start) >= TOKEN_MAX) return 0;
    memcpy(out, start, (size_t) (p - start));
    out[p - start] = 0;
    return 1;
}

static void record_latency(session *s, double seconds) {
    if (s->latency_count == s->latency_capacity) {
        s->latency_capacity = s->latency_capacity ? s->latency_capacity * 2 : 4096;
        s->latencies = realloc(s->latencies, s->latency_capacity * sizeof(double));
    }
    s->latencies[s->latency_count++] = seconds;
}

static void note_error(session *s, const char *what) {
    if (!s->first_error[0]) snprintf(s->first_error, sizeof s->first_error, "%s", what);
}

/* One refresh round trip. Returns 0 to go on, -1 when the session cannot continue. */
static int refresh_once(session *s, char *request, char *buffer) {
    if (s->fd < 0) {
        s->fd = connect_server();
        if (s->fd < 0) { s->socket_errors++; note_error(s, "connect failed"); return -1; }
        s->reconnects++;
    }
    int length = snprintf(request, BUF_MAX,
        "POST /auth/refresh HTTP/1.1\r\nHost: localhost:%d\r\nOrigin: %s\r\nUser-Agent: gatehouse-bench/1.0\r\n"
        "Accept: application/json\r\nCookie: refresh_token=%s; access_token=%s\r\nX-CSRF-TOKEN: %s\r\n"
        "Content-Length: 0\r\n\r\n",
        port, origin, s->refresh, s->access, s->csrf);
    double started = now();
    if (send_all(s->fd, request, (size_t) length) < 0) {
        s->socket_errors++; note_error(s, "send failed"); close(s->fd); s->fd = -1; return 0;
    }
    size_t have = 0;
    char *header_end = NULL;
    while (!header_end) {
        ssize_t n = recv(s->fd, buffer + have, BUF_MAX - 1 - have, 0);
        if (n <= 0) { s->socket_errors++; note_error(s, "connection closed while reading headers"); close(s->fd); s->fd = -1; return 0; }
        have += (size_t) n;
        buffer[have] = 0;
        header_end = memmem(buffer, have, "\r\n\r\n", 4);
        if (!header_end && have >= BUF_MAX - 1) { note_error(s, "headers too large"); return -1; }
    }
    int status = 0;
    if (sscanf(buffer, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 599) {
        s->malformed++; note_error(s, "bad status line"); return -1;
    }
    long content_length = -1;
    int close_after = 0, got_refresh = 0, got_access = 0, got_csrf = 0;
    char new_refresh[TOKEN_MAX], new_access[TOKEN_MAX], new_csrf[TOKEN_MAX];
    for (char *line = strstr(buffer, "\r\n") + 2; line < header_end; ) {
        char *eol = strstr(line, "\r\n");
        char *colon = memchr(line, ':', (size_t) (eol - line));
        if (colon) {
            char *value = colon + 1;
            while (*value == ' ') value++;
            size_t name_length = (size_t) (colon - line);
            if (name_length == 14 && strncasecmp(line, "content-length", 14) == 0) content_length = strtol(value, NULL, 10);
            else if (name_length == 10 && strncasecmp(line, "connection", 10) == 0 && strncasecmp(value, "close", 5) == 0) close_after = 1;
            else if (name_length == 10 && strncasecmp(line, "set-cookie", 10) == 0) {
                cookie_value(value, eol, "refresh_token", new_refresh, &got_refresh);
                cookie_value(value, eol, "access_token", new_access, &got_access);
            } else if (name_length == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
                s->malformed++; note_error(s, "chunked answer not supported"); return -1;
            }
        }
        line = eol + 2;
    }
    if (content_length < 0) content_length = 0;
    size_t header_length = (size_t) (header_end + 4 - buffer);
    if (header_length + (size_t) content_length >= BUF_MAX) { s->malformed++; note_error(s, "body too large"); return -1; }
    while (have < header_length + (size_t) content_length) {
        ssize_t n = recv(s->fd, buffer + have, BUF_MAX - 1 - have, 0);
        if (n <= 0) { s->socket_errors++; note_error(s, "connection closed while reading body"); close(s->fd); s->fd = -1; return 0; }
        have += (size_t) n;
    }
    buffer[have] = 0;
    const char *body = buffer + header_length;
    record_latency(s, now() - started);
    if (close_after) { close(s->fd); s->fd = -1; }

    if (status == 200) {
        got_csrf = json_csrf(body, (size_t) content_length, new_csrf);
        if (!got_refresh || !got_csrf || !new_refresh[0]) {
            s->malformed++; note_error(s, "200 without a new refresh_token cookie or csrfToken"); return -1;
        }
        s->ok++;
        strcpy(s->refresh, new_refresh);
        strcpy(s->csrf, new_csrf);
        if (got_access) strcpy(s->access, new_access);
        return 0;
    }
    s->statuses[status]++;
    if (!s->first_error[0]) {
        snprintf(s->first_error, sizeof s->first_error, "HTTP %d: %.*s", status,
                 (int) (content_length < 300 ? content_length : 300), body);
    }
    /* Overload answers keep the session; anything else (401 session_expired, 403 csrf_invalid) ends it. */
    return (status == 429 || status >= 500) ? 0 : -1;
}

static void *run(void *arg) {
    session *s = arg;
    char *request = malloc(BUF_MAX), *buffer = malloc(BUF_MAX);
    s->fd = connect_server();
    if (s->fd < 0) { s->socket_errors++; note_error(s, "connect failed"); }
    pthread_barrier_wait(&barrier);
    while (now() < deadline) {
        if (refresh_once(s, request, buffer) < 0) { s->stopped = 1; break; }
    }
    if (s->fd >= 0) close(s->fd);
    free(request);
    free(buffer);
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT SECONDS SESSIONS_IN SESSIONS_OUT [ORIGIN]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    double seconds = atof(argv[2]);
    origin = argc > 5 ? argv[5] : "http://localhost:5173";

    FILE *in = fopen(argv[3], "r");
    if (!in) { perror(argv[3]); return 1; }
    static char line[3 * TOKEN_MAX + 8];
    int count = 0;
    while (count < MAX_SESSIONS && fgets(line, sizeof line, in)) {
        char *refresh = strtok(line, "\t\r\n"), *access = strtok(NULL, "\t\r\n"), *csrf = strtok(NULL, "\t\r\n");
        if (!refresh || !access || !csrf) continue;
        session *s = &sessions[count];
        s->index = count++;
        snprintf(s->refresh, TOKEN_MAX, "%s", refresh);
        snprintf(s->access, TOKEN_MAX, "%s", access);
        snprintf(s->csrf, TOKEN_MAX, "%s", csrf);
    }
    fclose(in);
    if (count == 0) { fprintf(stderr, "no sessions in %s\n", argv[3]); return 1; }

    pthread_t threads[MAX_SESSIONS];
    pthread_barrier_init(&barrier, NULL, (unsigned) count + 1);
    for (int i = 0; i < count; i++) pthread_create(&threads[i], NULL, run, &sessions[i]);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    double start = now();
    deadline = start + seconds;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
    double elapsed = now() - start;
    getrusage(RUSAGE_SELF, &after);
    double cpu = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) + (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6
               + (after.ru_stime.tv_sec - before.ru_stime.tv_sec) + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;

    FILE *out = fopen(argv[4], "w");
    if (!out) { perror(argv[4]); return 1; }
    long ok = 0, socket_errors = 0, reconnects = 0, malformed = 0, stopped = 0, statuses[600] = {0};
    size_t latency_total = 0;
    const char *first_error = "";
    for (int i = 0; i < count; i++) {
        session *s = &sessions[i];
        fprintf(out, "%s\t%s\t%s\n", s->refresh, s->access, s->csrf);
        ok += s->ok; socket_errors += s->socket_errors; malformed += s->malformed; stopped += s->stopped;
        reconnects += s->reconnects;
        for (int k = 0; k < 600; k++) statuses[k] += s->statuses[k];
        latency_total += s->latency_count;
        if (!first_error[0] && s->first_error[0]) first_error = s->first_error;
    }
    fclose(out);
    double *latencies = malloc((latency_total + 1) * sizeof(double));
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        memcpy(latencies + at, sessions[i].latencies, sessions[i].latency_count * sizeof(double));
        at += sessions[i].latency_count;
    }
    qsort(latencies, latency_total, sizeof(double), compare);
#define PCT(p) (latency_total ? latencies[(size_t) ((latency_total - 1) * (p))] * 1000 : 0)

    printf("{\"sessions\": %d, \"seconds\": %.3f, \"rotations\": %ld, \"rate\": %.1f, \"socket_errors\": %ld, "
           "\"reconnects\": %ld, \"malformed\": %ld, \"sessions_stopped\": %ld, \"client_cpu_seconds\": %.3f, "
           "\"latency_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}, \"statuses\": {",
           count, elapsed, ok, ok / elapsed, socket_errors, reconnects, malformed, stopped, cpu,
           PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0));
    int first = 1;
    for (int k = 0; k < 600; k++) {
        if (statuses[k]) { printf("%s\"%d\": %ld", first ? "" : ", ", k, statuses[k]); first = 0; }
    }
    printf("}, \"first_error\": \"");
    for (const char *c = first_error; *c; c++) {
        if (*c == '"' || *c == '\\') putchar('\\');
        putchar((unsigned char) *c < 0x20 ? ' ' : *c);
    }
    printf("\"}\n");
    return 0;
}
