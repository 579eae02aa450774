#!/usr/bin/python3
"""Copies a generator trained by vkstyle-train (e.g. runs/x/latest_G_A.safetensors) into weights/
under its shipped name and description, keeping the tensors and the training metadata
(vkstyle.training, vkstyle.step) as they are. No torch needed.

  weights/ship_style.py SRC DST --name NAME --description TEXT
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import safetensors  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--name", required=True)
    parser.add_argument("--description", required=True)
    args = parser.parse_args()
    tensors, metadata = safetensors.load(args.src)
    if metadata.get("vkstyle.arch") != "cyclegan_resnet_generator":
        sys.exit("%s is not a vkstyle generator" % args.src)
    metadata["vkstyle.name"] = args.name
    metadata["vkstyle.description"] = args.description
    safetensors.save(args.dst, tensors, metadata)


if __name__ == "__main__":
    main()
