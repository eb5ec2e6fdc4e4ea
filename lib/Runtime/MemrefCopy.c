/*===- MemrefCopy.c - memref.copy of strided host memrefs ----------------===*
 *
 * finalize-memref-to-llvm lowers a memref.copy that is not contiguous (a copy
 * into a subview, e.g. from the lowering of tensor.pad) to a call of
 * `memrefCopy`, which MLIR's own runtime (libmlir_c_runner_utils) defines.
 * remat's executables link no MLIR library, so this is the same function in
 * plain C over the same descriptors; it allocates nothing.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

/* The descriptor of a ranked memref of rank R: two pointers, the offset,
 * then R sizes and R strides, all in elements. */
typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} StridedDescriptor;

typedef struct {
  int64_t rank;
  StridedDescriptor *descriptor;
} UnrankedDescriptor;

void memrefCopy(int64_t elementBytes, UnrankedDescriptor *source,
                UnrankedDescriptor *target) {
  int64_t rank = source->rank;
  const StridedDescriptor *src = source->descriptor;
  const StridedDescriptor *dst = target->descriptor;
  const int64_t *sizes = src->sizesAndStrides;
  const int64_t *srcStrides = src->sizesAndStrides + rank;
  const int64_t *dstStrides = dst->sizesAndStrides + rank;
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] == 0)
      return;
  /* An odometer over the indices, innermost dimension fastest. */
  int64_t index[64] = {0};
  const char *from = src->aligned + src->offset * elementBytes;
  char *to = dst->aligned + dst->offset * elementBytes;
  for (;;) {
    memcpy(to, from, (size_t)elementBytes);
    int64_t d = rank - 1;
    for (; d >= 0; --d) {
      from += srcStrides[d] * elementBytes;
      to += dstStrides[d] * elementBytes;
      if (++index[d] < sizes[d])
        break;
      from -= srcStrides[d] * sizes[d] * elementBytes;
      to -= dstStrides[d] * sizes[d] * elementBytes;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}
