"""Action libraries: Python packages of `.flow` files, packed, published, reviewed and diffed.

A library is a folder with a `pyproject.toml` (its distribution name and version)
and a package folder whose top-level `.flow` files are what `from package import A`
reaches (compiler/loader.py). `flowc pack` builds its wheel and sdist with the
generated modules and a manifest of its actions' interfaces (manifest.py);
`flowc diff` compares two interfaces and says which version bump each change
needs (semver.py); `flowc publish` uploads with twine after that check and, for
the marketplace, the review (review.py). docs/libraries.md is the user's guide.
"""
