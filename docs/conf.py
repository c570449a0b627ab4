"""Sphinx configuration for the immunokb documentation.

Build with warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import sys
import types
import typing
import urllib.error
import urllib.request
import warnings
from importlib.metadata import version as _installed_version
from pathlib import Path
from typing import Any

from docutils.nodes import Element, TextElement
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.ext.autodoc import Options

import immunokb

# Local extensions: `catalogue` generates the content catalogue and the data-model
# diagrams (SVG, laid out by docs/_ext/classdiagram.py) from the knowledge base when
# the build starts (see docs/_ext/catalogue.py);
# `pagenames` refuses a page that Sphinx's own pages would overwrite (docs/_ext/pagenames.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

# -- Project -----------------------------------------------------------------

project = "immunokb"
author = "immunokb developers"
copyright = f"{dt.date.today().year}, {author}"
release = _installed_version("immunokb")
version = release

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    # myst_parser parses the .md pages; myst_nb renders the tutorial notebook.
    "myst_parser",
    "myst_nb",
    "sphinx_autodoc_typehints",
    "catalogue",
    # Fails the build (-W) on a page named like one of Sphinx's own (search.html...).
    "pagenames",
]

# The .md pages are plain MyST (myst_parser's "markdown"), never notebooks; only
# .ipynb files go through myst_nb.
source_suffix = {".md": "markdown", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]
nitpicky = False
# Quotes are shown verbatim: docutils' "smart quotes" would turn a source's
# straight quotes, "--" and "..." into typographic ones on the catalogue pages.
smartquotes = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- The tutorial notebook ------------------------------------------------------
#
# docs/tutorial.ipynb is kept without outputs (tests/test_notebook.py checks that);
# it is executed on every build, and a cell that raises fails the build.

nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 180

# -- autodoc, napoleon, typehints --------------------------------------------

autodoc_member_order = "bysource"
# Every class directive in api.md states its own options; pydantic models get their
# fields listed by `_add_model_fields` below, enums list their members.
autodoc_default_options: dict[str, Any] = {}
autodoc_class_signature = "mixed"
python_use_unqualified_type_names = True

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = True
napoleon_attr_annotations = True

typehints_fully_qualified = False
always_document_param_types = False
typehints_document_rtype = True

# -- intersphinx ---------------------------------------------------------------
#
# Links to the Python and pydantic documentation need their `objects.inv`
# inventories, fetched over the network at build time. Sphinx reports an
# unreachable inventory as a plain warning that no `suppress_warnings` entry can
# silence, so under `-W` an offline build (a sandbox, a CI runner without network)
# would fail for a reason that has nothing to do with the docs. We therefore probe
# the Python inventory first, with a short timeout and the same proxy settings the
# build would use, and leave `intersphinx_mapping` empty when it cannot be reached:
# those links then render as plain text and everything else still builds. With
# network access the mapping is in force, and a broken inventory URL still fails
# the build. Set IMMUNOKB_DOCS_INTERSPHINX=1 to force the mapping on (no probe) or
# IMMUNOKB_DOCS_INTERSPHINX=0 to force it off.

_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "pydantic": ("https://docs.pydantic.dev/latest", None),
}


def _inventories_reachable() -> bool:
    choice = os.environ.get("IMMUNOKB_DOCS_INTERSPHINX", "auto").strip().lower()
    if choice in {"1", "yes", "true", "on"}:
        return True
    if choice in {"0", "no", "false", "off"}:
        return False
    probe = _INTERSPHINX["python"][0] + "/objects.inv"
    try:
        with urllib.request.urlopen(probe, timeout=3):  # noqa: S310 - fixed https URL
            return True
    except (OSError, urllib.error.URLError):
        print("immunokb docs: intersphinx inventories unreachable; external links disabled")
        return False


intersphinx_mapping = _INTERSPHINX if _inventories_reachable() else {}
intersphinx_timeout = 10

# sphinx-autodoc-typehints calls a Sphinx API that Sphinx 10 removes, and Python
# prints the deprecation once per page: noise in the build log, not ours to fix.
warnings.filterwarnings("ignore", message=r".*\bset_application\b.* is deprecated")

# -- HTML --------------------------------------------------------------------

html_theme = "furo"
html_title = f"immunokb {release}"
# The site must work without the network (a hospital intranet, a train): nothing on
# its pages comes from another host (tests/test_docs_build.py checks every page,
# stylesheet and script). The data-model diagrams are SVG drawn at build time, not
# scripts; immunokb.css fits them to the width of the text.
html_static_path = ["_static"]
html_css_files = ["immunokb.css"]
# The JSON-LD context of the exports is published at the root of the site, copied
# from the installed package (the file `immunokb.jsonld_context()` reads).
html_extra_path = [str(Path(immunokb.__file__).with_name("context.jsonld"))]

# -- Helpers for the API reference ---------------------------------------------
#
# The public names live in private modules (``immunokb._models`` and so on) and are
# re-exported from ``immunokb``, which is where api.md documents them. Autodoc and
# sphinx-autodoc-typehints write cross-references to the defining module
# (``immunokb._models.Citation``); `_resolve_private` sends those to the public
# name. Pydantic models keep their fields out of the class namespace, so autodoc
# cannot see them: `_add_model_fields` lists each field, with its type and its
# ``Field(description=...)``, and `_model_signature` replaces pydantic's very long
# generated signature with the field names.

_PUBLIC = set(immunokb.__all__)
_PRIVATE_TARGET = re.compile(r"^immunokb\._[a-z_]+\.([A-Za-z_][A-Za-z0-9_]*)(.*)$")


def _type_text(tp: object) -> str:
    """A readable annotation, with public immunokb names and constraints stripped."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if tp is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in args)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{_type_text(args[0])}, ...]"
        return "tuple[" + ", ".join(_type_text(a) for a in args) + "]"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[" + ", ".join(_type_text(a) for a in args) + "]"
    if isinstance(tp, type):
        if tp.__module__.startswith("immunokb") and tp.__name__ in _PUBLIC:
            return f"immunokb.{tp.__name__}"
        if tp.__module__ == "builtins":
            return tp.__name__
        return f"{tp.__module__}.{tp.__qualname__}"
    return str(tp)


