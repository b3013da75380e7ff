"""GMFlow optical flow (Xu et al., "GMFlow: Learning Optical Flow via Global Matching", CVPR 2022).

The configuration GMFSS uses: two scales (1/8 then 1/4 of the input), a 6-block swin-style
transformer with window splits [2, 8], global matching at 1/8 and 9x9 local matching at 1/4,
flow propagation by self-attention (global at 1/8, 3x3 at 1/4) and convex upsampling x4.
Parameter names follow the published ``flownet.pkl`` so that ``strict=True`` loading pins the
architecture. Input sides must be multiples of 32; flows are in input pixels, channel 0 = x.

Sampling (``grid_sample``) and the flow itself always stay float32, also in a ``.half()``
model: the features may be half, positions and displacements are not.
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..ops.warp import backward_warp

__all__ = ["GMFlow", "load_gmflow", "forward_backward_occlusion"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def forward_backward_occlusion(
    flow01: Tensor, flow10: Tensor, alpha: float = 0.01, beta: float = 0.5
) -> tuple[Tensor, Tensor]:
    """Occlusion masks (N, H, W) from forward-backward consistency (UnFlow's alpha/beta rule).

    A pixel of frame 0 is occluded when flow01 plus flow10 sampled at its target is longer than
    alpha * (|flow01| + |flow10|) + beta; likewise for frame 1. 1.0 = occluded, in the flow dtype.
    """
    f01 = flow01.float()
    f10 = flow10.float()
    magnitude = torch.linalg.vector_norm(f01, dim=1) + torch.linalg.vector_norm(f10, dim=1)
    threshold = alpha * magnitude + beta
    diff0 = torch.linalg.vector_norm(f01 + backward_warp(f10, f01, padding_mode="zeros"), dim=1)
    diff1 = torch.linalg.vector_norm(f10 + backward_warp(f01, f10, padding_mode="zeros"), dim=1)
    return (diff0 > threshold).to(flow01.dtype), (diff1 > threshold).to(flow10.dtype)


def _sine_position(h: int, w: int, channels: int, device: torch.device) -> Tensor:
    """DETR-style normalised sine embedding (channels, h, w), float32: y half then x half."""
    feats = channels // 2
    freq = torch.arange(feats, dtype=torch.float32, device=device)
    freq = 10000.0 ** (2 * torch.div(freq, 2, rounding_mode="floor") / feats)

    def embed(n: int) -> Tensor:
        pos = torch.arange(1, n + 1, dtype=torch.float32, device=device)
        pos = pos / (torch.full((), n, dtype=torch.float32, device=device) + 1e-6) * (2 * math.pi)
        angles = pos[:, None] / freq
        return torch.stack((angles[:, 0::2].sin(), angles[:, 1::2].cos()), dim=-1).flatten(1)

    pos_y = embed(h)[:, None, :].expand(h, w, feats)
    pos_x = embed(w)[None, :, :].expand(h, w, feats)
    return torch.cat((pos_y, pos_x), dim=-1).permute(2, 0, 1)


def _to_windows(x: Tensor, splits: int) -> Tensor:
    """(B, H, W, C) -> (B * splits², window pixels, C), windows in row-major order per image."""
    b, h, w, c = x.shape
    x = x.view(b, splits, h // splits, splits, w // splits, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * splits * splits, (h // splits) * (w // splits), c)


def _from_windows(x: Tensor, b: int, h: int, w: int, splits: int) -> Tensor:
    c = x.shape[-1]
    x = x.view(b, splits, splits, h // splits, w // splits, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def _shift_mask(h: int, w: int, splits: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """Additive mask (splits², L, L) that keeps shifted windows from mixing wrapped-around regions."""

    def regions(n: int) -> Tensor:
        size = n // splits
        shift = size // 2
        lab = torch.zeros(n, device=device)
        lab[n - size:] = 1
        lab[n - shift:] = 2
        return lab

    label = (3 * regions(h)[:, None] + regions(w)[None, :]).view(1, h, w, 1)
    label = _to_windows(label, splits)[..., 0]
    differ = label[:, None, :] != label[:, :, None]
    return torch.zeros(differ.shape, dtype=dtype, device=device).masked_fill(differ, -100.0)


class _AttentionLayer(nn.Module):
    """Single-head (window) attention; the cross-attention variant adds the feed-forward part."""

    def __init__(self, dim: int, with_ffn: bool, expansion: int = 4) -> None:
        super().__init__()
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.merge = nn.Linear(dim, dim, bias=False)
        self.norm1 = nn.LayerNorm(dim)
        self.with_ffn = with_ffn
        if with_ffn:
            hidden = 2 * dim * expansion
            self.mlp = nn.Sequential(
                nn.Linear(2 * dim, hidden, bias=False), nn.GELU(), nn.Linear(hidden, dim, bias=False)
            )
            self.norm2 = nn.LayerNorm(dim)

    def forward(self, source: Tensor, target: Tensor, hw: tuple[int, int], splits: int, mask: Tensor | None) -> Tensor:
        q = self.q_proj(source)
        k = self.k_proj(target)
        v = self.v_proj(target)
        c = q.shape[-1]
        if splits > 1:
            b = q.shape[0]
            h, w = hw
            q, k, v = (x.view(b, h, w, c) for x in (q, k, v))
            shift = (h // splits // 2, w // splits // 2)
            if mask is not None:
                q, k, v = (torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2)) for x in (q, k, v))
            q, k, v = (_to_windows(x, splits) for x in (q, k, v))
            scores = torch.matmul(q, k.transpose(1, 2)) / (c**0.5)
            if mask is not None:
                scores = scores + mask.repeat(b, 1, 1)
            message = _from_windows(torch.matmul(torch.softmax(scores, dim=-1), v), b, h, w, splits)
            if mask is not None:
                message = torch.roll(message, shifts=shift, dims=(1, 2))
            message = message.reshape(b, h * w, c)
        else:
            scores = torch.matmul(q, k.transpose(1, 2)) / (c**0.5)
            message = torch.matmul(torch.softmax(scores, dim=-1), v)
        message = self.norm1(self.merge(message))
        if self.with_ffn:
            message = self.norm2(self.mlp(torch.cat((source, message), dim=-1)))
        return source + message


class _TransformerBlock(nn.Module):
    def __init__(self, dim: int, shifted: bool) -> None:
        super().__init__()
        self.shifted = shifted
        self.self_attn = _AttentionLayer(dim, with_ffn=False)
        self.cross_attn_ffn = _AttentionLayer(dim, with_ffn=True)

    def forward(self, source: Tensor, target: Tensor, hw: tuple[int, int], splits: int, mask: Tensor | None) -> Tensor:
        mask = mask if self.shifted else None
        source = self.self_attn(source, source, hw, splits, mask)
        return self.cross_attn_ffn(source, target, hw, splits, mask)


class _FeatureTransformer(nn.Module):
    """Alternating self/cross attention; odd blocks use shifted windows."""

    def __init__(self, dim: int = 128, num_layers: int = 6) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_TransformerBlock(dim, shifted=i % 2 == 1) for i in range(num_layers))

    def forward(self, feat0: Tensor, feat1: Tensor, splits: int) -> tuple[Tensor, Tensor]:
        b, c, h, w = feat0.shape
        # Both directions run as one batch: the target of image i is the other image's features.
        x = torch.cat((feat0, feat1), dim=0).flatten(2).transpose(1, 2)
        mask = _shift_mask(h, w, splits, x.device, x.dtype) if splits > 1 else None
        for layer in self.layers:
            target = torch.cat(x.chunk(2, dim=0)[::-1], dim=0)
            x = layer(x, target, (h, w), splits, mask)
        x = x.transpose(1, 2).reshape(2 * b, c, h, w)
        return x[:b], x[b:]


class _FlowPropagation(nn.Module):
    """Self-attention on frame-0 features that smooths the flow (value = flow)."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__()
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)

    def forward(self, feat: Tensor, flow: Tensor, radius: int) -> Tensor:
        b, c, h, w = feat.shape
        tokens = feat.flatten(2).transpose(1, 2)
        query = self.q_proj(tokens)
        if radius <= 0:
            # The trained weights apply k_proj to the projected query here (not to the features).
            key = self.k_proj(query)
            prob = torch.softmax(torch.matmul(query, key.transpose(1, 2)) / (c**0.5), dim=-1)
            out = torch.matmul(prob.float(), flow.flatten(2).transpose(1, 2))
            return out.transpose(1, 2).reshape(b, 2, h, w)
        k = 2 * radius + 1
        key = self.k_proj(tokens).transpose(1, 2).reshape(b, c, h, w)
        # Contiguous: inductor (torch 2.14, CPU) computed the product below wrong from the
        # permuted view, flows off by up to 7 px; eager gives the same bits either way.
        key_win = F.unfold(key, k, padding=radius).view(b, c, k * k, h * w).permute(0, 3, 1, 2).contiguous()
        flow_win = F.unfold(flow, k, padding=radius).view(b, 2, k * k, h * w).permute(0, 3, 2, 1)
        scores = torch.matmul(query.unsqueeze(2), key_win) / (c**0.5)
        out = torch.matmul(torch.softmax(scores, dim=-1).float(), flow_win)
        return out.view(b, h, w, 2).permute(0, 3, 1, 2).contiguous()


