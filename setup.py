"""Maps the repository's top-level folders under the one import package `paperwire`.

Metadata lives in pyproject.toml; only the package layout needs code, because setuptools'
declarative `package-dir` cannot map a folder's subpackages without listing each one
(data folders such as `bot/sample` count as packages, so they ship).
"""

from setuptools import find_namespace_packages, setup

FOLDERS = ("bot", "handlers", "formatters", "config")

package_dir = {"paperwire": "paperwire"}
for folder in FOLDERS:
    package_dir[f"paperwire.{folder}"] = folder
    for sub in find_namespace_packages(folder, exclude=["*__pycache__*"]):
        package_dir[f"paperwire.{folder}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(packages=list(package_dir), package_dir=package_dir)
