/*===- TickRuntime.h - the clock of instrumented steps ------------*- C -*-===//
 *
 * remat-opt --remat-instrument-ops calls remat_tick(i) before top-level op i
 * of a step and before its return; the time from tick i to tick i + 1 is op
 * i. TickRuntime.c keeps each op's fastest time over the steps run; StepMain's
 * --ticks FILE writes them (remat-run --op-times, remat-calibrate).
 *
 *===----------------------------------------------------------------------===*/
#ifndef REMAT_RUN_TICKRUNTIME_H
#define REMAT_RUN_TICKRUNTIME_H

#include <stdint.h>

void remat_tick(int64_t id);
/* The lowering calls functions through their C interface wrappers. */
void _mlir_ciface_remat_tick(int64_t id);

/* Writes "# clock_gap_ns G" and then, for each op timed at least once,
 * "index fastest_ns samples" to `path`. G is the fastest of many
 * back-to-back clock reads: what each op's time holds beyond the op (the
 * calls between them cost a few nanoseconds more). 0 on success. */
int remat_ticks_write(const char *path);

#endif /* REMAT_RUN_TICKRUNTIME_H */
