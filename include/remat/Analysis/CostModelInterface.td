//===- CostModelInterface.td - FLOPs of an op --------------*- tablegen -*-===//

#ifndef REMAT_COSTMODELINTERFACE
#define REMAT_COSTMODELINTERFACE

include "mlir/IR/OpBase.td"

def Remat_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::remat";
  let description = [{
    The compute cost of one execution of an op, for the checkpoint planner.
    remat attaches it to upstream ops as external models (linalg, tosa,
    arith, math, tensor); a `remat.flops` integer attribute on an op
    overrides it.
  }];
  let methods = [
    InterfaceMethod<
      "Floating-point (or integer) operations of one execution of the op.",
      "int64_t", "getFlops", (ins)>,
    InterfaceMethod<
      "Bytes the op copies without arithmetic (data movement); 0 for views.",
      "int64_t", "getBytesMoved", (ins), "", "return 0;">,
  ];
}

#endif // REMAT_COSTMODELINTERFACE
