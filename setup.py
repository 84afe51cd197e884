"""Packaging: the package list, which pyproject.toml's `packages.find` cannot express on its own.

`ui/` (the Streamlit app) stays at the top of the repository but is installed inside the package as
`workbench.ui`, so `workbench ui` works from a plain `pip install .` without a checkout. That needs a
`package_dir` mapping for `workbench.ui` plus the packages found under `workbench/`: `find_packages` keeps the
list current as subpackages are added (an explicit list in pyproject.toml would go stale silently). Everything
else (metadata, dependencies, package data) is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["workbench", "workbench.*"]) + ["workbench.ui", "workbench.ui.pages"],
    package_dir={"workbench.ui": "ui"},
)
