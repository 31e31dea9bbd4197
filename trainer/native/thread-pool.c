#include "thread-pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define MAX_THREADS 64
// Idle workers spin this many pauses (a few hundred µs) before sleeping: a training step calls
// kernels back to back with tens of µs of JavaScript between them, too short for a futex wake-up.
#define SPINS_BEFORE_SLEEP 20000
#define YIELD_EVERY 256

static struct {
  int threads, workers;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  // The task's generation (high 32 bits) and its next unclaimed chunk (low 32): one atomic, so a
  // worker that wakes late for a finished task can never claim a chunk of the next one.
  _Atomic uint64_t ticket;
  atomic_long done;
  uint32_t generation;
  chunk_fn fn;
  void *task;
  long chunks;
} pool = {.threads = 1, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static uint32_t generation_of(uint64_t ticket) { return (uint32_t)(ticket >> 32); }

/** Claims and runs chunks of task `generation` until none is left. */
static void run_chunks(uint32_t generation) {
  for (;;) {
    uint64_t ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    if (generation_of(ticket) != generation || (long)(uint32_t)ticket >= pool.chunks) return;
    if (!atomic_compare_exchange_weak_explicit(&pool.ticket, &ticket, ticket + 1, memory_order_acq_rel, memory_order_acquire)) continue;
    // The claim holds the task in place: the caller waits for every chunk before it sets the next.
    pool.fn(pool.task, (long)(uint32_t)ticket, pool.chunks);
    atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
  }
}

static uint32_t wait_for_task(uint32_t seen) {
  uint32_t generation;
  for (int spins = 0; spins < SPINS_BEFORE_SLEEP; spins++) {
    if ((generation = generation_of(atomic_load_explicit(&pool.ticket, memory_order_acquire))) != seen) return generation;
    cpu_relax();
    // Now and then, let another process waiting for this core (the app's host, say) run in the gap.
    if (spins % YIELD_EVERY == YIELD_EVERY - 1) sched_yield();
  }
  pthread_mutex_lock(&pool.lock);
  while ((generation = generation_of(atomic_load_explicit(&pool.ticket, memory_order_acquire))) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  return generation;
}

static void *worker(void *arg) {
  const int thread = (int)(intptr_t)arg;
  uint32_t seen = generation_of(atomic_load(&pool.ticket));
  for (;;) {
    seen = wait_for_task(seen);
    if (thread < pool.threads) run_chunks(seen);
  }
  return NULL;
}

int pool_threads(void) { return pool.threads; }

int pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  while (pool.workers < threads - 1) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, (void *)(intptr_t)(pool.workers + 1)) != 0) return 0;
    pthread_detach(thread);
    pool.workers++;
  }
  pool.threads = threads;
  return 1;
}

void parallel(chunk_fn fn, void *task, long chunks) {
  if (chunks <= 0) return;
  if (chunks == 1 || pool.threads == 1) {
    for (long c = 0; c < chunks; c++) fn(task, c, chunks);
    return;
  }
  pool.fn = fn;
  pool.task = task;
  pool.chunks = chunks;
  atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
  const uint32_t generation = ++pool.generation;
  pthread_mutex_lock(&pool.lock);
  atomic_store_explicit(&pool.ticket, (uint64_t)generation << 32, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  run_chunks(generation);
  while (atomic_load_explicit(&pool.done, memory_order_acquire) < chunks) cpu_relax();
}

void share(long total, long chunk, long chunks, long *begin, long *end) {
  const long base = total / chunks, extra = total % chunks;
  *begin = chunk * base + (chunk < extra ? chunk : extra);
  *end = *begin + base + (chunk < extra ? 1 : 0);
}
