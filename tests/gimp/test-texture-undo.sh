#!/bin/bash
# gimp-texture-undo: Neural Texture's change is one undo step: test-undo.sh's GUI check (Ctrl+Z
# in the real GIMP under Xvfb gives back the input bit-identical) with the texture filter.
VKSTYLE_UNDO_FILTER=texture exec "$(dirname "$0")/test-undo.sh" "$@"
