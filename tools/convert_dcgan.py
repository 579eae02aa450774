"""The DCGAN / InfoGAN half of tools/convert_pytorch.py: recognises PyTorch examples/dcgan's
Generator and Discriminator state_dicts (netG_epoch_N.pth, netD_epoch_N.pth) and our variants
(tools/dcgan_torch.py: WGAN critics without or with layer norm, InfoGAN), infers the
hyper-parameters from the shapes, and checks the whole key set against our definition."""

import re

import dcgan_torch as dt

MAX_WIDTH = 1024            # nz, ngf, ndf (engine/models/dcgan_spec.c)
MAX_NC = 4


class DcganError(Exception):
    pass


def looks_like_dcgan(sd):
    w = sd.get("main.0.weight")
    return w is not None and w.dim() == 4 and tuple(w.shape[2:]) == (4, 4)


def _main_convs(sd):
    """Indices N of the 4-d main.N.weight tensors, ascending."""
    return sorted(int(m.group(1)) for m in (re.fullmatch(r"main\.(\d+)\.weight", k) for k in sd)
                  if m and sd[m.group(0)].dim() == 4)


def _size_for(stages):
    if stages not in (3, 4, 5):
        raise DcganError("a DCGAN with %d (transposed) convolutions before the last one; vkstyle "
                         "supports 3, 4 or 5 (images of 32, 64 or 128 pixels)" % stages)
    return 4 << stages


def _check_range(what, value, hi):
    if not 1 <= value <= hi:
        raise DcganError("this model has %s = %d; vkstyle supports 1 to %d" % (what, value, hi))


def infer(sd, n_categories=0, n_continuous=0, nz=None, ngf=None):
    """(config, network class): the generator when main.1 is a batch norm (a discriminator's
    main.1 is a LeakyReLU), else the discriminator. A generator's input may hold InfoGAN codes,
    which its shapes cannot show: n_categories / n_continuous say how many. A discriminator file
    does not know the generator's nz and ngf: the example's defaults unless given."""
    if not (0 <= n_categories <= 1024 and 0 <= n_continuous <= 8):
        raise DcganError("InfoGAN codes: 0 to 1024 categories and 0 to 8 continuous codes")
    convs = _main_convs(sd)
    if "main.1.weight" in sd:
        stages = len(convs) - 1
        first, last = sd["main.0.weight"], sd["main.%d.weight" % convs[-1]]
        latent = first.shape[0]
        codes = n_categories + n_continuous
        if codes >= latent:
            raise DcganError("the generator takes %d input channels, fewer than the %d codes "
                             "given" % (latent, codes))
        cfg = dt.GanConfig(arch="infogan" if codes else "dcgan", nz=latent - codes,
                           ngf=last.shape[0], nc=last.shape[1], image_size=_size_for(stages),
                           n_categories=n_categories, n_continuous=n_continuous)
        net = dt.Generator
    else:
        info = "head_d.weight" in sd
        stages = len(convs) - (0 if info else 1)
        first = sd["main.0.weight"]
        if "main.3.running_mean" in sd:
            norm = "batch"
        elif "main.3.weight" in sd:
            norm = "layer"
        else:
            norm = "none"
        q_logits, q_mean = sd.get("q_logits.weight"), sd.get("q_mean.weight")
        cfg = dt.GanConfig(arch="infogan" if info else "dcgan", nz=nz or 100, ngf=ngf or 64,
                           ndf=first.shape[0], nc=first.shape[1], image_size=_size_for(stages),
                           d_norm=norm,
                           n_categories=q_logits.shape[0] if q_logits is not None else 0,
                           n_continuous=q_mean.shape[0] if q_mean is not None else 0)
        net = dt.Discriminator
    _check_range("nz", cfg.nz, MAX_WIDTH)
    _check_range("ngf", cfg.ngf, MAX_WIDTH)
    _check_range("ndf", cfg.ndf, MAX_WIDTH)
    _check_range("image channels", cfg.nc, MAX_NC)
    return cfg, net


def describe(cfg, net):
    kind = "InfoGAN" if cfg.arch == "infogan" else "DCGAN"
    size = "%dx%d, %d channel%s" % (cfg.image_size, cfg.image_size, cfg.nc, "s" * (cfg.nc > 1))
    codes = (", %d categories and %d continuous codes" % (cfg.n_categories, cfg.n_continuous)
             if cfg.arch == "infogan" else "")
    if net is dt.Generator:
        return "%s generator, nz %d, ngf %d, %s%s" % (kind, cfg.nz, cfg.ngf, size, codes)
    return "%s discriminator, ndf %d, %s norm, %s%s" % (kind, cfg.ndf, cfg.d_norm, size, codes)
