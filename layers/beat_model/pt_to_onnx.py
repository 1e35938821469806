"""Convert BeatNet's model-2 weights (a PyTorch state dict inside the BeatNet wheel) to ONNX.

    python pt_to_onnx.py model_2_weights.pt beatnet_model2.onnx

No PyTorch needed: the .pt file is a zip holding a pickle whose tensors point at raw float32
storages; a restricted unpickler rebuilds them as numpy arrays (it accepts nothing else).

The network (BeatNet's `BDA`): per frame, 272 features -> Conv1d(1->2, k=10) -> ReLU ->
MaxPool(2) -> Linear(262->150) -> 2-layer LSTM(150) -> Linear(150->3) -> softmax over
(beat, downbeat, no beat). Input `features` (T, 272) and the LSTM state `h0`, `c0`
(2, 1, 150) (zeros at the start of a song); outputs `activations` (T, 3) and the state after
the last frame, `h1`, `c1`, so a long song can run in chunks with the same result.
"""

from __future__ import annotations

import collections
import pickle
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N_IN, HIDDEN = 272, 150


def load_state_dict(path: str) -> dict[str, np.ndarray]:
    z = zipfile.ZipFile(path)
    prefix = z.namelist()[0].split("/")[0]

    def rebuild(storage, offset, size, stride, *_):
        view = np.lib.stride_tricks.as_strided(
            storage[offset:], shape=tuple(size), strides=[s * storage.itemsize for s in stride]
        )
        return np.ascontiguousarray(view)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return rebuild
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if (module, name) == ("torch", "FloatStorage"):
                return name
            raise pickle.UnpicklingError(f"unexpected object in the weights file: {module}.{name}")

        def persistent_load(self, pid):
            _, kind, key, _location, numel = pid
            if kind != "FloatStorage":
                raise pickle.UnpicklingError(f"unexpected storage {kind}")
            raw = z.read(f"{prefix}/data/{key}")
            return np.frombuffer(raw, dtype="<f4")[:numel]

    with z.open(f"{prefix}/data.pkl") as f:
        return dict(Unpickler(f).load())


def _lstm_onnx(sd: dict, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch gates are (i, f, g, o); ONNX wants (i, o, f, c)."""

    def reorder(a):
        i, f, g, o = np.split(a, 4, axis=0)
        return np.concatenate([i, o, f, g], axis=0)

    w = reorder(sd[f"lstm.weight_ih_l{layer}"])[None]
    r = reorder(sd[f"lstm.weight_hh_l{layer}"])[None]
    b = np.concatenate([reorder(sd[f"lstm.bias_ih_l{layer}"]), reorder(sd[f"lstm.bias_hh_l{layer}"])])[None]
    return w, r, b


def build(sd: dict) -> onnx.ModelProto:
    init = {
        "conv_w": sd["conv1.weight"],
        "conv_b": sd["conv1.bias"],
        "lin0_w": sd["linear0.weight"],
        "lin0_b": sd["linear0.bias"],
        "out_w": sd["linear.weight"],
        "out_b": sd["linear.bias"],
        "shape_conv_in": np.array([-1, 1, N_IN], np.int64),
        "axes_1": np.array([1], np.int64),
        "split_layers": np.array([1, 1], np.int64),
    }
    nodes = [
        helper.make_node("Reshape", ["features", "shape_conv_in"], ["x0"]),
        helper.make_node("Conv", ["x0", "conv_w", "conv_b"], ["x1"], kernel_shape=[10]),
        helper.make_node("Relu", ["x1"], ["x2"]),
        helper.make_node("MaxPool", ["x2"], ["x3"], kernel_shape=[2], strides=[2]),
        helper.make_node("Flatten", ["x3"], ["x4"], axis=1),
        helper.make_node("Gemm", ["x4", "lin0_w", "lin0_b"], ["x5"], transB=1),
        helper.make_node("Unsqueeze", ["x5", "axes_1"], ["seq0"]),  # (T, batch 1, 150)
        helper.make_node("Split", ["h0", "split_layers"], ["h0_0", "h0_1"], axis=0),
        helper.make_node("Split", ["c0", "split_layers"], ["c0_0", "c0_1"], axis=0),
    ]
    seq = "seq0"
    for layer in (0, 1):
        w, r, b = _lstm_onnx(sd, layer)
        init.update({f"lstm{layer}_w": w, f"lstm{layer}_r": r, f"lstm{layer}_b": b})
        nodes += [
            helper.make_node(
                "LSTM",
                [seq, f"lstm{layer}_w", f"lstm{layer}_r", f"lstm{layer}_b", "", f"h0_{layer}", f"c0_{layer}"],
                [f"lstm{layer}_y", f"h1_{layer}", f"c1_{layer}"],
                hidden_size=HIDDEN,
            ),
            helper.make_node("Squeeze", [f"lstm{layer}_y", "axes_1"], [f"seq{layer + 1}"]),  # drop num_dir
        ]
        seq = f"seq{layer + 1}"
    nodes += [
        helper.make_node("Squeeze", [seq, "axes_1"], ["h"]),  # drop batch: (T, 150)
        helper.make_node("Gemm", ["h", "out_w", "out_b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["activations"], axis=1),
        helper.make_node("Concat", ["h1_0", "h1_1"], ["h1"], axis=0),
        helper.make_node("Concat", ["c1_0", "c1_1"], ["c1"], axis=0),
    ]
    state = [2, 1, HIDDEN]
    graph = helper.make_graph(
        nodes,
        "beatnet_model2",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["T", N_IN]),
            helper.make_tensor_value_info("h0", TensorProto.FLOAT, state),
            helper.make_tensor_value_info("c0", TensorProto.FLOAT, state),
        ],
        [
            helper.make_tensor_value_info("activations", TensorProto.FLOAT, ["T", 3]),
            helper.make_tensor_value_info("h1", TensorProto.FLOAT, state),
            helper.make_tensor_value_info("c1", TensorProto.FLOAT, state),
        ],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in init.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="choleor")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(argv: list[str]) -> None:
    src, dst = argv
    onnx.save(build(load_state_dict(src)), dst)


if __name__ == "__main__":
    main(sys.argv[1:])
