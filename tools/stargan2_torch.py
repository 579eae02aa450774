"""StarGAN v2's networks (clovaai/stargan-v2, core/model.py) in PyTorch, written from the
reference's structure for our fixtures and converter: the same modules, attribute names and
Sequential indices, so state_dict keys are the official checkpoints'. Two widths the reference
fixes are parameters here so that test models stay small: dim_in (the reference's 2**14 //
img_size) and mapping_dim (512). w_hpf > 0 (the face models' high-pass skip connections) is not
implemented, as in the engine."""

import math

import torch
from torch import nn
import torch.nn.functional as F


class Config:
    def __init__(self, img_size=256, style_dim=64, latent_dim=16, num_domains=2,
                 max_conv_dim=512, dim_in=None, mapping_dim=512):
        self.img_size = img_size
        self.style_dim = style_dim
        self.latent_dim = latent_dim
        self.num_domains = num_domains
        self.max_conv_dim = max_conv_dim
        self.dim_in = dim_in if dim_in is not None else 2 ** 14 // img_size
        self.mapping_dim = mapping_dim

    def metadata(self):
        keys = ("img_size", "style_dim", "latent_dim", "num_domains", "max_conv_dim", "dim_in",
                "mapping_dim")
        md = {"vkstyle." + k: str(getattr(self, k)) for k in keys}
        md["vkstyle.arch"] = "stargan_v2"
        md["vkstyle.w_hpf"] = "0"
        return md


def _log2(n):
    return int(round(math.log2(n)))


class ResBlk(nn.Module):
    def __init__(self, dim_in, dim_out, normalize=False, downsample=False):
        super().__init__()
        self.actv = nn.LeakyReLU(0.2)
        self.normalize = normalize
        self.downsample = downsample
        self.learned_sc = dim_in != dim_out
        self.conv1 = nn.Conv2d(dim_in, dim_in, 3, 1, 1)
        self.conv2 = nn.Conv2d(dim_in, dim_out, 3, 1, 1)
        if normalize:
            self.norm1 = nn.InstanceNorm2d(dim_in, affine=True)
            self.norm2 = nn.InstanceNorm2d(dim_in, affine=True)
        if self.learned_sc:
            self.conv1x1 = nn.Conv2d(dim_in, dim_out, 1, 1, 0, bias=False)

    def forward(self, x):
        sc = self.conv1x1(x) if self.learned_sc else x
        if self.downsample:
            sc = F.avg_pool2d(sc, 2)
        r = self.norm1(x) if self.normalize else x
        r = self.conv1(self.actv(r))
        if self.downsample:
            r = F.avg_pool2d(r, 2)
        if self.normalize:
            r = self.norm2(r)
        r = self.conv2(self.actv(r))
        return (sc + r) / math.sqrt(2)


class AdaIN(nn.Module):
    def __init__(self, style_dim, num_features):
        super().__init__()
        self.norm = nn.InstanceNorm2d(num_features, affine=False)
        self.fc = nn.Linear(style_dim, num_features * 2)

    def forward(self, x, s):
        h = self.fc(s).view(s.size(0), -1, 1, 1)
        gamma, beta = torch.chunk(h, 2, dim=1)
        return (1 + gamma) * self.norm(x) + beta


class AdainResBlk(nn.Module):
    def __init__(self, dim_in, dim_out, style_dim, upsample=False):
        super().__init__()
        self.actv = nn.LeakyReLU(0.2)
        self.upsample = upsample
        self.learned_sc = dim_in != dim_out
        self.conv1 = nn.Conv2d(dim_in, dim_out, 3, 1, 1)
        self.conv2 = nn.Conv2d(dim_out, dim_out, 3, 1, 1)
        self.norm1 = AdaIN(style_dim, dim_in)
        self.norm2 = AdaIN(style_dim, dim_out)
        if self.learned_sc:
            self.conv1x1 = nn.Conv2d(dim_in, dim_out, 1, 1, 0, bias=False)

    def forward(self, x, s):
        r = self.actv(self.norm1(x, s))
        if self.upsample:
            r = F.interpolate(r, scale_factor=2, mode="nearest")
        r = self.conv1(r)
        r = self.conv2(self.actv(self.norm2(r, s)))
        sc = F.interpolate(x, scale_factor=2, mode="nearest") if self.upsample else x
        if self.learned_sc:
            sc = self.conv1x1(sc)
        return (r + sc) / math.sqrt(2)


