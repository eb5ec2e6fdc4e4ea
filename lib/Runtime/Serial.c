/*===- Serial.c - the thread count of a runtime without threads -----------===//
 *
 * The CUDA runtime (the host side of a GPU step runs on one thread) and the
 * CPU runtime built without BLAS (every kernel is the step's own loop code)
 * take a thread count and ignore it.
 *
 *===----------------------------------------------------------------------===*/

#include "RematRuntime.h"

void remat_set_num_threads(int threads) { (void)threads; }
