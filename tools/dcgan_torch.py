"""Our PyTorch definition of the DCGAN networks and their variants, for fixtures and the converter.

At image_size 64 with batch norm, Generator and Discriminator are PyTorch examples/dcgan/main.py's
classes (the same Sequential `main`, hence the same state_dict keys, and the example's
weights_init), so its netG_epoch_N.pth / netD_epoch_N.pth load here unchanged. The variants,
documented in docs/checkpoints.md and built identically by engine/models/dcgan.c:
  - image_size 32 / 128: one stage fewer / more at the wide end (same Sequential pattern);
  - the discriminator's norm: "batch" (the example), "none" (WGAN-GP; the Sequential then has no
    norm modules) or "layer" (LayerNorm([c, h, w]) where BatchNorm2d was);
  - InfoGAN: the generator takes nz + n_categories + n_continuous channels; the discriminator's
    body (`main`, everything before the last convolution) feeds `head_d` (that convolution) and
    the Q head: `head_q` (Conv2d(C, 128, 4, 1, 0), norm, LeakyReLU(0.2)), then 1x1 convolutions
    `q_logits`, `q_mean` and `q_logvar` (the variances are exp(q_logvar)).
forward() returns the logit before the example's Sigmoid (our losses take logits).
"""

from dataclasses import dataclass

import torch
from torch import nn

Q_HIDDEN = 128


@dataclass(frozen=True)
class GanConfig:
    arch: str = "dcgan"          # "dcgan" or "infogan"
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    nc: int = 3
    image_size: int = 64
    d_norm: str = "batch"        # "batch", "none", "layer"
    n_categories: int = 0
    n_continuous: int = 0

    @property
    def stages(self):
        return {32: 3, 64: 4, 128: 5}[self.image_size]

    @property
    def latent(self):
        return self.nz + self.n_categories + self.n_continuous


def weights_init(m):
    """The example's initialisation."""
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, cfg=GanConfig()):
        super().__init__()
        s, ngf = cfg.stages, cfg.ngf
        layers = []
        for i in range(s):
            cin = cfg.latent if i == 0 else ngf * 2 ** (s - i)
            layers += [nn.ConvTranspose2d(cin, ngf * 2 ** (s - 1 - i), 4, 1 if i == 0 else 2,
                                          0 if i == 0 else 1, bias=False),
                       nn.BatchNorm2d(ngf * 2 ** (s - 1 - i)),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ngf, cfg.nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        return self.main(input)


def _critic_norm(kind, c, size):
    if kind == "batch":
        return [nn.BatchNorm2d(c)]
    if kind == "layer":
        return [nn.LayerNorm([c, size, size])]
    if kind == "none":
        return []
    raise ValueError("d_norm must be 'batch', 'none' or 'layer', not %r" % (kind,))


class Discriminator(nn.Module):
    def __init__(self, cfg=GanConfig()):
        super().__init__()
        s, ndf = cfg.stages, cfg.ndf
        layers = [nn.Conv2d(cfg.nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for j in range(1, s):
            layers += [nn.Conv2d(ndf * 2 ** (j - 1), ndf * 2 ** j, 4, 2, 1, bias=False)]
            layers += _critic_norm(cfg.d_norm, ndf * 2 ** j, cfg.image_size >> (j + 1))
            layers += [nn.LeakyReLU(0.2, inplace=True)]
        last = nn.Conv2d(ndf * 2 ** (s - 1), 1, 4, 1, 0, bias=False)
        self.info = cfg.arch == "infogan"
        if not self.info:
            self.main = nn.Sequential(*layers, last)
            return
        self.main = nn.Sequential(*layers)
        self.head_d = last
        self.head_q = nn.Sequential(nn.Conv2d(ndf * 2 ** (s - 1), Q_HIDDEN, 4, 1, 0, bias=False),
                                    *_critic_norm(cfg.d_norm, Q_HIDDEN, 1),
                                    nn.LeakyReLU(0.2, inplace=True))
        if cfg.n_categories:
            self.q_logits = nn.Conv2d(Q_HIDDEN, cfg.n_categories, 1)
        if cfg.n_continuous:
            self.q_mean = nn.Conv2d(Q_HIDDEN, cfg.n_continuous, 1)
            self.q_logvar = nn.Conv2d(Q_HIDDEN, cfg.n_continuous, 1)

    def forward(self, input):
        """The logit map; InfoGAN: (logit, q_logits, q_mean, q_var), None where absent."""
        if not self.info:
            return self.main(input)
        body = self.main(input)
        hidden = self.head_q(body)
        q_logits = self.q_logits(hidden) if hasattr(self, "q_logits") else None
        q_mean = self.q_mean(hidden) if hasattr(self, "q_mean") else None
        q_var = torch.exp(self.q_logvar(hidden)) if hasattr(self, "q_logvar") else None
        return self.head_d(body), q_logits, q_mean, q_var


def exported_state_dict(net):
    """The state_dict as our checkpoints hold it: without num_batches_tracked."""
    return {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def metadata(cfg, name, description, source):
    """vkstyle.* metadata of a generator or discriminator checkpoint; all values strings."""
    return {
        "vkstyle.arch": cfg.arch,
        "vkstyle.nz": str(cfg.nz),
        "vkstyle.ngf": str(cfg.ngf),
        "vkstyle.ndf": str(cfg.ndf),
        "vkstyle.nc": str(cfg.nc),
        "vkstyle.image_size": str(cfg.image_size),
        "vkstyle.d_norm": cfg.d_norm,
        "vkstyle.n_categories": str(cfg.n_categories),
        "vkstyle.n_continuous": str(cfg.n_continuous),
        "vkstyle.category_name": "",
        "vkstyle.continuous_names": "",
        "vkstyle.name": name,
        "vkstyle.description": description,
        "vkstyle.source": source,
    }
