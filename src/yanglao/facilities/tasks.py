from yanglao.core.tasks import handler
from yanglao.facilities.imports import run_import

handler("facilities.import")(run_import)
