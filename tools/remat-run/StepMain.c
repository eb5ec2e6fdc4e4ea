/*===- StepMain.c - feed, run and measure one lowered step ----------------===//
 *
 * Usage: <step> [--seed N] [--repeat N] [--threads N] [--load PREFIX]
 *               [--dump PREFIX] [--check-peak TOL] [--ticks FILE]
 *
 * Fills every argument with deterministic values from the seed, allocates it
 * through the runtime's tracker (arguments count, as in the simulator), runs
 * the step `repeat` times, and prints per result an FNV-1a hash of its raw
 * bytes (bitwise comparison of planned and unplanned runs), the measured and
 * the predicted peak bytes, and the step time. Exits 1 if two repeats give
 * different results. --dump writes the raw bytes of argument i and result i
 * to PREFIXargI.bin and PREFIXresultI.bin (to check values against a
 * reference). --load reads argument i's raw bytes from PREFIXargI.bin
 * instead (a reference's own weights and batch; the size must be the
 * argument's); --dump then writes the results only. --check-peak exits 1 when the measured peak is off the
 * prediction by more than the fraction TOL. --threads sets the threads the
 * runtime's kernels use (default: $REMAT_NUM_THREADS, else every online
 * core); results are deterministic for a given thread count. --ticks writes
 * each top-level op's fastest time over the steps to FILE (TickRuntime.h): the
 * step must be instrumented (remat-opt --remat-instrument-ops).
 *
 * A memref descriptor of rank R is {ptr allocated, ptr aligned, i64 offset,
 * i64 sizes[R], i64 strides[R]}: all 8-byte fields, so the results struct of
 * the C interface is the descriptors back to back.
 *
 *===----------------------------------------------------------------------===*/

/* clock_gettime and sysconf under -std=c11. */
#define _POSIX_C_SOURCE 199309L

#include "StepMain.h"

#include "RematRuntime.h"
#include "TickRuntime.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[2 * kRematMaxRank];
} Descriptor;

static size_t descriptorBytes(const RematTensorType *type) {
  return sizeof(int64_t) * (3 + 2 * (size_t)type->rank);
}

static size_t tensorBytes(const RematTensorType *type) {
  size_t bytes = (size_t)type->elementBytes;
  for (int d = 0; d < type->rank; ++d)
    bytes *= (size_t)type->sizes[d];
  return bytes;
}

