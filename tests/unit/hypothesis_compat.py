"""hypothesis-jsonschema 0.23 with newer Hypothesis releases: import this before drawing.

hypothesis-jsonschema drives ``many`` with ``more()``, which newer Hypothesis releases
replaced by ``with many(...) as m: for _ in m``; the adapter here speaks both, and only
hypothesis-jsonschema's module sees it (it uses nothing else from ``cu``).
"""

from __future__ import annotations

from types import SimpleNamespace

import hypothesis_jsonschema._from_schema as _hjs
from hypothesis.internal.conjecture import utils as _cu


class _ManyWithMore(_cu.many):
    def more(self) -> bool:
        if self._depth is None:
            self.__enter__()
            self._elements = iter(self)
        try:
            next(self._elements)
        except StopIteration:
            self.__exit__(None, None, None)
            return False
        return True


if not hasattr(_cu.many, "more"):
    _hjs.cu = SimpleNamespace(many=_ManyWithMore)
