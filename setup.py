"""The optional compiled FIT header walk (analyzer/fit/fast/_cwalk.c); everything else is in
pyproject.toml. Without a C compiler the build goes on and the Python walk is used."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("analyzer.fit.fast._cwalk", ["analyzer/fit/fast/_cwalk.c"], optional=True)
    ]
)