static void describe(Descriptor *descriptor, const RematTensorType *type,
                     void *buffer) {
  descriptor->allocated = descriptor->aligned = buffer;
  descriptor->offset = 0;
  int64_t stride = 1;
  for (int d = type->rank - 1; d >= 0; --d) {
    descriptor->sizesAndStrides[d] = type->sizes[d];
    descriptor->sizesAndStrides[type->rank + d] = stride;
    stride *= type->sizes[d];
  }
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Values in [-1, 1) for floats; for integers in [0, 8), small enough that no
 * step overflows and valid as class labels and token ids (indices) of every
 * bundled step; 0 or 1 for i1 (masks). */
static void fillDeterministic(void *host, const RematTensorType *type,
                              uint64_t seed, int index) {
  uint64_t state = seed * 0xD1B54A32D192ED03ull + (uint64_t)index;
  size_t count = tensorBytes(type) / (size_t)type->elementBytes;
  for (size_t i = 0; i < count; ++i) {
    uint64_t bits = splitmix64(&state);
    double unit = (double)(bits >> 11) / 9007199254740992.0;
    char *element = (char *)host + i * (size_t)type->elementBytes;
    if (type->kind == kRematFloat && type->elementBytes == 4)
      *(float *)element = (float)(2.0 * unit - 1.0);
    else if (type->kind == kRematFloat && type->elementBytes == 8)
      *(double *)element = 2.0 * unit - 1.0;
    else if (type->kind == kRematBool)
      *element = (char)(bits >> 63);
    else
      memcpy(element, &(int64_t){(int64_t)(bits >> 61)},
             (size_t)type->elementBytes);
  }
}

static uint64_t fnv1a64(const unsigned char *bytes, size_t count) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < count; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void *checkedMalloc(size_t bytes) {
  void *ptr = malloc(bytes ? bytes : 1);
  if (!ptr) {
    fprintf(stderr, "out of host memory\n");
    exit(2);
  }
  return ptr;
}

static const char *dumpPrefix;
static const char *loadPrefix;
static const char *ticksPath;

/* Defined by TickRuntime.c, which only an instrumented step links. */
extern int remat_ticks_write(const char *path) __attribute__((weak));

static void load(int index, void *host, size_t bytes) {
  char path[4096];
  snprintf(path, sizeof(path), "%sarg%d.bin", loadPrefix, index);
  FILE *file = fopen(path, "rb");
  if (!file || fread(host, 1, bytes, file) != bytes || fgetc(file) != EOF) {
    fprintf(stderr, "cannot read %zu bytes (argument %d) from %s\n", bytes,
            index, path);
    exit(2);
  }
  fclose(file);
}

static void dump(const char *kind, int index, const void *host, size_t bytes) {
  if (!dumpPrefix)
    return;
  char path[4096];
  snprintf(path, sizeof(path), "%s%s%d.bin", dumpPrefix, kind, index);
  FILE *file = fopen(path, "wb");
  if (!file || fwrite(host, 1, bytes, file) != bytes) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  fclose(file);
}

/* Allocates the arguments through the tracker and uploads their values. */
static void prepareArguments(Descriptor *descriptors, void **args,
                             uint64_t seed) {
  for (int i = 0; i < remat_step_argument_count; ++i) {
    const RematTensorType *type = &remat_step_arguments[i];
    size_t bytes = tensorBytes(type);
    void *host = checkedMalloc(bytes);
    if (loadPrefix) {
      load(i, host, bytes);
    } else {
      fillDeterministic(host, type, seed, i);
      dump("arg", i, host, bytes);
    }
    void *buffer = remat_buffer_alloc(bytes);
    remat_buffer_write(buffer, host, bytes);
    free(host);
    describe(&descriptors[i], type, buffer);
    args[i] = &descriptors[i];
  }
}

static int isArgumentBuffer(const Descriptor *arguments, void *buffer) {
  for (int i = 0; i < remat_step_argument_count; ++i)
    if (arguments[i].allocated == buffer)
      return 1;
  return 0;
}

/* Hashes each result into `hashes` and frees the step's result buffers
 * (each once: two results may share one). */
static void collectResults(char *results, const Descriptor *arguments,
                           uint64_t *hashes) {
  void *freed[64];
  int freedCount = 0;
  for (int r = 0; r < remat_step_result_count; ++r) {
    const RematTensorType *type = &remat_step_results[r];
    Descriptor *descriptor = (Descriptor *)results;
    size_t bytes = tensorBytes(type);
    unsigned char *host = checkedMalloc(bytes);
    remat_buffer_read(host,
                      (char *)descriptor->aligned +
                          descriptor->offset * type->elementBytes,
                      bytes);
    hashes[r] = fnv1a64(host, bytes);
    dump("result", r, host, bytes);
    free(host);
    int seen = isArgumentBuffer(arguments, descriptor->allocated);
    for (int f = 0; f < freedCount; ++f)
      seen |= freed[f] == descriptor->allocated;
    if (!seen && freedCount < 64) {
      freed[freedCount++] = descriptor->allocated;
      remat_buffer_free(descriptor->allocated);
    }
    results += descriptorBytes(type);
  }
}

typedef struct {
  uint64_t seed;
  int repeat;
  int threads;
  double peakTolerance; /* negative: no check */
} Options;

/* $REMAT_NUM_THREADS, else every online core. */
static int defaultThreads(void) {
  const char *text = getenv("REMAT_NUM_THREADS");
  int threads = text ? atoi(text) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  return threads > 0 ? threads : 1;
}

static Options parseOptions(int argc, char **argv) {
  Options options = {1, 1, defaultThreads(), -1.0};
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      options.seed = strtoull(argv[++i], NULL, 0);
    } else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
      options.repeat = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      options.threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
      dumpPrefix = argv[++i];
    } else if (!strcmp(argv[i], "--load") && i + 1 < argc) {
      loadPrefix = argv[++i];
    } else if (!strcmp(argv[i], "--check-peak") && i + 1 < argc) {
      options.peakTolerance = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--ticks") && i + 1 < argc) {
      ticksPath = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--seed N] [--repeat N] [--threads N] "
                      "[--load PREFIX] [--dump PREFIX] [--check-peak TOL] "
                      "[--ticks FILE]\n",
              argv[0]);
      exit(2);
    }
  }
  if (ticksPath && !remat_ticks_write) {
    fprintf(stderr, "--ticks: this step calls no remat_tick (instrument it "
                    "with remat-opt --remat-instrument-ops)\n");
    exit(2);
  }
  if (options.repeat < 1)
    options.repeat = 1;
  if (options.threads < 1)
    options.threads = 1;
  return options;
}

