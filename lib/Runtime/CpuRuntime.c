/*===- CpuRuntime.c - tracked host allocations ----------------------------===//
 *
 * finalize-memref-to-llvm{use-generic-functions=true} makes every
 * memref.alloc / memref.dealloc of the step call these functions instead of
 * malloc / free. A free gets only the pointer, so each block carries a header
 * right before the pointer handed out: the size (for the tracker) and the
 * pointer malloc returned (for aligned blocks).
 *
 *===----------------------------------------------------------------------===*/

#include "RematRuntime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *base;
  size_t bytes;
} Header;

/* Keeps the user pointer as aligned as malloc's (16 bytes on x86-64). */
enum { kHeaderSpace = 16 };

static Header *headerOf(void *ptr) {
  return (Header *)((char *)ptr - sizeof(Header));
}

static void *allocate(size_t bytes, size_t alignment) {
  if (alignment < kHeaderSpace)
    alignment = kHeaderSpace;
  char *base = malloc(bytes + alignment + kHeaderSpace);
  if (!base) {
    fprintf(stderr, "remat runtime: out of host memory (%zu bytes)\n", bytes);
    abort();
  }
  uintptr_t first = (uintptr_t)base + kHeaderSpace;
  char *ptr = (char *)((first + alignment - 1) / alignment * alignment);
  headerOf(ptr)->base = base;
  headerOf(ptr)->bytes = bytes;
  remat_track_alloc(bytes);
  return ptr;
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  return allocate(bytes, kHeaderSpace);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  return allocate(bytes, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  remat_track_free(headerOf(ptr)->bytes);
  free(headerOf(ptr)->base);
}

void *remat_buffer_alloc(size_t bytes) {
  return _mlir_memref_to_llvm_alloc(bytes);
}

void remat_buffer_free(void *buffer) { _mlir_memref_to_llvm_free(buffer); }

void remat_buffer_write(void *buffer, const void *host, size_t bytes) {
  memcpy(buffer, host, bytes);
}

void remat_buffer_read(void *host, const void *buffer, size_t bytes) {
  memcpy(host, buffer, bytes);
}

void remat_synchronize(void) {}

const char *remat_runtime_name(void) { return "cpu"; }
