"""`depth-restore`: one command-line entry, one module per sub-command in `commands/`.

Each module in COMMANDS exposes `add_arguments(parser)` and `run(args) -> int`; they are imported
only when chosen, so `depth-restore demo` never pays for torch.
"""
import argparse
import importlib
import sys

COMMANDS = {
    "demo": "Run the demo graph: camera source -> mono node -> recorder (separate processes).",
    "bench": "Benchmarks that print JSON (node overhead, backends).",
    "train": "Train a model from a YAML config.",
    "eval": "Evaluate a model on a data set; metrics as JSON and a picture.",
    "predict": "Depth for image files, written as .npy and a colourised PNG.",
    "export": "Export a model's network to ONNX with its config.",
    "build-engine": "Build (or find) the TensorRT engine for a model on this GPU.",
    "ablate": "Train (or reuse) and evaluate the rows of an ablation; writes a markdown table.",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="depth-restore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # prints usage / error and exits
    module = importlib.import_module(f"depth_restore_ros.commands.{argv[0].replace('-', '_')}")
    command_parser = argparse.ArgumentParser(prog=f"depth-restore {argv[0]}", description=COMMANDS[argv[0]])
    module.add_arguments(command_parser)
    return int(module.run(command_parser.parse_args(argv[1:])) or 0)


if __name__ == "__main__":
    sys.exit(main())