class _ResBlock(nn.Module):
    """Two 3x3 conv + instance norm + ReLU, with a 1x1 projection when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.InstanceNorm2d(cout))

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(F.instance_norm(self.conv1(x)))
        y = F.relu(F.instance_norm(self.conv2(y)))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(skip + y)


class _StridedPair(nn.Module):
    """One 3x3 kernel applied at stride 1 and stride 2 (features at 1/4 and 1/8)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim, 3, 3))
        nn.init.kaiming_uniform_(self.weight, nonlinearity="relu")

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return F.conv2d(x, self.weight, None, 2, 1), F.conv2d(x, self.weight, None, 1, 1)


class _Encoder(nn.Module):
    """CNN backbone: 1/2 stem, residual stages to 1/4, then 128-channel features at 1/8 and 1/4."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.layer1 = nn.Sequential(_ResBlock(64, 64, 1), _ResBlock(64, 64, 1))
        self.layer2 = nn.Sequential(_ResBlock(64, 96, 2), _ResBlock(96, 96, 1))
        self.layer3 = nn.Sequential(_ResBlock(96, dim, 1), _ResBlock(dim, dim, 1))
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.trident_conv = _StridedPair(dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = F.relu(F.instance_norm(self.conv1(x)))
        x = self.conv2(self.layer3(self.layer2(self.layer1(x))))
        return self.trident_conv(x)


def _global_match(feat0: Tensor, feat1: Tensor) -> Tensor:
    """Flow as the softmax-weighted mean position over all pixels of frame 1."""
    b, c, h, w = feat0.shape
    corr = torch.matmul(feat0.flatten(2).transpose(1, 2), feat1.flatten(2)) / (c**0.5)
    prob = torch.softmax(corr, dim=-1)
    ys, xs = torch.meshgrid(
        torch.arange(h, device=feat0.device), torch.arange(w, device=feat0.device), indexing="ij"
    )
    grid = torch.stack((xs, ys), dim=-1).float().view(1, h * w, 2)
    # Absolute positions in float32: fp16 would round them to ~1/60 px before the subtraction.
    target = torch.matmul(prob.float(), grid)
    return (target - grid).transpose(1, 2).reshape(b, 2, h, w)


def _local_match(feat0: Tensor, feat1: Tensor, radius: int) -> Tensor:
    """Residual flow from a softmax over the (2r+1)² neighbours inside the image."""
    b, c, h, w = feat0.shape
    k = 2 * radius + 1
    window = F.unfold(feat1, k, padding=radius).view(b, c, k * k, h * w).permute(0, 3, 1, 2)
    corr = torch.matmul(feat0.flatten(2).transpose(1, 2).unsqueeze(2), window).view(b, h * w, k * k) / (c**0.5)
    offsets = torch.arange(-radius, radius + 1, device=feat0.device)
    dy, dx = torch.meshgrid(offsets, offsets, indexing="ij")
    dx, dy = dx.reshape(-1), dy.reshape(-1)
    ys, xs = torch.meshgrid(
        torch.arange(h, device=feat0.device), torch.arange(w, device=feat0.device), indexing="ij"
    )
    tx = xs.reshape(-1, 1) + dx
    ty = ys.reshape(-1, 1) + dy
    outside = (tx < 0) | (tx >= w) | (ty < 0) | (ty >= h)
    corr = corr.masked_fill(outside, float("-inf"))
    prob = torch.softmax(corr, dim=-1)
    offs = torch.stack((dx, dy), dim=-1).float()
    return torch.matmul(prob.float(), offs).view(b, h, w, 2).permute(0, 3, 1, 2).contiguous()


class GMFlow(nn.Module):
    """GMFlow with the GMFSS settings: splits (2, 8), matching (global, r=4), propagation (global, r=1)."""

    attn_splits = (2, 8)
    corr_radius = (-1, 4)
    prop_radius = (-1, 1)
    unit = 32

    def __init__(self, dim: int = 128, upsample_factor: int = 4) -> None:
        super().__init__()
        self.dim = dim
        self.upsample_factor = upsample_factor
        self.backbone = _Encoder(dim)
        self.transformer = _FeatureTransformer(dim)
        self.feature_flow_attn = _FlowPropagation(dim)
        self.upsampler = nn.Sequential(
            nn.Conv2d(2 + dim, 256, 3, 1, 1), nn.ReLU(inplace=True), nn.Conv2d(256, upsample_factor**2 * 9, 1)
        )

    def _add_position(self, feat0: Tensor, feat1: Tensor, splits: int) -> tuple[Tensor, Tensor]:
        """The same embedding is added inside every attention window."""
        _, c, h, w = feat0.shape
        pos = _sine_position(h // splits, w // splits, c, feat0.device).repeat(1, splits, splits).to(feat0.dtype)
        return feat0 + pos, feat1 + pos

    def _convex_upsample(self, flow: Tensor, feat: Tensor) -> Tensor:
        """Each fine pixel is a learned convex combination of the 3x3 coarse flow neighbours."""
        b, _, h, w = flow.shape
        r = self.upsample_factor
        weights = self.upsampler(torch.cat((flow.to(feat.dtype), feat), dim=1)).view(b, 1, 9, r, r, h, w)
        weights = torch.softmax(weights.float(), dim=2)
        neighbours = F.unfold(r * flow, 3, padding=1).view(b, 2, 9, 1, 1, h, w)
        up = torch.sum(weights * neighbours, dim=2)
        return up.permute(0, 1, 4, 2, 5, 3).reshape(b, 2, r * h, r * w)

    def forward(self, img0: Tensor, img1: Tensor) -> Tensor:
        """Flow (N, 2, H, W, float32) from ``img0`` to ``img1`` (RGB in [0, 1], sides multiples of 32).

        The flow itself stays float32 in a ``.half()`` model; only the features are half.
        """
        n, _, h, w = img0.shape
        if h % self.unit or w % self.unit:
            raise ValueError(f"GMFlow: input size {h}x{w} is not a multiple of {self.unit}")
        mean = torch.tensor(_IMAGENET_MEAN, dtype=img0.dtype, device=img0.device).view(1, 3, 1, 1)
        std = torch.tensor(_IMAGENET_STD, dtype=img0.dtype, device=img0.device).view(1, 3, 1, 1)
        imgs = (torch.cat((img0, img1), dim=0) - mean) / std
        levels = self.backbone(imgs)

        flow = None
        for level, splits, corr_r, prop_r in zip(levels, self.attn_splits, self.corr_radius, self.prop_radius):
            feat0, feat1 = level[:n], level[n:]
            if flow is not None:
                flow = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True) * 2
                feat1 = backward_warp(feat1, flow, padding_mode="zeros")
            feat0, feat1 = self._add_position(feat0, feat1, splits)
            feat0, feat1 = self.transformer(feat0, feat1, splits)
            if corr_r < 0:
                delta = _global_match(feat0, feat1)
            else:
                delta = _local_match(feat0, feat1, corr_r)
            flow = delta if flow is None else flow + delta
            flow = self.feature_flow_attn(feat0, flow, prop_r)
        return self._convex_upsample(flow, feat0)


def load_gmflow(
    path: str | os.PathLike, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> GMFlow:
    """GMFlow with ``flownet.pkl`` loaded strictly, in eval mode on ``device``/``dtype``."""
    model = GMFlow()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return model.to(device=device, dtype=dtype).eval()
