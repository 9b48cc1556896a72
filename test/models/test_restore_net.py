"""The restoration network: shapes, what K and the step count change, ONNX export with its Loop."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.inference.diffusion_schedule import alpha_bar, ddim_schedule
from depth_restore_ros.models import build_model
from depth_restore_ros.models.export import onnx_parity, write_model_folder

SMALL = dict(channels=(16, 24, 32, 48), depths=(1, 1, 1, 1), latent=16, denoiser_width=16,
             dec_channels=(24, 16), fine_channels=8, invertible_hidden=8, diffusion_steps=3)


def randomised(model, seed=0):
    """Trained-like weights: the zero-initialised output layers would hide the noise's effect."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() > 1 and float(p.abs().sum()) < 1e-3:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    return model.eval()


def test_schedule_runs_from_the_strength_to_a_clean_latent():
    rows = ddim_schedule(4, 0.5)
    assert rows.shape == (4, 3)
    assert np.allclose(rows[:, 0], [0.5, 0.375, 0.25, 0.125])
    assert np.allclose(rows[:-1, 2], rows[1:, 1]) and rows[-1, 2] == pytest.approx(1.0)
    assert np.all(np.diff(alpha_bar(np.arange(0, 1001, 50))) < 0)
    with pytest.raises(ValueError):
        ddim_schedule(0, 0.5)


WITH_CONTEXT = dict(SMALL, context_channels=(32, 24))   # the per-image decoder of the stereo recipes
# restore_residual (mono-restore): a mono_unet per image, the samples correct its depth
RESIDUAL = dict(channels=(16, 24, 32, 48), depths=(1, 1, 1, 1), base_channels=(32, 24, 16), latent=16,
                denoiser_width=16, dec_channels=(24, 16), invertible_hidden=8, diffusion_steps=3)
EVERY_KIND = [("restore_net", SMALL), ("restore_net", WITH_CONTEXT), ("restore_residual", RESIDUAL)]
KIND_IDS = ["level1-skip", "context-decoder", "residual"]


@pytest.mark.parametrize("arch, arch_args", EVERY_KIND, ids=KIND_IDS)
def test_training_forward_gives_k_samples_and_gradients_reach_the_encoder(arch, arch_args):
    model = randomised(build_model(arch, **arch_args, train_samples=3)).train()
    log_depth, log_scale = model.forward_log(torch.randn(2, 3, 64, 96))
    assert log_depth.shape == log_scale.shape == (2, 3, 64, 96)
    log_depth.mean().backward()
    assert model.encoder.stem[0].weight.grad.abs().sum() > 0
    assert model.loop.denoiser.from_z.weight.grad.abs().sum() > 0
    if model.context is not None:
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.context.parameters())


@pytest.mark.parametrize("arch, arch_args", EVERY_KIND[::2], ids=KIND_IDS[::2])
def test_samples_differ_with_noise_and_their_spread_is_published(arch, arch_args):
    model = randomised(build_model(arch, **arch_args))
    inputs = model.example_inputs(64, 96, samples=4)
    with torch.no_grad():
        depth, sigma, spread = model(*inputs.values())
        one = model(inputs["image"], inputs["noise"][:1], inputs["schedule"])
    assert depth.shape == sigma.shape == spread.shape == (1, 1, 64, 96)
    assert float(spread.mean()) > 0 and torch.all(sigma >= spread - 1e-5)
    assert float(one[2].max()) < 1e-5                     # K = 1: no spread, sigma is the aleatoric head
    assert torch.allclose(one[1], one[1].clamp(min=0))


@pytest.mark.parametrize("arch, arch_args", EVERY_KIND, ids=KIND_IDS)
def test_onnx_graph_takes_any_number_of_samples_and_steps(tmp_path, arch, arch_args):
    model = randomised(build_model(arch, **arch_args))
    config = ModelConfig(name="r", arch=arch, arch_args=arch_args, stochastic=True,
                         input_names=("image", "noise", "schedule"), output_names=("depth", "sigma", "spread"),
                         latent_channels=16)
    folder = write_model_folder(model, config, tmp_path / "m")
    graph = onnx.load(str(folder / "model.onnx"))
    onnx.checker.check_model(graph)
    assert [i.name for i in graph.graph.input] == ["image", "noise", "schedule"]
    assert any(node.op_type == "Loop" for node in graph.graph.node)
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(96, 128)) < 1e-3
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    image = rng.standard_normal((1, 3, 64, 96)).astype(np.float32)
    outs = {}
    for k, steps in [(1, 1), (5, 2), (5, 6)]:
        noise = rng.standard_normal((k, 16, 4, 6)).astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(image), torch.from_numpy(noise), torch.from_numpy(ddim_schedule(steps, 0.5)))
        got = session.run(None, {"image": image, "noise": noise, "schedule": ddim_schedule(steps, 0.5)})
        assert all(np.allclose(g, r.numpy(), rtol=1e-3, atol=1e-5) for g, r in zip(got, ref))
        outs[(k, steps)] = got[0]
    assert not np.allclose(outs[(5, 2)], outs[(5, 6)])    # the step count reaches the graph


