// RUN: remat-opt %s --split-input-file --verify-diagnostics

func.func @yield_type_mismatch(%x: tensor<4xf32>) -> tensor<4xf64> {
  %r = remat.recompute (%a = %x) : (tensor<4xf32>) -> tensor<4xf64> {
    // expected-error @below {{'remat.yield' op value #0 has type 'tensor<4xf32>' but result #0 of the parent has type 'tensor<4xf64>'}}
    remat.yield %a : tensor<4xf32>
  }
  return %r : tensor<4xf64>
}

// -----

func.func @yield_count_mismatch(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = remat.recompute (%a = %x) : (tensor<4xf32>) -> tensor<4xf32> {
    // expected-error @below {{'remat.yield' op yields 2 values but the parent has 1 results}}
    remat.yield %a, %a : tensor<4xf32>, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// The body may use only the kept values, through its block arguments.
func.func @uses_value_from_above(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @below {{required by region isolation constraints}}
  %r = remat.recompute (%a = %x) : (tensor<4xf32>) -> tensor<4xf32> {
    // expected-error @below {{using value defined outside the region}}
    %s = arith.addf %a, %y : tensor<4xf32>
    remat.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @kept_types_mismatch(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{expected 1 kept types, got 2}}
  %r = remat.recompute (%a = %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
    remat.yield %a : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// expected-note @below {{prior use here}}
func.func @kept_operand_type_mismatch(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{use of value '%x' expects different type than prior uses: 'tensor<8xf32>' vs 'tensor<4xf32>'}}
  %r = remat.recompute (%a = %x) : (tensor<8xf32>) -> tensor<4xf32> {
    %e = tensor.empty() : tensor<4xf32>
    remat.yield %e : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_outside_recompute(%x: tensor<4xf32>) {
  // expected-error @below {{'remat.yield' op expects parent op 'remat.recompute'}}
  remat.yield %x : tensor<4xf32>
}
