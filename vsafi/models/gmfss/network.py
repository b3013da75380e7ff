"""GMFSS Fortuna (base and union): GMFlow + softmax splatting of images and features + GridNet.

The work is split in two so that the engine pays for flows once per source pair:

- :meth:`GMFSS.pair` computes everything that depends only on the two frames (encoder
  features, half-size images, GMFlow in both directions, splatting metrics) as a
  :class:`PairState`. GMFlow runs exactly twice here.
- :meth:`GMFSS.synth` renders one timestep from a ``PairState``: softmax-splat each side by its
  time-scaled flow, the union variant's extra RIFE pass on the half-size frames, then fusion.

All tensors are (N, C, H, W), RGB in [0, 1]. The canvas must be a multiple of
``max(64, 64 / scale)`` pixels. Flows, metrics and splatting run in float32 also in a
``.half()`` model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .gmflow import GMFlow, forward_backward_occlusion
from ..rife.ifnet import IFNet
from ..ops.softsplat import splat
from ..ops.warp import backward_warp

__all__ = ["FeatureNet", "MetricNet", "GridNet", "GMFSS", "PairState", "load_gmfss", "canvas_unit", "SCALES"]

ModelType = Literal["base", "union"]
Timestep = Union[float, Tensor]


#: Flow scales (GMFlow input size relative to the half-size frames). Powers of two keep the
#: GMFlow grid an exact fraction of the half-size grid.
SCALES: tuple[float, ...] = (1.0, 0.5, 0.25)


def canvas_unit(scale: float = 1.0) -> int:
    """Pixels the canvas height and width must be a multiple of at the user ``scale`` (GMFlow's
    input size relative to the half-size frames): max(64, int(64 / scale))."""
    return max(64, int(64 / scale))


def _conv_pair(cin: int, cout: int, first: nn.Module) -> nn.Sequential:
    """PReLU, ``first`` (cin -> cout), PReLU, 3x3 conv: the unit every GMFSS net is built from."""
    return nn.Sequential(nn.PReLU(), first, nn.PReLU(), nn.Conv2d(cout, cout, 3, 1, 1))


def _res(cin: int, cout: int) -> nn.Sequential:
    return _conv_pair(cin, cout, nn.Conv2d(cin, cout, 3, 1, 1))


def _down(cin: int, cout: int) -> nn.Sequential:
    return _conv_pair(cin, cout, nn.Conv2d(cin, cout, 3, 2, 1))


def _up(cin: int, cout: int) -> nn.Sequential:
    return _conv_pair(cin, cout, nn.ConvTranspose2d(cin, cout, 4, 2, 1))


class FeatureNet(nn.Module):
    """Context encoder: 64, 128 and 192 channels at 1/2, 1/4 and 1/8 of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.block1 = _down(3, 64)
        self.block2 = _down(64, 128)
        self.block3 = _down(128, 192)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x1 = self.block1(x)
        x2 = self.block2(x1)
        return x1, x2, self.block3(x2)


class MetricNet(nn.Module):
    """Splatting importance Z for both frames, in [-10, 10] (larger wins where pixels collide).

    Inputs are the photometric error after backward warping, both flows (normalised to the
    [-1, 1] grid) and the forward-backward occlusion masks.
    """

    def __init__(self) -> None:
        super().__init__()
        self.metric_in = nn.Conv2d(14, 64, 3, 1, 1)
        self.metric_net1 = nn.Sequential(nn.PReLU(), nn.Conv2d(64, 64, 3, 1, 1))
        self.metric_net2 = nn.Sequential(nn.PReLU(), nn.Conv2d(64, 64, 3, 1, 1))
        self.metric_net3 = nn.Sequential(nn.PReLU(), nn.Conv2d(64, 64, 3, 1, 1))
        self.metric_out = nn.Sequential(nn.PReLU(), nn.Conv2d(64, 2, 3, 1, 1))

    def forward(self, img0: Tensor, img1: Tensor, flow01: Tensor, flow10: Tensor) -> tuple[Tensor, Tensor]:
        err0 = (img0 - backward_warp(img1, flow01, padding_mode="zeros")).abs().mean(1, keepdim=True)
        err1 = (img1 - backward_warp(img0, flow10, padding_mode="zeros")).abs().mean(1, keepdim=True)
        occ0, occ1 = forward_backward_occlusion(flow01, flow10)
        h, w = flow01.shape[2:]
        to_grid = torch.tensor([(w - 1.0) / 2.0, (h - 1.0) / 2.0], dtype=flow01.dtype, device=flow01.device)
        to_grid = to_grid.view(1, 2, 1, 1)
        x = torch.cat(
            (img0, img1, -err0, -err1, flow01 / to_grid, flow10 / to_grid, occ0.unsqueeze(1), occ1.unsqueeze(1)), 1
        ).to(img0.dtype)
        feat = self.metric_in(x)
        feat = self.metric_net1(feat) + feat
        feat = self.metric_net2(feat) + feat
        feat = self.metric_net3(feat) + feat
        metric = torch.tanh(self.metric_out(feat)) * 10
        return metric[:, :1], metric[:, 1:2]


