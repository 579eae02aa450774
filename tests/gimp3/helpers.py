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


def vks_apply(image, model, strength=100.0, scale=1.0, new_layer=False, device=""):
    """Runs plug-in-vkstyle without a dialog; returns (status, error message or "")."""
    proc = PDB.lookup_procedure("plug-in-vkstyle")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", image.get_selected_drawables())
    config.set_property("model", model)
    config.set_property("strength", strength)
    config.set_property("scale", scale)
    config.set_property("new-layer", new_layer)
    config.set_property("device", device)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else ""
    return status, message or ""


def vks_check_untouched(image, path):
    """The failed call left one layer and a clean image; saves it to `path` for the pixels."""
    assert len(image.get_layers()) == 1, "a layer was added"
    assert not image.is_dirty(), "the image was modified"
    vks_save(image, path)


def vks_texture(image, model, seed=1, tileable=False, codes="", device=""):
    """Runs plug-in-vkstyle-texture without a dialog; returns (status, error message or "")."""
    proc = PDB.lookup_procedure("plug-in-vkstyle-texture")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", image.get_selected_drawables())
    config.set_property("model", model)
    config.set_property("seed", seed)
    config.set_property("tileable", tileable)
    config.set_property("codes", codes)
    config.set_property("device", device)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else ""
    return status, message or ""


def vks_reference(image, model, domain, reference=None, seed=1, variations=1, device=""):
    """Runs plug-in-vkstyle-reference without a dialog; returns (status, error message or "")."""
    proc = PDB.lookup_procedure("plug-in-vkstyle-reference")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", image.get_selected_drawables())
    config.set_property("model", model)
    config.set_property("domain", domain)
    config.set_property("reference", reference)
    config.set_property("seed", seed)
    config.set_property("variations", variations)
    config.set_property("device", device)
    result = proc.run(config)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else ""
    return status, message or ""
