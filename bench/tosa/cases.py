#!/usr/bin/env python3
"""Writes the cases of bench/tosa/run.py, one small function per TOSA op kind:

    python3 bench/tosa/cases.py DIR

Template per case:
  %a = tosa.exp %x            (fresh activation, live to the end: returned)
  [%b = tosa.exp %y]          (second fresh activation where the op needs two)
  %r = <op under test>(%a[, %b], weights/consts...)
  return %a[, %b], %r
so the TOSA IR's peak is args + a [+ b] + r and any temporary or view of the
lowering shows up directly as a difference. The chain_ cases let %a die at
the op and return only exp(r) (a cast for integer results); the late_ cases
read a view again after its base would have died.
"""
import os
import re
import sys

D = sys.argv[1]
os.makedirs(D, exist_ok=True)

F32Z = '%zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>'
SHIFT = '%shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>'

CHAIN = []
def case(name, xt, rt, body, extra_args=(), yt=None, consts=(), note="", chain=False):
    if not chain:
        CHAIN.append((name, xt, rt, body, extra_args, yt, consts))
    args = [f"%x: {xt}"] + ([f"%y: {yt}"] if yt else []) + [f"%{n}: {t}" for n, t in extra_args]
    if chain:
        ct = rt if rt.endswith("f32>") else re.sub(r"x[a-z]+[0-9]+>$", "xf32>", rt)
        rets = [ct]
        vals = ["%c"]
        op = "tosa.exp" if rt.endswith("f32>") else "tosa.cast"
        body = body + f"\n%c = {op} %r : ({rt}) -> {ct}"
        note = (note + " " if note else "") + "chain form: %a/%b die at their last use, %r consumed by %c"
    else:
        rets = [xt] + ([yt] if yt else []) + [rt]
        vals = ["%a"] + (["%b"] if yt else []) + ["%r"]
    L = []
    if note:
        L.append(f"// {note}")
    L.append(f"func.func @step({', '.join(args)}) -> ({', '.join(rets)}) {{")
    for c in consts:
        L.append("  " + c)
    L.append(f"  %a = tosa.exp %x : ({xt}) -> {xt}")
    if yt:
        L.append(f"  %b = tosa.exp %y : ({yt}) -> {yt}")
    for b in body.strip().splitlines():
        L.append("  " + b.strip())
    L.append(f"  return {', '.join(vals)} : {', '.join(rets)}")
    L.append("}")
    open(os.path.join(D, name + ".mlir"), "w").write("\n".join(L) + "\n")

T3 = "tensor<1x64x128xf32>"     # 32768 B
N4 = "tensor<1x16x16x8xf32>"    # 8192 B

def shp(name, vals):
    return f"%{name} = tosa.const_shape {{values = dense<[{', '.join(map(str, vals))}]> : tensor<{len(vals)}xindex>}} : () -> !tosa.shape<{len(vals)}>"

# --- views / data movement
case("reshape_collapse", T3, "tensor<64x128xf32>",
     "%r = tosa.reshape %a, %s : (tensor<1x64x128xf32>, !tosa.shape<2>) -> tensor<64x128xf32>",
     consts=[shp("s", [64, 128])])
case("reshape_expand", T3, "tensor<1x64x2x64xf32>",
     "%r = tosa.reshape %a, %s : (tensor<1x64x128xf32>, !tosa.shape<4>) -> tensor<1x64x2x64xf32>",
     consts=[shp("s", [1, 64, 2, 64])])
case("reshape_general", T3, "tensor<1x128x64xf32>",
     "%r = tosa.reshape %a, %s : (tensor<1x64x128xf32>, !tosa.shape<3>) -> tensor<1x128x64xf32>",
     consts=[shp("s", [1, 128, 64])])
case("slice", T3, "tensor<1x32x128xf32>",
     "%r = tosa.slice %a, %st, %sz : (tensor<1x64x128xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x32x128xf32>",
     consts=[shp("st", [0, 8, 0]), shp("sz", [1, 32, 128])])
case("slice_inner", T3, "tensor<1x64x32xf32>",
     "%r = tosa.slice %a, %st, %sz : (tensor<1x64x128xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x64x32xf32>",
     consts=[shp("st", [0, 0, 16]), shp("sz", [1, 64, 32])])
