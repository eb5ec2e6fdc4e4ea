/*===- Tracker.c - live and peak bytes of tracked buffers -----------------===*/

#include "RematRuntime.h"

/* The steps are single-threaded host code (kernels never allocate). */
static int64_t currentBytes;
static int64_t peakBytes;
static int64_t allocationCount;
static int64_t workspaceBytes;

void remat_track_alloc(size_t bytes) {
  currentBytes += (int64_t)bytes;
  ++allocationCount;
  if (currentBytes > peakBytes)
    peakBytes = currentBytes;
}

void remat_track_free(size_t bytes) { currentBytes -= (int64_t)bytes; }

int64_t remat_current_bytes(void) { return currentBytes; }
int64_t remat_peak_bytes(void) { return peakBytes; }
int64_t remat_allocation_count(void) { return allocationCount; }

void remat_track_workspace(size_t bytes) { workspaceBytes += (int64_t)bytes; }
int64_t remat_workspace_bytes(void) { return workspaceBytes; }
