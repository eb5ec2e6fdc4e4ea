/*===- CudaRuntime.c - mgpu* wrappers over the CUDA driver API ------------===//
 *
 * The functions MLIR 22's GPU-to-LLVM lowering calls (gpu.launch_func,
 * gpu.alloc, gpu.dealloc, gpu.wait, gpu.memcpy, gpu.memset and the module
 * constructors of gpu-module-to-binary), written against the driver API only,
 * so a step runs where just the NVIDIA driver is installed. Device
 * allocations are tracked like host ones; a free looks its size up in the
 * table of live allocations.
 *
 *===----------------------------------------------------------------------===*/

#include "CudaRuntimeInternal.h"
#include "RematRuntime.h"

#include <cuda.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* A failed driver call leaves nothing to measure: report it and stop. */
static void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = NULL;
  cuGetErrorName(result, &name);
  fprintf(stderr, "remat runtime: %s failed: %s (%d)\n", what,
          name ? name : "unknown error", (int)result);
  exit(2);
}

static int defaultDevice;

/* Makes the device's primary context current, once (the steps run on one
 * host thread). */
static void ensureContext(void) {
  static CUcontext context;
  if (context)
    return;
  check(cuInit(0), "cuInit");
  CUdevice device;
  check(cuDeviceGet(&device, defaultDevice), "cuDeviceGet");
  check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
}

/*--- live device allocations and their sizes -------------------------------*/

typedef struct {
  CUdeviceptr ptr;
  size_t bytes;
} Allocation;

static Allocation *live;
static size_t liveCount, liveCapacity;

static void remember(CUdeviceptr ptr, size_t bytes) {
  if (liveCount == liveCapacity) {
    liveCapacity = liveCapacity ? 2 * liveCapacity : 256;
    live = realloc(live, liveCapacity * sizeof(Allocation));
    if (!live) {
      fprintf(stderr, "remat runtime: out of host memory\n");
      exit(2);
    }
  }
  live[liveCount++] = (Allocation){ptr, bytes};
  remat_track_alloc(bytes);
}

static void forget(CUdeviceptr ptr) {
  for (size_t i = 0; i < liveCount; ++i) {
    if (live[i].ptr != ptr)
      continue;
    remat_track_free(live[i].bytes);
    live[i] = live[--liveCount];
    return;
  }
  fprintf(stderr, "remat runtime: freeing unknown device pointer %p\n",
          (void *)ptr);
  exit(2);
}

/*--- the mgpu* entry points -------------------------------------------------*/

CUmodule mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  ensureContext();
  CUmodule module = NULL;
  check(cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  CUresult result = cuModuleUnload(module);
  /* The module destructors run at exit, possibly after the driver has shut
   * down; it has freed the module then. */
  if (result != CUDA_ERROR_DEINITIALIZED)
    check(result, "cuModuleUnload");
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  CUfunction function = NULL;
  check(cuModuleGetFunction(&function, module, name), "cuModuleGetFunction");
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t paramCount) {
  (void)paramCount;
  check(cuLaunchKernel(function, (unsigned)gridX, (unsigned)gridY,
                       (unsigned)gridZ, (unsigned)blockX, (unsigned)blockY,
                       (unsigned)blockZ, (unsigned)sharedBytes, stream, params,
                       extra),
        "cuLaunchKernel");
}

CUstream mgpuStreamCreate(void) {
  ensureContext();
  CUstream stream = NULL;
  check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(CUstream stream) {
  check(cuStreamDestroy(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(CUstream stream) {
  check(cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  check(cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

CUevent mgpuEventCreate(void) {
  ensureContext();
  CUevent event = NULL;
  check(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(CUevent event) {
  check(cuEventDestroy(event), "cuEventDestroy");
}

void mgpuEventSynchronize(CUevent event) {
  check(cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  check(cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, CUstream stream, bool hostShared) {
  (void)stream;
  ensureContext();
  CUdeviceptr ptr = 0;
  if (hostShared)
    check(cuMemAllocManaged(&ptr, bytes, CU_MEM_ATTACH_GLOBAL),
          "cuMemAllocManaged");
  else
    check(cuMemAlloc(&ptr, bytes), "cuMemAlloc");
  remember(ptr, bytes);
  return (void *)ptr;
}

void mgpuMemFree(void *ptr, CUstream stream) {
  (void)stream;
  if (!ptr)
    return;
  forget((CUdeviceptr)ptr);
  check(cuMemFree((CUdeviceptr)ptr), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream) {
  check(cuMemcpyAsync((CUdeviceptr)dst, (CUdeviceptr)src, bytes, stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, CUstream stream) {
  check(cuMemsetD32Async((CUdeviceptr)dst, value, count, stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  CUstream stream) {
  check(cuMemsetD16Async((CUdeviceptr)dst, value, count, stream),
        "cuMemsetD16Async");
}

void mgpuSetDefaultDevice(int32_t device) { defaultDevice = device; }

/*--- what remat-run's main calls --------------------------------------------*/

void *remat_buffer_alloc(size_t bytes) {
  return mgpuMemAlloc(bytes, NULL, false);
}

void remat_buffer_free(void *buffer) { mgpuMemFree(buffer, NULL); }

void remat_buffer_write(void *buffer, const void *host, size_t bytes) {
  check(cuMemcpyHtoD((CUdeviceptr)buffer, host, bytes), "cuMemcpyHtoD");
}

void remat_buffer_read(void *host, const void *buffer, size_t bytes) {
  check(cuMemcpyDtoH(host, (CUdeviceptr)buffer, bytes), "cuMemcpyDtoH");
}

void remat_synchronize(void) {
  ensureContext();
  check(cuCtxSynchronize(), "cuCtxSynchronize");
}

const char *remat_runtime_name(void) { return "cuda"; }

/*--- for the runtime's other files (CudaRuntimeInternal.h) ------------------*/

void remat_cuda_check(CUresult result, const char *what) {
  check(result, what);
}

void remat_cuda_ensure_context(void) { ensureContext(); }
