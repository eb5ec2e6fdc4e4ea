/*===- TickRuntime.c - the clock of instrumented steps --------------------===//
 *
 * See TickRuntime.h. It is an object of remat_step_main's archive: the linker
 * takes it only into executables whose step calls remat_tick, and StepMain
 * refers to remat_ticks_write weakly.
 *
 *===----------------------------------------------------------------------===*/

/* clock_gettime under -std=c11. */
#define _POSIX_C_SOURCE 199309L

#include "TickRuntime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double *fastest;  /* per op: its fastest time in ns */
static int64_t *samples; /* per op: how many times it was timed */
static int64_t capacity, count;
static int64_t lastId = -1;
static double last;

static double nowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Room for op `id`; 0 when out of memory (the op is not timed then). */
static int reserve(int64_t id) {
  if (id < capacity)
    return 1;
  int64_t grown = capacity ? capacity : 256;
  while (grown <= id)
    grown *= 2;
  double *newFastest = realloc(fastest, sizeof(double) * (size_t)grown);
  if (!newFastest)
    return 0;
  fastest = newFastest;
  int64_t *newSamples = realloc(samples, sizeof(int64_t) * (size_t)grown);
  if (!newSamples)
    return 0;
  samples = newSamples;
  for (int64_t i = capacity; i < grown; ++i) {
    fastest[i] = INFINITY;
    samples[i] = 0;
  }
  capacity = grown;
  return 1;
}

void remat_tick(int64_t id) {
  double now = nowNs();
  /* Only consecutive ticks time an op: the return's tick and the next
   * step's first tick, or a call into another instrumented function, do
   * not. */
  if (lastId >= 0 && id == lastId + 1 && reserve(lastId)) {
    double elapsed = now - last;
    if (elapsed < fastest[lastId])
      fastest[lastId] = elapsed;
    ++samples[lastId];
    if (lastId + 1 > count)
      count = lastId + 1;
  }
  lastId = id;
  /* The bookkeeping above is not the next op's time. */
  last = nowNs();
}

void _mlir_ciface_remat_tick(int64_t id) { remat_tick(id); }

static double clockGapNs(void) {
  double gap = INFINITY;
  for (int i = 0; i < 10000; ++i) {
    double a = nowNs();
    double b = nowNs();
    if (b - a < gap)
      gap = b - a;
  }
  return gap;
}

int remat_ticks_write(const char *path) {
  FILE *file = fopen(path, "w");
  if (!file)
    return 1;
  fprintf(file, "# clock_gap_ns %.1f\n", clockGapNs());
  for (int64_t i = 0; i < count; ++i)
    if (samples[i] > 0)
      fprintf(file, "%lld %.1f %lld\n", (long long)i, fastest[i],
              (long long)samples[i]);
  return fclose(file) != 0;
}