case("identity", T3, T3, f"%r = tosa.identity %a : ({T3}) -> {T3}")
case("concat", T3, "tensor<1x128x128xf32>",
     f"%r = tosa.concat %a, %b {{axis = 1 : i32}} : ({T3}, {T3}) -> tensor<1x128x128xf32>", yt=T3)
case("concat_inner", T3, "tensor<1x64x256xf32>",
     f"%r = tosa.concat %a, %b {{axis = 2 : i32}} : ({T3}, {T3}) -> tensor<1x64x256xf32>", yt=T3)
case("pad", N4, "tensor<1x18x18x8xf32>",
     f"%r = tosa.pad %a, %p, %pv : ({N4}, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x18x18x8xf32>",
     consts=[shp("p", [0, 0, 1, 1, 1, 1, 0, 0]),
             '%pv = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>'])
case("transpose", T3, "tensor<1x128x64xf32>",
     f"%r = tosa.transpose %a {{perms = array<i32: 0, 2, 1>}} : ({T3}) -> tensor<1x128x64xf32>")
case("tile", "tensor<1x64x32xf32>", "tensor<1x64x128xf32>",
     "%r = tosa.tile %a, %m : (tensor<1x64x32xf32>, !tosa.shape<3>) -> tensor<1x64x128xf32>",
     consts=[shp("m", [1, 1, 4])])
case("gather", "tensor<1x64x128xf32>", "tensor<1x32x128xf32>",
     "%r = tosa.gather %a, %idx : (tensor<1x64x128xf32>, tensor<1x32xi32>) -> tensor<1x32x128xf32>",
     extra_args=[("idx", "tensor<1x32xi32>")])
case("cast_f32_i32", T3, "tensor<1x64x128xi32>",
     f"%r = tosa.cast %a : ({T3}) -> tensor<1x64x128xi32>")
case("cast_f32_f16", T3, "tensor<1x64x128xf16>",
     f"%r = tosa.cast %a : ({T3}) -> tensor<1x64x128xf16>")
case("resize_nearest", "tensor<1x8x8x16xf32>", "tensor<1x16x16x16xf32>",
     "%r = tosa.resize %a, %sc, %of, %bo {mode = NEAREST_NEIGHBOR} : (tensor<1x8x8x16xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x16x16x16xf32>",
     consts=[shp("sc", [4, 2, 4, 2]), shp("of", [0, 0]), shp("bo", [2, 2])])
case("resize_bilinear", "tensor<1x8x8x16xf32>", "tensor<1x16x16x16xf32>",
     "%r = tosa.resize %a, %sc, %of, %bo {mode = BILINEAR} : (tensor<1x8x8x16xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x16x16x16xf32>",
     consts=[shp("sc", [4, 2, 4, 2]), shp("of", [-1, -1]), shp("bo", [1, 1])])

# --- convolutions / pooling  (x 1x16x16x8 f32 = 8192 B)
def conv(name, op, weight, pad, oh):
    """A 3x3 convolution `op` with `weight`'s type, padding `pad`."""
    rt = f"tensor<1x{oh}x{oh}x16xf32>"
    case(name, N4, rt,
         f"%r = tosa.{op} %a, %w, %bias, %zp, %zp {{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, stride = array<i64: 1, 1>}} : ({N4}, {weight}, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> {rt}",
         extra_args=[("w", weight), ("bias", "tensor<16xf32>")], consts=[F32Z])
for p in (0, 1):
    conv(f"conv2d_pad{p}", "conv2d", "tensor<16x3x3x8xf32>", p, 16 if p else 14)
    conv(f"depthwise_conv2d_pad{p}", "depthwise_conv2d", "tensor<3x3x8x2xf32>", p, 16 if p else 14)
case("transpose_conv2d", N4, "tensor<1x18x18x16xf32>",
     f"%r = tosa.transpose_conv2d %a, %w, %bias, %zp, %zp {{acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : ({N4}, tensor<16x3x3x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x18x18x16xf32>",
     extra_args=[("w", "tensor<16x3x3x8xf32>"), ("bias", "tensor<16xf32>")], consts=[F32Z])
