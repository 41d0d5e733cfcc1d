// A persistent thread pool for the matrix products of one decode step: workers
// spin briefly between jobs (a job arrives every few microseconds while a
// model runs) and then park, so an idle pool costs nothing and a pool sharing
// cores with other processes does not burn them. The caller is thread 0.
//
// Thread indices 1...count-1 of a job are claimed, not assigned: whichever
// thread is free takes the next one, the caller included once it has run
// index 0. On a machine where another process holds a core, a worker may not
// run for milliseconds; the caller then runs that worker's share itself
// instead of waiting for it.
#if defined(__linux__)
#define _GNU_SOURCE
#endif

#include "tern_kernels.h"

#include <pthread.h>
#include <sched.h>
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

// How long a thread polls before parking. Long enough to cover the gap between
// two matrix products of a decode step, short enough not to matter when idle.
#define TERN_SPIN_NANOSECONDS 100000
// Polls with `pause` before the first yield (a few microseconds).
#define TERN_PAUSE_SPINS 2000

typedef struct {
    tern_pool *pool;
    int64_t index;
} tern_worker;

struct tern_pool {
    // Read by polling workers: the job, its generation and the claim state
    // share a cache line.
    _Alignas(64) _Atomic uint32_t generation;
    _Atomic uint64_t claims;  // generation << 32 | next unclaimed thread index
    tern_pool_job job;
    void *context;
    _Atomic int stop;
    // Written as indices finish.
    _Alignas(64) _Atomic uint32_t done;  // indices 1...count-1 finished this generation
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

// Wait until *word != value and return the new value: spin with `pause` for
// a few microseconds (the common case while a model runs), then keep polling
// but yield the core at each poll (if another thread of ours shares this core,
// it gets to run and finish its part), then park.
static uint32_t await_change(tern_pool *pool, _Atomic uint32_t *word, uint32_t value, _Atomic uint32_t *parked) {
    uint32_t current;
    for (int spins = 0; spins < TERN_PAUSE_SPINS; spins++) {
        current = atomic_load_explicit(word, memory_order_acquire);
        if (current != value) return current;
        TERN_CPU_RELAX();
    }
    const uint64_t deadline = now_nanoseconds() + TERN_SPIN_NANOSECONDS;
    for (;;) {
        current = atomic_load_explicit(word, memory_order_acquire);
        if (current != value) return current;
        if (now_nanoseconds() > deadline) break;
        sched_yield();
    }
    // Announce before the final check; the waker reads `parked` after
    // changing `word`, so one of the two always sees the other (seq_cst).
    atomic_fetch_add(parked, 1);
    while ((current = atomic_load(word)) == value) wait_word(pool, word, value);
    atomic_fetch_sub(parked, 1);
    return current;
}

// The next unclaimed index of job `generation`, or -1 when all are taken or
// that job is over.
static int64_t claim(tern_pool *pool, uint32_t generation) {
    uint64_t state = atomic_load_explicit(&pool->claims, memory_order_acquire);
    for (;;) {
        const uint32_t index = (uint32_t)state;
        if ((uint32_t)(state >> 32) != generation || index >= pool->count) return -1;
        if (atomic_compare_exchange_weak_explicit(&pool->claims, &state, state + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return index;
    }
}

// Runs every index of job `generation` this thread can claim.
static void run_claimed(tern_pool *pool, uint32_t generation) {
    int64_t index;
    while ((index = claim(pool, generation)) >= 0) {
        pool->job(pool->context, index, pool->count);
        const uint32_t finished = atomic_fetch_add(&pool->done, 1) + 1;
        if (finished == pool->count - 1 && atomic_load(&pool->caller_waiting) != 0) wake_word(pool, &pool->done);
    }
}

static void *worker_main(void *argument) {
    const tern_worker *worker = argument;
    tern_pool *pool = worker->pool;
    uint32_t seen = 0;
    for (;;) {
        seen = await_change(pool, &pool->generation, seen, &pool->sleepers);
        if (atomic_load(&pool->stop)) return NULL;
        run_claimed(pool, seen);
    }
}

tern_pool *tern_pool_create(int64_t thread_count) {
    if (thread_count < 1) thread_count = 1;
    tern_pool *pool = aligned_alloc(64, (sizeof(tern_pool) + 63) / 64 * 64);
    if (pool == NULL) return NULL;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->stop, 0);
    atomic_init(&pool->claims, 0);
    atomic_init(&pool->done, 0);
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

// Opens job `generation + 1` with `first` as the first claimable index, and
// wakes parked workers. Returns the new generation.
static uint32_t publish(tern_pool *pool, uint32_t first) {
    const uint32_t generation = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->claims, (uint64_t)generation << 32 | first, memory_order_release);
    atomic_store(&pool->generation, generation);
    if (atomic_load(&pool->sleepers) != 0) wake_word(pool, &pool->generation);
    return generation;
}

void tern_pool_run(tern_pool *pool, tern_pool_job job, void *context) {
    if (pool->count == 1) {
        job(context, 0, 1);
        return;
    }
    pool->job = job;
    pool->context = context;
    const uint32_t generation = publish(pool, 1);
    job(context, 0, pool->count);
    // Take any index no worker has started, then wait for the ones in progress.
    run_claimed(pool, generation);
    const uint32_t all = (uint32_t)(pool->count - 1);
    uint32_t finished = atomic_load_explicit(&pool->done, memory_order_acquire);
    while (finished != all) finished = await_change(pool, &pool->done, finished, &pool->caller_waiting);
}

void tern_pool_destroy(tern_pool *pool) {
    if (pool == NULL) return;
    atomic_store(&pool->stop, 1);
    publish(pool, (uint32_t)pool->count);  // nothing to claim: workers see `stop` and exit
    for (int64_t i = 1; i < pool->count; i++) pthread_join(pool->threads[i], NULL);
#if !defined(__linux__)
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->condition);
#endif
    free(pool->threads);
    free(pool->workers);
    free(pool);
}
