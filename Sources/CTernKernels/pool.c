// A persistent thread pool for the matrix products of one decode step: workers
// spin briefly between jobs (a job arrives every few microseconds while a
// model runs) and then park, so an idle pool costs nothing and a pool sharing
// cores with other processes does not burn them. The caller is thread 0.
#if defined(__linux__)
#define _GNU_SOURCE
#endif

#include "tern_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TERN_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TERN_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define TERN_CPU_RELAX() ((void)0)
#endif

// How long a thread spins before parking. Long enough to cover the gap between
// two matrix products of a decode step, short enough not to matter when idle.
#define TERN_SPIN_NANOSECONDS 100000

typedef struct {
    tern_pool *pool;
    int64_t index;
} tern_worker;

struct tern_pool {
    // Read by spinning workers: the job and its generation share a cache line.
    _Alignas(64) _Atomic uint32_t generation;
    tern_pool_job job;
    void *context;
    _Atomic int stop;
    // Written by workers as they finish.
    _Alignas(64) _Atomic uint32_t pending;
    _Atomic uint32_t sleepers;
    _Atomic uint32_t caller_waiting;
    _Alignas(64) int64_t count;
    pthread_t *threads;
    tern_worker *workers;
#if !defined(__linux__)
    pthread_mutex_t mutex;
    pthread_cond_t condition;
#endif
};

static uint64_t now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Park until *word may differ from `expected`; wake everyone parked on word.
// Spurious returns are fine: callers re-check in a loop.
#if defined(__linux__)
static void wait_word(tern_pool *pool, _Atomic uint32_t *word, uint32_t expected) {
    (void)pool;
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}
static void wake_word(tern_pool *pool, _Atomic uint32_t *word) {
    (void)pool;
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
#else
static void wait_word(tern_pool *pool, _Atomic uint32_t *word, uint32_t expected) {
    pthread_mutex_lock(&pool->mutex);
    if (atomic_load(word) == expected) pthread_cond_wait(&pool->condition, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
}
static void wake_word(tern_pool *pool, _Atomic uint32_t *word) {
    (void)word;
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->condition);
    pthread_mutex_unlock(&pool->mutex);
}
#endif

// Spin, then park, until *word != value. Returns the new value.
static uint32_t await_change(tern_pool *pool, _Atomic uint32_t *word, uint32_t value, _Atomic uint32_t *parked) {
    uint32_t current;
    uint64_t deadline = 0;
    for (unsigned spins = 1;; spins++) {
        current = atomic_load_explicit(word, memory_order_acquire);
        if (current != value) return current;
        TERN_CPU_RELAX();
        if ((spins & 255) != 0) continue;
        const uint64_t now = now_nanoseconds();
        if (deadline == 0) deadline = now + TERN_SPIN_NANOSECONDS;
        if (now < deadline) continue;
        // Announce before the final check; the waker reads `parked` after
        // changing `word`, so one of the two always sees the other (seq_cst).
        atomic_fetch_add(parked, 1);
        while ((current = atomic_load(word)) == value) wait_word(pool, word, value);
        atomic_fetch_sub(parked, 1);
        return current;
    }
}

static void *worker_main(void *argument) {
    const tern_worker *worker = argument;
    tern_pool *pool = worker->pool;
    uint32_t seen = 0;
    for (;;) {
        seen = await_change(pool, &pool->generation, seen, &pool->sleepers);
        if (atomic_load(&pool->stop)) return NULL;
        pool->job(pool->context, worker->index, pool->count);
        if (atomic_fetch_sub(&pool->pending, 1) == 1 && atomic_load(&pool->caller_waiting) != 0) {
            wake_word(pool, &pool->pending);
        }
    }
}

tern_pool *tern_pool_create(int64_t thread_count) {
    if (thread_count < 1) thread_count = 1;
    tern_pool *pool = aligned_alloc(64, (sizeof(tern_pool) + 63) / 64 * 64);
    if (pool == NULL) return NULL;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->stop, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->caller_waiting, 0);
    pool->job = NULL;
    pool->context = NULL;
#if !defined(__linux__)
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->condition, NULL);
#endif
    pool->threads = calloc((size_t)thread_count, sizeof(pthread_t));
    pool->workers = calloc((size_t)thread_count, sizeof(tern_worker));
    pool->count = 1;
    if (pool->threads == NULL || pool->workers == NULL) return pool;
    for (int64_t i = 1; i < thread_count; i++) {
        pool->workers[i] = (tern_worker){pool, i};
        if (pthread_create(&pool->threads[i], NULL, worker_main, &pool->workers[i]) != 0) break;
        pool->count = i + 1;
    }
    return pool;
}

int64_t tern_pool_thread_count(const tern_pool *pool) { return pool->count; }

// Bumps the generation and wakes parked workers.
static void publish(tern_pool *pool) {
    atomic_fetch_add(&pool->generation, 1);
    if (atomic_load(&pool->sleepers) != 0) wake_word(pool, &pool->generation);
}

void tern_pool_run(tern_pool *pool, tern_pool_job job, void *context) {
    if (pool->count == 1) {
        job(context, 0, 1);
        return;
    }
    pool->job = job;
    pool->context = context;
    atomic_store_explicit(&pool->pending, (uint32_t)(pool->count - 1), memory_order_relaxed);
    publish(pool);
    job(context, 0, pool->count);
    // Wait for the workers: spin, then park on `pending` the same way they do.
    uint32_t left = atomic_load_explicit(&pool->pending, memory_order_acquire);
    while (left != 0) left = await_change(pool, &pool->pending, left, &pool->caller_waiting);
}

void tern_pool_destroy(tern_pool *pool) {
    if (pool == NULL) return;
    atomic_store(&pool->stop, 1);
    publish(pool);
    for (int64_t i = 1; i < pool->count; i++) pthread_join(pool->threads[i], NULL);
#if !defined(__linux__)
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->condition);
#endif
    free(pool->threads);
    free(pool->workers);
    free(pool);
}
