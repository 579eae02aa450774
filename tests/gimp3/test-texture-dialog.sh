#!/bin/bash
# gimp-texture-dialog (GIMP 3): test-dialog.sh's check of the real dialog (it opens, the preview
# shows on the canvas, Cancel leaves the image untouched, Apply renders) for Neural Texture.
VKSTYLE_DIALOG_FILTER=texture exec "$(dirname "$0")/test-dialog.sh" "$@"
