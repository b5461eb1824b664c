from yanglao.alarms.imports import KIND, run_import
from yanglao.core.tasks import handler

handler(KIND)(run_import)
