"""backend="auto" / "cuda": which back-end the Estimator picks, with the machine's probes passed in."""
import logging
import subprocess
import sys

import pytest

from depth_restore_ros import Estimator
from depth_restore_ros.inference import probes as real_probes
from depth_restore_ros.inference.estimator import BACKENDS, Probes, _pick_backend


class Machine:
    """Fake probes that record which were asked."""

    def __init__(self, gpus=0, tensorrt=False, onnxruntime_cuda=False, torch_cuda=False):
        self.answers = dict(cuda_gpus=gpus, tensorrt=tensorrt, onnxruntime_cuda=onnxruntime_cuda,
                            torch_cuda=torch_cuda)
        self.asked = []

    def probes(self) -> Probes:
        def ask(name):
            def probe():
                self.asked.append(name)
                return self.answers[name]
            return probe
        return Probes(**{name: ask(name) for name in self.answers})


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"x")
    (tmp_path / "model.pt").write_bytes(b"x")
    return tmp_path


def pick(requested, model_dir, machine):
    return _pick_backend(requested, model_dir, machine.probes())


def test_no_gpu_runs_onnxruntime_on_the_cpu_without_asking_torch_or_tensorrt(model_dir):
    machine = Machine(gpus=0, tensorrt=True, onnxruntime_cuda=True, torch_cuda=True)
    choice = pick("auto", model_dir, machine)
    assert (choice.name, choice.device) == ("onnxruntime", "cpu")
    assert choice.reason == "tensorrt: no CUDA GPU; onnxruntime CUDA: no CUDA GPU; torch CUDA: no CUDA GPU"
    assert machine.asked == ["cuda_gpus"]


def test_gpu_with_tensorrt_runs_tensorrt(model_dir):
    choice = pick("auto", model_dir, Machine(gpus=1, tensorrt=True, onnxruntime_cuda=True))
    assert (choice.name, choice.device, choice.reason) == ("tensorrt", "cuda", "")


def test_gpu_without_tensorrt_falls_to_onnxruntime_cuda_then_torch_cuda(model_dir):
    choice = pick("auto", model_dir, Machine(gpus=1, onnxruntime_cuda=True, torch_cuda=True))
    assert (choice.name, choice.device) == ("onnxruntime", "cuda")
    assert choice.reason == "tensorrt: tensorrt or cuda-python not importable"
    machine = Machine(gpus=1, torch_cuda=True)
    choice = pick("auto", model_dir, machine)
    assert (choice.name, choice.device) == ("torch", "cuda") and "onnxruntime-gpu" in choice.reason
    assert machine.asked == ["cuda_gpus", "tensorrt", "onnxruntime_cuda", "torch_cuda"]


def test_gpu_without_any_cuda_runtime_runs_on_the_cpu(model_dir):
    choice = pick("auto", model_dir, Machine(gpus=2))
    assert (choice.name, choice.device) == ("onnxruntime", "cpu") and choice.reason.count(";") == 2


def test_model_without_onnx_skips_tensorrt_and_onnxruntime(model_dir):
    (model_dir / "model.onnx").unlink()
    choice = pick("auto", model_dir, Machine(gpus=1, tensorrt=True, onnxruntime_cuda=True, torch_cuda=True))
    assert (choice.name, choice.device) == ("torch", "cuda")
    assert choice.reason == "tensorrt: no model.onnx; onnxruntime CUDA: no model.onnx"
    assert pick("auto", model_dir, Machine()).name == "torch"


def test_cuda_never_picks_tensorrt_and_fails_clearly_without_a_gpu(model_dir):
    choice = pick("cuda", model_dir, Machine(gpus=1, tensorrt=True, onnxruntime_cuda=True))
    assert (choice.name, choice.device) == ("onnxruntime", "cuda")
    with pytest.raises(RuntimeError, match="'cuda' is not available here: onnxruntime CUDA: no CUDA GPU"):
        pick("cuda", model_dir, Machine())


@pytest.mark.parametrize("name", ["onnxruntime", "torch", "tensorrt"])
def test_explicit_back_ends_ask_no_probe(model_dir, name):
    machine = Machine()
    assert pick(name, model_dir, machine).name == name and machine.asked == []


def test_unknown_backend_lists_the_known_ones(model_dir):
    with pytest.raises(ValueError, match="tensorrt"):
        pick("openvino", model_dir, Machine())
    assert set(BACKENDS) == {"auto", "onnxruntime", "torch", "tensorrt", "cuda"}


def test_from_pretrained_logs_the_choice_and_why(caplog):
    with caplog.at_level(logging.INFO, logger="depth_restore_ros.inference.estimator"):
        est = Estimator.from_pretrained("mono-small", probes=Machine(gpus=0).probes())
    assert est.backend_name == "onnxruntime"
    lines = [r.getMessage() for r in caplog.records if "mono-small on onnxruntime" in r.getMessage()]
    assert len(lines) == 1 and "skipped tensorrt: no CUDA GPU; onnxruntime CUDA: no CUDA GPU" in lines[0]


def test_onnxruntime_cuda_without_the_provider_fails_instead_of_running_on_the_cpu():
    if real_probes.onnxruntime_has_cuda():
        pytest.skip("this onnxruntime has the CUDA provider")
    from depth_restore_ros.inference.config import ModelConfig
    from depth_restore_ros.inference.onnx_backend import OnnxBackend
    from depth_restore_ros.inference.registry import resolve_model_dir

    model_dir = resolve_model_dir("mono-small")
    with pytest.raises(RuntimeError, match="no CUDA provider: pip install onnxruntime-gpu"):
        OnnxBackend(model_dir, ModelConfig.load(model_dir / "config.json"), device="cuda")


def test_cpu_auto_path_imports_neither_torch_nor_tensorrt():
    if real_probes.cuda_gpu_count() > 0:
        pytest.skip("this machine has a CUDA GPU: auto would not take the CPU path")
    code = ("import sys; from depth_restore_ros import Estimator; e = Estimator.from_pretrained('mono-small'); "
            "print(e.backend_name, 'torch' in sys.modules, 'tensorrt' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["onnxruntime", "False", "False"]