case("transpose_conv2d_s2", N4, "tensor<1x33x33x16xf32>",
     f"%r = tosa.transpose_conv2d %a, %w, %bias, %zp, %zp {{acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}} : ({N4}, tensor<16x3x3x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x33x33x16xf32>",
     extra_args=[("w", "tensor<16x3x3x8xf32>"), ("bias", "tensor<16xf32>")], consts=[F32Z])
def avg(name, pad, oh):
    rt = f"tensor<1x{oh}x{oh}x8xf32>"
    case(name, N4, rt,
         f"%r = tosa.avg_pool2d %a, %zp, %zp {{acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, stride = array<i64: 1, 1>}} : ({N4}, tensor<1xf32>, tensor<1xf32>) -> {rt}",
         consts=[F32Z])
avg("avg_pool2d_pad0", 0, 14)
avg("avg_pool2d_pad1", 1, 16)
def mx(name, pad, oh):
    rt = f"tensor<1x{oh}x{oh}x8xf32>"
    case(name, N4, rt,
         f"%r = tosa.max_pool2d %a {{kernel = array<i64: 3, 3>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, stride = array<i64: 1, 1>}} : ({N4}) -> {rt}")
mx("max_pool2d_pad0", 0, 14)
mx("max_pool2d_pad1", 1, 16)

# --- reductions / contractions
case("reduce_sum", T3, "tensor<1x64x1xf32>",
     f"%r = tosa.reduce_sum %a {{axis = 2 : i32}} : ({T3}) -> tensor<1x64x1xf32>")
case("reduce_sum_axis1", T3, "tensor<1x1x128xf32>",
     f"%r = tosa.reduce_sum %a {{axis = 1 : i32}} : ({T3}) -> tensor<1x1x128xf32>")
case("reduce_max", T3, "tensor<1x64x1xf32>",
     f"%r = tosa.reduce_max %a {{axis = 2 : i32}} : ({T3}) -> tensor<1x64x1xf32>")
case("argmax", T3, "tensor<1x64xi32>",
     f"%r = tosa.argmax %a {{axis = 2 : i32}} : ({T3}) -> tensor<1x64xi32>")
case("argmax_axis1", T3, "tensor<1x128xi32>",
     f"%r = tosa.argmax %a {{axis = 1 : i32}} : ({T3}) -> tensor<1x128xi32>")
case("matmul", "tensor<1x64x32xf32>", "tensor<1x64x128xf32>",
     "%r = tosa.matmul %a, %b, %zp, %zp : (tensor<1x64x32xf32>, tensor<1x32x128xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x64x128xf32>",
     yt="tensor<1x32x128xf32>", consts=[F32Z])

# --- elementwise
case("greater_select", T3, T3,
     f"%g = tosa.greater %a, %b : ({T3}, {T3}) -> tensor<1x64x128xi1>\n"
     f"%r = tosa.select %g, %a, %b : (tensor<1x64x128xi1>, {T3}, {T3}) -> {T3}", yt=T3)
case("rsqrt", T3, T3, f"%r = tosa.rsqrt %a : ({T3}) -> {T3}")
case("reciprocal", T3, T3, f"%r = tosa.reciprocal %a : ({T3}) -> {T3}")
case("exp", T3, T3, f"%r = tosa.exp %a : ({T3}) -> {T3}")
case("rsqrt_recip_exp_chain", T3, T3,
     f"%r1 = tosa.rsqrt %a : ({T3}) -> {T3}\n%r2 = tosa.reciprocal %r1 : ({T3}) -> {T3}\n%r = tosa.exp %r2 : ({T3}) -> {T3}")
case("clamp", T3, T3,
     f"%r = tosa.clamp %a {{min_val = 0.0 : f32, max_val = 3.4e38 : f32}} : ({T3}) -> {T3}")
case("mul", T3, T3, f"%r = tosa.mul %a, %b, %shift : ({T3}, {T3}, tensor<1xi8>) -> {T3}",
     yt=T3, consts=[SHIFT])
case("mul_bcast", T3, T3, f"%r = tosa.mul %a, %b, %shift : ({T3}, tensor<1x1x128xf32>, tensor<1xi8>) -> {T3}",
     yt="tensor<1x1x128xf32>", consts=[SHIFT])