def _default_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value)
    return repr(value)


def _model(obj: object) -> type[BaseModel] | None:
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        return obj
    return None


# Sphinx calls event handlers with positional arguments, hence the PLR0917 waivers.


def _add_model_fields(  # noqa: PLR0917
    app: Sphinx, what: str, name: str, obj: object, options: Options, lines: list[str]
) -> None:
    model = _model(obj)
    if what != "class" or model is None:
        return
    lines.append("")
    for field_name, info in model.model_fields.items():
        lines.append(f".. py:attribute:: {field_name}")
        lines.append(f"   :type: {_type_text(info.annotation)}")
        if info.default is not PydanticUndefined:
            lines.append(f"   :value: {_default_text(info.default)}")
        lines.append("")
        if info.description:
            lines.append(f"   {info.description}")
            lines.append("")


def _model_signature(  # noqa: PLR0917
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: Options,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    model = _model(obj)
    if what != "class" or model is None:
        return None
    parts = []
    for field_name, info in model.model_fields.items():
        if info.default is PydanticUndefined:
            parts.append(field_name)
        else:
            parts.append(f"{field_name}={_default_text(info.default)}")
    return "(*, " + ", ".join(parts) + ")", None


def _skip_model_config(  # noqa: PLR0917
    app: Sphinx, what: str, name: str, obj: object, skip: bool, options: Options
) -> bool | None:
    # Every model inherits `model_config` (pydantic's own settings) from a private
    # base class; it is not part of immunokb's API.
    if name == "model_config":
        return True
    return None


def _version_doc(  # noqa: PLR0917
    app: Sphinx, what: str, name: str, obj: object, options: Options, lines: list[str]
) -> None:
    # `immunokb.__version__` is a plain str, whose own docstring autodoc would show.
    if name == "immunokb.__version__":
        lines[:] = ["The installed version of immunokb, read from the package metadata."]


def _resolve_private(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: TextElement
) -> Element | None:
    if node.get("refdomain") != "py":
        return None
    match = _PRIVATE_TARGET.match(node.get("reftarget", ""))
    if match is None or match.group(1) not in _PUBLIC:
        return None
    target = f"immunokb.{match.group(1)}{match.group(2)}"
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], target, node, contnode
    )


def setup(app: Sphinx) -> None:
    """Connect the helpers above."""
    app.connect("autodoc-process-docstring", _add_model_fields)
    app.connect("autodoc-process-docstring", _version_doc)
    app.connect("autodoc-skip-member", _skip_model_config)
    # Before sphinx-autodoc-typehints' handler (priority 500), which would otherwise
    # answer first with pydantic's generic ``(**data)``.
    app.connect("autodoc-process-signature", _model_signature, priority=400)
