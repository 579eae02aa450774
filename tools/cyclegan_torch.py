"""Our PyTorch definition of the CycleGAN networks, for fixtures, the converter and benchmarks.

The module tree (hence every state_dict key) matches pytorch-CycleGAN-and-pix2pix
models/networks.py, so its checkpoints load here unchanged and our engine can use the same key
names: ResnetGenerator (padding 'reflect', no dropout) and NLayerDiscriminator (PatchGAN).
With instance norm the convolutions carry a bias and the norm has no parameters or running
statistics; with batch norm the convolutions before a norm have no bias.
"""

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class GeneratorConfig:
    input_nc: int = 3
    output_nc: int = 3
    ngf: int = 64
    n_blocks: int = 9
    norm: str = "instance"   # "instance" or "batch"
    # "transposed" (the reference's ConvTranspose2d) or "resize-conv": nn.Upsample(scale_factor=2,
    # mode='nearest') + Conv2d(k3, p1), one module more per up-sampling (Odena et al. 2016)
    upsample: str = "transposed"


@dataclass(frozen=True)
class DiscriminatorConfig:
    input_nc: int = 3
    ndf: int = 64
    n_layers: int = 3
    norm: str = "instance"


def _norm_layer(norm, channels):
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if norm == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    raise ValueError("norm must be 'instance' or 'batch', not %r" % (norm,))


