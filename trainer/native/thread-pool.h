// A fixed team of worker threads that share one data-parallel task at a time with the caller.
// A task is cut into chunks that threads claim one by one, so where another process holds a core
// and a worker is not scheduled, the caller takes the remaining chunks instead of waiting for it.
// OpenBLAS runs single-threaded inside each chunk: one team, never two pools fighting for the cores.
#pragma once

/** Runs chunk `chunk` of `chunks`, on whichever thread claimed it. */
typedef void (*chunk_fn)(void *task, long chunk, long chunks);

/** Threads in the team, the caller included (1 until pool_set_threads). */
int pool_threads(void);

/** Sets the team's size (the caller included); returns 0 if a worker could not be started. */
int pool_set_threads(int threads);

/** Runs every chunk of a task across the team and returns when all are done. */
void parallel(chunk_fn fn, void *task, long chunks);

/** [begin, end) of chunk `chunk` when `total` items are cut into `chunks` as evenly as possible. */
void share(long total, long chunk, long chunks, long *begin, long *end);
