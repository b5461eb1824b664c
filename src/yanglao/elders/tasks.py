from yanglao.core.tasks import handler
from yanglao.elders.imports import run_import

handler("elders.import")(run_import)