class Generator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim_in = cfg.dim_in
        self.from_rgb = nn.Conv2d(3, dim_in, 3, 1, 1)
        self.encode = nn.ModuleList()
        self.decode = nn.ModuleList()
        self.to_rgb = nn.Sequential(nn.InstanceNorm2d(dim_in, affine=True), nn.LeakyReLU(0.2),
                                    nn.Conv2d(dim_in, 3, 1, 1, 0))
        for _ in range(_log2(cfg.img_size) - 4):
            dim_out = min(dim_in * 2, cfg.max_conv_dim)
            self.encode.append(ResBlk(dim_in, dim_out, normalize=True, downsample=True))
            self.decode.insert(0, AdainResBlk(dim_out, dim_in, cfg.style_dim, upsample=True))
            dim_in = dim_out
        for _ in range(2):
            self.encode.append(ResBlk(dim_in, dim_in, normalize=True))
            self.decode.insert(0, AdainResBlk(dim_in, dim_in, cfg.style_dim))

    def forward(self, x, s):
        x = self.from_rgb(x)
        for block in self.encode:
            x = block(x)
        for block in self.decode:
            x = block(x, s)
        return self.to_rgb(x)


def _select(heads, y):
    out = torch.stack(heads, dim=1)
    return out[torch.arange(y.size(0)), y]


class MappingNetwork(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hid = cfg.mapping_dim
        layers = [nn.Linear(cfg.latent_dim, hid), nn.ReLU()]
        for _ in range(3):
            layers += [nn.Linear(hid, hid), nn.ReLU()]
        self.shared = nn.Sequential(*layers)
        self.unshared = nn.ModuleList(
            nn.Sequential(nn.Linear(hid, hid), nn.ReLU(), nn.Linear(hid, hid), nn.ReLU(),
                          nn.Linear(hid, hid), nn.ReLU(), nn.Linear(hid, cfg.style_dim))
            for _ in range(cfg.num_domains))

    def forward(self, z, y):
        h = self.shared(z)
        return _select([u(h) for u in self.unshared], y)


def _body(cfg):
    dim_in = cfg.dim_in
    blocks = [nn.Conv2d(3, dim_in, 3, 1, 1)]
    for _ in range(_log2(cfg.img_size) - 2):
        dim_out = min(dim_in * 2, cfg.max_conv_dim)
        blocks.append(ResBlk(dim_in, dim_out, downsample=True))
        dim_in = dim_out
    blocks += [nn.LeakyReLU(0.2), nn.Conv2d(dim_in, dim_in, 4, 1, 0), nn.LeakyReLU(0.2)]
    return blocks, dim_in


class StyleEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        blocks, dim_out = _body(cfg)
        self.shared = nn.Sequential(*blocks)
        self.unshared = nn.ModuleList(nn.Linear(dim_out, cfg.style_dim)
                                      for _ in range(cfg.num_domains))

    def forward(self, x, y):
        h = self.shared(x).view(x.size(0), -1)
        return _select([u(h) for u in self.unshared], y)


class Discriminator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        blocks, dim_out = _body(cfg)
        blocks.append(nn.Conv2d(dim_out, cfg.num_domains, 1, 1, 0))
        self.main = nn.Sequential(*blocks)

    def forward(self, x, y):
        out = self.main(x).view(x.size(0), -1)
        return out[torch.arange(y.size(0)), y]


NETWORKS = {
    "generator": Generator,
    "mapping_network": MappingNetwork,
    "style_encoder": StyleEncoder,
    "discriminator": Discriminator,
}