/* Whether the measured peak is within `tolerance` of the prediction. */
static int peakAgrees(double tolerance) {
  int64_t predicted = remat_step_predicted_peak;
  double deviation =
      predicted > 0
          ? fabs((double)(remat_peak_bytes() - predicted)) / (double)predicted
          : 1.0;
  if (deviation <= tolerance)
    return 1;
  printf("error: measured peak %lld bytes is off the predicted %lld by "
         "%.2f%% (tolerance %.2f%%)\n",
         (long long)remat_peak_bytes(), (long long)predicted, 100 * deviation,
         100 * tolerance);
  return 0;
}

/* Freed buffers stay in the process's heap for the next step. glibc returns
 * a freed block of 128 KiB or more to the kernel (its mmap and trim
 * thresholds), and the next step's allocation of it then faults in and
 * zeroes fresh pages: a third of the 6x512x64 residual MLP's step time. The
 * tracker counts every buffer's bytes either way; only blocks over 32 MiB
 * (glibc's largest mmap threshold) still come from and go back to mmap. */
static void keepFreedHostMemory(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

int main(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  keepFreedHostMemory();
  int repeat = options.repeat;
  remat_set_num_threads(options.threads);

  int argCount = remat_step_argument_count;
  int resultCount = remat_step_result_count;
  Descriptor *arguments = checkedMalloc(sizeof(Descriptor) * (size_t)argCount);
  void **args = checkedMalloc(sizeof(void *) * (size_t)argCount);
  char *results = checkedMalloc(sizeof(Descriptor) * (size_t)resultCount);
  uint64_t *first = checkedMalloc(sizeof(uint64_t) * (size_t)resultCount);
  uint64_t *hashes = checkedMalloc(sizeof(uint64_t) * (size_t)resultCount);
  double *times = checkedMalloc(sizeof(double) * (size_t)repeat);

  prepareArguments(arguments, args, options.seed);
  int64_t argumentBytes = remat_current_bytes();
  int64_t allocationsBefore = remat_allocation_count();
  int stable = 1;
  for (int r = 0; r < repeat; ++r) {
    remat_synchronize();
    double start = nowMs();
    remat_call_step(results, args);
    remat_synchronize();
    times[r] = nowMs() - start;
    collectResults(results, arguments, r == 0 ? first : hashes);
    if (r > 0 && memcmp(first, hashes, sizeof(uint64_t) * (size_t)resultCount))
      stable = 0;
  }
  int64_t allocationsPerStep =
      (remat_allocation_count() - allocationsBefore) / repeat;
  qsort(times, (size_t)repeat, sizeof(double), compareDoubles);

  printf("runtime %s\nfunction %s\nseed %llu\nthreads %d\n",
         remat_runtime_name(), remat_step_name,
         (unsigned long long)options.seed, options.threads);
  for (int r = 0; r < resultCount; ++r)
    printf("result %d %s fnv1a64 %016llx\n", r, remat_step_results[r].type,
           (unsigned long long)first[r]);
  printf("argument_bytes %lld\n", (long long)argumentBytes);
  printf("allocations_per_step %lld\n", (long long)allocationsPerStep);
  printf("peak_bytes %lld\n", (long long)remat_peak_bytes());
  printf("predicted_peak_bytes %lld\n", (long long)remat_step_predicted_peak);
  /* A library's own device memory (cuBLAS's workspace), outside the peak. */
  if (remat_workspace_bytes() > 0)
    printf("workspace_bytes %lld\n", (long long)remat_workspace_bytes());
  printf("step_ms_min %.6f\nstep_ms_median %.6f\n", times[0],
         times[repeat / 2]);
  if (!stable)
    printf("error: results differ between repeats\n");
  if (ticksPath && remat_ticks_write(ticksPath)) {
    fprintf(stderr, "cannot write %s\n", ticksPath);
    stable = 0;
  }
  int failed = !stable || (options.peakTolerance >= 0 &&
                           !peakAgrees(options.peakTolerance));
  for (int i = 0; i < argCount; ++i)
    remat_buffer_free(arguments[i].allocated);
  free(times);
  free(hashes);
  free(first);
  free(results);
  free(args);
  free(arguments);
  return failed;
}
