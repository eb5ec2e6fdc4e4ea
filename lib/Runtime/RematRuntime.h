/*===- RematRuntime.h - what remat-run's generated main calls -----*- C -*-===//
 *
 * One interface, two implementations: the CPU runtime (host buffers through
 * the allocation functions the lowered step calls) and the CUDA runtime
 * (device buffers through the mgpu* wrappers). Every buffer of a step, its
 * arguments included, goes through the tracker, so the peak it reports is the
 * peak the memory model predicts.
 *
 *===----------------------------------------------------------------------===*/
#ifndef REMAT_RUNTIME_H
#define REMAT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A tracked buffer of the step's memory (host or device). */
void *remat_buffer_alloc(size_t bytes);
void remat_buffer_free(void *buffer);
/* Copies between host memory and a buffer. */
void remat_buffer_write(void *buffer, const void *host, size_t bytes);
void remat_buffer_read(void *host, const void *buffer, size_t bytes);
/* Waits until the step's work is done (a no-op on the CPU). */
void remat_synchronize(void);
/* "cpu" or "cuda". */
const char *remat_runtime_name(void);
/* Threads the step's kernels may use (the CPU runtime's OpenBLAS; Serial.c
 * ignores it where the runtime has no threads). */
void remat_set_num_threads(int threads);

/* The tracker: bytes of tracked buffers live now and at most so far. */
void remat_track_alloc(size_t bytes);
void remat_track_free(size_t bytes);
int64_t remat_current_bytes(void);
int64_t remat_peak_bytes(void);
int64_t remat_allocation_count(void);
/* Device memory a library holds for its own use, outside the step's buffers
 * (cuBLAS's workspace): counted apart from the tracked peak. */
void remat_track_workspace(size_t bytes);
int64_t remat_workspace_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* REMAT_RUNTIME_H */
