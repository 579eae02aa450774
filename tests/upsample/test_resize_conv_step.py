#!/usr/bin/python3
"""One CycleGAN step of vkstyle-train --upsample resize-conv against PyTorch's
(tests/fixtures/resize_conv/train_step, made by tests/fixtures/make_resize_conv_fixtures.py),
checked exactly as tests/test_train_step.py checks the reference's step (its tolerances). Prints
TAP.   test_resize_conv_step.py VKSTYLE_TRAIN"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_train_step as tts  # noqa: E402

tts.FIXTURE = os.path.join(ROOT, "tests", "fixtures", "resize_conv", "train_step")
tts.CASES = {"lsgan-resize-conv": ("expected", ["--gan-mode", "lsgan", "--max-steps", "1",
                                                "--upsample", "resize-conv"])}

if __name__ == "__main__":
    sys.exit(tts.main(sys.argv))
