"""The sprites course's context U-Net and samplers in PyTorch, as engine/models/context_unet.c
and diffusion.c define them: the reference of tests/fixtures/make_diffusion_fixture.py and the
key set tools/convert_diffusion.py checks against. Module structure and state_dict keys are the
course's (diffusion_utilities.py: ResidualConvBlock, UnetDown, UnetUp, EmbedFC; the notebooks'
ContextUnet), with our two differences (engine/models/context_unet.h): init_conv's 1x1 shortcut
is a parameter ("init_conv.shortcut") instead of a fresh random conv in every forward, and
to_vec pools over height // 4 (the course's 4 at height 16).

The samplers follow the seed article's sample_ddpm / sample_ddim loops with x_T and the
per-step noise given instead of drawn, so a run is a function of its inputs."""

import torch
from torch import nn


class ResidualConvBlock(nn.Module):
    def __init__(self, cin, cout, is_res=False):
        super().__init__()
        self.is_res = is_res
        self.same_channels = cin == cout
        self.conv1 = nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.GELU())
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.GELU())
        if is_res and not self.same_channels:
            self.shortcut = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = self.conv2(self.conv1(x))
        if not self.is_res:
            return h
        skip = x if self.same_channels else self.shortcut(x)
        return (skip + h) / 1.414


class UnetDown(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.model = nn.Sequential(ResidualConvBlock(cin, cout), ResidualConvBlock(cout, cout),
                                   nn.MaxPool2d(2))

    def forward(self, x):
        return self.model(x)


class UnetUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.model = nn.Sequential(nn.ConvTranspose2d(cin, cout, 2, 2),
                                   ResidualConvBlock(cout, cout), ResidualConvBlock(cout, cout))

    def forward(self, x, skip):
        return self.model(torch.cat((x, skip), 1))


class EmbedFC(nn.Module):
    def __init__(self, din, demb):
        super().__init__()
        self.din = din
        self.model = nn.Sequential(nn.Linear(din, demb), nn.GELU(), nn.Linear(demb, demb))

    def forward(self, x):
        return self.model(x.view(-1, self.din))


class ContextUnet(nn.Module):
    def __init__(self, in_channels, n_feat=64, n_cfeat=5, height=16):
        super().__init__()
        nf = n_feat
        self.n_feat, self.n_cfeat, self.h = nf, n_cfeat, height
        self.init_conv = ResidualConvBlock(in_channels, nf, is_res=True)
        self.down1 = UnetDown(nf, nf)
        self.down2 = UnetDown(nf, 2 * nf)
        self.to_vec = nn.Sequential(nn.AvgPool2d(height // 4), nn.GELU())
        self.timeembed1 = EmbedFC(1, 2 * nf)
        self.timeembed2 = EmbedFC(1, nf)
        self.contextembed1 = EmbedFC(n_cfeat, 2 * nf)
        self.contextembed2 = EmbedFC(n_cfeat, nf)
        self.up0 = nn.Sequential(nn.ConvTranspose2d(2 * nf, 2 * nf, height // 4, height // 4),
                                 nn.GroupNorm(8, 2 * nf), nn.ReLU())
        self.up1 = UnetUp(4 * nf, nf)
        self.up2 = UnetUp(2 * nf, nf)
        self.out = nn.Sequential(nn.Conv2d(2 * nf, nf, 3, 1, 1), nn.GroupNorm(8, nf), nn.ReLU(),
                                 nn.Conv2d(nf, in_channels, 3, 1, 1))

    def forward(self, x, t, c=None):
        x = self.init_conv(x)
        down1 = self.down1(x)
        down2 = self.down2(down1)
        hidden = self.to_vec(down2)
        if c is None:
            c = torch.zeros(x.shape[0], self.n_cfeat).to(x)
        nf = self.n_feat
        cemb1 = self.contextembed1(c).view(-1, 2 * nf, 1, 1)
        temb1 = self.timeembed1(t).view(-1, 2 * nf, 1, 1)
        cemb2 = self.contextembed2(c).view(-1, nf, 1, 1)
        temb2 = self.timeembed2(t).view(-1, nf, 1, 1)
        up1 = self.up0(hidden)
        up2 = self.up1(cemb1 * up1 + temb1, down2)
        up3 = self.up2(cemb2 * up2 + temb2, down1)
        return self.out(torch.cat((up3, x), 1))


def schedule(timesteps, beta1, beta2, dtype=torch.float64):
    """The course's b_t, a_t, ab_t (ab_t[0] = 1)."""
    b_t = (beta2 - beta1) * torch.linspace(0, 1, timesteps + 1, dtype=dtype) + beta1
    a_t = 1 - b_t
    ab_t = torch.cumsum(a_t.log(), dim=0).exp()
    ab_t[0] = 1
    return b_t, a_t, ab_t


def _time(i, timesteps, n):
    return torch.tensor([i / timesteps])[:, None, None, None].expand(n, 1, 1, 1)


def sample_ddpm(net, x, timesteps, sched, noises, c=None):
    """The seed's sample_ddpm(_context) from x = x_T; noises[i] is z for timestep i (i > 1)."""
    b_t, a_t, ab_t = (s.float() for s in sched)
    for i in range(timesteps, 0, -1):
        t = _time(i, timesteps, x.shape[0])
        z = noises[i] if i > 1 else 0
        eps = net(x, t, c=c)
        noise = b_t.sqrt()[i] * z
        mean = (x - eps * ((1 - a_t[i]) / (1 - ab_t[i]).sqrt())) / a_t[i].sqrt()
        x = mean + noise
    return x


def sample_ddim(net, x, timesteps, sched, n, c=None):
    """The seed's sample_ddim(_context) with n steps from x = x_T."""
    _, _, ab_t = (s.float() for s in sched)
    step_size = timesteps // n
    for i in range(timesteps, 0, -step_size):
        t = _time(i, timesteps, x.shape[0])
        eps = net(x, t, c=c)
        ab, ab_prev = ab_t[i], ab_t[i - step_size]
        x0_pred = ab_prev.sqrt() / ab.sqrt() * (x - (1 - ab).sqrt() * eps)
        x = x0_pred + (1 - ab_prev).sqrt() * eps
    return x