class ResnetBlock(nn.Module):
    """x + [pad, conv3x3, norm, relu, pad, conv3x3, norm](x)."""

    def __init__(self, dim, norm):
        super().__init__()
        bias = norm == "instance"
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=bias),
            _norm_layer(norm, dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=bias),
            _norm_layer(norm, dim),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """7x7 stem, two stride-2 downsamplings, n_blocks residual blocks at ngf*4 channels, two
    stride-2 transposed convolutions, 7x7 head and tanh. Layer indices inside `model`:
    1 stem conv, 4 and 7 down convs, 10..10+n_blocks-1 blocks, then up convs at
    10+n_blocks and 13+n_blocks, head conv at 17+n_blocks. With upsample="resize-conv": up
    convs at 11+n_blocks and 15+n_blocks (after their Upsample), head conv at 19+n_blocks."""

    def __init__(self, cfg=GeneratorConfig()):
        super().__init__()
        self.cfg = cfg
        ngf, norm = cfg.ngf, cfg.norm
        bias = norm == "instance"
        layers = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(cfg.input_nc, ngf, kernel_size=7, padding=0, bias=bias),
            _norm_layer(norm, ngf),
            nn.ReLU(True),
        ]
        for i in range(2):
            ch = ngf * 2 ** i
            layers += [
                nn.Conv2d(ch, ch * 2, kernel_size=3, stride=2, padding=1, bias=bias),
                _norm_layer(norm, ch * 2),
                nn.ReLU(True),
            ]
        for _ in range(cfg.n_blocks):
            layers.append(ResnetBlock(ngf * 4, norm))
        if cfg.upsample not in ("transposed", "resize-conv"):
            raise ValueError("upsample must be 'transposed' or 'resize-conv', not %r" % (cfg.upsample,))
        for i in range(2):
            ch = ngf * 2 ** (2 - i)
            if cfg.upsample == "resize-conv":
                layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                           nn.Conv2d(ch, ch // 2, kernel_size=3, padding=1, bias=bias)]
            else:
                layers.append(nn.ConvTranspose2d(ch, ch // 2, kernel_size=3, stride=2, padding=1,
                                                 output_padding=1, bias=bias))
            layers += [
                _norm_layer(norm, ch // 2),
                nn.ReLU(True),
            ]
        layers += [
            nn.ReflectionPad2d(3),
            nn.Conv2d(ngf, cfg.output_nc, kernel_size=7, padding=0),
            nn.Tanh(),
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    """PatchGAN: 4x4 convs with LeakyReLU 0.2; stride 2 for the stem and the next n_layers-1,
    then two stride-1 convs. For n_layers >= 1 the conv indices inside `model` are 0, then
    2, 5, ..., 3*n_layers-1 (each followed by a norm), and the 1-channel output conv at
    3*n_layers+2; n_layers = 0 has the same indices as 1 with ndf channels at model.2."""

    def __init__(self, cfg=DiscriminatorConfig()):
        super().__init__()
        self.cfg = cfg
        ndf, norm = cfg.ndf, cfg.norm
        bias = norm == "instance"
        layers = [nn.Conv2d(cfg.input_nc, ndf, kernel_size=4, stride=2, padding=1),
                  nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, cfg.n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=2 if n < cfg.n_layers else 1,
                          padding=1, bias=bias),
                _norm_layer(norm, ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        if cfg.n_layers == 0:
            # The reference still adds its stride-1 conv + norm (at 1x ndf) in this case.
            layers += [
                nn.Conv2d(ndf, ndf, kernel_size=4, stride=1, padding=1, bias=bias),
                _norm_layer(norm, ndf),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def init_weights(net, gain=0.02):
    """The reference's 'normal' init: conv weights N(0, gain), biases 0; batch-norm weights
    N(1, gain), biases 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def exported_state_dict(net):
    """state_dict without num_batches_tracked: the tensors our checkpoints hold."""
    return {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def generator_metadata(cfg, name, description, source):
    """vkstyle.* metadata for a generator checkpoint; all values strings. vkstyle.upsample only
    for resize-conv, as the engine writes it."""
    meta = {
        "vkstyle.arch": "cyclegan_resnet_generator",
        "vkstyle.ngf": str(cfg.ngf),
        "vkstyle.n_blocks": str(cfg.n_blocks),
        "vkstyle.norm": cfg.norm,
        "vkstyle.input_nc": str(cfg.input_nc),
        "vkstyle.output_nc": str(cfg.output_nc),
        "vkstyle.name": name,
        "vkstyle.description": description,
        "vkstyle.source": source,
    }
    if cfg.upsample != "transposed":
        meta["vkstyle.upsample"] = cfg.upsample
    return meta


def discriminator_metadata(cfg, name, description, source):
    return {
        "vkstyle.arch": "patchgan_discriminator",
        "vkstyle.ndf": str(cfg.ndf),
        "vkstyle.n_layers": str(cfg.n_layers),
        "vkstyle.norm": cfg.norm,
        "vkstyle.input_nc": str(cfg.input_nc),
        "vkstyle.name": name,
        "vkstyle.description": description,
        "vkstyle.source": source,
    }


def tensor_to_f32_bytes(t):
    """Little-endian float32 bytes of a tensor, for tools/safetensors.py."""
    return t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()


def tensor_from_safetensors(t):
    """float32 torch tensor from a tools/safetensors.Tensor."""
    import numpy as np
    arr = np.frombuffer(t.raw, dtype="<f4" if t.dtype == "F32" else "<f2")
    return torch.from_numpy(arr.astype(np.float32)).reshape(t.shape)


@dataclass(frozen=True)
class TrainOptions:
    """The reference's CycleGAN training defaults (options/train_options.py, cycle_gan_model.py)."""
    gan_mode: str = "lsgan"        # "lsgan" (MSE) or "vanilla" (BCE with logits)
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    eps: float = 1e-8              # torch.optim.Adam's default, which the reference keeps
    lambda_A: float = 10.0
    lambda_B: float = 10.0
    lambda_identity: float = 0.5


LOSS_NAMES = ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B")


def gan_loss(pred, real, mode):
    """The reference's GANLoss: the patch map against a target of 1 (real) or 0 (fake), averaged."""
    target = torch.full_like(pred, 1.0 if real else 0.0)
    if mode == "lsgan":
        return nn.functional.mse_loss(pred, target)
    if mode == "vanilla":
        return nn.functional.binary_cross_entropy_with_logits(pred, target)
    raise ValueError("gan_mode must be 'lsgan' or 'vanilla', not %r" % (mode,))


class CycleGANStep:
    """One optimisation step as the reference's CycleGANModel.optimize_parameters does it, for
    fixtures and benchmarks. The image pools are left out: while a pool holds fewer than
    pool_size (50) images it returns the fake it is given, so the first 50 steps are exact."""

    def __init__(self, G_A, G_B, D_A, D_B, opts=TrainOptions()):
        self.G_A, self.G_B, self.D_A, self.D_B, self.opts = G_A, G_B, D_A, D_B, opts
        betas = (opts.beta1, opts.beta2)
        self.opt_G = torch.optim.Adam(list(G_A.parameters()) + list(G_B.parameters()), lr=opts.lr,
                                      betas=betas, eps=opts.eps)
        self.opt_D = torch.optim.Adam(list(D_A.parameters()) + list(D_B.parameters()), lr=opts.lr,
                                      betas=betas, eps=opts.eps)

    @staticmethod
    def _set_requires_grad(nets, flag):
        for net in nets:
            for p in net.parameters():
                p.requires_grad_(flag)

    def step(self, real_A, real_B):
        """Returns the losses (floats, the reference's names) computed during the step."""
        o, l1, mode = self.opts, nn.functional.l1_loss, self.opts.gan_mode
        G_A, G_B, D_A, D_B = self.G_A, self.G_B, self.D_A, self.D_B
        fake_B = G_A(real_A)
        rec_A = G_B(fake_B)
        fake_A = G_B(real_B)
        rec_B = G_A(fake_A)

        # Generators: the discriminators pass gradients through but collect none.
        self._set_requires_grad([D_A, D_B], False)
        self.opt_G.zero_grad()
        loss_idt_A = l1(G_A(real_B), real_B) * o.lambda_B * o.lambda_identity
        loss_idt_B = l1(G_B(real_A), real_A) * o.lambda_A * o.lambda_identity
        loss_G_A = gan_loss(D_A(fake_B), True, mode)
        loss_G_B = gan_loss(D_B(fake_A), True, mode)
        loss_cycle_A = l1(rec_A, real_A) * o.lambda_A
        loss_cycle_B = l1(rec_B, real_B) * o.lambda_B
        (loss_G_A + loss_G_B + loss_cycle_A + loss_cycle_B + loss_idt_A + loss_idt_B).backward()
        self.opt_G.step()

        # Discriminators, on the fakes made before the generators' step.
        self._set_requires_grad([D_A, D_B], True)
        self.opt_D.zero_grad()
        loss_D_A = (gan_loss(D_A(real_B), True, mode) + gan_loss(D_A(fake_B.detach()), False, mode)) * 0.5
        loss_D_A.backward()
        loss_D_B = (gan_loss(D_B(real_A), True, mode) + gan_loss(D_B(fake_A.detach()), False, mode)) * 0.5
        loss_D_B.backward()
        self.opt_D.step()

        values = (loss_D_A, loss_G_A, loss_cycle_A, loss_idt_A, loss_D_B, loss_G_B, loss_cycle_B, loss_idt_B)
        return {k: float(v) for k, v in zip(LOSS_NAMES, values)}
