#!/bin/bash
# gimp-reference-dialog (GIMP 3): test-dialog.sh's check of the real dialog (it opens, the
# preview shows on the canvas, Cancel leaves the image untouched, Apply renders) for Style from
# Reference.
VKSTYLE_DIALOG_FILTER=reference exec "$(dirname "$0")/test-dialog.sh" "$@"
