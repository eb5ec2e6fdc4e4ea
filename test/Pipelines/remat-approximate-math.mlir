// RUN: remat-opt %s --split-input-file --remat-approximate-math | FileCheck %s

// tanh, exp and log on f32, scalars and vectors, become arithmetic and fma
// (upstream's polynomials): no call is left for LLVM to make per element.
// CHECK-LABEL: func.func @activations
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK: math.fma {{.*}} : f32
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
func.func @activations(%v: vector<16xf32>, %x: f32) -> (vector<16xf32>, f32, f32, f32) {
  %t = math.tanh %v : vector<16xf32>
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %m = math.log1p %x : f32
  return %t, %e, %l, %m : vector<16xf32>, f32, f32, f32
}

// -----

// erf (an exact GELU) stays libm's, and f64 is left alone.
// CHECK-LABEL: func.func @kept
// CHECK: math.erf {{.*}} : f32
// CHECK: math.tanh {{.*}} : f64
// CHECK: math.exp {{.*}} : f64
func.func @kept(%x: f32, %y: f64) -> (f32, f64, f64) {
  %e = math.erf %x : f32
  %t = math.tanh %y : f64
  %x2 = math.exp %y : f64
  return %e, %t, %x2 : f32, f64, f64
}
