//===- RematOps.td - remat dialect ops ---------------------*- tablegen -*-===//

#ifndef REMAT_OPS
#define REMAT_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Remat_Dialect : Dialect {
  let name = "remat";
  let cppNamespace = "::remat";
  let summary = "Explicit rematerialization for training graphs";
  let description = [{
    The remat dialect makes a checkpointing plan visible in the IR. A
    `remat.recompute` region re-runs forward ops in the backward pass from the
    values that were kept. Keeping the recomputation inside a region until just
    before bufferization stops CSE from merging it back into the forward values.

    Attribute `remat.flops` (an integer in [0, INT64_MAX]) on any op overrides
    the cost model's FLOPs for it; the dialect verifies it.
  }];
  let hasOperationAttrVerify = 1;
}

class Remat_Op<string mnemonic, list<Trait> traits = []> :
    Op<Remat_Dialect, mnemonic, traits>;

def Remat_RecomputeResource : Resource<"::remat::RecomputeResource">;

def Remat_RecomputeOp : Remat_Op<"recompute", [
    IsolatedFromAbove,
    MemoryEffects<[MemWrite<Remat_RecomputeResource>]>,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "Recompute values from kept values";
  let description = [{
    Re-runs the ops of its body to produce its results again. The operands are
    the kept values the recomputation starts from; they enter the body as the
    block arguments, one for one and of the same types. The body is isolated
    from above: it may use no other value defined outside it, so the kept set
    of a plan is exactly the operand list. `remat.yield` returns the recomputed
    values, whose types match the results.

    Two recomputations of the same values, or a recomputation and the forward
    op it repeats, must stay apart whatever passes run around remat: merged,
    they would keep the forward value alive into the backward pass and undo
    the plan. The body is isolated from above, so CSE cannot merge its ops with
    the originals; and the op writes to a resource of its own
    (`remat.recompute`, no real memory), so CSE does not merge two equal
    regions either, and canonicalization does not erase a region as dead or
    fold it. `remat-inline-recompute` marks the ops it dissolves with
    `remat.recomputed = N`, the region's number, so the plain ops that remain
    are not merged either.

    ```mlir
    %h2 = remat.recompute (%x = %h0, %w = %w1) : (tensor<4x8xf32>, tensor<8x8xf32>)
        -> tensor<4x8xf32> {
      %e = tensor.empty() : tensor<4x8xf32>
      %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>)
                         outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
      remat.yield %m : tensor<4x8xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$kept);
  let results = (outs Variadic<AnyType>:$recomputed);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes, "::mlir::ValueRange":$kept)>
  ];
}

def Remat_YieldOp : Remat_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"RecomputeOp">]> {
  let summary = "Return the recomputed values from a remat.recompute body";
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // REMAT_OPS