case("add_bcast", T3, T3, f"%r = tosa.add %a, %b : ({T3}, tensor<1x64x1xf32>) -> {T3}",
     yt="tensor<1x64x1xf32>")
case("negate", T3, T3, f"%r = tosa.negate %a, %zp, %zp : ({T3}, tensor<1xf32>, tensor<1xf32>) -> {T3}",
     consts=[F32Z])

# --- rescale (integer only): i32 activation from cast, rescale to i8
RS = ['%mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>',
      '%rsh = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>',
      '%izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>',
      '%ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>']
case("rescale", T3, "tensor<1x64x128xi8>",
     f"%ai = tosa.cast %a : ({T3}) -> tensor<1x64x128xi32>\n"
     "%r = tosa.rescale %ai, %mult, %rsh, %izp, %ozp {rounding_mode = SINGLE_ROUND, scale32 = true, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x64x128xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x64x128xi8>",
     consts=RS, note="rescale: extra tosa.cast buffer %ai (i32, 32768 B) is dead after rescale in both IRs")

# chain form of selected ops: x -> a=exp(x) -> r=OP(a) -> c=exp(r) (cast for int r); only c returned
for (name, xt, rt, body, extra_args, yt, consts) in list(CHAIN):
    if name in ("reshape_collapse", "reshape_general", "slice", "slice_inner", "identity", "concat",
                "pad", "transpose", "tile", "conv2d_pad0", "conv2d_pad1", "depthwise_conv2d_pad0",
                "depthwise_conv2d_pad1", "avg_pool2d_pad0", "avg_pool2d_pad1", "max_pool2d_pad0",
                "max_pool2d_pad1", "reduce_sum", "argmax", "matmul", "cast_f32_i32", "gather", "resize_bilinear"):
        case("chain_" + name, xt, rt, body, extra_args, yt, consts, chain=True)

# --- late use of a view: the base %a is otherwise dead after the view op, the view %r is read again later
def raw(name, text):
    open(os.path.join(D, name + ".mlir"), "w").write(text.lstrip())
raw("late_slice", """
// slice result %r read again by %d after %c: in TOSA %a dies at the slice, in linalg the extract_slice view keeps %a alive
func.func @step(%x: tensor<1x64x128xf32>) -> (tensor<1x64x32xf32>) {
  %st = tosa.const_shape {values = dense<[0, 0, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sz = tosa.const_shape {values = dense<[1, 64, 32]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %a = tosa.exp %x : (tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  %r = tosa.slice %a, %st, %sz : (tensor<1x64x128xf32>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x64x32xf32>
  %c = tosa.exp %r : (tensor<1x64x32xf32>) -> tensor<1x64x32xf32>
  %d = tosa.add %c, %r : (tensor<1x64x32xf32>, tensor<1x64x32xf32>) -> tensor<1x64x32xf32>
  return %d : tensor<1x64x32xf32>
}
""")
raw("late_reshape", """
// reshape result %r read again by %d after %c: the collapse_shape view keeps %a alive (same bytes as %r)
func.func @step(%x: tensor<1x64x128xf32>) -> (tensor<64x128xf32>) {
  %s = tosa.const_shape {values = dense<[64, 128]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %a = tosa.exp %x : (tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  %r = tosa.reshape %a, %s : (tensor<1x64x128xf32>, !tosa.shape<2>) -> tensor<64x128xf32>
  %c = tosa.exp %r : (tensor<64x128xf32>) -> tensor<64x128xf32>
  %d = tosa.add %c, %r : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  return %d : tensor<64x128xf32>
}
""")
raw("add_const", """
// large tosa.const operand (32768 B) -> arith.constant after lowering
func.func @step(%x: tensor<1x64x128xf32>) -> (tensor<1x64x128xf32>, tensor<1x64x128xf32>) {
  %k = "tosa.const"() <{values = dense<1.5> : tensor<1x64x128xf32>}> : () -> tensor<1x64x128xf32>
  %a = tosa.exp %x : (tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  %r = tosa.add %a, %k : (tensor<1x64x128xf32>, tensor<1x64x128xf32>) -> tensor<1x64x128xf32>
  return %a, %r : tensor<1x64x128xf32>, tensor<1x64x128xf32>
}
""")
