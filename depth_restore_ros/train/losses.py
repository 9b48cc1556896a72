"""Training losses on valid pixels only, in log-depth (metres)."""
import torch


def silog_loss(log_pred: torch.Tensor, log_gt: torch.Tensor, valid: torch.Tensor, lam: float = 0.85):
    """Scale-invariant log loss (Eigen et al.), per image then averaged; lam < 1 keeps some scale."""
    d = (log_pred - log_gt) * valid
    n = valid.sum(dim=(1, 2, 3)).clamp(min=1)
    mean_d = d.sum(dim=(1, 2, 3)) / n
    mean_d2 = (d * d).sum(dim=(1, 2, 3)) / n
    return torch.sqrt((mean_d2 - lam * mean_d * mean_d).clamp(min=1e-8)).mean()


def l1_log_loss(log_pred, log_gt, valid):
    return ((log_pred - log_gt).abs() * valid).sum() / valid.sum().clamp(min=1)


def relative_l1_loss(log_pred, log_gt, valid):
    """|pred - gt| / gt on valid pixels: the AbsRel metric itself. Unlike L1 on log-depth it costs
    more to be too far than too near by the same factor, so an unsure pixel leans near."""
    ratio = torch.exp((log_pred - log_gt).clamp(-10.0, 5.0))
    return ((ratio - 1.0).abs() * valid).sum() / valid.sum().clamp(min=1)


def laplace_nll(log_pred, log_scale, log_gt, valid):
    """NLL of a Laplace on log-depth; the mean is detached so only the scale head learns from it."""
    err = (log_pred.detach() - log_gt).abs()
    nll = err * torch.exp(-log_scale) + log_scale
    return (nll * valid).sum() / valid.sum().clamp(min=1)


def sample_spread(log_samples, valid):
    """E|X - X'| over pairs of samples (N, K, H, W) on valid pixels (N, 1, H, W): with the L1 term,
    L1 - 0.5 * spread is the CRPS, minimised when the samples spread like the real errors."""
    diffs = (log_samples[:, :-1] - log_samples[:, 1:]).abs()
    return (diffs * valid).sum() / (valid.sum() * diffs.shape[1]).clamp(min=1)


def beyond_mask_loss(logit, beyond, valid):
    """Binary cross-entropy of the "nothing within range" logit on every pixel whose answer is known
    (surfaces: 0, sky / beyond range: 1); the depth terms never see the sky."""
    known = valid + beyond
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logit, beyond.expand_as(logit), reduction="none")
    return (bce * known).sum() / known.sum().clamp(min=1)