@pytest.mark.parametrize("logit, finite", [(-10.0, 1.0), (10.0, 0.0)])
@pytest.mark.parametrize("arch, arch_args", EVERY_KIND[1:], ids=KIND_IDS[1:])
def test_beyond_head_is_one_map_per_image_and_publishes_nan(tmp_path, logit, finite, arch, arch_args):
    """The "nothing within range" logit does not depend on the noise: one (N, 1) map however many
    samples, exported as a fourth output; where it is positive the estimator publishes NaN."""
    from depth_restore_ros import Estimator
    args = {**arch_args, "beyond_head": True}
    model = randomised(build_model(arch, **args))
    with torch.no_grad():
        model.beyond.out[-1].bias.fill_(logit)
    log_depth, _, beyond = model.train().forward_log(torch.randn(2, 3, 64, 96), samples=3)
    assert log_depth.shape == (2, 3, 64, 96) and beyond.shape == (2, 1, 64, 96)
    config = ModelConfig(name="r", arch=arch, arch_args=args, stochastic=True,
                         input_names=("image", "noise", "schedule"),
                         output_names=("depth", "sigma", "spread", "beyond"), latent_channels=16)
    folder = write_model_folder(model.eval(), config, tmp_path / "m")
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(64, 96)) < 1e-3
    rgb = np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    estimator = Estimator.from_pretrained(str(folder), backend="onnxruntime")
    prediction = estimator.predict(rgb, num_samples=3)
    assert np.isfinite(prediction.depth).mean() == finite
    assert np.array_equal(np.isfinite(prediction.uncertainty), np.isfinite(prediction.depth))
    assert np.isfinite(estimator.predict(rgb, num_samples=3, mask_beyond=False).depth).all()


