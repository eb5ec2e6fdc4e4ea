// RUN: remat-opt %S/remat-checkpoint-policies.mlir --split-input-file --remat-report -o /dev/null 2>&1 | FileCheck %s
// RUN: not remat-opt %s --split-input-file --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=HERE
// RUN: remat-opt %S/remat-checkpoint-policies.mlir --split-input-file --remat-report="report-file=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=JSON < %t.json

// remat-report lists the values the step's policies pin, as the planning
// passes read them (remat-checkpoint-policies.mlir holds the steps: five
// tanh layers, %0-%4, 4096 bytes each).

// @op_recompute: remat.policy = "recompute" on the third layer.
// CHECK:      remark: remat-report: peak 28.0 KiB (28676 bytes) {{.*}}; pinned by the step's policies: 0 saved, 1 recomputed
// CHECK:      note: pinned recompute: %2 (4096 bytes)
// CHECK-NEXT: %a3 = math.tanh %a2 {remat.policy = "recompute"}
// @op_save: "save" on the first two.
// CHECK:      remark: remat-report: {{.*}}; pinned by the step's policies: 2 saved, 0 recomputed
// CHECK:      note: pinned save: %0 (4096 bytes)
// CHECK:      note: pinned save: %1 (4096 bytes)
// @region: a checkpoint region over layers 2-4 keeps what it reads (%0)
// and stashes nothing of its own (the region's last value, %3, is read
// after it and stays free).
// CHECK:      remark: remat-report: {{.*}}; pinned by the step's policies: 1 saved, 2 recomputed
// CHECK:      note: pinned save: %0 (4096 bytes)
// CHECK:      note: pinned recompute: %1 (4096 bytes)
// CHECK:      note: pinned recompute: %2 (4096 bytes)

// The JSON (of the file's last step, @override: "save" on %1, and a region
// whose "recompute" pin on %0 an explicit policy keeps).
// JSON: "function": "override"
// JSON:      "pinned_recompute": [
// JSON-NEXT:   {
// JSON-NEXT:     "bytes": 4096,
// JSON-NEXT:     "loc": "{{.*}}remat-checkpoint-policies.mlir:{{[0-9]+}}:9",
// JSON-NEXT:     "op": "math.tanh",
// JSON-NEXT:     "value": "%0"
// JSON-NEXT:   }
// JSON-NEXT: ],
// JSON-NEXT: "pinned_save": [
// JSON-NEXT:   {
// JSON-NEXT:     "bytes": 4096,
// JSON:          "value": "%1"
// JSON-NEXT:   }
// JSON-NEXT: ],

// A step without policies says nothing of pins; a malformed policy is the
// planning passes' error, at the op.
// HERE: remark: remat-report: peak 12.0 KiB (12292 bytes) at step 5 of 7 ('arith.mulf'); arguments 4096 bytes; forward 2048 FLOPs, backward 1024 FLOPs; stashed activations: 1 values, 4096 bytes{{$}}
// HERE: error: remat-report: unknown remat.policy "maybe"; expected "save" or "recompute"
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @plain(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %a1 = math.tanh %x : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a1 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %s1 = arith.mulf %a1, %a1 : tensor<1024xf32>
  return %loss, %s1 : tensor<f32>, tensor<1024xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @bad(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %a1 = math.tanh %x {remat.policy = "maybe"} : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a1 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %s1 = arith.mulf %a1, %a1 : tensor<1024xf32>
  return %loss, %s1 : tensor<f32>, tensor<1024xf32>
}
