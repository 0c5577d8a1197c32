"""The public name of :mod:`procdeck.ogc.models`, where these are defined.

Importing ``procdeck.models`` gives that very module (one module object, two names).
"""

import sys

from procdeck.ogc import models as _defined

sys.modules[__name__] = _defined
