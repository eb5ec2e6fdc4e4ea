// RUN: remat-opt %s --remat-map-parallel-loops=block-threads=48 -verify-diagnostics

// expected-error @below {{remat-map-parallel-loops: block-threads must be a power of two from 32 to 1024, got 48}}
func.func @f() {
  return
}
