"""The public name of :mod:`procdeck.ogc.extensions`, where these are defined.

Importing ``procdeck.schema_extensions`` gives that very module (one module object, two names).
"""

import sys

from procdeck.ogc import extensions as _defined

sys.modules[__name__] = _defined