def test_residual_model_starts_as_the_mono_unet_it_builds_on():
    """Before its correction is learned, restore_residual is mono_unet with the same weights: same
    depth and sigma for any noise, no spread; the restoration can only add to mono-small."""
    base = randomised(build_model("mono_unet", channels=RESIDUAL["channels"], depths=RESIDUAL["depths"],
                                  dec_channels=RESIDUAL["base_channels"]))
    model = build_model("restore_residual", **RESIDUAL)
    weights = {("base_" + k if k.startswith("head.") else k): v for k, v in base.state_dict().items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    assert not unexpected and all(k.split(".")[0] in ("to_latent", "to_cond", "loop", "coarse1", "coarse2",
                                                      "fine1", "fine2", "head") for k in missing)
    inputs = model.eval().example_inputs(64, 96, samples=3)
    with torch.no_grad():
        depth, sigma, spread = model(**inputs)
        expected_depth, expected_sigma = base(inputs["image"])
    assert torch.allclose(depth, expected_depth, rtol=1e-5) and torch.allclose(sigma, expected_sigma, rtol=1e-5)
    assert float(spread.max()) < 1e-5
    with pytest.raises(ValueError, match="monocular"):
        build_model("restore_residual", **RESIDUAL, stereo=True)


def test_plane_sweep_peaks_at_the_true_disparity():
    from depth_restore_ros.models.av_lfe import PlaneSweep
    sweep = PlaneSweep(canonical_focal=100.0, planes=16, stride=4)
    left = torch.rand(1, 8, 12, 40) - 0.5
    shift = 3                                      # right(x) = left(x + 3): disparity 3 feature pixels
    right = torch.zeros_like(left)
    right[..., :-shift] = left[..., shift:]
    j = 9
    baseline = torch.tensor([shift / float(sweep.unit_disparity[j])])
    cost = sweep(left, right, baseline)[0, :, :, shift:-shift].mean(dim=(1, 2))
    assert int(cost.argmax()) == j
    # the same disparity from another baseline is another depth: the hypotheses follow B
    assert int(sweep(left, right, baseline * 2)[0, :, :, shift:-shift].mean(dim=(1, 2)).argmax()) != j


def test_plane_sweep_equals_warping_the_right_view_then_correlating():
    from depth_restore_ros.models.av_lfe import PlaneSweep
    sweep = PlaneSweep(canonical_focal=100.0, planes=12, stride=2)
    gen = torch.Generator().manual_seed(0)
    left, right = torch.randn(2, 5, 7, 30, generator=gen), torch.randn(2, 5, 7, 30, generator=gen)
    baseline = torch.tensor([0.07, 0.31])
    disparity = baseline.reshape(2, 1) * sweep.unit_disparity.reshape(1, -1)             # fractional, some > w
    n, c, h, w = left.shape
    gx = (torch.arange(w).reshape(1, 1, 1, w) - disparity.reshape(n, -1, 1, 1)) * 2 / (w - 1) - 1
    gy = torch.arange(h).reshape(1, 1, h, 1) * 2 / (h - 1) - 1
    grid = torch.stack([gx.expand(n, 12, h, w), gy.expand(n, 12, h, w).float()], dim=-1)
    warped = torch.nn.functional.grid_sample(right.repeat_interleave(12, 0), grid.reshape(n * 12, h, w, 2),
                                             align_corners=True, padding_mode="zeros").reshape(n, 12, c, h, w)
    reference = (warped * left.unsqueeze(1)).mean(dim=2)
    assert torch.allclose(sweep(left, right, baseline), reference, atol=1e-5)


@pytest.mark.parametrize("match_level", [0, 1])
def test_stereo_model_is_the_monocular_model_without_a_right_view(tmp_path, match_level):
    model = randomised(build_model("restore_net", **WITH_CONTEXT, stereo=True, canonical_focal=80.0, sweep_planes=8,
                                   match_level=match_level))
    with torch.no_grad():
        for p in model.aux.fuse[-1].parameters():
            p.normal_(0, 0.1)                      # a trained-like (non-identity) correction
    inputs = model.example_inputs(48, 80, samples=2)    # an odd stride-16 grid (3 x 5)
    with torch.no_grad():
        stereo = model(**inputs)[0]
        alone = model(**{**inputs, "baseline": torch.zeros(1)})[0]
        other_aux = model(**{**inputs, "baseline": torch.zeros(1), "aux_image": torch.randn(1, 3, 48, 80)})[0]
    assert torch.equal(alone, other_aux) and not torch.allclose(stereo, alone)
    config = ModelConfig(name="s", arch="restore_net", stereo=True, stochastic=True,
                         input_names=("image", "noise", "schedule", "aux_image", "baseline"),
                         output_names=("depth", "sigma", "spread"), latent_channels=16)
    folder = write_model_folder(model, config, tmp_path / "s")
    assert [i.name for i in onnx.load(str(folder / "model.onnx")).graph.input] == list(config.input_names)
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(96, 128)) < 1e-3


def test_full_resolution_matching_model_is_monocular_without_a_right_view_and_exports(tmp_path):
    model = randomised(build_model("restore_net", **WITH_CONTEXT, stereo=True, canonical_focal=160.0, sweep_planes=8,
                                   input_scale=2))
    with torch.no_grad():
        for p in model.aux.fuse[-1].parameters():
            p.normal_(0, 0.1)
    inputs = model.example_inputs(96, 160, samples=2)   # the encoder sees 48 x 80 (an odd 3 x 5 latent grid)
    assert inputs["noise"].shape[2:] == (3, 5)
    with torch.no_grad():
        depth, sigma, spread = model(**inputs)
        alone = model(**{**inputs, "baseline": torch.zeros(1)})[0]
        other_aux = model(**{**inputs, "baseline": torch.zeros(1), "aux_image": torch.randn(1, 3, 96, 160)})[0]
    assert depth.shape == sigma.shape == spread.shape == (1, 1, 96, 160)
    assert torch.equal(alone, other_aux) and not torch.allclose(depth, alone)
    log_depth, _ = model.train().forward_log(inputs["image"].repeat(2, 1, 1, 1), aux_image=torch.randn(2, 3, 96, 160),
                                             baseline=torch.full((2,), 0.1))
    assert log_depth.shape == (2, model.train_samples, 96, 160)
    log_depth.mean().backward()
    assert model.aux.key[0][0].weight.grad.abs().sum() > 0   # the full-resolution extractor is trained
    config = ModelConfig(name="s2", arch="restore_net", stereo=True, stochastic=True, size_multiple=32,
                         input_names=("image", "noise", "schedule", "aux_image", "baseline"),
                         output_names=("depth", "sigma", "spread"), latent_channels=16)
    folder = write_model_folder(model.eval(), config, tmp_path / "s2")
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(128, 192)) < 1e-3
    with pytest.raises(ValueError, match="input_scale"):
        build_model("restore_net", **SMALL, input_scale=2)   # monocular: nothing to match at full resolution
