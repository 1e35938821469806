"""Convert a float TFLite model (MediaPipe BlazePose) to ONNX.

Off-the-shelf converters fail on these files (tflite2onnx on the op set,
tf2onnx on the detector's sparse weights), so this reads the flatbuffer with
the `tflite` package and emits ONNX nodes itself. Constant-only ops
(DENSIFY, DEQUANTIZE of fp16 weights) are folded at conversion time, so the
ONNX graph is plain fp32. Inside, 4-D activations are kept NCHW (what
onnxruntime's conv kernels want); inputs and outputs keep TFLite's NHWC.

Usage: python tflite_to_onnx.py MODEL.tflite OUT.onnx [--drop OUTPUT_NAME ...]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper
from tflite.BuiltinOperator import BuiltinOperator
from tflite_weights import ConversionError, buffer_bytes, densify  # beside this file

OPSET = 17
IR_VERSION = 8  # pinned so the bytes (and checksums) do not follow the onnx package
TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
    tflite.TensorType.UINT8: np.uint8,
    tflite.TensorType.INT8: np.int8,
}


# ---------------------------------------------------------------- the graph


@dataclass
class _Value:
    """Where a TFLite tensor lives in the ONNX graph."""

    name: str
    nchw: bool = False  # 4-D value stored as NCHW


@dataclass
class _Builder:
    model: tflite.Model
    raw: bytes
    graph: tflite.SubGraph
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    values: dict[int, _Value] = field(default_factory=dict)
    constants: dict[int, np.ndarray] = field(default_factory=dict)
    _counter: int = 0

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def shape(self, index: int) -> list[int]:
        return [int(d) for d in self.graph.Tensors(index).ShapeAsNumpy()]

    def add_const(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attrs) -> str:
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    # -- reading constants and activations

    def constant(self, index: int) -> np.ndarray | None:
        if index in self.constants:
            return self.constants[index]
        tensor = self.graph.Tensors(index)
        data = buffer_bytes(self.model, self.raw, tensor)
        if data is None:
            return None
        array = np.frombuffer(data, dtype=_NUMPY_TYPES[tensor.Type()])
        if tensor.Sparsity() is None:
            array = array.reshape(self.shape(index))
        self.constants[index] = array
        return array

    def as_nchw(self, index: int) -> str:
        value = self.values[index]
        if value.nchw:
            return value.name
        name = self.node("Transpose", [value.name], "to_nchw", perm=list(TO_NCHW))
        self.values[index] = _Value(name, nchw=True)  # reuse for later consumers
        return name

    def as_nhwc(self, index: int) -> str:
        value = self.values[index]
        if not value.nchw:
            return value.name
        return self.node("Transpose", [value.name], "to_nhwc", perm=list(TO_NHWC))

    def activation(self, name: str, kind: int) -> str:
        if kind == tflite.ActivationFunctionType.NONE:
            return name
        if kind == tflite.ActivationFunctionType.RELU:
            return self.node("Relu", [name], "relu")
        if kind == tflite.ActivationFunctionType.RELU6:
            lo = self.add_const(np.array(0, np.float32), "zero")
            hi = self.add_const(np.array(6, np.float32), "six")
            return self.node("Clip", [name, lo, hi], "relu6")
        raise ConversionError(f"fused activation {kind} not supported")


def _options(op, cls):
    table = op.BuiltinOptions()
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def _same_pads(in_hw: list[int], kernel: list[int], strides: list[int], dilations: list[int]) -> list[int]:
    """TF 'SAME' padding as explicit ONNX pads [top, left, bottom, right]."""
    begins, ends = [], []
    for size, k, s, d in zip(in_hw, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


# ---------------------------------------------------------------- op mapping


def _conv(b: _Builder, op, ins: list[int], depthwise: bool) -> _Value:
    opts = _options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
    weights = b.constant(ins[1]).astype(np.float32)
    if depthwise:  # [1, kh, kw, C*M] -> [C*M, 1, kh, kw]
        weights = weights.transpose(3, 0, 1, 2)
        group = b.shape(ins[0])[3]
    else:  # [O, kh, kw, I] -> [O, I, kh, kw]
        weights = weights.transpose(0, 3, 1, 2)
        group = 1
    kernel = list(weights.shape[2:])
    strides = [opts.StrideH(), opts.StrideW()]
    dilations = [opts.DilationHFactor(), opts.DilationWFactor()]
    if opts.Padding() == tflite.Padding.SAME:
        pads = _same_pads(b.shape(ins[0])[1:3], kernel, strides, dilations)
    else:
        pads = [0, 0, 0, 0]
    inputs = [b.as_nchw(ins[0]), b.add_const(weights, "w")]
    if len(ins) > 2 and ins[2] >= 0:
        inputs.append(b.add_const(b.constant(ins[2]).astype(np.float32), "b"))
    out = b.node(
        "Conv",
        inputs,
        "conv",
        kernel_shape=kernel,
        strides=strides,
        dilations=dilations,
        pads=pads,
        group=group,
    )
    return _Value(b.activation(out, opts.FusedActivationFunction()), nchw=True)


def _broadcast_const(array: np.ndarray, nchw: bool) -> np.ndarray:
    array = array.astype(np.float32)
    if not nchw:
        return array
    array = array.reshape((1,) * (4 - array.ndim) + array.shape)
    return array.transpose(TO_NCHW)


def _add(b: _Builder, op, ins: list[int]) -> _Value:
    opts = _options(op, tflite.AddOptions)
    consts = [b.constant(i) for i in ins]
    live = [i for i, c in zip(ins, consts) if c is None]
    nchw = len(b.shape(ins[0])) == 4 and any(b.values[i].nchw for i in live)
    names = []
    for index, const in zip(ins, consts):
        if const is not None:
            names.append(b.add_const(_broadcast_const(const, nchw), "c"))
        else:
            names.append(b.as_nchw(index) if nchw else b.as_nhwc(index))
    out = b.node("Add", names, "add")
    return _Value(b.activation(out, opts.FusedActivationFunction()), nchw=nchw)


def _pad(b: _Builder, op, ins: list[int]) -> _Value:
    paddings = b.constant(ins[1]).astype(np.int64)[list(TO_NCHW)]  # rows follow NCHW
    pads = b.add_const(np.concatenate([paddings[:, 0], paddings[:, 1]]), "pads")
    return _Value(b.node("Pad", [b.as_nchw(ins[0]), pads], "pad", mode="constant"), nchw=True)


def _max_pool(b: _Builder, op, ins: list[int]) -> _Value:
    opts = _options(op, tflite.Pool2DOptions)
    kernel = [opts.FilterHeight(), opts.FilterWidth()]
    strides = [opts.StrideH(), opts.StrideW()]
    if opts.Padding() == tflite.Padding.SAME:
        pads = _same_pads(b.shape(ins[0])[1:3], kernel, strides, [1, 1])
    else:
        pads = [0, 0, 0, 0]
    out = b.node("MaxPool", [b.as_nchw(ins[0])], "maxpool", kernel_shape=kernel, strides=strides, pads=pads)
    return _Value(b.activation(out, opts.FusedActivationFunction()), nchw=True)


def _resize_bilinear(b: _Builder, op, ins: list[int], out_index: int) -> _Value:
    opts = _options(op, tflite.ResizeBilinearOptions)
    if opts.AlignCorners():
        mode = "align_corners"
    elif opts.HalfPixelCenters():
        mode = "half_pixel"
    else:
        mode = "asymmetric"
    n, h, w, c = b.shape(out_index)
    sizes = b.add_const(np.array([n, c, h, w], np.int64), "sizes")
    out = b.node(
        "Resize",
        [b.as_nchw(ins[0]), "", "", sizes],
        "resize",
        mode="linear",
        coordinate_transformation_mode=mode,
    )
    return _Value(out, nchw=True)


def _depth_to_space(b: _Builder, op, ins: list[int]) -> _Value:
    opts = _options(op, tflite.DepthToSpaceOptions)
    # TF's channel order (block row, block col, channel) is ONNX's DCR mode.
    out = b.node("DepthToSpace", [b.as_nchw(ins[0])], "d2s", blocksize=opts.BlockSize(), mode="DCR")
    return _Value(out, nchw=True)


def _reshape(b: _Builder, op, ins: list[int], out_index: int) -> _Value:
    shape = b.add_const(np.array(b.shape(out_index), np.int64), "shape")
    return _Value(b.node("Reshape", [b.as_nhwc(ins[0]), shape], "reshape"))


def _concat(b: _Builder, op, ins: list[int]) -> _Value:
    opts = _options(op, tflite.ConcatenationOptions)
    rank = len(b.shape(ins[0]))
    axis = opts.Axis() % rank
    nchw = rank == 4
    if nchw:
        axis = TO_NCHW.index(axis)
    names = [b.as_nchw(i) if nchw else b.as_nhwc(i) for i in ins]
    out = b.node("Concat", names, "concat", axis=axis)
    return _Value(b.activation(out, opts.FusedActivationFunction()), nchw=nchw)


def _logistic(b: _Builder, op, ins: list[int]) -> _Value:
    value = b.values[ins[0]]
    return _Value(b.node("Sigmoid", [value.name], "sigmoid"), nchw=value.nchw)


def _fold_constant(b: _Builder, name: str, op, ins: list[int], out: int) -> None:
    """DEQUANTIZE / DENSIFY of weights: evaluate now, emit nothing."""
    source = b.constant(ins[0])
    if source is None:
        raise ConversionError(f"{name} of a non-constant tensor is not supported")
    tensor = b.graph.Tensors(ins[0])
    if name == "DENSIFY":
        b.constants[out] = densify(source, b.shape(out), tensor.Sparsity())
    else:
        if tensor.Sparsity() is not None:
            source = densify(source, b.shape(out), tensor.Sparsity())
        b.constants[out] = source.astype(np.float32)


def _convert_op(b: _Builder, op) -> None:
    code = b.model.OperatorCodes(op.OpcodeIndex())
    name = _OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
    ins = [int(i) for i in op.InputsAsNumpy()]
    out = int(op.OutputsAsNumpy()[0])
    if name in ("DEQUANTIZE", "DENSIFY"):
        _fold_constant(b, name, op, ins, out)
        return
    handlers = {
        "CONV_2D": lambda: _conv(b, op, ins, depthwise=False),
        "DEPTHWISE_CONV_2D": lambda: _conv(b, op, ins, depthwise=True),
        "ADD": lambda: _add(b, op, ins),
        "PAD": lambda: _pad(b, op, ins),
        "MAX_POOL_2D": lambda: _max_pool(b, op, ins),
        "RESIZE_BILINEAR": lambda: _resize_bilinear(b, op, ins, out),
        "DEPTH_TO_SPACE": lambda: _depth_to_space(b, op, ins),
        "RESHAPE": lambda: _reshape(b, op, ins, out),
        "CONCATENATION": lambda: _concat(b, op, ins),
        "LOGISTIC": lambda: _logistic(b, op, ins),
    }
    if name not in handlers:
        raise ConversionError(f"TFLite op {name} is not supported")
    b.values[out] = handlers[name]()


def _value_info(b: _Builder, index: int) -> onnx.ValueInfoProto:
    tensor = b.graph.Tensors(index)
    return helper.make_tensor_value_info(tensor.Name().decode(), TensorProto.FLOAT, b.shape(index))


def _prune(b: _Builder, outputs: list[str]) -> None:
    """Keep only the nodes and weights that the wanted outputs depend on."""
    needed = set(outputs)
    kept = []
    for node in reversed(b.nodes):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    b.nodes = kept[::-1]
    b.initializers = [t for t in b.initializers if t.name in needed]


def convert(
    tflite_bytes: bytes, graph_name: str = "model", drop_outputs: tuple[str, ...] = ()
) -> onnx.ModelProto:
    """Convert the first subgraph of a float TFLite model to an ONNX model.

    `drop_outputs` names TFLite outputs to leave out together with the part
    of the graph only they need (the landmark models' segmentation mask
    costs about as much as the landmarks themselves).
    """
    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    graph = model.Subgraphs(0)
    b = _Builder(model=model, raw=tflite_bytes, graph=graph)
    inputs = [int(i) for i in graph.InputsAsNumpy()]
    for index in inputs:
        b.values[index] = _Value(graph.Tensors(index).Name().decode())
    for i in range(graph.OperatorsLength()):
        _convert_op(b, graph.Operators(i))
    outputs = [
        int(i) for i in graph.OutputsAsNumpy() if graph.Tensors(int(i)).Name().decode() not in drop_outputs
    ]
    for index in outputs:
        out_name = graph.Tensors(index).Name().decode()
        b.nodes.append(helper.make_node("Identity", [b.as_nhwc(index)], [out_name], name=out_name))
    _prune(b, [graph.Tensors(i).Name().decode() for i in outputs])
    onnx_graph = helper.make_graph(
        b.nodes,
        graph_name,
        [_value_info(b, i) for i in inputs],
        [_value_info(b, i) for i in outputs],
        initializer=b.initializers,
    )
    result = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="choleor-tflite_to_onnx",
        producer_version="1",
    )
    result.ir_version = IR_VERSION
    onnx.checker.check_model(result)
    return result


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Convert a float TFLite model to ONNX.")
    parser.add_argument("tflite")
    parser.add_argument("onnx")
    parser.add_argument("--graph-name", default="model")
    parser.add_argument("--drop", action="append", default=[], help="TFLite output to leave out")
    args = parser.parse_args(argv[1:])
    with open(args.tflite, "rb") as f:
        model = convert(f.read(), graph_name=args.graph_name, drop_outputs=tuple(args.drop))
    onnx.save(model, args.onnx)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