class _Tail(nn.Module):
    """64 channels at half size -> RGB at full size through a x2 pixel shuffle."""

    def __init__(self, dim: int = 64, out_channels: int = 3) -> None:
        super().__init__()
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1), nn.PReLU())
        self.upsample = nn.Sequential(nn.Conv2d(dim, 4 * dim, 3, 1, 1), nn.PixelShuffle(2))
        self.conv_last = nn.Conv2d(dim, out_channels, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_last(self.upsample(self.conv_before_upsample(x)))


class GridNet(nn.Module):
    """Fusion GridNet: three rows (64/128/192 channels at 1/2, 1/4, 1/8 of the output).

    Columns 0-1 go down the rows, columns 4-5 come back up; the top row ends in a pixel-shuffle
    tail. ``head_name`` differs between the published layouts: ``residual_model_head`` with 12
    input channels (base: half0, I1t, I2t, half1) and ``residual_model_head0`` with 9 (union:
    I1t, RIFE, I2t).
    """

    def __init__(self, in_channels: int = 12, head_name: str = "residual_model_head") -> None:
        super().__init__()
        self.head_name = head_name
        self.add_module(head_name, _res(in_channels, 64))
        self.residual_model_head1 = _res(128, 64)
        self.residual_model_head2 = _res(256, 128)
        self.residual_model_head3 = _res(384, 192)
        for row, ch in enumerate((64, 128, 192)):
            for col in (1, 4, 5):
                self.add_module(f"residual_model_{row}{col}", _res(ch, ch))
        for col in (0, 1):
            self.add_module(f"downsample_model_1{col}", _down(64, 128))
            self.add_module(f"downsample_model_2{col}", _down(128, 192))
        for col in (4, 5):
            self.add_module(f"upsample_model_0{col}", _up(128, 64))
            self.add_module(f"upsample_model_1{col}", _up(192, 128))
        self.residual_model_tail = _Tail()

    def forward(self, x: Tensor, feat1: Tensor, feat2: Tensor, feat3: Tensor) -> Tensor:
        m = self._modules
        x00 = m[self.head_name](x) + self.residual_model_head1(feat1)
        x01 = self.residual_model_01(x00) + x00
        x10 = self.downsample_model_10(x00) + self.residual_model_head2(feat2)
        x20 = self.downsample_model_20(x10) + self.residual_model_head3(feat3)
        x11 = self.residual_model_11(x10) + x10 + self.downsample_model_11(x01)
        x21 = self.residual_model_21(x20) + x20 + self.downsample_model_21(x11)
        x24 = self.residual_model_24(x21) + x21
        x25 = self.residual_model_25(x24) + x24
        x14 = self.upsample_model_14(x24) + (self.residual_model_14(x11) + x11)
        x04 = self.upsample_model_04(x14) + (self.residual_model_04(x01) + x01)
        x15 = self.upsample_model_15(x25) + (self.residual_model_15(x14) + x14)
        x05 = self.upsample_model_05(x15) + (self.residual_model_05(x04) + x04)
        return self.residual_model_tail(x05)


@dataclass(frozen=True)
class PairState:
    """Everything GMFSS needs from one source pair, independent of the timestep.

    ``img*`` are the canvas frames themselves (kept by reference, for flows measured at full
    size); ``half*`` the frames at half size; ``feat*`` the encoder features at 1/2, 1/4 and 1/8;
    ``flow01``/``flow10`` (N, 2, h, w, half-size pixels, x then y) and ``metric*`` (N, 1, h, w)
    live on the half-size grid of their source frame.
    """

    img0: Tensor
    img1: Tensor
    half0: Tensor
    half1: Tensor
    feat0: tuple[Tensor, Tensor, Tensor]
    feat1: tuple[Tensor, Tensor, Tensor]
    flow01: Tensor
    flow10: Tensor
    metric0: Tensor
    metric1: Tensor


def _resize(x: Tensor, factor: float) -> Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear")


def prefer_near_side(x0: Tensor, x1: Tensor, t0: Tensor, t1: Tensor, ratio: float) -> tuple[Tensor, Tensor]:
    """(side 0, side 1) where a side whose time exceeds ``ratio`` times the other's shows the
    other side's picture instead: the output sits on that other frame."""
    return torch.where(t0 > ratio * t1, x1, x0), torch.where(t1 > ratio * t0, x0, x1)


class GMFSS(nn.Module):
    """GMFSS Fortuna interpolator. ``model_type`` 'base' or 'union'; ``scale`` (1, 0.5 or 0.25) is
    the size at which GMFlow runs relative to the half-size frames (upstream's ``scale``).
    """

    def __init__(self, model_type: ModelType = "base", scale: float = 1.0) -> None:
        super().__init__()
        if model_type not in ("base", "union"):
            raise ValueError(f"GMFSS: model_type must be 'base' or 'union', not {model_type!r}")
        if scale not in SCALES:
            raise ValueError(f"GMFSS: scale must be one of {SCALES}, not {scale}")
        self.model_type = model_type
        self.scale = scale
        self.flownet = GMFlow()
        self.metricnet = MetricNet()
        self.feat_ext = FeatureNet()
        if model_type == "base":
            self.fusionnet = GridNet(12, "residual_model_head")
            self.ifnet: IFNet | None = None
        else:
            self.fusionnet = GridNet(9, "residual_model_head0")
            self.ifnet = IFNet()

    @property
    def unit(self) -> int:
        """Canvas multiple this model needs."""
        return canvas_unit(self.scale)

    def pair(self, img0: Tensor, img1: Tensor) -> PairState:
        """Timestep-independent work for frames ``img0``, ``img1`` (N, 3, H, W) on the canvas."""
        if img0.shape != img1.shape or img0.dim() != 4 or img0.shape[1] != 3:
            shapes = f"{tuple(img0.shape)} and {tuple(img1.shape)}"
            raise ValueError(f"GMFSS: images must both be (N, 3, H, W), got {shapes}")
        h, w = img0.shape[2:]
        if h % self.unit or w % self.unit:
            raise ValueError(f"GMFSS: canvas {h}x{w} is not a multiple of {self.unit}; pad or resize it first")
        feat0 = self.feat_ext(img0)
        feat1 = self.feat_ext(img1)
        half0 = _resize(img0, 0.5)
        half1 = _resize(img1, 0.5)
        if self.scale == 1.0:
            flow01 = self.flownet(half0, half1)
            flow10 = self.flownet(half1, half0)
        else:
            small0 = _resize(half0, self.scale)
            small1 = _resize(half1, self.scale)
            flow01 = self._upscale_flow(self.flownet(small0, small1), half0)
            flow10 = self._upscale_flow(self.flownet(small1, small0), half0)
        metric0, metric1 = self.metricnet(half0, half1, flow01, flow10)
        return PairState(img0, img1, half0, half1, feat0, feat1, flow01, flow10, metric0, metric1)

    def _upscale_flow(self, flow: Tensor, like: Tensor) -> Tensor:
        """Flow from the GMFlow grid back to the half-size grid, in half-size pixels."""
        h, w = like.shape[2:]
        sy, sx = h / flow.shape[2], w / flow.shape[3]
        up = F.interpolate(flow.float(), scale_factor=(sy, sx), mode="bilinear")
        gain = torch.tensor([sx, sy], dtype=torch.float32, device=flow.device).view(1, 2, 1, 1)
        return (up * gain).to(flow.dtype)

    @staticmethod
    def _time(t: Timestep, like: Tensor) -> Tensor:
        """Timestep as a float32 tensor broadcastable to (N, 1, h, w) of the half-size grid."""
        n, _, h, w = like.shape
        t = torch.as_tensor(t, dtype=torch.float32, device=like.device)
        if t.dim() <= 1:
            if t.numel() not in (1, n):
                raise ValueError(f"GMFSS: timestep of shape {tuple(t.shape)} for a batch of {n}")
            return t.reshape(-1, 1, 1, 1)
        if t.dim() != 4 or t.shape[0] not in (1, n) or t.shape[1] != 1 or any(
            s not in (1, full) for s, full in zip(t.shape[2:], (h, w))
        ):
            grid = (n, 1, h, w)
            raise ValueError(f"GMFSS: timestep map {tuple(t.shape)} does not fit the half-size grid {grid}")
        return t

    def synth(self, state: PairState, t0: Timestep, t1: Timestep | None = None, *,
              t_output: Timestep | None = None, near_side_ratio: float | None = None) -> Tensor:
        """Frame at time ``t0`` between the pair's frames, (N, 3, H, W) clamped to [0, 1].

        ``t0`` scales frame 0's side: its flow01 and metric0, on frame 0's half-size grid. ``t1``
        scales frame 1's side (flow10, metric1, on frame 1's grid) and defaults to 1 - t0. Both
        are a float, a 0-d / (1,) / (N,) tensor or a per-pixel map (N, 1, H/2, W/2) (or
        broadcastable): per-side maps, because a pixel's time differs between the two source
        grids (DRBA splats a map from one grid to the other). The union RIFE pass uses
        ``t_output`` (a map on the output grid, default ``t0``). With ``near_side_ratio``, where one
        side's time exceeds that multiple of the other's, both sides show the warped picture and
        features of the side with the small time: splatted almost the whole way from the far
        frame, a picture only adds ghosts.
        """
        tt0 = self._time(t0, state.half0)
        tt1 = 1 - tt0 if t1 is None else self._time(t1, state.half1)

        def pick(x0: Tensor, x1: Tensor, factor: float) -> tuple[Tensor, Tensor]:
            if near_side_ratio is None:
                return x0, x1
            s0, s1 = (t if factor == 1 or t.shape[2:] == (1, 1) else _resize(t, factor) for t in (tt0, tt1))
            return prefer_near_side(x0, x1, s0, s1, near_side_ratio)

        flow0 = tt0 * state.flow01.float()
        flow1 = tt1 * state.flow10.float()
        z0 = tt0 * state.metric0.float()
        z1 = tt1 * state.metric1.float()

        warped0, warped1 = pick(splat(state.half0, flow0, z0), splat(state.half1, flow1, z1), 1.0)
        feats = []
        for level, (f0, f1) in enumerate(zip(state.feat0, state.feat1)):
            factor = 0.5**level
            if level:
                # Each level resizes the half-size flow directly (not the previous level's).
                side0 = (_resize(flow0, factor) * factor, _resize(z0, factor))
                side1 = (_resize(flow1, factor) * factor, _resize(z1, factor))
            else:
                side0, side1 = (flow0, z0), (flow1, z1)
            feats.append(torch.cat(pick(splat(f0, *side0), splat(f1, *side1), factor), 1))

        if self.ifnet is None:
            x = torch.cat((state.half0, warped0, warped1, state.half1), 1)
        else:
            tr = tt0 if t_output is None else self._time(t_output, state.half0)
            rife = self.ifnet(state.half0, state.half1, self._ifnet_time(tr, state.half0))
            x = torch.cat((warped0, rife, warped1), 1)
        return self.fusionnet(x, *feats).clamp(0, 1)

    @staticmethod
    def _ifnet_time(t: Tensor, like: Tensor) -> Tensor:
        if t.shape[2:] == (1, 1):
            return t.reshape(-1).to(like.dtype)
        return t.expand(-1, 1, *like.shape[2:]).to(like.dtype)

    def forward(self, img0: Tensor, img1: Tensor, timestep: Timestep) -> Tensor:
        """``synth(pair(img0, img1), timestep)``."""
        return self.synth(self.pair(img0, img1), timestep)


def load_gmfss(
    weights_dir: str | os.PathLike,
    model_type: ModelType = "base",
    scale: float = 1.0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> GMFSS:
    """GMFSS with the published weights of ``weights_dir`` loaded strictly, in eval mode."""
    folder = Path(weights_dir)
    model = GMFSS(model_type, scale)

    def load(module: nn.Module, name: str) -> None:
        state = torch.load(folder / name, map_location="cpu", weights_only=True)
        module.load_state_dict(state, strict=True)

    load(model.flownet, "flownet.pkl")
    load(model.feat_ext, f"feat_{model_type}.pkl")
    load(model.metricnet, f"metric_{model_type}.pkl")
    load(model.fusionnet, f"fusionnet_{model_type}.pkl")
    if model.ifnet is not None:
        load(model.ifnet, "rife.pkl")
    model.eval().requires_grad_(False)
    return model.to(device=device, dtype=dtype)
