# Python-Fu helpers for the GIMP 3 tests that must look at an image after a failed call: a
# failing Script-Fu command ends the whole batch in GIMP 3, while a procedure run from Python
# returns its status and message and the script goes on. Loaded with exec() by run-gimp-test.sh.
from gi.repository import Gimp, Gio

PDB = Gimp.get_pdb()


def vks_load(path):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(path))


def vks_save(image, path):
    """PNG of the image, keeping the colour of transparent pixels (as helpers.scm does)."""
    proc = PDB.lookup_procedure("file-png-export")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_property("file", Gio.File.new_for_path(path))
    for name in ("interlaced", "bkgd", "offs", "phys", "time", "include-exif", "include-iptc",
                 "include-xmp", "include-color-profile", "include-thumbnail", "include-comment"):
        config.set_property(name, False)
    config.set_property("save-transparent", True)
    status = proc.run(config).index(0)
    assert status == Gimp.PDBStatusType.SUCCESS, "could not export " + path


def vks_run_filter(procedure, image, **properties):
    """Runs one of our procedures on the image's selected drawables without a dialog, with the
    given arguments (underscores for dashes); returns (status, error message or "")."""
    proc = PDB.lookup_procedure(procedure)
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", image.get_selected_drawables())
    for name, value in properties.items():
        config.set_property(name.replace("_", "-"), value)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else ""
    return status, message or ""


def vks_apply(image, model, strength=100.0, scale=1.0, new_layer=False, device=""):
    """Runs plug-in-vkstyle without a dialog; returns (status, error message or "")."""
    return vks_run_filter("plug-in-vkstyle", image, model=model, strength=strength, scale=scale,
                          new_layer=new_layer, device=device)


def vks_check_untouched(image, path):
    """The failed call left one layer and a clean image; saves it to `path` for the pixels."""
    assert len(image.get_layers()) == 1, "a layer was added"
    assert not image.is_dirty(), "the image was modified"
    vks_save(image, path)


def vks_texture(image, model, seed=1, tileable=False, codes="", device=""):
    """Runs plug-in-vkstyle-texture without a dialog; returns (status, error message or "")."""
    return vks_run_filter("plug-in-vkstyle-texture", image, model=model, seed=seed,
                          tileable=tileable, codes=codes, device=device)


def vks_reference(image, model, domain, reference=None, seed=1, variations=1, device=""):
    """Runs plug-in-vkstyle-reference without a dialog; returns (status, error message or "")."""
    return vks_run_filter("plug-in-vkstyle-reference", image, model=model, domain=domain,
                          reference=reference, seed=seed, variations=variations, device=device)


def vks_sprites(model, context="", seed=1, sampler="ddim", steps=4, count=1, upscale=1,
                guidance=0.0, device=""):
    """Runs plug-in-vkstyle-sprites (no image arguments) without a dialog; returns (status,
    error message or "")."""
    proc = PDB.lookup_procedure("plug-in-vkstyle-sprites")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    for name, value in (("model", model), ("context", context), ("seed", seed),
                        ("sampler", sampler), ("steps", steps), ("count", count),
                        ("upscale", upscale), ("guidance", guidance), ("device", device)):
        config.set_property(name, value)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 and status != Gimp.PDBStatusType.SUCCESS \
        else ""
    return status, message or ""


def vks_variation(image, model, strength=0.5, steps=4, seed=1, context="", new_layer=False,
                  device=""):
    """Runs plug-in-vkstyle-variation without a dialog; returns (status, error message or "")."""
    return vks_run_filter("plug-in-vkstyle-variation", image, model=model, strength=strength,
                          steps=steps, seed=seed, context=context, new_layer=new_layer,
                          device=device)
